"""Trial videos: writing (lossless HuffYUV ``.avi`` or a lossy codec), lazy frame-exact reading.

By default videos are written losslessly with the HuffYUV codec (RGB) in an AVI container
through OpenCV's FFmpeg backend (``cv2.VideoWriter_fourcc(*"HFYU")``): the frames read
back bit-exact. (FFV1 is also lossless and ~25 % smaller, but was 5x slower to write and
read on these machines: 3.3 vs 0.6 ms per 160x136 frame.) ``codec=`` selects FFV1, MJPEG
or H.264 instead (:mod:`.encode`). The writers need even frame heights and widths.

Reading goes through the seek index (:mod:`.seek`) and the verified decoder
(:mod:`.decode`): a read seeks to the last keyframe at or before the wanted frame
(HuffYUV, FFV1 and MJPEG are intra-only: straight to the frame), decodes forward, and
checks the timestamp of every frame it returns, so random access is frame-exact also in
H.264 video with B-frames.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..._atomic import atomic_path
from ..._validate import check_int, check_option, check_path, check_sfreq
from ...errors import DataFormatError
from .decode import decode_range
from .encode import CODECS, CRF, GOP, write_pyav
from .frames import as_frames, iter_blocks
from .held import read_held, scale_to_width
from .lazy import LazyFrames, chunk_len, dask_frames
from .seek import video_index

__all__ = ["write_video", "read_video", "read_frame"]

_FOURCC = "HFYU"


def _avi_header_rate(path: Path) -> float | None:
    """The video stream's ``dwRate / dwScale`` of an AVI file's ``strh`` header (None: not an AVI or not
    found). FFmpeg replaces a 0 rate by its default of 25 fps, so a 0 in the header is read here."""
    import struct

    if path.suffix.lower() != ".avi":
        return None
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head[:4] != b"RIFF" or head[8:12] != b"AVI ":
        return None
    at = head.find(b"strh")
    while at >= 0 and head[at + 8:at + 12] != b"vids":  # the first video stream header
        at = head.find(b"strh", at + 4)
    if at < 0 or at + 36 > len(head):
        return None
    scale, rate = struct.unpack_from("<II", head, at + 28)
    return float(rate) / scale if scale else 0.0


def _probe(path: Path):
    """The index of a video, checking it declares frames and its first and last frames decode."""
    index = video_index(path)
    n, declared = index.n_frames, index.declared
    if n < 1:
        raise DataFormatError(f"Video file {path} declares {declared} frames: expected at least 1 frame")
    if declared > n:
        raise DataFormatError(
            f"Video file {path} declares {declared} frames but frame {declared - 1} (the last) does "
            f"not decode: it holds {n} frames; expected {declared} decodable frames (truncated file?)"
        )
    if index.fps <= 0 or _avi_header_rate(path) == 0.0:
        raise DataFormatError(f"Video file {path} declares a frame rate of 0 frames per second in its header "
                              f"(FFmpeg would guess {index.fps:g} fps): expected the camera's frame rate, fps > 0")
    try:
        decode_range(path, 0, 1, index=index)
    except DataFormatError as exc:
        raise DataFormatError(f"Cannot decode frame 0 of video file {path}: expected {n} decodable frames "
                              f"({exc})") from None
    if n > 1:
        try:
            decode_range(path, n - 1, n, index=index)
        except DataFormatError as exc:
            raise DataFormatError(
                f"Video file {path} declares {n} frames but frame {n - 1} (the last) does not "
                f"decode: expected {n} decodable frames (truncated file?) ({exc})"
            ) from None
    return index


def _decode_range(path: Path, start: int, stop: int, shape) -> np.ndarray:
    """Decode frames ``start:stop`` of a video as (stop - start, H, W, 3) uint8 RGB (verified)."""
    return decode_range(path, start, stop, shape)


def write_video(path, frames, fps, *, codec: str = "huffyuv", crf: int | None = None,
                gop: int | None = None) -> Path:
    """Write frames to a video file, atomically; lossless (HuffYUV ``.avi``) by default.

    Parameters
    ----------
    path : str or os.PathLike
        Output file (its folder must exist), ending as the codec needs: ``.avi`` for
        ``"huffyuv"`` and ``"mjpeg"``, ``.avi`` or ``.mkv`` for ``"ffv1"``, ``.mp4`` or
        ``.mkv`` for ``"h264"``. An existing file is replaced.
    frames : array-like
        ``(n_frames, height, width, 3)`` uint8 RGB (numpy, dask or xarray; computed one
        chunk at a time); height and width must be even.
    fps : float
        Frame rate in frames/s (required).
    codec : ``"huffyuv"`` | ``"ffv1"`` | ``"mjpeg"`` | ``"h264"``
        ``"huffyuv"`` and ``"ffv1"`` are lossless and intra-only; ``"mjpeg"`` is lossy
        intra-only (q-scale 2); ``"h264"`` is lossy with keyframes every ``gop`` frames
        and B-frames, like most camera recordings (see :mod:`.encode`).
    crf : int, optional
        H.264 constant rate factor, 0-51 (lower is better); default 18. Only for ``"h264"``.
    gop : int, optional
        H.264 keyframe interval in frames (>= 1); default 30. Only for ``"h264"``.

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    The video is written to a hidden temporary file in the same folder (keeping the
    suffix so that the writer picks the container) and moved into place with
    :func:`os.replace`. Lossless codecs read back the same bytes.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from mmme_analysis.io.video import read_frame, write_video
    >>> frames = np.full((4, 16, 16, 3), 100, np.uint8)
    >>> path = write_video(pathlib.Path(tempfile.mkdtemp()) / "a.avi", frames, 150.0)
    >>> bool((read_frame(path, 2) == frames[2]).all())
    True
    """
    path = check_path("path", path, must_exist=False)
    codec = check_option("codec", codec, tuple(CODECS))
    endings, free_gop, lossless = CODECS[codec]
    if path.suffix.lower() not in endings:
        raise ValueError(
            f"Invalid value for 'path': expected a file name ending in {' or '.join(map(repr, endings))} "
            f"for codec={codec!r}, got {str(path)!r}"
        )
    for name, value in (("crf", crf), ("gop", gop)):
        if value is not None and not free_gop:
            raise ValueError(f"Invalid value for {name!r}: expected None for codec={codec!r} (h264 only), "
                             f"got {value!r}")
    crf = CRF if crf is None else check_int("crf", crf, min_value=0)
    if crf > 51:
        raise ValueError(f"Invalid value for 'crf': expected an integer in [0, 51], got {crf}")
    gop = GOP if gop is None else check_int("gop", gop, min_value=1)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Invalid value for 'path': expected an existing folder, got {str(path.parent)!r}")
    fps = check_sfreq(fps, "fps")
    arr = as_frames(frames)
    h, w = (int(s) for s in arr.shape[1:3])
    if h % 2 or w % 2:
        raise ValueError(
            f"Invalid value for 'frames': expected an even height and width (codec {codec!r}), got {h} x {w}"
        )
    with atomic_path(path) as tmp:  # keeps the ending: the writers pick the container from it
        if codec != "huffyuv":
            write_pyav(tmp, arr, fps, codec, crf=crf, gop=gop)
            return path
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*_FOURCC), fps, (w, h))
        try:
            if not writer.isOpened():
                raise OSError(f"Cannot open an {_FOURCC} video writer for {path} (OpenCV/FFmpeg)")
            for block in iter_blocks(arr):
                for frame in block:
                    writer.write(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
    return path


def read_video(path, *, chunk_frames: int | None = None):
    """Open a video lazily as an ``xarray.DataArray``.

    Parameters
    ----------
    path : str or os.PathLike
        Video file (``.avi``, ``.mp4``, ``.mkv`` or any container FFmpeg demuxes, with
        timestamps). Opened read-only.
    chunk_frames : int, optional
        Frames per dask chunk; default about one second (``round(fps)``), fewer when a
        chunk would exceed 128 MiB decoded.

    Returns
    -------
    xarray.DataArray
        uint8 RGB with dims ``(time, y, x, rgb)``; coords ``time`` (s, ``frame / fps``
        from the first frame) and ``frame`` (0-based index, on ``time``); attrs ``fps``
        (frames/s) and ``source`` (the path). Backed by dask: each chunk seeks to the
        keyframe at or before its first frame, decodes forward and checks every frame's
        timestamp (see :func:`~.decode.verified_frames`).

    Raises
    ------
    DataFormatError
        If the file cannot be decoded, declares no frames or no frame rate, or declares
        more frames than it holds (its last frame does not decode: a truncated file);
        at compute time, if a frame does not decode or is not the expected one.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from mmme_analysis.io.video import read_video, write_video
    >>> path = write_video(pathlib.Path(tempfile.mkdtemp()) / "a.avi", np.zeros((6, 8, 8, 3), np.uint8), 150.0)
    >>> arr = read_video(path, chunk_frames=4)
    >>> arr.dims, arr.shape, arr.data.chunks[0]
    (('time', 'y', 'x', 'rgb'), (6, 8, 8, 3), (4, 2))
    """
    import xarray as xr

    path = check_path("path", path, kind="file").resolve()
    index = _probe(path)
    n, fps, h, w = index.n_frames, index.fps, index.height, index.width
    if chunk_frames is None:
        chunk = chunk_len(n, h * w * 3, max(1, int(round(fps))))
    else:
        chunk = min(check_int("chunk_frames", chunk_frames, min_value=1), n)
    lazy = LazyFrames(_decode_range, path, n, (h, w, 3))
    data = dask_frames(lazy, chunk, (str(path), index.size, index.mtime_ns))
    frame = np.arange(n, dtype=np.int64)
    return xr.DataArray(
        data,
        dims=("time", "y", "x", "rgb"),
        coords={"time": ("time", frame / fps, {"units": "s"}), "frame": ("time", frame)},
        attrs={"fps": fps, "source": str(path)},
        name="frames",
    )


def read_frame(path, index: int, *, width: int | None = None) -> np.ndarray:
    """Decode one frame of a video, frame-exact, optionally scaled down to a width.

    Parameters
    ----------
    path : str or os.PathLike
        Video file.
    index : int
        0-based frame index (negative values count from the end).
    width : int, optional
        Width to scale the frame down to (>= 1), area-averaged
        (:func:`~.held.scale_to_width`); the height follows the aspect ratio (rounded, at
        least 1). A frame no wider is returned at its size (never upscaled). Default: the
        full frame.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8 RGB.

    Raises
    ------
    DataFormatError
        If the frame does not decode, or the decoder returns another frame in its place.

    Notes
    -----
    Intra-only video (HuffYUV, FFV1, MJPEG) is read on a container kept open between
    reads (per thread, a few files; reopened when the file changes) and, with ``width``,
    scaled straight from the decoder's buffer (:mod:`.held`); the decoded frame's
    timestamp is checked against the index, and anything unusual falls back to the
    verified decoder (:func:`~.decode.decode_range`), as do other codecs.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from mmme_analysis.io.video import read_frame, write_video
    >>> frames = np.arange(5, dtype=np.uint8)[:, None, None, None].repeat(8, 1).repeat(8, 2).repeat(3, 3)
    >>> path = write_video(pathlib.Path(tempfile.mkdtemp()) / "a.avi", frames, 150.0)
    >>> int(read_frame(path, 3)[0, 0, 0]), int(read_frame(path, -1)[0, 0, 0])
    (3, 4)
    >>> read_frame(path, 3, width=4).shape
    (4, 4, 3)
    """
    path = check_path("path", path, kind="file").resolve()
    index = check_int("index", index)
    if width is not None:
        width = check_int("width", width, min_value=1)
    vi = video_index(path)
    n = vi.n_frames
    if n < 1:
        raise DataFormatError(f"Video file {path} declares {vi.declared} frames: expected at least 1 frame")
    if not -n <= index < n:
        raise IndexError(
            f"Invalid value for 'index': expected a frame index in [-{n}, {n}) for {path}, got {index}"
        )
    index %= n
    rgb = read_held(vi, index, width)
    if rgb is not None:
        return rgb
    return scale_to_width(decode_range(path, index, index + 1, index=vi)[0], width)
