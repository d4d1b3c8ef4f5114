"""Frame-exact, verified decoding of video frames (PyAV / FFmpeg).

Every read goes through :func:`verified_frames`: it looks the wanted frames up in the
video's :class:`~.seek.VideoIndex`, seeks to the last keyframe at or before the first of
them (for intra-only codecs, that is the frame itself: the fast path), decodes forward,
and checks the presentation timestamp of every decoded frame against the index. A frame
that comes out of the decoder with a timestamp other than the expected frame's raises
:class:`~mmme_analysis.errors.DataFormatError` naming the file and the frame: a read
never silently returns a neighbouring frame.
"""
from __future__ import annotations

import contextlib

import cv2
import numpy as np

from ..._validate import check_int, check_path
from ...errors import DataFormatError
from .seek import VideoIndex, _open_input, video_index

__all__ = ["verified_frames", "decode_range", "iter_frames", "decoder_threads"]

# packed pixel formats copied straight from the decoder's buffer: channels, OpenCV conversion
_PACKED = {
    "bgr0": (4, cv2.COLOR_BGRA2RGB), "bgra": (4, cv2.COLOR_BGRA2RGB),
    "rgb0": (4, cv2.COLOR_RGBA2RGB), "rgba": (4, cv2.COLOR_RGBA2RGB),
    "bgr24": (3, cv2.COLOR_BGR2RGB), "rgb24": (3, None), "gray": (1, cv2.COLOR_GRAY2RGB),
}
# decoding this many frames or more uses the codec's frame threads (fewer: slice threads only)
_FRAME_THREADS_FROM = 5
# most FFmpeg threads of one decoder (0: FFmpeg's choice, about one per core); see decoder_threads
_MAX_THREADS = 0


@contextlib.contextmanager
def decoder_threads(n: int):
    """Let every decoder of this process use at most ``n`` FFmpeg threads inside the block.

    A process-wide setting (restored on exit), for work that already runs its own threads
    or processes per core: a worker of ``mmme convert --workers N`` decodes on one thread,
    so that it uses the one core it is given and N workers scale with N.

    Examples
    --------
    >>> from mmme_analysis.io.video.decode import decoder_threads
    >>> with decoder_threads(1):
    ...     pass  # frames decoded here use one FFmpeg thread each
    """
    global _MAX_THREADS
    n = check_int("n", n, min_value=1)
    old, _MAX_THREADS = _MAX_THREADS, n
    try:
        yield
    finally:
        _MAX_THREADS = old


def _decoded(container, stream):
    """The decoder's output frames, in presentation order (one place to count decodes)."""
    return container.decode(stream)


def _to_rgb(frame, out: np.ndarray | None = None) -> np.ndarray:
    """A decoded ``av.VideoFrame`` as ``(height, width, 3)`` uint8 RGB (into ``out`` if given)."""
    spec = _PACKED.get(frame.format.name)
    if spec is None:
        rgb = frame.to_ndarray(format="rgb24")
        if out is None:
            return rgb
        out[...] = rgb
        return out
    ch, code = spec
    plane, h, w = frame.planes[0], frame.height, frame.width
    buf = np.frombuffer(plane, np.uint8, count=h * plane.line_size).reshape(h, plane.line_size)
    buf = buf[:, : w * ch].reshape(h, w, ch)
    if code is None:
        if out is None:
            return buf.copy()
        out[...] = buf
        return out
    if ch == 1:
        buf = buf[..., 0]
    return cv2.cvtColor(buf, code) if out is None else cv2.cvtColor(buf, code, dst=out)


def _plans(index: VideoIndex, start: int):
    """Frames to seek to, in order of preference (None: decode from the file's start)."""
    k = index.keyframe_before(start)
    plans = [k]
    if k > 0:
        plans.append(index.keyframe_before(k - 1))  # a seek that overshoots: one GOP earlier
    plans.append(None)
    out = []
    for p in plans:
        p = None if p == 0 else p  # the first keyframe: no seek needed
        if p not in out:
            out.append(p)
    return out


def verified_frames(path, start: int, stop: int, *, index: VideoIndex | None = None):
    """Yield ``(frame_number, av.VideoFrame)`` for frames ``start:stop``, checked against the index.

    Parameters
    ----------
    path : pathlib.Path
        Video file (resolved).
    start, stop : int
        Frame range, ``0 <= start < stop <= n_frames``.
    index : VideoIndex, optional
        The video's index (default :func:`~.seek.video_index`).

    Yields
    ------
    tuple of (int, av.VideoFrame)
        The frame number and the decoded frame, each frame of the range once, in order.

    Raises
    ------
    DataFormatError
        If a frame does not decode, or the decoder returns a frame whose timestamp is not
        the expected frame's (a frame missing from the decoder's output, or an index that
        does not match the file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from mmme_analysis.io.video import write_video
    >>> from mmme_analysis.io.video.decode import verified_frames
    >>> path = write_video(pathlib.Path(tempfile.mkdtemp()) / "a.avi", np.zeros((5, 8, 8, 3), np.uint8), 150.0)
    >>> [(n, frame.pts) for n, frame in verified_frames(path, 1, 4)]
    [(1, 1), (2, 2), (3, 3)]
    """
    import av

    index = video_index(path) if index is None else index
    for plan in _plans(index, start):
        container, stream = _open_input(path)
        try:
            stream.thread_type = "AUTO" if stop - (plan or 0) >= _FRAME_THREADS_FROM else "SLICE"
            if _MAX_THREADS:
                stream.thread_count = _MAX_THREADS
            if plan is not None:
                container.seek(int(index.pts[plan]), stream=stream, backward=True, any_frame=False)
            expected, first, overshot = start, True, False
            try:
                for frame in _decoded(container, stream):
                    pts = frame.pts
                    n = -1 if pts is None else index.frame_of_pts(pts)
                    if first:
                        first = False
                        if n > start and plan is not None:
                            overshot = True  # the seek landed after the wanted frame: seek earlier
                            break
                    if 0 <= n < expected:
                        continue  # decoded as a reference only
                    if n != expected:
                        got = "no timestamp" if pts is None else f"pts {pts}" + (
                            f" (frame {n})" if n >= 0 else ", not a frame of the index")
                        raise DataFormatError(
                            f"Frame {expected} of video file {path} could not be read exactly: the "
                            f"decoder returned a frame with {got} in its place; expected frame "
                            f"{expected} (pts {int(index.pts[expected])})"
                        )
                    yield n, frame
                    expected += 1
                    if expected == stop:
                        return
            except av.error.FFmpegError as exc:
                raise DataFormatError(f"Cannot decode frame {expected} of video file {path}: {exc}") from None
            if not first and not overshot:
                raise DataFormatError(
                    f"Cannot decode frame {expected} of video file {path}: the decoder stopped "
                    f"after frame {expected - 1}; expected {index.n_frames} frames (truncated file?)"
                )
        finally:
            container.close()
    raise DataFormatError(
        f"Cannot decode frame {start} of video file {path}: no seek reached it; expected "
        f"frames {start}-{stop - 1} to decode"
    )


def decode_range(path, start: int, stop: int, shape=None, *, index: VideoIndex | None = None) -> np.ndarray:
    """Frames ``start:stop`` as a ``(stop - start, H, W, 3)`` uint8 RGB array (verified).

    ``shape`` is the expected ``(H, W, 3)`` (default the index's); ``index`` as in
    :func:`verified_frames`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from mmme_analysis.io.video import write_video
    >>> from mmme_analysis.io.video.decode import decode_range
    >>> path = write_video(pathlib.Path(tempfile.mkdtemp()) / "a.avi", np.zeros((5, 8, 8, 3), np.uint8), 150.0)
    >>> decode_range(path, 2, 5).shape
    (3, 8, 8, 3)
    """
    index = video_index(path) if index is None else index
    shape = (index.height, index.width, 3) if shape is None else tuple(shape)
    out = np.empty((max(stop - start, 0),) + shape, np.uint8)
    if stop <= start:
        return out
    for n, frame in verified_frames(path, start, stop, index=index):
        if (frame.height, frame.width) != shape[:2]:
            raise DataFormatError(
                f"Frame {n} of video file {path} has shape {(frame.height, frame.width, 3)}: "
                f"expected {shape}"
            )
        _to_rgb(frame, out[n - start])
    return out


def iter_frames(path, start: int = 0, stop: int | None = None):
    """Decode a video sequentially, one verified frame at a time.

    The streaming path (conversion, tracking): one seek to ``start``, then one decoder
    pass; memory stays at a few frames whatever the video's length.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (opened read-only).
    start : int
        First frame (0-based).
    stop : int, optional
        One past the last frame; default the end of the video.

    Yields
    ------
    tuple of (int, numpy.ndarray)
        The frame number and the frame, ``(height, width, 3)`` uint8 RGB (a new array
        each time).

    Raises
    ------
    DataFormatError
        If a frame does not decode or the decoder returns another frame than the next one
        (see :func:`verified_frames`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from mmme_analysis.io.video import iter_frames, write_video
    >>> frames = np.arange(5, dtype=np.uint8)[:, None, None, None].repeat(8, 1).repeat(8, 2).repeat(3, 3)
    >>> path = write_video(pathlib.Path(tempfile.mkdtemp()) / "a.avi", frames, 150.0)
    >>> [(n, int(rgb[0, 0, 0])) for n, rgb in iter_frames(path, start=2)]
    [(2, 2), (3, 3), (4, 4)]
    """
    path = check_path("path", path, kind="file").resolve()
    start = check_int("start", start, min_value=0)
    index = video_index(path)
    n = index.n_frames
    stop = n if stop is None else check_int("stop", stop, min_value=0)
    if stop > n:
        raise ValueError(f"Invalid value for 'stop': expected an integer <= {n} (the number of frames), got {stop}")
    if start > stop:
        raise ValueError(f"Invalid value for 'start': expected an integer <= stop ({stop}), got {start}")
    return _iter(path, start, stop, index)


def _iter(path, start, stop, index):
    if stop <= start:
        return
    for n, frame in verified_frames(path, start, stop, index=index):
        yield n, _to_rgb(frame)
