"""Frame requests of one player, worked off the server's event loop, newest first.

A Panel server runs every session on one Tornado event loop: a frame read, scaled and
encoded on the loop (tens of milliseconds for a camera-size frame) would hold up every
other session. :class:`LatestRequest` runs the work of one player on a worker thread
instead (frame decoding, OpenCV scaling and JPEG encoding release the GIL) and hands each
result back to the loop. It works one request at a time; a request still waiting when a
newer one arrives is dropped, since only the newest position matters while scrubbing.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, NamedTuple

__all__ = ["LatestRequest", "Request"]


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
    schedules a callable there.
    """

    def __init__(self, work: Callable[[Request], Any], deliver: Callable[[Request, Any], None], *,
                 executor: Executor | None = None):
        self._work = work
        self._deliver = deliver
        self._executor = executor
        self._own = executor is None
        self._pending = None
        self._busy = False
        self.dropped = 0  #: requests superseded before they started

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
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mmme-frames")
        future = self._executor.submit(self._work, request)
        future.add_done_callback(lambda f: call_soon(lambda: self._done(request, f)))

    def _done(self, request: Request, future) -> None:
        """On the event loop: deliver the result, then start the newest waiting request."""
        self._busy = False
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
        if self._own and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
