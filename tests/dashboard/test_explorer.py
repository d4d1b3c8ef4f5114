"""Tests of the Explorer's state and in-place updates (no browser). Each test builds its own
Explorer; the Bokeh models checked are the rendered ones (``__panel__().get_root``)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pn = pytest.importorskip("panel")

from bokeh.document import Document  # noqa: E402
from bokeh.events import Tap  # noqa: E402

from mmme_analysis.dashboard import EMOTION_COLORS, Explorer  # noqa: E402
from mmme_analysis.dataset import open_dataset  # noqa: E402

from .conftest import FakeDataset, FakeSpec  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FPS = 150.0


def _explorer(**params):
    return Explorer(FakeDataset(), plot_width=300, **params)


def _render(e):
    """The Explorer's Bokeh models, in a document of their own."""
    doc = Document()
    doc.add_root(e.__panel__().get_root(doc))
    return doc


def _cursors(e):
    return set(e.timeline.cursors)


def test_opens_first_trial_lazily():
    ds = FakeDataset()
    e = Explorer(ds)
    assert (e.subject, e.trial) == ("sub-01", "sub-01_101")
    assert e.state.trial == "sub-01_101"
    assert ds.opened == ["sub-01_101"]  # only the shown trial, once
    assert e.video.player.n_frames == 1500 and e.video.player.fps == FPS
    assert e.timeline.x_range == (0.0, pytest.approx(9.998, abs=0.01))
    assert len(e.eeg.channels) == 14 and "HEO" not in e.eeg.channels
    assert e.peri.peri == ["ECG", "EDA", "PPG", "RSP", "SKT"]
    assert e.status == "" and e.messages() == []


def test_trial_choices_are_trial_ids():
    e = _explorer()
    assert e.param.subject.objects == ["sub-01", "sub-02"]
    names = e.param.trial.names
    assert names == {"sub-01_101 (cat. 1, 3 events)": "sub-01_101", "sub-01_102 (cat. 2, 3 events)": "sub-01_102"}


def test_seek_snaps_to_frames_and_moves_every_cursor():
    e = _explorer()
    e.seek(1.2345)
    i = int(round(1.2345 * FPS))
    assert e.video.player.frame == i
    assert e.timeline.time == pytest.approx(i / FPS)
    assert _cursors(e) == {e.timeline.time}
    assert len(e.timeline.cursors) >= 10  # annotations, predictions, EEG, 5 peri, HR, HR slope


def test_player_frame_moves_the_time_cursor():
    e = _explorer()
    e.video.player.frame = 10  # what a seek from the browser does
    assert e.timeline.time == pytest.approx(10 / FPS)
    e.video.player.frame = 11
    assert e.timeline.time - 10 / FPS == pytest.approx(1 / FPS)
    assert _cursors(e) == {e.timeline.time}


def test_seek_outside_view_scrolls():
    e = _explorer()
    e.timeline.x_range = (0.0, 2.0)
    e.seek(7.0)
    x0, x1 = e.timeline.x_range
    assert x0 <= e.timeline.time <= x1 and x1 - x0 == pytest.approx(2.0)
    assert (e.timeline.range.start, e.timeline.range.end) == (x0, x1)


@pytest.mark.parametrize("view", [(0.0, 10.0), (2.0, 2.5)])
def test_traces_follow_the_range_within_two_points_per_pixel(view):
    e = _explorer()
    e.timeline.x_range = view
    eeg = e.eeg.source.data
    assert len(eeg["xs"]) == len(e.eeg.channels)
    for xs in eeg["xs"]:
        assert len(xs) <= 2 * e.plot_width
        assert xs[0] <= view[0] + 0.01 and xs[-1] >= view[1] - 0.01
    for key in ("peri-ECG", "peri-EDA", "hr", "hr_slope"):
        x = e.peri.sources[key].data["x"]
        assert 0 < len(x) <= 2 * e.plot_width
        assert x[0] <= view[0] + 0.05 and x[-1] >= view[1] - 0.05
    assert len(e.peri.sources["rpeaks"].data["x"]) > 0


def test_channel_group_and_scaling():
    e = _explorer()
    e.eeg.eeg_group = "frontal"
    assert e.eeg.channels and all(c.startswith(("F", "AF")) and not c.startswith("FC") for c in e.eeg.channels)
    assert e.eeg.source.data["channel"] == e.eeg.channels
    labels = e.eeg.figure.yaxis.major_label_overrides
    assert any("µV" in v for v in labels.values())
    e.eeg.scaling = "common"
    assert "µV per row" in e.eeg.figure.yaxis.axis_label


@pytest.mark.parametrize("band, message", [
    (dict(highpass=30.0, lowpass=10.0), "low edge < high edge"),
    (dict(lowpass=400.0), "below Nyquist (250 Hz)"),
])
def test_bad_band_pass_is_reported_not_raised(band, message):
    e = _explorer()
    e.eeg.param.update(**band)
    assert message in e.status and message in " ".join(e.messages())
    assert len(e.eeg.source.data["xs"]) == len(e.eeg.channels)  # still drawn, unfiltered
    e.eeg.param.update(highpass=1.0, lowpass=40.0, notch=50.0)
    assert e.status == ""
    assert len(e.eeg.source.data["xs"]) == len(e.eeg.channels)


def test_clicking_a_trace_seeks():
    e = _explorer()
    doc = _render(e)
    fig = doc.select_one({"name": "mmme-eeg"})
    doc.callbacks.trigger_event(Tap(fig, x=3.0031, y=0.0))
    assert e.video.player.frame == round(3.0031 * FPS)
    assert e.timeline.time == pytest.approx(round(3.0031 * FPS) / FPS)


@pytest.mark.parametrize("flags, missing", [
    (dict(video=False), "No video"), (dict(eeg=False), "No EEG"), (dict(peri=False), "No peripheral"),
])
def test_missing_modality_shows_the_rest(flags, missing):
    e = Explorer(FakeDataset(FakeSpec(**flags)))
    text = " ".join(e.messages())
    assert missing in text
    e.seek(1.0)
    assert _cursors(e) == {e.timeline.time}
    if not flags.get("video", True):
        assert e.timeline.time == 1.0  # no frame grid to snap to
        assert "No video" in e.video.__panel__().objects[0].object
    if not flags.get("eeg", True):
        assert "eeg" not in e.timeline.figures and e.eeg.param.channels.objects == []
    if not flags.get("peri", True):
        assert not any(k.startswith("peri-") for k in e.timeline.figures)


def test_unreadable_frame_keeps_running():
    e = Explorer(FakeDataset(FakeSpec(broken_frames=(30,))))
    e.seek(30 / FPS)
    assert e.video.player.frame == 30 and "could not be read" in e.video.player.message
    e.seek(31 / FPS)
    assert e.video.player.frame == 31 and e.video.player.message == ""


def test_switching_trial_and_subject_opens_each_trial_once():
    ds = FakeDataset()
    e = Explorer(ds)
    _render(e)  # with its widgets displayed, as in a notebook
    states = []
    e.param.watch(lambda ev: states.append(ev.new.trial), "state")
    e.trial = "sub-01_102"
    assert ds.opened == ["sub-01_101", "sub-01_102"]
    e.subject = "sub-02"
    assert e.trial == "sub-02_102"  # same stimulus kept
    assert ds.opened == ["sub-01_101", "sub-01_102", "sub-02_102"]  # one open per switch
    assert states == ["sub-01_102", "sub-02_102"]  # one rebuild per switch
    assert e.param.trial.names == {"sub-02_101 (cat. 1, 3 events)": "sub-02_101",
                                   "sub-02_102 (cat. 2, 3 events)": "sub-02_102"}
    e.trial = "sub-01_101"  # a trial of another subject: its subject follows
    assert e.subject == "sub-01" and states[-1] == "sub-01_101" and len(states) == 3
    assert len(e.annotations.buttons) == 3


def test_constructor_arguments_reach_the_views():
    ds = FakeDataset()
    e = Explorer(ds, trial="sub-02_101", notch=50.0, gain=2.0, peri=["ECG"], time=1.0)
    assert ds.opened == ["sub-02_101"] and e.subject == "sub-02"
    assert (e.eeg.notch, e.eeg.gain, e.peri.peri) == (50.0, 2.0, ["ECG"])
    assert e.timeline.time == 1.0
    assert not e.peri.figures["peri-EDA"].visible and e.peri.figures["hr"].visible


@pytest.mark.parametrize("params, error, match", [
    (dict(colour="red"), TypeError, r"Invalid value for 'params': expected parameters .* got 'colour'"),
    (dict(status="x"), TypeError, r"Invalid value for 'params'.* got 'status'"),
    (dict(gain=100.0), ValueError, "gain"),
])
def test_bad_constructor_arguments(params, error, match):
    with pytest.raises(error, match=match):
        Explorer(FakeDataset(), **params)


def test_event_list_jumps_to_apex():
    e = _explorer()
    events = e.annotations.events
    buttons = e.annotations.buttons[1]
    buttons[0].clicks += 1  # the event's button: its apex
    assert e.timeline.time == pytest.approx(round(float(events.apex[1]) * FPS) / FPS)
    buttons[1].clicks += 1  # "on": its onset
    assert e.timeline.time == pytest.approx(round(float(events.onset[1]) * FPS) / FPS)
    buttons[3].clicks += 1  # "off": its offset
    assert e.timeline.time == pytest.approx(round(float(events.offset[1]) * FPS) / FPS)


def test_predictions_tracks(tmp_path):
    e = _explorer()
    spot = tmp_path / "spot.csv"
    t = np.arange(0, 10, 0.01)
    spot.write_text("trial,time,score\n" + "".join(f"sub-01_101,{x:.2f},{np.sin(x):.4f}\n" for x in t)
                    + "sub-02_101,1.0,0.5\n")
    e.add_predictions(spot)
    assert e.predictions.track.visible and e.status == ""
    assert 0 < len(e.predictions.sources["score"].data["x"]) <= 2 * e.plot_width
    cls = tmp_path / "cls.csv"
    cls.write_text("trial,event,class,probability\n"
                   "sub-01_101,0,disgust,0.8\nsub-01_101,0,happiness,0.2\nsub-01_101,2,surprise,1.0\n")
    e.add_predictions(cls)
    assert not e.predictions.track.visible and e.predictions.classes.visible
    events = e.annotations.events
    e.seek(float(events.apex[0]))
    assert e.predictions.sources["classes"].data["cls"] == ["disgust", "happiness"]
    e.seek(float(events.apex[2]))
    assert e.predictions.sources["classes"].data["cls"] == ["surprise"]
    bad = tmp_path / "bad.csv"
    bad.write_text("trial,onset,offset,label\nsub-01_101,2,1,micro\n")
    e.add_predictions(bad)
    assert "bad.csv, row 1: expected onset <= offset" in e.status
    old = tmp_path / "old.csv"
    old.write_text("subject,marker,time,score\nsub-01,101,0.5,0.1\n")
    e.add_predictions(old)
    assert "old.csv: expected a 'trial' column" in e.status


def test_predictions_found_next_to_a_dataset(tmp_path):
    folder = tmp_path / "preds"
    folder.mkdir()
    (folder / "model_a.csv").write_text("trial,time,score\nsub-01_101,0.5,0.1\n")
    e = _explorer(prediction_dirs=[str(folder)])
    assert e.predictions.param.prediction_source.names == {"(none)": "", "model_a.csv": str(folder / "model_a.csv")}


def test_emotion_colours_use_the_canonical_vocabulary():
    from mmme_analysis.vocab import EMOTION3_CLASSES, EMOTION_CLASSES, EMOTIONS_7

    assert set(EMOTION_COLORS) <= set(EMOTION_CLASSES) | set(EMOTION3_CLASSES)
    assert set(EMOTIONS_7) <= set(EMOTION_COLORS)  # every MMME emotion has its own colour


def test_renders_every_view_to_bokeh_models():
    e = _explorer()
    doc = _render(e)
    names = {m.name for m in doc.models if getattr(m, "name", None)}
    assert {"mmme-annotations", "mmme-predictions", "mmme-eeg", "mmme-peri-ECG", "mmme-hr", "mmme-hr_slope",
            "mmme-classes", "mmme-alignment"} <= names
    eeg = doc.select_one({"name": "mmme-eeg"})
    src = eeg.renderers[-1].data_source
    assert len(src.data["xs"]) == 14  # the traces travel with the model
    # the cursor is one layer drawn over every figure (no Bokeh model to repaint per frame)
    layers = [m for m in doc.models if type(m).__name__ == "ReactiveESM" and hasattr(m.data, "figures")]
    assert len(layers) == 1 and layers[0].data.time == e.timeline.time
    figures = [doc.get_model_by_id(i) for i in layers[0].data.figures]
    assert len(figures) == len(e.timeline.cursors) >= 10 and None not in figures
    assert {f.name for f in figures} == {f"mmme-{k}" for k in e.timeline.figures}
    assert not list(doc.select({"name": "mmme-cursor"}))
    e.seek(2.0)
    assert layers[0].data.time == e.timeline.time == pytest.approx(2.0)
    axes = [doc.select_one({"name": f"mmme-{k}"}).xaxis[0].visible for k in e.timeline.figures]
    assert axes == [False] * (len(axes) - 1) + [True]  # one time axis, under the lowest plot
    card = [m for m in doc.models if type(m).__name__ == "Card"]
    assert len(card) == 1 and card[0].width == e.alignment.width


def test_alignment_card_contents_fit_its_width():
    e = _explorer()
    card = e.alignment.__panel__()
    inner = [o.width for o in card.objects[:2]] + [e.alignment.figure.width]
    assert len(card.objects) == 3 and not card.collapsed
    assert all(w is not None and w <= card.width - 20 for w in inner), (card.width, inner)
    assert list(e.alignment.table.device) == ["biopac", "camera"]


def test_video_only_dataset_scrubs_frame_by_frame(casme2):
    ds = open_dataset(casme2)
    e = Explorer(ds, plot_width=300)
    assert e.param.subject.objects == ["sub-01", "sub-17"]
    assert list(e.param.trial.names) == ["sub-01_EP02_01f (1 event, no EEG/peri)",
                                         "sub-01_EP03_02 (1 event, no EEG/peri)"]
    assert e.trial == "sub-01_EP02_01f" and e.status == ""
    assert (e.video.player.n_frames, e.video.player.fps) == (20, 200.0)
    assert "eeg" not in e.timeline.figures and e.peri.figures == {}
    assert [m.split(" in ")[0] for m in e.messages()] == ["No EEG", "No peripheral signals"]
    for i in (1, 2, 3, 19):
        e.video.player.frame = i
        assert e.timeline.time == pytest.approx(i / 200.0)
    e.seek(0.5)  # beyond the clip: its last frame
    assert e.video.player.frame == 19
    e.subject = "sub-17"
    assert e.trial == "sub-17_EP01_01" and e.video.player.n_frames == 6
    assert len(e.annotations.buttons) == 1
    assert e.alignment.__panel__().collapsed  # no clock fits for a video-only dataset


def test_notebook_display_loads_the_extension():
    e = _explorer()
    bundle = e._repr_mimebundle_()  # what IPython asks for; None (a text repr) without the extension
    assert bundle is not None
    data, _meta = bundle
    assert "text/html" in data and "application/vnd.holoviews_exec.v0+json" in data


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


def test_one_broken_participant_of_three_browses_the_other_two(tmp_path):
    """Issue 10: a participant whose EEG is empty is left out (ds.problems); the Explorer lists and
    scrubs the other two, and names no participant folder."""
    import warnings

    from mmme_analysis.dataset.raw import pseudonyms
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    raw = synthesize(tmp_path / "raw", SynthConfig(n_subjects=3, n_trials=1, duration=2.0, rest=1.0, seed=5,
                                                   size=(64, 64)), progress=False)
    names = {v: k for k, v in pseudonyms(raw).items()}
    (eeg,) = (raw / names["sub-02"] / "EEG").rglob("*.eeg")
    eeg.write_bytes(b"")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = open_dataset(raw)
        e = Explorer(ds, plot_width=300)
    assert ds.problems[["subject", "modality"]].values.tolist() == [["sub-02", "session"]]
    assert e.param.subject.objects == ["sub-01", "sub-03"]
    for subject in ("sub-01", "sub-03"):
        e.subject = subject
        assert e.trial.startswith(subject + "_") and e.status == ""
        assert e.video.player.n_frames == 300 and "eeg" in e.timeline.figures
        e.video.player.frame = 150
        assert e.timeline.time == pytest.approx(150 / e.video.player.fps, abs=1e-6)
        shown = " ".join(e.messages()) + e.status + str(e.param.trial.names)
        assert not [n for n in names.values() if n in shown]
