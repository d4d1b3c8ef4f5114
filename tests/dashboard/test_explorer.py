"""Tests of the Explorer's state and in-place updates (no browser)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pn = pytest.importorskip("panel")

from mmme_analysis.dashboard import Explorer  # noqa: E402

from .conftest import FakeDataset, FakeSpec  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def explorer():
    """Shared by the tests that only move the cursor or the view (each sets what it needs)."""
    e = Explorer(FakeDataset(), plot_width=300)
    yield e


@pytest.fixture
def fresh():
    """An Explorer of its own, for tests that change channels, filters or predictions."""
    return Explorer(FakeDataset(), plot_width=300)


def _cursors(e):
    return {s.location for s in e._spans}


def test_opens_first_trial_lazily():
    ds = FakeDataset()
    e = Explorer(ds)
    assert (e.subject, e.trial) == ("sub-01", 101)
    assert ds.opened == [("sub-01", 101)]  # only the shown trial
    assert e.player.n_frames == 1500 and e.player.fps == 150.0
    assert e.x_range == (0.0, pytest.approx(9.998, abs=0.01))
    assert len(e.channels) == 14 and "HEO" not in e.channels
    assert e.peri == ["ECG", "EDA", "PPG", "RSP", "SKT"]


def test_seek_snaps_to_frames_and_moves_every_cursor(explorer):
    e = explorer
    e.seek(1.2345)
    i = int(round(1.2345 * 150))
    assert e.player.frame == i
    assert e.time == pytest.approx(i / 150)
    assert _cursors(e) == {e.time}
    assert len(e._spans) >= 8  # annotations, predictions, EEG, 5 peri, HR, HR slope


def test_player_frame_moves_the_time_cursor(explorer):
    e = explorer
    e.player.frame = 10  # what a seek from the browser does
    assert e.time == pytest.approx(10 / 150)
    e.player.frame = 11
    assert e.time - 10 / 150 == pytest.approx(1 / 150)
    assert _cursors(e) == {e.time}


def test_seek_outside_view_scrolls(explorer):
    e = explorer
    e.seek(0.0)
    e.x_range = (0.0, 2.0)
    e.seek(7.0)
    x0, x1 = e.x_range
    assert x0 <= e.time <= x1 and x1 - x0 == pytest.approx(2.0)
    assert (e._xr.start, e._xr.end) == (x0, x1)


@pytest.mark.parametrize("view", [(0.0, 10.0), (2.0, 2.5)])
def test_traces_follow_the_range_within_two_points_per_pixel(explorer, view):
    e = explorer
    e.x_range = view
    eeg = e._src["eeg"].data
    assert len(eeg["xs"]) == len(e.channels)
    for xs in eeg["xs"]:
        assert len(xs) <= 2 * e.plot_width
        assert xs[0] <= view[0] + 0.01 and xs[-1] >= view[1] - 0.01
    for key in ("peri-ECG", "peri-EDA", "hr", "hr_slope"):
        x = e._src[key].data["x"]
        assert 0 < len(x) <= 2 * e.plot_width
    assert len(e._src["rpeaks"].data["x"]) > 0


def test_channel_group_and_scaling(fresh):
    e = fresh
    e.eeg_group = "frontal"
    assert e.channels and all(c.startswith(("F", "AF")) and not c.startswith("FC") for c in e.channels)
    assert e._src["eeg"].data["channel"] == e.channels
    labels = e._figs["eeg"].yaxis.major_label_overrides
    assert any("µV" in v for v in labels.values())
    e.scaling = "common"
    assert "µV per row" in e._figs["eeg"].yaxis.axis_label


def test_bad_band_pass_is_reported_not_raised(fresh):
    e = fresh
    e.param.update(highpass=30.0, lowpass=10.0)
    assert "low edge < high edge" in e.status
    e.param.update(highpass=1.0, lowpass=40.0, notch=50.0)
    assert len(e._src["eeg"].data["xs"]) == len(e.channels)


def test_clicking_a_trace_seeks(explorer):
    from bokeh.events import Tap

    e = explorer
    e._on_tap(Tap(e._figs["eeg"], x=3.0031, y=0.0))
    assert e.player.frame == round(3.0031 * 150)
    assert e.time == pytest.approx(round(3.0031 * 150) / 150)


@pytest.mark.parametrize("flags, missing", [
    (dict(video=False), "No video"), (dict(eeg=False), "No EEG"), (dict(peri=False), "No peripheral"),
])
def test_missing_modality_shows_the_rest(flags, missing):
    e = Explorer(FakeDataset(FakeSpec(**flags)))
    text = " ".join(str(p.object) for p in e._messages_view())
    assert missing in text
    e.seek(1.0)
    assert _cursors(e) == {e.time}
    if not flags.get("video", True):
        assert e.time == 1.0  # no frame grid to snap to
        assert "No video" in e._video_view().object
    if not flags.get("eeg", True):
        assert "eeg" not in e._figs
    if not flags.get("peri", True):
        assert not any(k.startswith("peri-") for k in e._figs)


def test_unreadable_frame_keeps_running():
    e = Explorer(FakeDataset(FakeSpec(broken_frames=(30,))))
    e.seek(30 / 150)
    assert e.player.frame == 30 and "could not be read" in e.player.message
    e.seek(31 / 150)
    assert e.player.frame == 31 and e.player.message == ""


def test_switching_trial_and_subject():
    ds = FakeDataset()
    e = Explorer(ds)
    e.trial = 102
    assert ds.opened[-1] == ("sub-01", 102)
    e.subject = "sub-02"
    assert ds.opened[-1] == ("sub-02", 102) and e.trial == 102  # same stimulus kept
    assert len(e._event_rows()) == 3


def test_event_list_jumps_to_apex(explorer):
    e = explorer
    rows = e._event_rows()
    apex = float(e._events.apex[1])
    rows[1][0].clicks += 1  # the event's button: its apex
    assert e.time == pytest.approx(round(apex * 150) / 150)
    rows[1][1].clicks += 1  # "on": its onset
    assert e.time == pytest.approx(round(float(e._events.onset[1]) * 150) / 150)


def test_predictions_tracks(tmp_path, fresh):
    e = fresh
    spot = tmp_path / "spot.csv"
    t = np.arange(0, 10, 0.01)
    spot.write_text("subject,marker,time,score\n" + "".join(
        f"sub-01,101,{x:.2f},{np.sin(x):.4f}\n" for x in t))
    e.add_predictions(spot)
    assert e._figs["predictions"].visible
    assert 0 < len(e._src["score"].data["x"]) <= 2 * e.plot_width
    cls = tmp_path / "cls.csv"
    cls.write_text("subject,marker,event,class,probability\n"
                   "sub-01,101,0,disgust,0.8\nsub-01,101,0,happiness,0.2\nsub-01,101,2,surprise,1.0\n")
    e.add_predictions(cls)
    e.seek(float(e._events.apex[0]))
    assert e._src["classes"].data["cls"] == ["disgust", "happiness"]
    e.seek(float(e._events.apex[2]))
    assert e._src["classes"].data["cls"] == ["surprise"]
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,marker,onset,offset,label\nsub-01,101,2,1,micro\n")
    e.add_predictions(bad)
    assert "bad.csv, row 1: expected onset <= offset" in e.status


def test_emotion_colours_use_the_canonical_vocabulary():
    from mmme_analysis.dashboard.explorer import EMOTION_COLORS
    from mmme_analysis.io.labels import EMOTION3_CLASSES, EMOTION_CLASSES, EMOTIONS_7

    assert set(EMOTION_COLORS) <= set(EMOTION_CLASSES) | set(EMOTION3_CLASSES)
    assert set(EMOTIONS_7) <= set(EMOTION_COLORS)  # every MMME emotion has its own colour


def test_renders_to_a_bokeh_model(explorer):
    model = explorer.__panel__().get_root()
    assert model is not None


def _script():
    spec = importlib.util.spec_from_file_location("explorer_script", REPO / "dashboards" / "explorer.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_script_restricts_data_to_the_root(tmp_path):
    mod = _script()
    inside = tmp_path / "root" / "store.zarr"
    inside.mkdir(parents=True)
    assert mod.resolve_data(str(inside), root=tmp_path / "root") == inside.resolve()
    assert mod.resolve_data("store.zarr", root=tmp_path / "root") == inside.resolve()
    with pytest.raises(PermissionError, match="outside the data root"):
        mod.resolve_data(str(tmp_path), root=tmp_path / "root")
    with pytest.raises(PermissionError, match="outside the data root"):
        mod.resolve_data("../", root=tmp_path / "root")
    with pytest.raises(FileNotFoundError, match="No dataset at"):
        mod.resolve_data("missing.zarr", root=tmp_path / "root")
    assert mod._parse(["--data", "x.zarr"]).data == "x.zarr"
