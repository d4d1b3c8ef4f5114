"""Trial videos (``.avi``) and XIMEA frame folders (``.tif``), read lazily into xarray.

Readers return :class:`xarray.DataArray` objects with dims ``(time, y, x, rgb)`` (uint8
RGB) backed by dask arrays: nothing is decoded until ``.compute()`` (or ``.values``), and
then only the chunks that are needed.

Modules: :mod:`.avi` (writing and reading videos: lossless HuffYUV ``.avi`` by default,
FFV1, MJPEG or H.264 on request), :mod:`.seek` (the per-video seek index: frame number ->
timestamp and keyframe flag, cached), :mod:`.decode` (frame-exact verified decoding and
the sequential :func:`iter_frames`), :mod:`.encode` (the codec table), :mod:`.held` (single-frame reads on kept-open
videos, and :func:`scale_to_width`), :mod:`.ximea`
(XIMEA frame folders), :mod:`.lazy` (the lazy dask machinery, shared with the
image-sequence backend) and :mod:`.frames` (validation of frame arrays).
"""
from .avi import read_frame, read_video, write_video
from .decode import iter_frames
from .held import scale_to_width
from .lazy import LazyFrames, chunk_len, dask_frames
from .seek import VideoIndex, video_index
from .ximea import read_frames, write_frames

__all__ = [
    "write_video",
    "read_video",
    "read_frame",
    "iter_frames",
    "video_index",
    "VideoIndex",
    "write_frames",
    "read_frames",
    "LazyFrames",
    "chunk_len",
    "dask_frames",
    "scale_to_width",
]
