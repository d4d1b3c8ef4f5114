"""Seek index of a video: frame number -> presentation timestamp and keyframe flag.

:func:`video_index` reads a video's packets once, without decoding them, into a
:class:`VideoIndex`: one row per frame in presentation order, with the frame's
presentation timestamp (``pts``), its packet's decode timestamp (``dts``) and
whether the frame is a keyframe. The decoders of :mod:`.decode` seek to the last keyframe
at or before a frame, decode forward and check each decoded frame's ``pts`` against this
table, so random access is frame-exact also for inter-coded (lossy, GOP) video.

Indexes are kept in memory per ``(path, size, mtime)``. An index that needed a full demux
(inter-coded video, or a container without a complete table of its frames) is also kept
on disk in :func:`cache_dir`, under a hash of the absolute path, size and modification
time, written atomically; nothing is ever written next to the video. For intra-only
video (HuffYUV, FFV1 intra, MJPEG) whose container carries a complete frame table (AVI
``idx1``, MP4 ``stbl``) the table is read from the container instead of demuxing the file
(same rows, no pass over the frame data).
"""
from __future__ import annotations

import collections
import hashlib
import json
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..._atomic import atomic_path
from ..._validate import check_path, check_type
from ..._warnings import MMMEWarning
from ...errors import DataFormatError

__all__ = ["VideoIndex", "video_index", "cache_dir", "clear_memory_cache"]

_VERSION = 1  # bump when the on-disk layout or the way rows are built changes
_MEMORY_SIZE = 128
_memory: collections.OrderedDict = collections.OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class VideoIndex:
    """Frame table of one video (see :func:`video_index`).

    Attributes
    ----------
    path : str
        Absolute path of the video.
    size, mtime_ns : int
        File size (bytes) and modification time (ns) the index was built from.
    codec : str
        FFmpeg decoder name (``"huffyuv"``, ``"h264"`` ...).
    width, height : int
        Frame size in pixels.
    fps : float
        Frame rate (frames/s) declared by the stream.
    time_base : tuple of int
        ``(numerator, denominator)``: one timestamp unit in seconds.
    declared : int
        Number of frames the container declares (0 when it does not say).
    pts : numpy.ndarray
        ``(n_frames,)`` int64 presentation timestamps, strictly increasing: row ``k`` is
        frame ``k``.
    dts : numpy.ndarray
        ``(n_frames,)`` int64 decode timestamp of each frame's packet (its ``pts`` where
        the container stores none). Seeks use the keyframe's ``pts``: FFmpeg's MP4 and
        Matroska demuxers seek in presentation time.
    key : numpy.ndarray
        ``(n_frames,)`` bool: keyframes (decodable without earlier frames).
    source : str
        ``"demux"`` (read from the packets) or ``"container"`` (the container's table).
    """

    path: str
    size: int
    mtime_ns: int
    codec: str
    width: int
    height: int
    fps: float
    time_base: tuple
    declared: int
    pts: np.ndarray
    dts: np.ndarray
    key: np.ndarray
    source: str = "demux"

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.pts.size)

    @property
    def intra_only(self) -> bool:
        """Whether every frame is a keyframe (the fast path: seek straight to the frame)."""
        return bool(self.key.all())

    def frame_of_pts(self, pts) -> int:
        """Frame number of a presentation timestamp, or -1 if no frame has it."""
        k = int(np.searchsorted(self.pts, pts))
        return k if k < self.pts.size and int(self.pts[k]) == int(pts) else -1

    def keyframe_before(self, frame: int) -> int:
        """The last keyframe at or before ``frame`` (``frame`` itself for intra-only video)."""
        keys = np.flatnonzero(self.key[: frame + 1])
        return int(keys[-1]) if keys.size else 0


def cache_dir() -> Path:
    """Folder of the on-disk index cache.

    Returns
    -------
    pathlib.Path
        ``$MMME_CACHE_DIR/video-index`` if the variable is set, else
        ``~/.cache/mmme-analysis/video-index``. Not created here.

    Examples
    --------
    >>> from mmme_analysis.io.video.seek import cache_dir
    >>> cache_dir().name
    'video-index'
    """
    env = os.environ.get("MMME_CACHE_DIR")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "mmme-analysis"
    return root / "video-index"


def clear_memory_cache() -> None:
    """Forget the indexes kept in memory (the disk cache is left as it is)."""
    with _lock:
        _memory.clear()


def _cache_file(key) -> Path:
    digest = hashlib.sha256("\0".join(map(str, key + (_VERSION,))).encode()).hexdigest()[:32]
    return cache_dir() / f"{digest}.npz"


def _open_input(path: Path):
    """Open a video with PyAV: ``(container, stream)``; DataFormatError if it cannot."""
    import av

    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise DataFormatError(
            f"Cannot decode video file {path}: expected a video that FFmpeg can read "
            f"(e.g. one written by write_video) ({exc})"
        ) from None
    if not container.streams.video:
        container.close()
        raise DataFormatError(f"Cannot decode video file {path}: expected a video stream, found none")
    return container, container.streams.video[0]


def _stream_info(stream) -> dict:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    tb = stream.time_base
    return {
        "codec": stream.codec_context.name,
        "width": int(stream.codec_context.width),
        "height": int(stream.codec_context.height),
        "fps": float(rate) if rate else 0.0,
        "time_base": (int(tb.numerator), int(tb.denominator)) if tb else (0, 1),
        "declared": int(stream.frames or 0),
    }


def _from_container(stream):
    """(pts, dts, key) from the container's own table, or None when it is not usable."""
    if not stream.codec_context.codec.intra_only:
        return None  # inter-coded: the table holds dts only, the pts need the packets
    entries = getattr(stream, "index_entries", None) or ()  # PyAV >= 14
    n = len(entries)
    if n == 0 or n != int(stream.frames or 0):
        return None
    ts = np.fromiter((e.timestamp for e in entries), np.int64, n)
    ok = all(e.flags & 1 and e.size > 0 for e in entries) and (np.diff(ts) > 0).all()
    return (ts, ts.copy(), np.ones(n, bool)) if ok else None


def _demux(path: Path, container, stream):
    """(pts, dts, key) from every packet of the stream (no decoding)."""
    import av

    pts, dts, key = [], [], []
    try:
        for i, packet in enumerate(container.demux(stream)):
            if not packet.size:
                continue  # the flush packet at the end, or an empty (dropped) frame
            if packet.pts is None:
                raise DataFormatError(
                    f"Packet {i} of video file {path} has no presentation timestamp: expected "
                    f"timestamped frames (a container such as .avi, .mp4 or .mkv)"
                )
            pts.append(packet.pts)
            dts.append(packet.pts if packet.dts is None else packet.dts)
            key.append(packet.is_keyframe)
    except av.error.FFmpegError as exc:
        raise DataFormatError(
            f"Cannot read packet {len(pts)} (frame {len(pts)} in decode order) of video file "
            f"{path}: {exc}"
        ) from None
    pts, dts, key = np.asarray(pts, np.int64), np.asarray(dts, np.int64), np.asarray(key, bool)
    order = np.argsort(pts, kind="stable")
    pts, dts, key = pts[order], dts[order], key[order]
    dup = np.flatnonzero(np.diff(pts) == 0)
    if dup.size:
        raise DataFormatError(
            f"Frames {int(dup[0])} and {int(dup[0]) + 1} of video file {path} share the "
            f"presentation timestamp {int(pts[dup[0]])}: expected one timestamp per frame"
        )
    return pts, dts, key


def _build(path: Path, key, *, demux: bool, disk: bool) -> VideoIndex:
    container, stream = _open_input(path)
    try:
        info = _stream_info(stream)
        rows = None if demux else _from_container(stream)
        source = "container"
        if rows is None:
            cached = _load(key, info) if disk else None
            if cached is not None:
                return cached
            rows, source = _demux(path, container, stream), "demux"
    finally:
        container.close()
    pts, dts, keyflags = rows
    index = VideoIndex(str(path), key[1], key[2], pts=pts, dts=dts, key=keyflags,
                       source=source, **info)
    if source == "demux" and disk and index.n_frames:
        _save(index)
    return index


def _load(key, info) -> VideoIndex | None:
    file = _cache_file(key)
    try:
        with np.load(file, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: np.asarray(z[k]) for k in ("pts", "dts", "key")}
        meta["time_base"] = tuple(meta["time_base"])
        if (meta.pop("version", None), meta["path"], meta["size"], meta["mtime_ns"]) != (_VERSION,) + tuple(key):
            return None
        if any(meta[k] != v for k, v in info.items()) or arrays["key"].dtype != bool:
            return None
        return VideoIndex(**meta, **arrays)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, unreadable or from another layout: rebuilt


def _save(index: VideoIndex) -> None:
    folder = cache_dir()
    if folder.resolve() == Path(index.path).parent.resolve():
        return  # never a cache beside a raw file
    meta = {k: getattr(index, k) for k in ("path", "size", "mtime_ns", "codec", "width", "height", "fps",
                                            "time_base", "declared", "source")}
    meta["version"] = _VERSION
    try:
        folder.mkdir(parents=True, exist_ok=True)
        dest = _cache_file((index.path, index.size, index.mtime_ns))
        with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), pts=index.pts, dts=index.dts, key=index.key)
    except OSError as exc:
        warnings.warn(f"Cannot write the video index cache in {folder}: {exc}", MMMEWarning, stacklevel=4)


def video_index(path, *, disk_cache: bool = True, demux: bool = False) -> VideoIndex:
    """Frame table of a video: frame number -> pts, seek timestamp and keyframe flag.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (opened read-only).
    disk_cache : bool
        Look up and keep indexes that needed a full demux in :func:`cache_dir` (never
        next to the video). The in-memory cache is always used.
    demux : bool
        Read every packet even when the container's own table would do (for checks).

    Returns
    -------
    VideoIndex
        One row per frame, in presentation order.

    Raises
    ------
    DataFormatError
        If the file cannot be read, a packet has no timestamp, or two frames share one.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from mmme_analysis.io.video import video_index, write_video
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = write_video(folder / "a.avi", np.zeros((3, 8, 8, 3), np.uint8), 150.0)
    >>> idx = video_index(path)
    >>> idx.n_frames, idx.intra_only, idx.codec
    (3, True, 'huffyuv')
    """
    path = check_path("path", path, kind="file").resolve()
    check_type("disk_cache", disk_cache, bool)
    check_type("demux", demux, bool)
    st = path.stat()
    key = (str(path), int(st.st_size), int(st.st_mtime_ns))
    with _lock:
        hit = _memory.get(key)
        if hit is not None and not (demux and hit.source != "demux"):
            _memory.move_to_end(key)
            return hit
    index = _build(path, key, demux=demux, disk=disk_cache)
    with _lock:
        _memory[key] = index
        while len(_memory) > _MEMORY_SIZE:
            _memory.popitem(last=False)
    return index

