"""Frame requests of one player, worked off the server's event loop, newest first.

A Panel server runs every session on one Tornado event loop: a frame read, scaled and
encoded on the loop (tens of milliseconds for a camera-size frame) would hold up every
other session. :class:`LatestRequest` runs the work of one player on a worker thread
instead (frame decoding, OpenCV scaling and JPEG encoding release the GIL) and hands each
result back to the loop. It works one request at a time; a request still waiting when a
newer one arrives is dropped, since only the newest position matters while scrubbing.
:class:`ReadAhead` reads the frames next to the one shown while no frame request is being
worked in the process, so that the next step is at hand.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, NamedTuple

__all__ = ["LatestRequest", "ReadAhead", "Request"]


class Request(NamedTuple):
    """One frame request: ``index`` (the frame position asked for), ``seek`` (True when the
    server moved the player: the browser moves its slider there) and ``source`` (number of
    the video it was asked of: a request for a replaced video is dropped)."""

    index: int
    seek: bool
    source: int


class LatestRequest:
    """Works the newest frame request of one player on a worker thread.

    Parameters
    ----------
    work : callable
        ``work(request) -> result``, run on the worker thread (reads and encodes the frame).
    deliver : callable
        ``deliver(request, result)``, run on the event loop through ``call_soon`` (sends the
        frame); not called for a request whose result is ``None``.
    executor : concurrent.futures.Executor, optional
        Where ``work`` runs; default one thread of its own, started on the first request.

    Notes
    -----
    :meth:`submit` and the delivery run on the event loop; ``call_soon`` (for a Bokeh
    server, ``Document.add_next_tick_callback``, which may be called from any thread)
    schedules a callable there. :meth:`working` counts the requests being worked by every
    instance in the process (one event loop: a Panel server's).
    """

    _working = 0  # requests being worked, all instances of the process together

    def __init__(self, work: Callable[[Request], Any], deliver: Callable[[Request, Any], None], *,
                 executor: Executor | None = None):
        self._work = work
        self._deliver = deliver
        self._executor = executor
        self._own = executor is None
        self._pending = None
        self._busy = False
        self._counted = False  # this instance's request is in _working
        self.dropped = 0  #: requests superseded before they started

    @classmethod
    def working(cls) -> int:
        """Number of requests being worked in this process (all instances)."""
        return cls._working

    def _count(self, busy: bool) -> None:
        if busy != self._counted:
            self._counted = busy
            LatestRequest._working += 1 if busy else -1

    @property
    def busy(self) -> bool:
        """Whether a request is being worked on."""
        return self._busy

    def submit(self, request: Request, call_soon: Callable[[Callable], Any]) -> None:
        """Work ``request`` after the one in progress; a request waiting for that is dropped."""
        if self._pending is not None:
            self.dropped += 1
        self._pending = (request, call_soon)
        if not self._busy:
            self._next()

    def _next(self) -> None:
        request, call_soon = self._pending
        self._pending = None
        self._busy = True
        self._count(True)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmme-frames")
        future = self._executor.submit(self._work, request)
        future.add_done_callback(lambda f: call_soon(lambda: self._done(request, f)))

    def _done(self, request: Request, future) -> None:
        """On the event loop: deliver the result, then start the newest waiting request."""
        self._busy = False
        self._count(False)
        try:
            result = future.result()
            if result is not None:
                self._deliver(request, result)
        finally:
            if self._pending is not None:
                self._next()

    def close(self) -> None:
        """Drop the waiting request and stop the worker thread (if it is this object's own)."""
        self._pending = None
        self._count(False)  # a cancelled request never reports back
        if self._own and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


class ReadAhead:
    """Reads the frames after the one shown, in the direction of the last move, when idle.

    Parameters
    ----------
    read : callable
        ``read(index)``, run on the worker thread: reads frame ``index`` into a cache (its
        result is dropped), e.g. :meth:`~mmme_analysis.dashboard.frames.FrameReader.frame`.
    executor : concurrent.futures.Executor, optional
        Where ``read`` runs; default one thread of its own, started on the first use.

    Notes
    -----
    :meth:`after` (on the event loop) queues the next frames; the worker reads them one
    at a time, each only while no frame request is being worked in the process
    (:meth:`LatestRequest.working`: a frame someone waits for never shares the machine with
    one read ahead, started after it), and stops at a newer :meth:`after`. A frame being
    read when a request comes is finished (a fraction of one frame's read).
    """

    def __init__(self, read: Callable[[int], Any], *, executor: Executor | None = None):
        self._read = read
        self._executor = executor
        self._own = executor is None
        self._token = 0
        self.read = 0  #: frames read ahead

    def after(self, index: int, previous: int, n_frames: int, count: int) -> None:
        """Read up to ``count`` frames after ``index`` (before it when the move from
        ``previous`` went backwards), within ``0 .. n_frames - 1``; replaces what is queued."""
        self._token += 1
        step = -1 if index < previous else 1
        frames = [j for j in (index + step * k for k in range(1, count + 1)) if 0 <= j < n_frames]
        if not frames:
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmme-read-ahead")
        self._executor.submit(self._run, frames, self._token)

    def _run(self, frames: list, token: int) -> None:
        for j in frames:
            if token != self._token or LatestRequest.working():
                return
            try:
                self._read(j)
            except Exception:  # noqa: BLE001 - a frame read ahead is only a guess; its request reads it again
                return
            self.read += 1

    def close(self) -> None:
        """Drop what is queued and stop the worker thread (if it is this object's own)."""
        self._token += 1
        if self._own and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
