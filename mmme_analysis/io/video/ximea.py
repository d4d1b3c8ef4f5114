"""XIMEA frame folders: one ``.tif`` file per frame, named by its camera stamp.

Names are ``YYYY-MM-DD-hh-mm-ss-ms-us-marker.tif`` (see :mod:`mmme_analysis.io.stamps`).
"""
from __future__ import annotations

import numpy as np

from ..._atomic import atomic_path
from ..._validate import check_int, check_path, check_sfreq
from ...errors import DataFormatError
from ..stamps import FRAME_SUFFIXES, format_frame_name, parse_frame_name
from .frames import as_frames
from .lazy import LazyFrames, chunk_len, dask_frames

__all__ = ["write_frames", "read_frames"]

_FRAME_PATTERN = "YYYY-MM-DD-hh-mm-ss-ms-us-marker.tif"


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
    arr = as_frames(frames)
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
    import tifffile
    import xarray as xr

    folder = check_path("folder", folder, kind="dir").resolve()
    chunk_frames = check_int("chunk_frames", chunk_frames, min_value=1)
    files = sorted(
        p for p in folder.iterdir()
        if p.suffix.lower() in FRAME_SUFFIXES and not p.name.startswith(".") and p.is_file()
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
    lazy = LazyFrames(_read_tifs, tuple(files), n, shape)
    chunk = chunk_len(n, int(np.prod(shape)), chunk_frames)
    data = dask_frames(lazy, chunk, (str(folder), [p.name for p in files],
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
