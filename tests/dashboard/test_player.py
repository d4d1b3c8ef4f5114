"""Tests of the frame player's server side (no browser): frames scaled to the size the page
shows, read off the event loop one request at a time, superseded requests dropped."""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("panel")

import mmme_analysis.dashboard.player as player_module  # noqa: E402
from mmme_analysis.dashboard import Explorer, TrialState  # noqa: E402
from mmme_analysis.dashboard.encoding import encode_image, scale_image, scaled_size  # noqa: E402
from mmme_analysis.dashboard.frames import Frame, VideoInfo  # noqa: E402
from mmme_analysis.dashboard.player import FramePlayer  # noqa: E402
from mmme_analysis.dashboard.worker import LatestRequest, Request  # noqa: E402

from .conftest import FakeDataset, FakeSpec, frame_bits, make_frame  # noqa: E402

CAMERA = dict(height=1088, width=2048, stamp_block=128)  # the MMME camera's frame size


def _decode(data: bytes) -> np.ndarray:
    import cv2

    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]


# -- scaling to the page ---------------------------------------------------------------
@pytest.mark.parametrize("box, width", [((420, 420), 420), ((4000, 544), 1024), ((5000, 5000), 2048),
                                        ((300, 100), 188), ((1, 1), 1)])
def test_fit_width_keeps_the_frame_inside_the_box(box, width):
    info = VideoInfo(fps=150.0, n_frames=10, t_first=0.0, **{k: CAMERA[k] for k in ("height", "width")})
    assert info.fit_width(*box) == width
    h, w = scaled_size(1088, 2048, width)
    assert w <= box[0] and h <= box[1]


def test_portrait_video_fits_by_height():
    info = VideoInfo(fps=200.0, n_frames=10, t_first=0.0, height=640, width=480)
    assert info.fit_width(420, 420) == 315  # 420 px high


def test_camera_frame_is_scaled_exactly_to_the_display_width():
    import cv2

    rgb = make_frame(1234, 1088, 2048, textured=True, block=128)
    small = scale_image(rgb, 420)
    assert small.shape == (223, 420, 3) == scaled_size(1088, 2048, 420) + (3,)
    # halving first, then one area step: about a grey level from one area step on average
    ref = cv2.resize(rgb, (420, 223), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(small.astype(int) - ref).mean() < 2.0
    assert frame_bits(small, block=128 * 420 / 2048) == 1234
    assert scale_image(rgb, None) is rgb and scale_image(rgb, 4096) is rgb  # never enlarged
    assert _decode(encode_image(rgb, max_width=420)).shape == (223, 420, 3)


def test_reader_encodes_at_the_display_width_and_keeps_each_width_apart():
    state = TrialState(FakeDataset(FakeSpec(duration=1.0, **CAMERA)), "sub-01_101")
    reader = state.frames
    assert reader.width == 960  # max_frame_width until the page says how wide it shows frames
    big = state.frame(42)
    assert _decode(big.data).shape == (510, 960, 3)
    reader.display_width = 420
    assert reader.width == 420
    small = state.frame(42)
    img = _decode(small.data)
    assert img.shape == (223, 420, 3) and frame_bits(img, block=128 * 420 / 2048) == 42
    assert len(small.data) < len(big.data) / 2
    reader.display_width = None
    assert state.frame(42) is big  # the cache keeps each width apart
    assert reader.cached(42) is big and reader.cached(43) is None  # reads nothing


def test_page_box_sets_the_frame_width_of_the_open_trial():
    e = Explorer(FakeDataset(FakeSpec(**CAMERA)), plot_width=300)
    player = e.video.player
    assert player.display_box is None and e.state.frames.display_width is None
    player._handle_msg({"type": "hello", "width": 420, "height": 420})  # what the page reports
    assert player.display_box == (420, 420) and e.state.frames.width == 420
    player._handle_msg({"type": "size", "width": 840, "height": 840})  # a HiDPI screen, or a resize
    assert e.state.frames.width == 840
    player._handle_msg({"type": "size", "width": "x"})  # ignored
    assert player.display_box == (840, 840)
    e.trial = "sub-01_102"  # a new trial gets the same size
    assert e.state.frames.width == 840
    assert _decode(e.state.frame(3).data).shape == (446, 840, 3)



def test_reader_asks_the_dataset_for_frames_at_the_display_width():
    ds = FakeDataset(FakeSpec(duration=1.0, frames_per_chunk=150, **CAMERA))
    state = TrialState(ds, "sub-01_101")
    state.frames.display_width = 420
    img = _decode(state.frame(42).data)
    assert ds.widths_read == [420]  # read at the size shown: no full-size frame comes back
    assert img.shape == (223, 420, 3) and frame_bits(img, block=128 * 420 / 2048) == 42
    state.frames.display_width = None
    assert _decode(state.frame(43).data).shape == (510, 960, 3) and ds.widths_read == [420, 960]
    state.frames.max_frame_width = None  # no width known: the dataset's full frame
    assert _decode(state.frame(44).data).shape == (1088, 2048, 3) and ds.widths_read == [420, 960, None]


# -- requests off the event loop -------------------------------------------------------
class _Inline:
    """An executor that runs each job at once (its result is ready when submit returns)."""

    def submit(self, fn, *args):
        f = Future()
        f.set_result(fn(*args))
        return f


def test_latest_request_drops_a_request_superseded_while_waiting():
    loop, done = [], []
    worked = []
    req = LatestRequest(lambda r: worked.append(r.index) or r.index, lambda r, res: done.append(res),
                        executor=_Inline())
    req.submit(Request(1, False, 0), loop.append)
    assert req.busy and worked == [1] and done == []  # delivered on the loop, not yet
    req.submit(Request(2, False, 0), loop.append)
    req.submit(Request(3, False, 0), loop.append)  # 2 is superseded before it starts
    assert req.dropped == 1
    while loop:
        loop.pop(0)()
    assert worked == [1, 3] and done == [1, 3] and not req.busy


class _Doc:
    """Just enough of a served Bokeh document: a session and a next-tick queue."""

    def __init__(self):
        self.session_context = object()
        self.callbacks = []
        self.destroyed = []

    def add_next_tick_callback(self, cb):
        self.callbacks.append(cb)

    def on_session_destroyed(self, cb):
        self.destroyed.append(cb)

    def run(self):
        while self.callbacks:
            self.callbacks.pop(0)()


def _frame(i):
    return Frame(index=i, time=i / 150.0, data=b"jpeg", mime="image/jpeg")


def test_served_seeks_are_read_off_the_loop_newest_first(monkeypatch):
    doc = _Doc()
    monkeypatch.setattr(player_module, "state", SimpleNamespace(curdoc=doc))
    gate, read = threading.Event(), []

    def source(i):
        gate.wait(10)
        read.append(i)
        return _frame(i)

    with ThreadPoolExecutor(1) as pool:
        player = FramePlayer(source, executor=pool, n_frames=100)
        monkeypatch.setattr(player, "_on_page", lambda: True)  # shown (nothing is sent: no view)
        frames = []
        player.param.watch(lambda ev: frames.append(ev.new), "frame")
        player._handle_msg({"type": "seek", "frame": 10})
        assert read == [] and player.frame == 0  # the handler returned while the frame is read
        for i in (11, 12, 13):  # the user drags on
            player._handle_msg({"type": "seek", "frame": i})
        gate.set()
        for _ in range(200):  # the worker hands each result to the loop
            doc.run()
            if player.frame == 13:
                break
            threading.Event().wait(0.05)
        assert read == [10, 13] and frames == [10, 13]  # 11 and 12 were never read
        assert doc.destroyed  # the worker stops with the session


def test_served_frame_at_hand_is_sent_without_the_worker(monkeypatch):
    doc = _Doc()
    monkeypatch.setattr(player_module, "state", SimpleNamespace(curdoc=doc))
    read = []
    player = FramePlayer(lambda i: read.append(i) or _frame(i), cached=lambda i: _frame(i) if i == 5 else None,
                         executor=_Inline(), n_frames=100, read_ahead=0)  # read-ahead: test_read_ahead.py
    monkeypatch.setattr(player, "_on_page", lambda: True)
    player._handle_msg({"type": "seek", "frame": 5})
    assert player.frame == 5 and read == [] and doc.callbacks == []  # sent at once
    player._handle_msg({"type": "seek", "frame": 6})
    assert read == [6] and player.frame == 5  # read on the worker, delivered on the loop
    doc.run()
    assert player.frame == 6


def test_unserved_seeks_are_answered_at_once():
    read = []
    player = FramePlayer(lambda i: read.append(i) or _frame(i), n_frames=100)
    player._handle_msg({"type": "seek", "frame": 7})
    assert read == [7] and player.frame == 7
    player.show(9)
    assert read == [7, 9] and player.frame == 9
    player._handle_msg({"type": "seek", "frame": "x"})  # ignored
    assert read == [7, 9]
