"""Writing a rendered trial frame by frame: the video and, optionally, XIMEA ``.tif`` frames.

:func:`write_trial_media` consumes a :class:`~.face_motion.FrameStream` once and sends each
frame to :func:`mmme_analysis.io.video.write_video` (through a sequential array-like view
in one-frame chunks: the writer reads its input chunk by chunk, in order) and to the XIMEA
frame writer, so that a few frames at most are held in memory whatever the trial's
length. Frames are rendered in a second thread while the writer encodes (OpenCV and
NumPy release the GIL), a few frames ahead.
"""
from __future__ import annotations

import queue
import threading

import numpy as np

__all__ = ["write_trial_media"]


class _Sequential:
    """Array-like ``(n, H, W, 3)`` view of a frame iterator, read by slices in order.

    Enough for :func:`~mmme_analysis.io.video.write_video`, which reads its input one
    block at a time from the start; the last block read can be read again, anything
    earlier cannot (the frames are gone).
    """

    dtype = np.dtype(np.uint8)
    ndim = 4

    def __init__(self, frames, shape):
        self._frames, self.shape = frames, tuple(shape)
        self._pos, self._last = 0, (0, np.zeros((0, *self.shape[1:]), np.uint8))
        # dask-style chunks of one frame: the writer asks for one frame at a time
        self.chunks = ((1,) * self.shape[0], *((s,) for s in self.shape[1:]))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            return self[int(key):int(key) + 1][0]
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"frames of a stream are read by contiguous slices, got {key!r}")
        start, stop, _ = key.indices(self.shape[0])
        last_start, last = self._last
        if start >= last_start and stop <= self._pos:  # a re-read of the last block
            return last[start - last_start:stop - last_start]
        if start != self._pos:
            raise IndexError(f"frames of a stream are read in order: next is frame {self._pos}, got {start}")
        out = np.empty((max(stop - start, 0), *self.shape[1:]), np.uint8)
        for i in range(out.shape[0]):
            out[i] = next(self._frames)
        self._pos, self._last = stop, (start, out)
        return out


def write_trial_media(frames, *, video=None, fps: float = 150.0, codec: str = "huffyuv", tif=None) -> None:
    """Write one pass of ``frames`` to a video file and/or XIMEA ``.tif`` frames.

    Parameters
    ----------
    frames : FrameStream
        The rendered clip (consumed; with neither output it is only run through, so that
        its random draws are made).
    video : pathlib.Path, optional
        Video file to write with :func:`~mmme_analysis.io.video.write_video`.
    fps : float
        Frame rate of the video.
    codec : str
        Codec of the video (``write_video``'s ``codec``; default lossless HuffYUV).
    tif : dict, optional
        ``folder``, ``stamps`` (one per frame), ``date`` and ``marker`` of
        :func:`~mmme_analysis.io.video.write_frames`: each frame is also written there.
    """
    from ..io.video import write_frames, write_video

    def each():
        for i, frame in enumerate(frames):
            if tif is not None:
                write_frames(tif["folder"], frame[None], tif["stamps"][i:i + 1], date=tif["date"],
                             marker=tif["marker"])
            yield frame

    if video is None:
        for _ in each():
            pass
        return
    kwargs = {} if codec == "huffyuv" else {"codec": codec}
    with _Ahead(each()) as stream:
        write_video(video, _Sequential(stream, frames.shape), fps, **kwargs)
        for _ in stream:  # frames the writer did not ask for (none with write_video)
            pass


class _Ahead:
    """Iterate ``frames`` in a background thread, ``depth`` items ahead (errors re-raised here)."""

    _END = object()

    def __init__(self, frames, depth: int = 2):
        self._frames, self._queue, self._stop = frames, queue.Queue(maxsize=depth), threading.Event()
        self._thread = threading.Thread(target=self._run, name="mmme-render", daemon=True)

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self):
        try:
            for item in self._frames:
                if not self._put((item, None)):
                    return
            self._put((self._END, None))
        except BaseException as exc:  # handed to the consumer
            self._put((self._END, exc))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def __iter__(self):
        return self

    def __next__(self):
        item, exc = self._queue.get()
        if exc is not None:
            self._queue.put((self._END, exc))  # later calls fail the same way
            raise exc
        if item is self._END:
            self._queue.put((self._END, None))
            raise StopIteration
        return item
