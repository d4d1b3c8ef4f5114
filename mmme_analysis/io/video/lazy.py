"""Lazy frame arrays: dask arrays whose chunks decode only the frames they hold.

A frame source (a video file, a folder of frame files, an image sequence) is wrapped in
:class:`LazyFrames`, an array-like whose ``x[key]`` decodes only the requested frames, and
:func:`dask_frames` turns it into a dask array chunked along time (:func:`chunk_len`
picks the chunk length). Nothing is decoded until a chunk is computed.
"""
from __future__ import annotations

import numpy as np

__all__ = ["CHUNK_BYTES", "chunk_len", "LazyFrames", "dask_frames"]

#: Upper bound on the decoded size of one dask chunk (bytes).
CHUNK_BYTES = 128 * 2**20


def chunk_len(n_frames: int, frame_bytes: int, preferred: int) -> int:
    """Frames per dask chunk.

    Parameters
    ----------
    n_frames : int
        Number of frames of the source.
    frame_bytes : int
        Decoded size of one frame (bytes).
    preferred : int
        The wanted chunk length (frames), e.g. one second of video.

    Returns
    -------
    int
        ``preferred``, capped by ``n_frames`` and by :data:`CHUNK_BYTES` of decoded data;
        at least 1.
    """
    return int(max(1, min(n_frames, preferred, CHUNK_BYTES // max(frame_bytes, 1))))


class LazyFrames:
    """Array-like over a frame source; ``x[key]`` decodes only the requested frames.

    dask calls ``x[key]`` with one slice per dimension, once per chunk, when (and only
    when) the chunk is computed.

    Parameters
    ----------
    decode : callable
        ``decode(source, start, stop, frame_shape)`` returns frames ``start:stop`` as a
        ``(stop - start, *frame_shape)`` uint8 array. Its ``__name__`` names the dask
        layer.
    source : object
        What ``decode`` reads (a path, a tuple of files ...).
    n_frames : int
        Number of frames.
    frame_shape : tuple of int
        Shape of one frame, ``(height, width, 3)``.

    Attributes
    ----------
    shape : tuple of int
        ``(n_frames, *frame_shape)``.
    dtype : numpy.dtype
        uint8.
    ndim : int
        4.
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


def dask_frames(lazy: LazyFrames, chunk: int, token_parts):
    """A dask array over :class:`LazyFrames`, chunked along time.

    Parameters
    ----------
    lazy : LazyFrames
        The frame source.
    chunk : int
        Frames per chunk (see :func:`chunk_len`).
    token_parts : tuple
        What identifies the source's content (path, size, modification time ...): the
        dask name is ``<decode name>-<tokenize(*token_parts)>``, so equal sources share
        their chunks in a graph.

    Returns
    -------
    dask.array.Array
        ``(n_frames, height, width, 3)`` uint8, chunks ``(chunk, height, width, 3)``.
    """
    import dask.array as da
    from dask.base import tokenize

    n, h, w, c = lazy.shape
    name = f"{lazy.decode.__name__.strip('_')}-{tokenize(*token_parts)}"
    return da.from_array(
        lazy, chunks=(chunk, h, w, c), name=name, lock=False, asarray=True, fancy=False,
        meta=np.empty((0, 0, 0, 0), np.uint8),
    )
