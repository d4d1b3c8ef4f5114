"""Trial videos (``.avi``) and XIMEA frame folders (``.tif``), read lazily into xarray.

Videos are written losslessly with the HuffYUV codec (RGB) in an AVI container through
OpenCV's FFmpeg backend (``cv2.VideoWriter_fourcc(*"HFYU")``): the frames read back
bit-exact, and HuffYUV is intra-only, so seeking to any frame with ``CAP_PROP_POS_FRAMES``
is exact. (FFV1 is also lossless and ~25 % smaller, but was 5x slower to write and read on
these machines: 3.3 vs 0.6 ms per 160x136 frame.) The writer needs even frame heights and
widths.

Readers return :class:`xarray.DataArray` objects with dims ``(time, y, x, rgb)`` (uint8
RGB) backed by dask arrays: nothing is decoded until ``.compute()`` (or ``.values``), and
then only the chunks that are needed.
"""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from .._atomic import atomic_path
from .._validate import check_int, check_path, check_sfreq
from ..errors import DataFormatError
from .stamps import _FRAME_SUFFIXES, format_frame_name, parse_frame_name

__all__ = ["write_video", "read_video", "read_frame", "write_frames", "read_frames"]

_FOURCC = "HFYU"
_CHUNK_BYTES = 128 * 2**20  # upper bound on the decoded size of one dask chunk
_FRAME_PATTERN = "YYYY-MM-DD-hh-mm-ss-ms-us-marker.tif"


# --------------------------------------------------------------------------------------------
# helpers


def _as_frames(frames, name: str = "frames"):
    """Frames as an indexable (n, H, W, 3) uint8 array-like (numpy, dask or xarray)."""
    arr = frames.data if hasattr(frames, "dims") and hasattr(frames, "data") else frames
    if not hasattr(arr, "shape") or not hasattr(arr, "dtype"):
        arr = np.asarray(arr)
    if arr.ndim != 4 or arr.shape[-1] != 3 or arr.shape[0] < 1:
        raise ValueError(
            f"Invalid value for {name!r}: expected an array of shape (n_frames >= 1, height, "
            f"width, 3) (RGB), got shape {tuple(arr.shape)!r}"
        )
    if arr.dtype != np.uint8:
        raise TypeError(f"Invalid value for {name!r}: expected dtype uint8, got {arr.dtype}")
    return arr


def _chunk_len(n_frames: int, frame_bytes: int, preferred: int) -> int:
    return int(max(1, min(n_frames, preferred, _CHUNK_BYTES // max(frame_bytes, 1))))


def _open_capture(path: Path):
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise DataFormatError(
            f"Cannot decode video file {path}: expected a video that OpenCV/FFmpeg can read "
            f"(e.g. a lossless .avi written by write_video)"
        )
    return cap


def _probe(path: Path):
    """(n_frames, fps, height, width) of a video, checking the first and last frames decode."""
    cap = _open_capture(path)
    try:
        n = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        fps = cap.get(cv2.CAP_PROP_FPS)
        if not math.isfinite(n) or n < 1:
            raise DataFormatError(
                f"Video file {path} declares {n:g} frames: expected at least 1 frame"
            )
        n = int(round(n))
        if not math.isfinite(fps) or fps <= 0:
            raise DataFormatError(f"Video file {path} declares a frame rate of {fps!r}: expected fps > 0")
        ok, first = cap.read()
        if not ok or first is None:
            raise DataFormatError(f"Cannot decode frame 0 of video file {path}: expected {n} decodable frames")
        if n > 1:
            cap.set(cv2.CAP_PROP_POS_FRAMES, n - 1)
            ok, last = cap.read()
            if not ok or last is None:
                raise DataFormatError(
                    f"Video file {path} declares {n} frames but frame {n - 1} (the last) does not "
                    f"decode: expected {n} decodable frames (truncated file?)"
                )
        return n, float(fps), int(first.shape[0]), int(first.shape[1])
    finally:
        cap.release()


def _to_rgb(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _decode_range(path: Path, start: int, stop: int, shape) -> np.ndarray:
    """Decode frames ``start:stop`` of a video as (stop - start, H, W, 3) uint8 RGB."""
    out = np.empty((stop - start,) + tuple(shape), np.uint8)
    if stop <= start:
        return out
    cap = _open_capture(path)
    try:
        if start:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
        for i in range(stop - start):
            ok, frame = cap.read()
            if not ok or frame is None:
                raise DataFormatError(
                    f"Cannot decode frame {start + i} of video file {path}: expected "
                    f"frames {start}-{stop - 1} to decode"
                )
            frame = _to_rgb(frame)
            if frame.shape != out.shape[1:]:
                raise DataFormatError(
                    f"Frame {start + i} of video file {path} has shape {frame.shape}: "
                    f"expected {out.shape[1:]}"
                )
            out[i] = frame
    finally:
        cap.release()
    return out


class _LazyFrames:
    """Array-like over a frame source; ``x[key]`` decodes only the requested frames.

    ``decode(source, start, stop, frame_shape)`` returns frames ``start:stop`` as a
    ``(stop - start, *frame_shape)`` uint8 array. dask calls ``x[key]`` with one slice
    per dimension, once per chunk, when (and only when) the chunk is computed.
    """

    def __init__(self, decode, source, n_frames: int, frame_shape):
        self.decode = decode
        self.source = source
        self.shape = (int(n_frames),) + tuple(int(s) for s in frame_shape)
        self.dtype = np.dtype(np.uint8)
        self.ndim = 4

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        key = key + (slice(None),) * (self.ndim - len(key))
        t, rest = key[0], key[1:]
        n = self.shape[0]
        if isinstance(t, slice):
            idx = np.arange(*t.indices(n))
            if idx.size == 0:
                return np.empty((0,) + self.shape[1:], self.dtype)[(slice(None),) + rest]
            lo, hi = int(idx.min()), int(idx.max()) + 1
            block = self.decode(self.source, lo, hi, self.shape[1:])
            if idx.size != hi - lo or idx[0] != lo:
                block = block[idx - lo]
            return block[(slice(None),) + rest]
        i = int(t)
        if not -n <= i < n:
            raise IndexError(f"frame index {i} out of range for {n} frames")
        return self.decode(self.source, i % n, i % n + 1, self.shape[1:])[0][rest]


def _dask_frames(lazy: _LazyFrames, chunk: int, token_parts):
    import dask.array as da
    from dask.base import tokenize

    n, h, w, c = lazy.shape
    name = f"{lazy.decode.__name__.strip('_')}-{tokenize(*token_parts)}"
    return da.from_array(
        lazy, chunks=(chunk, h, w, c), name=name, lock=False, asarray=True, fancy=False,
        meta=np.empty((0, 0, 0, 0), np.uint8),
    )


# --------------------------------------------------------------------------------------------
# videos


def write_video(path, frames, fps) -> Path:
    """Write frames to a lossless (HuffYUV) ``.avi`` video, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output ``.avi`` file (its folder must exist). An existing file is replaced.
    frames : array-like
        ``(n_frames, height, width, 3)`` uint8 RGB (numpy, dask or xarray); height and
        width must be even (lossless writer).
    fps : float
        Frame rate in frames/s (required).

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    The video is written to a hidden temporary file in the same folder (keeping the
    ``.avi`` suffix so OpenCV picks the AVI container) and moved into place with
    :func:`os.replace`. HuffYUV is lossless: :func:`read_video` returns the same bytes.
    """
    path = check_path("path", path, must_exist=False)
    if path.suffix.lower() != ".avi":
        raise ValueError(f"Invalid value for 'path': expected a file name ending in '.avi', got {str(path)!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Invalid value for 'path': expected an existing folder, got {str(path.parent)!r}")
    fps = check_sfreq(fps, "fps")
    arr = _as_frames(frames)
    n, h, w = (int(s) for s in arr.shape[:3])
    if h % 2 or w % 2:
        raise ValueError(
            f"Invalid value for 'frames': expected an even height and width (lossless writer), "
            f"got {h} x {w}"
        )
    with atomic_path(path) as tmp:  # keeps the .avi ending: OpenCV picks the container from it
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*_FOURCC), fps, (w, h))
        try:
            if not writer.isOpened():
                raise OSError(f"Cannot open an {_FOURCC} video writer for {path} (OpenCV/FFmpeg)")
            for i in range(n):
                frame = np.ascontiguousarray(np.asarray(arr[i]))
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
    return path


def read_video(path, *, chunk_frames: int | None = None):
    """Open a video lazily as an ``xarray.DataArray``.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (``.avi`` or any container OpenCV/FFmpeg decodes). Opened read-only.
    chunk_frames : int, optional
        Frames per dask chunk; default about one second (``round(fps)``), fewer when a
        chunk would exceed 128 MiB decoded.

    Returns
    -------
    xarray.DataArray
        uint8 RGB with dims ``(time, y, x, rgb)``; coords ``time`` (s, ``frame / fps``
        from the first frame) and ``frame`` (0-based index, on ``time``); attrs ``fps``
        (frames/s) and ``source`` (the path). Backed by dask: each chunk seeks with
        ``CAP_PROP_POS_FRAMES`` and decodes its frames on demand.

    Raises
    ------
    DataFormatError
        If the file cannot be decoded, declares no frames or no frame rate, or declares
        more frames than it holds (its last frame does not decode: a truncated file).
    """
    import xarray as xr

    path = check_path("path", path, kind="file").resolve()
    n, fps, h, w = _probe(path)
    if chunk_frames is None:
        chunk = _chunk_len(n, h * w * 3, max(1, int(round(fps))))
    else:
        chunk = min(check_int("chunk_frames", chunk_frames, min_value=1), n)
    st = path.stat()
    lazy = _LazyFrames(_decode_range, path, n, (h, w, 3))
    data = _dask_frames(lazy, chunk, (str(path), st.st_size, st.st_mtime_ns))
    frame = np.arange(n, dtype=np.int64)
    return xr.DataArray(
        data,
        dims=("time", "y", "x", "rgb"),
        coords={"time": ("time", frame / fps, {"units": "s"}), "frame": ("time", frame)},
        attrs={"fps": fps, "source": str(path)},
        name="frames",
    )


def read_frame(path, index: int) -> np.ndarray:
    """Decode one frame of a video.

    Parameters
    ----------
    path : str or os.PathLike
        Video file.
    index : int
        0-based frame index (negative values count from the end).

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8 RGB.
    """
    path = check_path("path", path, kind="file")
    index = check_int("index", index)
    cap = _open_capture(path)
    try:
        n = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        if not math.isfinite(n) or n < 1:
            raise DataFormatError(f"Video file {path} declares {n:g} frames: expected at least 1 frame")
        n = int(round(n))
        if not -n <= index < n:
            raise IndexError(
                f"Invalid value for 'index': expected a frame index in [-{n}, {n}) for {path}, got {index}"
            )
        index %= n
        if index:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        if not ok or frame is None:
            raise DataFormatError(
                f"Cannot decode frame {index} of video file {path}: expected {n} decodable frames "
                f"(truncated file?)"
            )
        return _to_rgb(frame)
    finally:
        cap.release()


# --------------------------------------------------------------------------------------------
# XIMEA frame folders


def write_frames(folder, frames, stamps, *, date, marker) -> list:
    """Write frames as XIMEA-style ``.tif`` files, one per frame.

    Parameters
    ----------
    folder : str or os.PathLike
        Output folder (created if missing).
    frames : array-like
        ``(n_frames, height, width, 3)`` uint8 RGB.
    stamps : array-like of float
        Camera-clock time of each frame in seconds since midnight, strictly increasing,
        in ``[0, 86400)``; names carry microsecond resolution.
    date : datetime.date or str
        Recording date (``"YYYY-MM-DD"`` accepted).
    marker : int
        Trigger marker of the trial (last field of the names).

    Returns
    -------
    list of pathlib.Path
        The files, named ``YYYY-MM-DD-hh-mm-ss-ms-us-marker.tif``
        (e.g. ``2023-07-21-16-45-38-257-410-112.tif``). Each is written to a hidden
        temporary file and moved into place with :func:`os.replace`.
    """
    import tifffile

    folder = check_path("folder", folder, must_exist=False)
    arr = _as_frames(frames)
    st = np.asarray(stamps, dtype=np.float64)
    if st.ndim != 1 or st.size != arr.shape[0]:
        raise ValueError(
            f"Invalid value for 'stamps': expected {arr.shape[0]} stamps (one per frame), "
            f"got shape {st.shape}"
        )
    if not np.isfinite(st).all() or (st.size > 1 and not (np.diff(st) > 0).all()):
        raise ValueError("Invalid value for 'stamps': expected finite, strictly increasing seconds since midnight")
    names = [format_frame_name(date, float(s), marker) for s in st]
    if len(set(names)) != len(names):
        raise ValueError("Invalid value for 'stamps': expected stamps at least 1 us apart (file names collide)")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, name in enumerate(names):
        dest = folder / name
        with atomic_path(dest) as tmp:
            tifffile.imwrite(tmp, np.ascontiguousarray(np.asarray(arr[i])), photometric="rgb")
        out.append(dest)
    return out


def _read_tifs(files, start: int, stop: int, shape) -> np.ndarray:
    """Read ``files[start:stop]`` as (stop - start, H, W, 3) uint8 RGB."""
    import tifffile

    out = np.empty((stop - start,) + tuple(shape), np.uint8)
    for i, f in enumerate(files[start:stop]):
        try:
            img = tifffile.imread(f)
        except Exception as exc:  # noqa: BLE001 - any decoder failure is a data problem
            raise DataFormatError(f"Cannot decode frame file {f}: {exc}") from None
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=-1)
        if img.shape != out.shape[1:] or img.dtype != np.uint8:
            raise DataFormatError(
                f"Frame file {f} holds a {img.dtype} image of shape {img.shape}: expected "
                f"uint8 {out.shape[1:]} like the first frame of its folder"
            )
        out[i] = img
    return out


def read_frames(folder, *, fps: float | None = None, chunk_frames: int = 150):
    """Open a folder of XIMEA ``.tif`` frames lazily as an ``xarray.DataArray``.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder of ``YYYY-MM-DD-hh-mm-ss-ms-us-marker.tif`` files (one trial). Hidden files
        (names starting with ``.``) are ignored; every other ``.tif``/``.tiff`` must have
        such a name.
    fps : float, optional
        Nominal frame rate in frames/s; default: the median of ``1 / diff(stamps)``.
    chunk_frames : int
        Frames per dask chunk.

    Returns
    -------
    xarray.DataArray
        uint8 RGB with dims ``(time, y, x, rgb)`` (grey frames are repeated into 3
        channels); coords ``time`` (s from the first frame, from the stamps), ``stamp``
        (camera clock, s since midnight of the first frame's date; continues past 86400
        across midnight) and ``frame`` (0-based index); attrs ``fps``, ``marker``,
        ``date`` (ISO date of the first frame) and ``source`` (the folder).

    Raises
    ------
    DataFormatError
        If the folder has no frames, a name does not parse, the names carry different
        markers, two frames share a stamp, frames are missing (a gap longer than 1.5
        frame periods), or the frame rate cannot be estimated (a single frame and no
        ``fps``).
    """
    import xarray as xr
    import tifffile

    folder = check_path("folder", folder, kind="dir").resolve()
    chunk_frames = check_int("chunk_frames", chunk_frames, min_value=1)
    files = sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() in _FRAME_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )
    if not files:
        raise DataFormatError(f"No frame files in folder {folder}: expected files named {_FRAME_PATTERN}")
    parsed = []
    for p in files:
        try:
            parsed.append(parse_frame_name(p.name))
        except DataFormatError as exc:
            raise DataFormatError(f"Bad frame file name in folder {folder}: {p.name}: {exc}") from None
    markers = sorted({fn.marker for fn in parsed})
    if len(markers) > 1:
        first_other = next(p.name for p, fn in zip(files, parsed) if fn.marker != parsed[0].marker)
        raise DataFormatError(
            f"Mixed trigger markers {markers} in frame folder {folder} (e.g. file {first_other}): "
            f"expected one marker per folder"
        )
    date0 = min(fn.date for fn in parsed)
    absolute = np.array([(fn.date - date0).days * 86400.0 + fn.seconds for fn in parsed])
    order = np.argsort(absolute, kind="stable")
    files = [files[i] for i in order]
    absolute = absolute[order]
    diffs = np.diff(absolute)
    if diffs.size and (diffs <= 0).any():
        k = int(np.flatnonzero(diffs <= 0)[0])
        raise DataFormatError(
            f"Frame files {files[k].name} and {files[k + 1].name} in folder {folder} have the same "
            f"stamp: expected strictly increasing stamps"
        )
    if fps is None:
        if not diffs.size:
            raise DataFormatError(
                f"Frame folder {folder} holds a single frame ({files[0].name}): expected at least "
                f"2 frames to estimate the frame rate (or pass fps=)"
            )
        fps = float(np.median(1.0 / diffs))
    else:
        fps = check_sfreq(fps, "fps")
    period = 1.0 / fps
    gaps = np.flatnonzero(diffs > 1.5 * period)
    if gaps.size:
        k = int(gaps[0])
        raise DataFormatError(
            f"Missing frames in folder {folder}: {diffs[k] * 1e3:.3f} ms gap before file "
            f"{files[k + 1].name} (after {files[k].name}); expected a frame period of "
            f"{period * 1e3:.3f} ms ({fps:.3f} fps) with no gap above 1.5 periods"
        )
    try:
        with tifffile.TiffFile(files[0]) as tif:  # header only: nothing is decoded here
            page = tif.pages[0]
            shape, dtype = tuple(page.shape), np.dtype(page.dtype)
    except Exception as exc:  # noqa: BLE001
        raise DataFormatError(f"Cannot read frame file {files[0]}: {exc}") from None
    if len(shape) == 2:
        shape = shape + (3,)
    if len(shape) != 3 or shape[-1] != 3 or dtype != np.uint8:
        raise DataFormatError(
            f"Frame file {files[0]} holds a {dtype} image of shape {shape}: expected uint8 "
            f"(height, width, 3) RGB or (height, width) grey"
        )
    n = len(files)
    lazy = _LazyFrames(_read_tifs, tuple(files), n, shape)
    chunk = _chunk_len(n, int(np.prod(shape)), chunk_frames)
    data = _dask_frames(lazy, chunk, (str(folder), [p.name for p in files],
                                      [p.stat().st_mtime_ns for p in files[:1]]))
    return xr.DataArray(
        data,
        dims=("time", "y", "x", "rgb"),
        coords={
            "time": ("time", absolute - absolute[0], {"units": "s"}),
            "stamp": ("time", absolute, {"units": "s", "long_name": "camera clock, s since midnight"}),
            "frame": ("time", np.arange(n, dtype=np.int64)),
        },
        attrs={"fps": fps, "marker": int(markers[0]), "date": date0.isoformat(), "source": str(folder)},
        name="frames",
    )
