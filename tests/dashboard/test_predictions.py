"""Tests of the prediction-file reader, of the outcome of spotted intervals, of the predictions track
(no browser), of the demo's prediction files and of trace downsampling."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmme_analysis.dashboard import PREDICTION_FORMATS, read_predictions
from mmme_analysis.dashboard.downsample import downsample_trace
from mmme_analysis.dashboard.predictions import OPTIONAL_COLUMNS
from mmme_analysis.dashboard.spot_outcomes import spot_outcomes
from mmme_analysis.errors import DataFormatError

from .conftest import FakeDataset

FPS = 150.0


# -- downsampling -----------------------------------------------------------------------
@pytest.mark.parametrize("view", [(0.0, 10.0), (0.0, 60.0), (12.3, 12.9), (59.0, 61.0)])
@pytest.mark.parametrize("width", [100, 800])
def test_downsample_at_most_two_points_per_pixel(view, width):
    sfreq = 1000.0
    t = np.arange(int(60 * sfreq)) / sfreq
    y = np.random.default_rng(0).standard_normal(t.size)
    x, v = downsample_trace(t, y, *view, width)
    assert x.size == v.size
    assert x.size <= 2 * width
    inside = (t >= view[0]) & (t <= view[1])
    if inside.sum() > 2 * width:  # the extremes of the view are kept
        assert v.max() == pytest.approx(y[inside].max(), rel=1e-6)
        assert v.min() == pytest.approx(y[inside].min(), rel=1e-6)
    else:  # few samples: all of them, plus one beyond each edge
        assert x.size >= inside.sum()
    assert np.all(np.diff(x) > 0)


def test_downsample_payload_does_not_grow_with_view():
    t = np.arange(60_000) / 1000.0
    y = np.sin(t)
    n10 = downsample_trace(t, y, 0, 10, 500)[0].size
    n60 = downsample_trace(t, y, 0, 60, 500)[0].size
    assert n10 == n60 == 1000


@pytest.mark.parametrize("width, error", [(0, ValueError), (1, ValueError), (2.5, TypeError), ("wide", TypeError)])
def test_downsample_bad_width(width, error):
    with pytest.raises(error, match="Invalid value for 'width'"):
        downsample_trace(np.arange(10.0), np.arange(10.0), 0, 1, width)


# -- prediction files -------------------------------------------------------------------
def _write(tmp_path, text, name="pred.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, kind, n", [
    ("trial,time,score\nsub-01_101,0.5,0.1\nsub-01_101,0.0,0.9\nsub-02_101,1,0.3\n", "spotting", 3),
    ("trial,onset,offset,label,model\nsub-01_101,1.0,1.4,micro,x\n", "intervals", 1),
    ("trial,event,class,probability\nsub-01_101,0,disgust,0.7\nsub-01_101,0,happiness,0.3\n", "classes", 2),
    ("trial,time,score\nsub-01_EP02_01f,0.01,0.5\nsub-01_101,0.0,0.9\n", "spotting", 2),  # any trial id
])
def test_read_predictions(tmp_path, text, kind, n):
    pred = read_predictions(_write(tmp_path, text))
    assert pred.kind == kind and len(pred.table) == n
    assert set(PREDICTION_FORMATS[kind]) <= set(pred.table.columns)
    assert "subject" not in PREDICTION_FORMATS[kind] and "marker" not in PREDICTION_FORMATS[kind]
    rows = pred.for_trial("sub-01_101")
    assert len(rows) >= 1 and (rows.trial == "sub-01_101").all()
    if kind == "spotting" and n == 3:
        assert list(rows.time) == [0.0, 0.5]  # sorted by time
    assert pred.for_trial("sub-09_999").empty


@pytest.mark.parametrize("text, match", [
    ("a,b\n1,2\n", r"pred\.csv: expected a 'trial' column"),
    ("subject,marker,time,score\nsub-01,101,0.5,0.1\n",
     r"pred\.csv: expected a 'trial' column .*the former subject, marker key"),
    ("trial,b\nsub-01_101,2\n", r"pred\.csv: expected the columns of exactly one kind"),
    ("trial,time,score,onset,offset,label\n", "exactly one kind"),
    ("trial,time,score\nsub-01_101,0.5,\n", r"row 1: expected a value in column 'score'"),
    ("trial,time,score\n,0.5,1\n", r"row 1: expected a value in column 'trial'"),
    ("trial,event,class,probability\nsub-01_101,0,a,1\nsub-01_101,x,b,0\n",
     r"row 2: expected an integer in column 'event'"),
    ("trial,event,class,probability\nsub-01_101,1.5,a,1\n", r"row 1: expected an integer in column 'event'"),
    ("trial,time,score\nsub-01_101,nan,1\n", r"row 1: expected a finite number in column 'time'"),
    ("trial,time,score\nsub-01_101,inf,1\n", r"row 1: expected a finite number in column 'time'"),
    ("trial,onset,offset,label\nsub-01_101,2.0,1.0,micro\n", r"row 1: expected onset <= offset"),
    ("trial,event,class,probability\nsub-01_101,0,fear,1.5\n", r"row 1: expected a probability in \[0, 1\]"),
    ("trial,event,class,probability\nsub-01_101,-1,fear,0.5\n", r"row 1: expected an event index >= 0"),
    ("", "expected a CSV file with a header row"),
])
def test_read_predictions_bad_input(tmp_path, text, match):
    with pytest.raises(DataFormatError, match=match):
        read_predictions(_write(tmp_path, text))


@pytest.mark.parametrize("name, error", [("nope.csv", FileNotFoundError), (".", ValueError)])
def test_read_predictions_bad_path(tmp_path, name, error):
    with pytest.raises(error, match="Invalid value for 'path'"):
        read_predictions(tmp_path / name)


# -- optional interval columns (apex, kept, hrs) ------------------------------------------
@pytest.mark.parametrize("extra, row, apex, kept, hrs", [
    ("", "", np.nan, True, np.nan),  # a file of the former format: still valid, defaults filled in
    (",apex,kept,hrs", ",1.2,false,2.5", 1.2, False, 2.5),
    (",apex,kept,hrs", ",,TRUE,", np.nan, True, np.nan),  # empty apex: the midpoint; empty hrs: unknown
    (",kept", ",0", np.nan, False, np.nan),
    (",kept,hrs", ",Yes,nan", np.nan, True, np.nan),
    (",hrs,apex", ",-0.5,1.0", 1.0, True, -0.5),  # apex at the onset is inside
])
def test_read_intervals_optional_columns(tmp_path, extra, row, apex, kept, hrs):
    pred = read_predictions(_write(tmp_path, f"trial,onset,offset,label{extra}\nsub-01_101,1.0,1.4,micro{row}\n"))
    assert set(OPTIONAL_COLUMNS["intervals"]) <= set(pred.table.columns)
    got = pred.table.iloc[0]
    assert got["apex"] == pytest.approx(apex, nan_ok=True)
    assert got["hrs"] == pytest.approx(hrs, nan_ok=True)
    assert got["kept"] is np.bool_(kept) or bool(got["kept"]) is kept
    assert pred.table["kept"].dtype == bool


@pytest.mark.parametrize("cols, row, match", [
    ("kept", "maybe", r"row 1: expected true or false \(1/0, yes/no\) in column 'kept', got 'maybe'"),
    ("kept", "", r"row 1: expected true or false .* in column 'kept', got ''"),
    ("hrs", "fast", r"row 1: expected a finite number or an empty cell in column 'hrs', got 'fast'"),
    ("hrs", "inf", r"row 1: expected a finite number or an empty cell in column 'hrs', got 'inf'"),
    ("apex", "x", r"row 1: expected a finite number or an empty cell in column 'apex', got 'x'"),
    ("apex", "0.9", r"row 1: expected an apex within onset\.\.offset \(1\.0\.\.1\.4\), got 0\.9"),
    ("apex", "1.5", r"row 1: expected an apex within onset\.\.offset \(1\.0\.\.1\.4\), got 1\.5"),
])
def test_read_intervals_bad_optional_columns(tmp_path, cols, row, match):
    text = f"trial,onset,offset,label,{cols}\nsub-01_101,1.0,1.4,micro,{row}\n"
    with pytest.raises(DataFormatError, match=r"pred\.csv, " + match):
        read_predictions(_write(tmp_path, text))


# -- outcomes against the annotations (hand-worked) ----------------------------------------
# video at 100 fps, first frame at t0 = 0.5 s: frame = round((t - 0.5) * 100)
_EVENTS = pd.DataFrame({"onset": [1.5, 4.5, 6.5], "apex": [1.7, 4.6, 7.0], "offset": [1.9, 4.79, 7.5],
                        "kind": ["micro", "micro", "macro"]})  # frames 100..140, 400..429, 600..700


def test_outcomes_one_tp_one_fp_one_missed():
    pred = pd.DataFrame({"onset": [1.6, 3.0, 1.5], "offset": [1.9, 3.2, 1.9], "label": ["micro"] * 3,
                         "apex": [1.8, np.nan, 1.7], "kept": [True, True, False], "hrs": [3.0, 2.5, 0.4]})
    predicted, missed = spot_outcomes(pred, _EVENTS, fps=100.0, t0=0.5)
    # frames 110..140 against 100..140: 31 shared of 41, IoU 0.756 -> TP; 250..270 overlaps nothing -> FP;
    # the third (100..140, IoU 1) was dropped by the filter: not scored, so the first keeps its TP
    assert predicted["outcome"].tolist() == ["TP", "FP", "dropped"]
    assert predicted[["onset_frame", "offset_frame"]].values.tolist() == [[110, 140], [250, 270], [100, 140]]
    assert predicted["iou"].iloc[0] == pytest.approx(31 / 41)
    assert predicted["unfiltered"].tolist() == ["TP", "FP", "TP"]  # kept, it would have taken the TP
    assert predicted["target"].tolist() == pytest.approx([1.8, 3.1, 1.7])  # apex, else the midpoint
    # the second micro is missed; the macro is not scored (the file spots micro-expressions only)
    assert missed[["onset_frame", "offset_frame", "kind"]].values.tolist() == [[400, 429, "micro"]]
    assert missed["target"].tolist() == pytest.approx([4.6])


@pytest.mark.parametrize("offset, outcome", [(4.64, "TP"), (4.63, "FP")])
def test_outcomes_iou_at_the_threshold(offset, outcome):
    # 400..414 against 400..429: 15 of 30 frames, IoU exactly 0.5 -> TP; 400..413: 14 of 30 -> FP
    pred = pd.DataFrame({"onset": [4.5], "offset": [offset], "label": ["micro"]})
    predicted, missed = spot_outcomes(pred, _EVENTS, fps=100.0, t0=0.5)
    assert predicted["outcome"].tolist() == [outcome]
    assert len(missed) == (2 if outcome == "FP" else 1)


def test_outcomes_kinds_uncoded_offsets_and_no_video():
    pred = pd.DataFrame({"onset": [6.5], "offset": [7.5], "label": ["disgust"]})  # not a kind: kinds ignored
    predicted, missed = spot_outcomes(pred, _EVENTS, fps=100.0, t0=0.5)
    assert predicted["outcome"].tolist() == ["TP"] and len(missed) == 2  # matched the macro
    predicted, _ = spot_outcomes(pred.assign(label="micro"), _EVENTS, fps=100.0, t0=0.5)
    assert predicted["outcome"].tolist() == ["FP"]  # micro is matched with micro only
    # an offset not coded (offset == apex) is mirrored about the apex: 100..120..140
    events = _EVENTS.assign(offset=[1.7, 4.79, 7.5], offset_coded=[False, True, True])
    predicted, _ = spot_outcomes(pd.DataFrame({"onset": [1.5], "offset": [1.9], "label": ["micro"]}), events,
                                 fps=100.0, t0=0.5)
    assert predicted["outcome"].tolist() == ["TP"] and predicted["iou"].iloc[0] == pytest.approx(1.0)
    predicted, missed = spot_outcomes(pred, _EVENTS, fps=None)
    assert predicted["outcome"].tolist() == ["unscored"] and missed.empty
    predicted, missed = spot_outcomes(pred.iloc[:0], _EVENTS.iloc[:0], fps=100.0)  # nothing at all
    assert predicted.empty and missed.empty


@pytest.mark.parametrize("kw, error, match", [
    (dict(intervals=[1]), TypeError, "Invalid value for 'intervals'"),
    (dict(intervals=pd.DataFrame({"onset": [1.0]})), ValueError, r"'intervals': expected columns onset, offset, label"),
    (dict(events=_EVENTS.drop(columns="kind")), ValueError, r"'events': expected columns .*missing \['kind'\]"),
    (dict(fps=0.0), ValueError, "Invalid value for 'fps'"),
])
def test_outcomes_bad_input(kw, error, match):
    args = dict(intervals=pd.DataFrame({"onset": [1.0], "offset": [1.2], "label": ["micro"]}), events=_EVENTS,
                fps=100.0) | kw
    with pytest.raises(error, match=match):
        spot_outcomes(args.pop("intervals"), args.pop("events"), **args)


# -- the Explorer's track: colours, legend, clicks, defaults (no browser) ------------------
def _intervals_file(folder, name="baseline_intervals.csv"):
    # fake trial sub-01_101 (150 fps, t0 0): micro 72..124 (apex 102), micro 669..699 with its offset
    # not coded (mirrored to 729), macro 1310..1362
    path = folder / name
    path.write_text("trial,onset,offset,label,apex,kept,hrs\n"
                    "sub-01_101,0.5,0.82,micro,0.7,true,3.1\n"      # 75..123: TP
                    "sub-01_101,2.0,2.3,micro,,true,2.0\n"          # FP, no apex: its midpoint
                    "sub-01_101,4.46,4.86,micro,4.66,false,0.8\n"   # dropped (a TP without the filter)
                    "sub-02_101,1.0,1.2,micro,,true,\n")
    return path


def _explorer(ds, **kw):
    from mmme_analysis.dashboard import Explorer

    return Explorer(ds, plot_width=300, **kw)


def test_track_colours_intervals_by_outcome(tmp_path):
    from mmme_analysis.dashboard.spot_outcomes import OUTCOME_COLORS

    e = _explorer(FakeDataset())
    e.add_predictions(_intervals_file(tmp_path))
    pv, src = e.predictions, e.predictions.sources
    assert e.status == "" and pv.track.visible
    assert {o: len(src[o].data["left"]) for o in ("TP", "FP", "dropped", "missed", "unscored")} == \
        {"TP": 1, "FP": 1, "dropped": 1, "missed": 1, "unscored": 0}
    assert src["TP"].data["left"].tolist() == [0.5] and src["FP"].data["apex"].tolist() == [pytest.approx(2.15)]
    assert src["dropped"].data["text"] == ["HRS 0.80 bpm/s"] and src["dropped"].data["line"] == [OUTCOME_COLORS["TP"]]
    assert src["missed"].data["apex"].tolist() == pytest.approx([699 / FPS])
    renderers = {r.name: r for r in pv.track.renderers if r.name}
    for outcome in ("TP", "FP", "dropped", "missed"):
        assert renderers[f"mmme-pred-{outcome}"].glyph.fill_color == OUTCOME_COLORS[outcome]
    assert [i.label.value for i in pv.legend.items if i.visible] == [
        "TP (1)", "FP (1)", "dropped by HR-slope filter (1)", "missed (ground truth) (1)"]
    assert "1 TP, 1 FP, 1 dropped, 1 missed" in pv.track.title.text
    e.trial = "sub-02_101"  # another trial: its own rows, every expression missed
    assert len(src["FP"].data["left"]) == 1 and len(src["missed"].data["left"]) == 2 and not src["TP"].data["left"]


@pytest.mark.parametrize("x, y, expected", [
    (0.55, 0.6, round(0.7 * FPS)),      # the TP: its apex, not the click
    (2.02, 0.6, round(2.15 * FPS)),     # the FP without an apex: its midpoint
    (4.50, 0.6, round(4.66 * FPS)),     # the dropped one: its apex
    (4.50, 0.1, 699),                   # the missed expression under it: its annotated apex
    (6.00, 0.6, 900),                   # nothing there: the timeline's own seek to the click
])
def test_click_on_an_interval_seeks_to_its_apex(tmp_path, x, y, expected):
    from bokeh.events import Tap

    e = _explorer(FakeDataset())
    e.add_predictions(_intervals_file(tmp_path))
    f = e.predictions.track
    f._trigger_event(Tap(model=f, x=x, y=y))  # what a click in the browser runs: every Tap callback, in order
    assert e.timeline.time == pytest.approx(expected / FPS)
    assert e.video.player.frame == expected


def test_dataset_predictions_shown_by_default(tmp_path):
    ds = FakeDataset()
    ds.path = tmp_path
    folder = tmp_path / "predictions"
    folder.mkdir()
    _intervals_file(folder)
    (folder / "baseline_spotting.csv").write_text(
        "trial,time,score\n" + "".join(f"sub-01_101,{t / 100:.2f},{np.sin(t / 100):.4f}\n" for t in range(1000)))
    (folder / ".baseline_spotting.123-abcd.tmp.csv").write_text("half written")  # a write in progress: not offered
    e = _explorer(ds)
    pv = e.predictions
    assert (Path(pv.prediction_source).name, Path(pv.score_source).name) == ("baseline_intervals.csv",
                                                                            "baseline_spotting.csv")
    assert sorted(pv.param.prediction_source.names) == ["(none)", "baseline_intervals.csv", "baseline_spotting.csv"]
    assert e.status == "" and len(pv.sources["TP"].data["left"]) == 1
    assert 0 < len(pv.sources["score"].data["x"]) <= 2 * e.plot_width  # the score line with the intervals
    r = pv.track.extra_y_ranges["score"]
    assert r.start < -0.99 and r.end > 0.99  # the score axis spans the trial's scores
    pv.prediction_source = str(folder / "baseline_spotting.csv")  # the user's choice ...
    pv.find()
    assert Path(pv.prediction_source).name == "baseline_spotting.csv"  # ... outlives a new search
    (folder / "baseline_intervals.csv").unlink()
    pv.find()  # a default that is gone is dropped; the other default stays
    assert Path(pv.prediction_source).name == "baseline_spotting.csv" and pv.score_source.endswith("spotting.csv")
    e3 = _explorer(ds)
    _intervals_file(tmp_path)
    e3.predictions.add(tmp_path / "baseline_intervals.csv")
    e3.predictions.score_source = str(tmp_path / "baseline_intervals.csv")
    assert "expected a spotting file (trial, time, score) for the scores, got a intervals file" in e3.status


# -- the demo ships the baseline's predictions --------------------------------------------
def test_demo_predictions_are_the_baselines_output():
    import mmme_analysis as mm
    from mmme_analysis.demo import PREDICTION_FILES, _spotter_config
    from mmme_analysis.spotting import hrs_trial, spot_peaks

    folder = mm.demo.data_path("predictions")
    spot = read_predictions(folder / PREDICTION_FILES["spotting"])
    ivl = read_predictions(folder / PREDICTION_FILES["intervals"])
    assert (spot.kind, ivl.kind) == ("spotting", "intervals")
    ds = mm.open_dataset(mm.demo.data_path())
    assert set(spot.table["trial"]) == set(ds.trials["trial"]) and set(ivl.table["trial"]) <= set(ds.trials["trial"])
    assert len(ivl.table) > 0 and not ivl.table["kept"].all() and ivl.table["hrs"].notna().any()
    cfg, raw = _spotter_config(), pd.read_csv(folder / PREDICTION_FILES["intervals"])
    trial = ivl.table["trial"].iloc[0]
    rows = raw[raw["trial"] == trial]
    # the intervals are the peaks of the score file (computed together, not typed in) ...
    score = spot.for_trial(trial)["score"].to_numpy()
    k = int(np.median(rows["apex_frame"] - rows["onset_frame"]))
    peaks = spot_peaks(score, FPS, k, p=cfg.p, distance=cfg.distance)
    assert peaks["apex"].tolist() == rows["apex_frame"].tolist()
    # ... and their HRS the heart-rate slope of the trial's ECG at the apex
    hrs, mean = hrs_trial(ds.trial(trial)["peri"].to_dataset(), rows["apex_frame"].to_numpy(float) / FPS)
    assert rows["hrs"].to_numpy() == pytest.approx(hrs, rel=1e-5, nan_ok=True)
    assert rows["kept"].tolist() == (~np.isfinite(hrs) | (hrs > 2.0 * mean)).tolist()  # unknown HRS: kept
