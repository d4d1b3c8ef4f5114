"""Single-frame reads on kept-open videos, and area scaling to a width.

:func:`read_held` serves :func:`~.avi.read_frame` for intra-only video (HuffYUV, FFV1,
MJPEG: every frame is its own keyframe in the index): it keeps the file's container open
between reads (a small per-thread LRU cache, :data:`MAX_HELD` files each, keyed by the
file's path, size and modification time, so a file replaced on disk is opened again),
seeks to the frame, decodes just that frame and checks its timestamp against the
video's :class:`~.seek.VideoIndex`. With a ``width`` it scales the decoder's own packed
buffer (no full-size RGB copy). Anything unusual (not intra-only, a timestamp or size
that does not match, a decoder error) returns None, and the caller reads the frame on
the verified path (:func:`~.decode.decode_range`), which raises DataFormatError as
always: this path never returns a frame the index does not vouch for.

:func:`scale_to_width` is the shared scaling rule (:func:`scaled_size`): every dataset
backend scales frames that do not come from a video file with it, so all return the same
shapes and the same pixels.
"""
from __future__ import annotations

import collections
import os
import threading

import cv2
import numpy as np

from ..._validate import check_int
from . import decode as _decode
from .decode import _PACKED, _to_rgb
from .seek import VideoIndex, _open_input

__all__ = ["scale_to_width", "scaled_size", "read_held", "close_held", "MAX_HELD"]

#: Videos kept open per thread (least recently read closed first).
MAX_HELD = 4

_local = threading.local()


def scaled_size(height: int, width: int, max_width: int | None) -> tuple:
    """(height, width) of an image ``height x width`` scaled down to ``max_width``.

    The width becomes ``max_width`` and the height ``round(height * max_width / width)``
    (at least 1); an image no wider than ``max_width``, or a ``max_width`` of None, keeps
    its size (never upscaled).

    Examples
    --------
    >>> from mmme_analysis.io.video.held import scaled_size
    >>> scaled_size(1088, 2048, 420), scaled_size(120, 224, 960)
    ((223, 420), (120, 224))
    """
    height, width = int(height), int(width)
    if not max_width or width <= max_width:
        return height, width
    return max(1, int(round(height * int(max_width) / width))), int(max_width)


def _shrink(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """``img`` area-scaled to (h, w): exact 2x2 halvings while at least twice too big, then one area step."""
    while img.shape[1] >= 2 * w and img.shape[0] >= 2 * h and img.shape[1] % 2 == 0 and img.shape[0] % 2 == 0:
        img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if img.shape[:2] != (h, w):
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)
    return img


def scale_to_width(rgb: np.ndarray, width: int | None) -> np.ndarray:
    """An image scaled down to ``width`` pixels wide, area-averaged (never upscaled).

    Parameters
    ----------
    rgb : numpy.ndarray
        ``(y, x, 3)`` uint8 image.
    width : int or None
        Width to scale to (>= 1); the height follows the aspect ratio (:func:`scaled_size`).
        None, or an image no wider, returns ``rgb`` itself.

    Returns
    -------
    numpy.ndarray
        The scaled image: exact 2 x 2 means (``cv2.INTER_AREA`` halvings) while it stays at
        least twice the wanted size, then one ``cv2.INTER_AREA`` step; within about a grey
        level of a single ``cv2.INTER_AREA`` resize, several times faster.

    Examples
    --------
    >>> import numpy as np
    >>> from mmme_analysis.io.video import scale_to_width
    >>> scale_to_width(np.zeros((1088, 2048, 3), np.uint8), 420).shape
    (223, 420, 3)
    """
    if width is None:
        return rgb
    width = check_int("width", width, min_value=1)
    h, w = scaled_size(rgb.shape[0], rgb.shape[1], width)
    return rgb if (h, w) == tuple(rgb.shape[:2]) else _shrink(rgb, h, w)


def _held() -> collections.OrderedDict:
    cache = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = collections.OrderedDict()
    return cache


def close_held() -> None:
    """Close the videos this thread keeps open (they are opened again when next read)."""
    cache = _held()
    while cache:
        cache.popitem(last=False)[1][0].close()


def _open(index: VideoIndex):
    """(container, stream) of the video, from this thread's cache or newly opened (evicting the oldest)."""
    cache, key = _held(), (index.path, index.size, index.mtime_ns)
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    for old in [k for k in cache if k[0] == index.path]:  # the file changed: its old container goes
        cache.pop(old)[0].close()
    container, stream = _open_input(index.path)
    st = os.stat(index.path)
    if (int(st.st_size), int(st.st_mtime_ns)) != (index.size, index.mtime_ns):
        container.close()  # replaced while opening: the index is not this file's
        return None
    stream.thread_type = "SLICE"  # frame threads delay a single frame (measured 3x slower)
    cache[key] = (container, stream)
    while len(cache) > MAX_HELD:
        cache.popitem(last=False)[1][0].close()
    return container, stream


def _drop(index: VideoIndex) -> None:
    entry = _held().pop((index.path, index.size, index.mtime_ns), None)
    if entry is not None:
        entry[0].close()


def _frame_rgb(frame, width: int | None) -> np.ndarray:
    """A decoded frame as (y, x, 3) uint8 RGB, scaled to ``width`` from the decoder's buffer."""
    h, w = scaled_size(frame.height, frame.width, width)
    spec = _PACKED.get(frame.format.name)
    if (h, w) == (frame.height, frame.width) or spec is None:
        return scale_to_width(_to_rgb(frame), width)  # full size, or a planar format: converted first
    ch, code = spec
    plane = frame.planes[0]
    buf = np.frombuffer(plane, np.uint8, count=frame.height * plane.line_size).reshape(frame.height, plane.line_size)
    img = _shrink(buf[:, : frame.width * ch].reshape(frame.height, frame.width, ch), h, w)
    if ch == 1:
        img = img.reshape(h, w)
    return img if code is None else cv2.cvtColor(img, code)


def read_held(index: VideoIndex, frame: int, width: int | None = None) -> np.ndarray | None:
    """Frame ``frame`` (0 <= frame < n_frames) of an intra-only video on its kept-open container.

    Returns ``(y, x, 3)`` uint8 RGB, scaled to ``width`` (:func:`scale_to_width`), or None
    where the caller must read the frame on the verified path: the video is not
    intra-only, or the decoded frame's timestamp or size is not the index's.
    """
    import av

    if not index.intra_only:
        return None
    opened = _open(index)
    if opened is None:
        return None
    container, stream = opened
    try:
        # frame 0: from the file's start (as the verified path, which decodes it without a seek), so
        # that an index whose first timestamp is not the file's is caught there too
        target = int(index.pts[frame]) if frame else min(int(index.pts[0]), 0)
        container.seek(target, stream=stream, backward=True, any_frame=False)
        for decoded in _decode._decoded(container, stream):  # the decoder's one counted entry point
            if (decoded.pts is None or index.frame_of_pts(decoded.pts) != frame
                    or (decoded.height, decoded.width) != (index.height, index.width)):
                break  # not the frame asked for: the verified path decides
            return _frame_rgb(decoded, width)
    except (av.error.FFmpegError, OSError):
        pass
    _drop(index)  # a fresh container for the next read
    return None
