"""Validation of in-memory frame arrays given to the writers."""
from __future__ import annotations

import numpy as np

__all__ = ["as_frames", "iter_blocks"]


def as_frames(frames, name: str = "frames"):
    """Frames as an indexable ``(n, H, W, 3)`` uint8 array-like (numpy, dask or xarray).

    Parameters
    ----------
    frames : array-like
        ``(n_frames >= 1, height, width, 3)`` uint8 RGB; an ``xarray.DataArray`` gives its
        ``.data`` (kept lazy).
    name : str
        Argument name for error messages.

    Returns
    -------
    array-like
        The array (not copied, not computed).
    """
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


def iter_blocks(arr, max_frames: int = 16):
    """Yield consecutive blocks of ``arr`` as numpy arrays, in order (bounded memory).

    A dask array (or an xarray over one) is computed one chunk at a time (each chunk
    decoded once); anything else ``max_frames`` frames at a time.
    """
    chunks = getattr(arr, "chunks", None)
    n = int(arr.shape[0])
    if chunks and isinstance(chunks[0], tuple):
        edges = np.cumsum((0,) + tuple(chunks[0]))
    else:
        edges = np.r_[np.arange(0, n, max_frames), n]
    for lo, hi in zip(edges[:-1], edges[1:]):
        yield np.asarray(arr[int(lo):int(hi)])
