"""Frames read ahead while scrubbing: the next step at hand, never in the way of a request."""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

pytest.importorskip("panel")

import mmme_analysis.dashboard.player as player_module  # noqa: E402
from mmme_analysis.dashboard import TrialState  # noqa: E402
from mmme_analysis.dashboard.frames import Frame  # noqa: E402
from mmme_analysis.dashboard.player import FramePlayer  # noqa: E402
from mmme_analysis.dashboard.worker import LatestRequest, ReadAhead, Request  # noqa: E402

from .conftest import FakeDataset, FakeSpec, frame_bits  # noqa: E402


class _Inline:
    """An executor that runs each job at once."""

    def submit(self, fn, *args):
        f = Future()
        f.set_result(fn(*args))
        return f


class _Doc:
    """Just enough of a served Bokeh document: a session and a next-tick queue."""

    def __init__(self):
        self.session_context = object()
        self.callbacks = []

    def add_next_tick_callback(self, cb):
        self.callbacks.append(cb)

    def on_session_destroyed(self, cb):
        pass

    def run(self):
        while self.callbacks:
            self.callbacks.pop(0)()


def _frame(i):
    return Frame(index=i, time=i / 150.0, data=b"jpeg", mime="image/jpeg")


@pytest.mark.parametrize("index, previous, count, expected", [
    (10, 9, 2, [11, 12]),      # stepping forward: the next ones
    (10, 11, 3, [9, 8, 7]),    # stepping back: the ones before
    (10, 10, 1, [11]),         # no move (the server's own seek): forward
    (98, 50, 4, [99]),         # clipped at the last frame
    (0, 5, 2, []),             # and at the first
    (10, 9, 0, []),            # read-ahead off
])
def test_read_ahead_reads_in_the_direction_of_the_move(index, previous, count, expected):
    read = []
    ahead = ReadAhead(read.append, executor=_Inline())
    ahead.after(index, previous, 100, count)
    assert read == expected and ahead.read == len(expected)


def test_read_ahead_waits_while_a_request_is_worked(monkeypatch):
    read, gate = [], threading.Event()
    req = LatestRequest(lambda r: gate.wait(10), lambda r, res: None)
    loop = []
    req.submit(Request(1, False, 0), loop.append)  # being worked on its own thread
    assert LatestRequest.working() == 1
    ReadAhead(read.append, executor=_Inline()).after(1, 0, 100, 3)
    assert read == []  # a frame someone waits for comes first
    gate.set()
    for _ in range(200):
        if loop:
            break
        threading.Event().wait(0.01)
    loop.pop()()  # delivered on the loop: no longer worked
    assert LatestRequest.working() == 0
    ReadAhead(read.append, executor=_Inline()).after(1, 0, 100, 2)
    assert read == [2, 3]
    req.close()


def test_a_closed_request_is_no_longer_counted():
    gate = threading.Event()
    req = LatestRequest(lambda r: gate.wait(10), lambda r, res: None)
    req.submit(Request(1, False, 0), lambda cb: None)
    assert LatestRequest.working() == 1
    req.close()  # the session ended with a frame in progress: it never reports back
    gate.set()
    assert LatestRequest.working() == 0


def test_a_newer_move_stops_the_frames_still_queued():
    read, started, gate = [], threading.Event(), threading.Event()

    def slow(i):
        read.append(i)
        started.set()
        gate.wait(10)

    with ThreadPoolExecutor(1) as pool:
        ahead = ReadAhead(slow, executor=pool)
        ahead.after(10, 9, 100, 3)  # 11, 12, 13
        assert started.wait(10)
        ahead.after(50, 51, 100, 1)  # the user jumped: 49; 12 and 13 are not read
        gate.set()
    assert read == [11, 49]


def test_a_frame_that_cannot_be_read_ahead_stops_quietly():
    read = []

    def fail(i):
        read.append(i)
        raise OSError("cannot decode")

    ReadAhead(fail, executor=_Inline()).after(10, 9, 100, 3)
    assert read == [11]  # its request reads it again, and reports the error then


def test_served_player_steps_onto_frames_read_ahead(monkeypatch):
    doc = _Doc()
    monkeypatch.setattr(player_module, "state", SimpleNamespace(curdoc=doc))
    cache, read = {}, []

    def source(i):
        read.append(i)
        cache[i] = _frame(i)
        return cache[i]

    player = FramePlayer(source, cached=cache.get, executor=_Inline(), ahead_executor=_Inline(),
                         n_frames=100, read_ahead=2)
    monkeypatch.setattr(player, "_on_page", lambda: True)
    player._handle_msg({"type": "seek", "frame": 40})  # a jump: read on the worker, delivered on the loop
    doc.run()
    assert player.frame == 40 and read == [40]  # nothing read ahead after a jump
    player._handle_msg({"type": "seek", "frame": 41})  # a step
    doc.run()
    assert player.frame == 41 and read == [40, 41, 42, 43]  # and the two after it read ahead
    player._handle_msg({"type": "seek", "frame": 42})  # the next step: at hand, sent at once
    assert player.frame == 42 and doc.callbacks == [] and read == [40, 41, 42, 43, 44]
    player._handle_msg({"type": "seek", "frame": 41})  # a step back: read ahead backwards
    assert player.frame == 41 and read == [40, 41, 42, 43, 44, 39]  # 40 is at hand already
    player._handle_msg({"type": "seek", "frame": 90})  # a jump again: nothing ahead
    doc.run()
    assert player.frame == 90 and read == [40, 41, 42, 43, 44, 39, 90]


def test_unserved_player_reads_nothing_ahead():
    read = []
    player = FramePlayer(lambda i: read.append(i) or _frame(i), cached=lambda i: None, n_frames=100)
    player._handle_msg({"type": "seek", "frame": 7})
    assert read == [7]


def test_trial_frames_read_on_two_threads_at_once_stay_exact():
    ds = FakeDataset(FakeSpec(duration=1.0, height=120, width=224))
    state = TrialState(ds, "sub-01_101")
    state.frames.frame_cache_size = 4  # evictions all the time
    errors, wrong = [], []

    def hammer(seed):
        rng = np.random.default_rng(seed)
        try:
            for i in rng.integers(0, 150, 200):
                fr = state.frame(int(i))
                img = cv2.imdecode(np.frombuffer(fr.data, np.uint8), cv2.IMREAD_COLOR)
                if fr.index != int(i) or frame_bits(img[..., ::-1]) != int(i):
                    wrong.append((int(i), fr.index))
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=hammer, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and wrong == []
    assert sum(state.frames.cached(i) is not None for i in range(150)) <= 4
