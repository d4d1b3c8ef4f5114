"""Video frames of one trial as the browser gets them: timing, reading, caching, encoding.

:class:`FrameReader` reads only the frame asked for (or the small chunk holding it, kept
so that stepping through neighbouring frames decodes nothing again), encodes it
(:mod:`~mmme_analysis.dashboard.encoding`) and keeps the last encoded frames. A frame that
cannot be read becomes a placeholder image with a message: the reader never raises, so a
server keeps running on a damaged file.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import param

from .._validate import check_positive
from .encoding import IMAGE_FORMATS, encode_image, mime_type, placeholder_image

__all__ = ["Frame", "FrameReader", "VideoInfo", "frame_index"]


def frame_index(t: float, fps: float, t_first: float = 0.0) -> int:
    """Index of the video frame shown at time ``t``: ``round((t - t_first) * fps)``.

    Parameters
    ----------
    t : float
        Time on the trial axis (s).
    fps : float
        Frames per second of the video (Hz).
    t_first : float
        Time of frame 0 on the trial axis (s); 0 for a video that starts at the marker,
        where the index is ``round(t * fps)``.

    Returns
    -------
    int
        0-based position of the frame (not clipped).

    Examples
    --------
    >>> from mmme_analysis.dashboard.frames import frame_index
    >>> frame_index(1.0, 150.0), frame_index(0.0034, 150.0)
    (150, 1)
    """
    fps = check_positive("fps", fps)
    return int(np.round((float(t) - float(t_first)) * fps))


@dataclass(frozen=True, eq=False)
class VideoInfo:
    """Timing of a trial video.

    Attributes
    ----------
    fps : float
        Frames per second (Hz).
    n_frames : int
        Number of frames.
    t_first : float
        Time of the first frame on the trial axis (s).
    height, width : int
        Frame size (pixels).
    times : ndarray or None
        Time of every frame on the trial axis (s), from the trial's ``time`` coordinate
        (aligned to the EEG clock, so it may drift from ``t_first + i / fps`` by a few
        ppm). None means a uniform clock.
    """

    fps: float
    n_frames: int
    t_first: float
    height: int
    width: int
    times: np.ndarray | None = None

    def index(self, t: float) -> int:
        """Frame position shown at ``t`` (s): the frame whose time is nearest, clipped.

        On a uniform clock starting at 0 this is ``round(t * fps)`` (see
        :func:`frame_index`).
        """
        if self.times is None or self.times.size != self.n_frames:
            return int(np.clip(frame_index(t, self.fps, self.t_first), 0, self.n_frames - 1))
        times = self.times
        i = int(np.clip(np.searchsorted(times, t), 1, times.size - 1)) if times.size > 1 else 0
        if times.size > 1 and abs(t - times[i - 1]) <= abs(times[i] - t):
            i -= 1
        return int(i)

    def time(self, index: int) -> float:
        """Time (s) of frame position ``index`` (clipped to the video)."""
        index = int(np.clip(int(index), 0, self.n_frames - 1))
        if self.times is None or self.times.size != self.n_frames:
            return float(self.t_first + index / self.fps)
        return float(self.times[index])

    def fit_width(self, box_width: int, box_height: int) -> int:
        """Width (pixels) of the frame shown whole in a ``box_width x box_height`` box.

        The frame keeps its aspect ratio and is never enlarged: the result is the frame
        width, the box width or the width at which its height fills the box, whichever
        is smallest (at least 1).

        Examples
        --------
        >>> from mmme_analysis.dashboard.frames import VideoInfo
        >>> info = VideoInfo(fps=150.0, n_frames=10, t_first=0.0, height=1088, width=2048)
        >>> info.fit_width(420, 420), info.fit_width(4000, 544), info.fit_width(5000, 5000)
        (420, 1024, 2048)
        """
        by_height = int(np.floor(int(box_height) * self.width / max(self.height, 1) + 1e-9))
        return max(1, min(self.width, int(box_width), by_height))


@dataclass(frozen=True)
class Frame:
    """An encoded video frame.

    Attributes
    ----------
    index : int
        Frame position in the trial video.
    time : float
        Its time on the trial axis (s).
    data : bytes
        Encoded image.
    mime : str
        ``image/jpeg`` or ``image/png``.
    message : str
        Empty, or why a placeholder is shown instead of the frame.
    """

    index: int
    time: float
    data: bytes
    mime: str
    message: str = ""


def video_info(video) -> VideoInfo | None:
    """Timing of a trial's ``video`` node (an ``xarray.Dataset``), None without frames."""
    if video is None or "frames" not in video:
        return None
    fr = video["frames"]
    fps = float(video.attrs.get("fps") or fr.attrs.get("fps"))
    t = np.asarray(video["time"].values, dtype=np.float64)
    return VideoInfo(fps=fps, n_frames=int(fr.sizes["time"]), t_first=float(t[0]) if t.size else 0.0,
                     height=int(fr.sizes["y"]), width=int(fr.sizes["x"]), times=t)


class FrameReader(param.Parameterized):
    """Encoded frames of one trial video, read lazily and cached.

    Parameters
    ----------
    video : xarray.Dataset or None
        The trial's ``video`` node (``frames`` with dims time, y, x, rgb); None for a trial
        without video (every frame is then a placeholder saying so).
    read_frame : callable, optional
        ``read_frame(index, width=None) -> ndarray (y, x, rgb) uint8``, e.g.
        ``Dataset.frame`` bound to the trial (every backend takes ``width``): the frame,
        scaled down to ``width`` when given (at the size
        :func:`~mmme_analysis.io.video.scaled_size` gives; a video file's reader scales
        the decoder's output straight to it, never making a full-size RGB copy); used for
        frames whose chunk is too large to keep. Default: read the frame from ``video``.
    label : str
        The trial, as named in messages (its id).
    scrub : callable, optional
        Applied to the message of a frame that cannot be read (participant names to
        pseudonyms: the message is shown, and drawn in the placeholder image).
    **params
        ``image_format``, ``jpeg_quality``, ``max_frame_width``, ``display_width``,
        ``frame_cache_size``, ``chunk_cache_bytes``.

    Notes
    -----
    Frames are encoded at :attr:`width` (the smaller of ``max_frame_width`` and
    ``display_width``), scaled down on the server (see
    :func:`~mmme_analysis.dashboard.encoding.encode_image`), so that the browser receives
    the pixels it shows and no more. :meth:`frame` may run on worker threads, two at once
    (the player's request and its read-ahead): the caches are shared under a lock, the
    frames are read outside it (the dataset's ``frame`` reads from any thread: each keeps
    its own open video files).
    """

    image_format = param.Selector(default="jpeg", objects=list(IMAGE_FORMATS), doc="Frame encoding.")
    jpeg_quality = param.Integer(default=85, bounds=(10, 100), doc="JPEG quality of frames.")
    max_frame_width = param.Integer(default=960, bounds=(64, None), allow_None=True,
                                    doc="Frames wider than this are scaled down for display (pixels).")
    display_width = param.Integer(default=None, bounds=(1, None), allow_None=True,
                                  doc="Width the page shows frames at (device pixels): frames wider are "
                                      "scaled down to it. None: not known, max_frame_width only.")
    frame_cache_size = param.Integer(default=300, bounds=(0, None), doc="Encoded frames kept.")
    chunk_cache_bytes = param.Integer(default=64 * 2**20, bounds=(0, None),
                                      doc="Largest decoded video chunk kept in memory (bytes); two are kept.")

    def __init__(self, video=None, *, read_frame: Callable | None = None, label: str = "",
                 scrub: Callable | None = None, **params):
        super().__init__(**params)
        self.scrub = scrub or str
        self.video = video
        self.info = video_info(video)
        self.label = str(label)
        self._read_frame = read_frame
        self._encoded = OrderedDict()
        self._chunks = OrderedDict()
        self._lock = threading.Lock()  # the caches: frames are read on two threads (request, read-ahead)

    @property
    def mime(self) -> str:
        """MIME type of the encoded frames."""
        return mime_type(self.image_format)

    @property
    def width(self) -> int | None:
        """Width frames are scaled down to (pixels): the smaller of ``max_frame_width`` and
        ``display_width``; None when neither is set."""
        widths = [w for w in (self.max_frame_width, self.display_width) if w]
        return min(widths) if widths else None

    def encode(self, rgb: np.ndarray, width: int | None = None) -> bytes:
        """Encode an RGB image with this reader's settings, at most ``width`` (default
        :attr:`width`) pixels wide."""
        return encode_image(rgb, self.image_format, quality=self.jpeg_quality,
                            max_width=self.width if width is None else width)

    def cached(self, index: int) -> Frame | None:
        """The encoded frame at position ``index`` (clipped) if it is in the cache (at the
        current settings), else None; reads nothing."""
        if self.info is None:
            return None
        index = int(np.clip(int(index), 0, self.info.n_frames - 1))
        with self._lock:
            return self._encoded.get((index, self.image_format, self.jpeg_quality, self.width))

    def frame(self, index: int) -> Frame:
        """Encoded frame at position ``index`` (clipped), or a placeholder with a message."""
        info = self.info
        if info is None:
            msg = f"No video in trial {self.label}."
            return Frame(0, 0.0, self.encode(placeholder_image(240, 320, msg)), self.mime, msg)
        index = int(np.clip(int(index), 0, info.n_frames - 1))
        width = self.width  # read once: a display size may change while this runs
        key = (index, self.image_format, self.jpeg_quality, width)
        with self._lock:
            if key in self._encoded:
                self._encoded.move_to_end(key)
                return self._encoded[key]
        try:
            rgb = np.asarray(self.read(index, width))
            if rgb.dtype != np.uint8 or rgb.ndim != 3:
                raise ValueError(f"expected a (y, x, rgb) uint8 frame, got {rgb.dtype} {rgb.shape}")
            data, msg = self.encode(rgb, width), ""
        except Exception as err:  # noqa: BLE001 - any decoding failure becomes a placeholder
            msg = self.scrub(f"Frame {index} of trial {self.label} could not be read: {type(err).__name__}: {err}")
            data = self.encode(placeholder_image(min(info.height, 480), min(info.width, 640), msg), width)
        out = Frame(index=index, time=info.time(index), data=data, mime=self.mime, message=msg)
        if self.frame_cache_size:
            with self._lock:
                self._encoded[key] = out
                while len(self._encoded) > self.frame_cache_size:
                    self._encoded.popitem(last=False)
        return out

    def read(self, index: int, width: int | None = None) -> np.ndarray:
        """RGB array of frame ``index``, decoded.

        With a chunked (dask) video whose chunks hold a few frames, the chunk is decoded
        once and kept (``chunk_cache_bytes``, two chunks), so stepping through
        neighbouring frames does not decode the chunk again; other frames are read one at
        a time. ``width``: the width the frame is shown at; ``read_frame`` returns the frame
        scaled down to it, frames from ``video`` come full size (the encoder scales them).
        """
        frames = self.video["frames"]
        chunks = getattr(frames.data, "chunks", None)
        if chunks is not None and len(chunks[0]) > 0:
            bounds = np.cumsum((0,) + tuple(chunks[0]))
            k = int(np.searchsorted(bounds, index, side="right") - 1)
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            nbytes = (hi - lo) * int(np.prod(frames.shape[1:])) * frames.dtype.itemsize
            if hi - lo > 1 and nbytes <= self.chunk_cache_bytes:
                with self._lock:
                    chunk = self._chunks.get((lo, hi))
                if chunk is None:  # decoded outside the lock (two threads may decode it both)
                    chunk = np.asarray(frames.data[lo:hi].compute())
                with self._lock:
                    self._chunks[(lo, hi)] = chunk
                    self._chunks.move_to_end((lo, hi))
                    while len(self._chunks) > 2:
                        self._chunks.popitem(last=False)
                return chunk[index - lo]
        if self._read_frame is not None:
            return self._read_frame(index, width=int(width) if width else None)
        return np.asarray(frames[index].values)
