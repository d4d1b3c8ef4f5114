"""Tests of the Explorer's data store (no browser)."""
from __future__ import annotations

import numpy as np
import pytest

from mmme_analysis.dashboard.store import (
    PREDICTION_FORMATS,
    ExplorerStore,
    channel_group,
    downsample_trace,
    filter_display,
    frame_index,
    read_predictions,
)
from mmme_analysis.errors import DataFormatError

from .conftest import FakeDataset, FakeSpec, frame_bits


def _decode(data: bytes) -> np.ndarray:
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return bgr[..., ::-1]


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


@pytest.mark.parametrize("width", [0, 1, 2.5, "wide"])
def test_downsample_bad_width(width):
    with pytest.raises((TypeError, ValueError), match="Invalid value for 'width'"):
        downsample_trace(np.arange(10.0), np.arange(10.0), 0, 1, width)


# -- frames -----------------------------------------------------------------------------
@pytest.mark.parametrize("t, fps, expected", [
    (0.0, 150.0, 0), (1.0, 150.0, 150), (0.0033, 150.0, 0), (0.0034, 150.0, 1),
    (2 / 150, 150.0, 2), (59.99, 150.0, 8998), (1.5, 30.0, 45), (0.05, 30.0, 2),
])
def test_frame_index_is_round_t_times_fps(t, fps, expected):
    assert frame_index(t, fps) == expected == int(round(t * fps))


@pytest.mark.parametrize("fps", [0, -150, float("nan"), None])
def test_frame_index_bad_fps(fps):
    with pytest.raises((TypeError, ValueError), match="Invalid value for 'fps'"):
        frame_index(1.0, fps)


@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_frame_bytes_show_the_requested_frame(fmt):
    store = ExplorerStore(FakeDataset(), image_format=fmt)
    info = store.video_info("sub-01", 101)
    assert (info.fps, info.n_frames) == (150.0, 1500)
    for t in (0.0, 1.0, 1.0 + 1 / 150, 3.333, 9.99):
        i = info.index(t)
        assert i == int(round(t * 150))
        fr = store.frame("sub-01", 101, i)
        assert fr.mime == f"image/{fmt}"
        assert fr.message == ""
        assert fr.time == pytest.approx(i / 150)
        assert frame_bits(_decode(fr.data)) == i
    assert info.index(-5) == 0 and info.index(1e6) == 1499


@pytest.mark.parametrize("per_chunk", [1, 10])
def test_frame_reads_only_what_is_shown(per_chunk):
    import dask.array as da

    ds = FakeDataset(FakeSpec(frames_per_chunk=per_chunk))
    store = ExplorerStore(ds)
    tree = store.trial("sub-01", 101)
    assert isinstance(tree["video"]["frames"].data, da.Array)
    assert ds.frames_read == []  # opening a trial decodes no frame
    fr = store.frame("sub-01", 101, 703)
    assert frame_bits(_decode(fr.data)) == 703
    assert store.frame("sub-01", 101, 703) is fr  # encoded frames are cached
    for i in range(700, 710):  # stepping through the chunk
        assert frame_bits(_decode(store.frame("sub-01", 101, i).data)) == i
    expected = list(range(700, 710)) if per_chunk == 10 else [703] + [i for i in range(700, 710) if i != 703]
    assert ds.frames_read == expected


def test_unreadable_frame_gives_placeholder_and_message():
    store = ExplorerStore(FakeDataset(FakeSpec(broken_frames=(5,))))
    fr = store.frame("sub-01", 101, 5)
    assert "Frame 5" in fr.message and "could not be read" in fr.message and "OSError" in fr.message
    assert _decode(fr.data).ndim == 3  # still an image
    assert store.frame("sub-01", 101, 6).message == ""


def test_large_frames_are_scaled_for_display():
    store = ExplorerStore(FakeDataset(FakeSpec(width=400, height=200)), max_frame_width=200)
    img = _decode(store.frame("sub-01", 101, 0).data)
    assert img.shape[:2] == (100, 200)


# -- missing modalities -----------------------------------------------------------------
@pytest.mark.parametrize("flags, words", [
    (dict(video=False), ["No video"]),
    (dict(eeg=False), ["No EEG"]),
    (dict(peri=False), ["No peripheral"]),
    (dict(video=False, eeg=False), ["No video", "No EEG"]),
    (dict(), []),
])
def test_missing_modality_messages(flags, words):
    store = ExplorerStore(FakeDataset(FakeSpec(**flags)))
    msgs = store.missing("sub-01", 101)
    assert len(msgs) == len(words)
    for m, w in zip(msgs, words):
        assert m.startswith(w) and "sub-01" in m and "101" in m
    if not flags.get("video", True):
        assert store.video_info("sub-01", 101) is None
        fr = store.frame("sub-01", 101, 3)
        assert "No video" in fr.message
    if not flags.get("eeg", True):
        assert store.eeg_channels("sub-01", 101).empty
        assert store.eeg_traces("sub-01", 101, ["Fp1"], 0, 1, 100)["xs"] == []
    if not flags.get("peri", True):
        assert store.peri_signals("sub-01", 101) == {}
        assert store.cardiac("sub-01", 101) is None


def test_only_the_current_trial_is_kept():
    ds = FakeDataset()
    store = ExplorerStore(ds)
    store.trial("sub-01", 101)
    store.trial("sub-01", 101)
    store.frame("sub-01", 101, 0)
    store.trial("sub-02", 102)
    assert ds.opened == [("sub-01", 101), ("sub-02", 102)]
    assert store._key == ("sub-02", 102) and not store._frames


# -- EEG and peripheral -----------------------------------------------------------------
def test_eeg_traces_stack_scale_and_downsample():
    store = ExplorerStore(FakeDataset())
    chans = store.eeg_channels("sub-01", 101)
    assert list(chans.columns) == ["channel", "ch_type", "group"]
    assert chans.set_index("channel").loc["HEO", "group"] == "eog"
    picked = ["Fp1", "Fz", "FC6"]
    tr = store.eeg_traces("sub-01", 101, picked, 0.0, 10.0, 200)
    assert tr["channel"] == picked and tr["offset"] == [2, 1, 0]
    assert all(x.size == 400 for x in tr["xs"])  # 5000 samples -> 2 per pixel
    short = store.eeg_traces("sub-01", 101, picked, 2.0, 4.0, 600)  # 1001 samples: all kept
    for x, y, off in zip(short["xs"], short["ys"], short["offset"]):
        assert x.size == 1003  # 2.0 <= t <= 4.0 and one sample beyond each edge
        assert abs(np.median(y) - off) < 0.1  # centred on its row
        assert np.percentile(np.abs(y - off), 95) < 0.5  # +-2 sd stays within the row
    common = store.eeg_traces("sub-01", 101, picked, 0.0, 10.0, 200, scaling="common")
    assert len(set(np.round(common["scale"], 12))) == 1
    assert len(set(np.round(tr["scale"], 12))) == 3
    with pytest.raises(ValueError, match="Invalid value for 'scaling'"):
        store.eeg_traces("sub-01", 101, picked, 0, 1, 100, scaling="global")


def test_notch_filter_removes_line_noise():
    store = ExplorerStore(FakeDataset())
    _, raw = store._eeg_data("sub-01", 101, ["Fz"], None, None, None)
    _, notched = store._eeg_data("sub-01", 101, ["Fz"], None, None, 50.0)
    _, band = store._eeg_data("sub-01", 101, ["Fz"], 1.0, 40.0, None)

    def power50(x):
        spec = np.abs(np.fft.rfft(x[0][500:-500])) ** 2
        f = np.fft.rfftfreq(x[0][500:-500].size, 1 / 500.0)
        return spec[np.argmin(np.abs(f - 50))]

    assert power50(notched["Fz"]) < 1e-3 * power50(raw["Fz"])
    assert power50(band["Fz"]) < 1e-3 * power50(raw["Fz"])


def test_filter_display_requires_sfreq():
    with pytest.raises(TypeError, match="Invalid value for 'sfreq'"):
        filter_display(np.zeros((1, 100)), None, l_freq=1.0)


@pytest.mark.parametrize("name, ch_type, group", [
    ("Fp1", "eeg", "frontal"), ("AF4", "eeg", "frontal"), ("Fz", "eeg", "frontal"), ("FC3", "eeg", "central"),
    ("Cz", "eeg", "central"), ("T7", "eeg", "temporal"), ("TP8", "eeg", "temporal"), ("CPz", "eeg", "parietal"),
    ("P3", "eeg", "parietal"), ("PO7", "eeg", "occipital"), ("Oz", "eeg", "occipital"), ("X1", "eeg", "other"),
    ("HEO", "eog", "eog"), ("EKG", "ecg", "ecg"),
])
def test_channel_group(name, ch_type, group):
    assert channel_group(name, ch_type) == group


def test_cardiac_finds_the_r_peaks():
    ds = FakeDataset()
    store = ExplorerStore(ds)
    card = store.cardiac("sub-01", 101)
    truth = ds.rpeaks
    assert abs(card["rpeaks"].size - truth.size) <= 1
    d = np.abs(card["rpeaks"][:, None] - truth[None, :]).min(axis=1)
    assert np.median(d) < 0.02
    hr = card["hr"][np.isfinite(card["hr"])]
    assert 60 < np.median(hr) < 85
    assert card["hr_slope"].shape == card["time"].shape


def test_cached_signals_belong_to_the_trial_asked_for():
    ds = FakeDataset()
    store = ExplorerStore(ds)
    ecg1 = store.peri_at("sub-01", 101, "ECG", [1.0, 2.0])
    assert not np.array_equal(store.peri_at("sub-02", 102, "ECG", [1.0, 2.0]), ecg1)
    assert store._key == ("sub-02", 102)
    first = store.cardiac("sub-01", 101)["rpeaks"]
    second = store.cardiac("sub-02", 102)  # another trial: computed again, not the cached one
    assert store._key == ("sub-02", 102)
    assert not np.array_equal(first, second["rpeaks"])
    d = np.abs(second["rpeaks"][:, None] - ds.rpeaks[None, :]).min(axis=1)
    assert np.median(d) < 0.02  # the R peaks of sub-02/102


def test_peri_trace_is_downsampled():
    store = ExplorerStore(FakeDataset())
    assert store.peri_signals("sub-01", 101) == {"ECG": "V", "PPG": "V", "RSP": "V", "EDA": "S", "SKT": "degC"}
    x, y = store.peri_trace("sub-01", 101, "ECG", 0, 10, 100)
    assert x.size <= 200 and y.dtype == np.float32


def test_events_and_alignment_tables():
    store = ExplorerStore(FakeDataset())
    ev = store.events("sub-01", 101)
    assert list(ev.columns) == ["onset", "apex", "offset", "kind", "emotion", "emotion3", "aus"]
    assert len(ev) == 3 and (ev.onset <= ev.apex).all()
    devs, res = store.alignment("sub-01", 101)
    assert list(devs.device) == ["biopac", "camera"]
    assert devs.set_index("device").loc["biopac", "drift_ppm"] == pytest.approx(21.5)
    assert devs.set_index("device").loc["camera", "max_abs_residual_ms"] == pytest.approx(3.0)
    assert len(res) == 6 and res.residual_ms.abs().max() == pytest.approx(3.0)


# -- prediction files -------------------------------------------------------------------
def _write(tmp_path, text, name="pred.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, kind, n", [
    ("subject,marker,time,score\nsub-01,101,0.5,0.1\nsub-01,101,0.0,0.9\nsub-02,101,1,0.3\n", "spotting", 3),
    ("subject,marker,onset,offset,label,model\nsub-01,101,1.0,1.4,micro,x\n", "intervals", 1),
    ("subject,marker,event,class,probability\nsub-01,101,0,disgust,0.7\nsub-01,101,0,happiness,0.3\n",
     "classes", 2),
])
def test_read_predictions(tmp_path, text, kind, n):
    pred = read_predictions(_write(tmp_path, text))
    assert pred.kind == kind and len(pred.table) == n
    assert set(PREDICTION_FORMATS[kind]) <= set(pred.table.columns)
    rows = pred.for_trial("sub-01", 101)
    assert (rows.subject == "sub-01").all()
    if kind == "spotting":
        assert list(rows.time) == [0.0, 0.5]  # sorted by time


@pytest.mark.parametrize("text, match", [
    ("a,b\n1,2\n", r"pred\.csv: expected the columns of exactly one kind"),
    ("subject,marker,time,score,onset,offset,label\n", "exactly one kind"),
    ("subject,marker,time,score\nsub-01,101,0.5,\n", r"row 1: expected a value in column 'score'"),
    ("subject,marker,time,score\nsub-01,101,0.5,1\nsub-01,abc,0.6,1\n",
     r"row 2: expected an integer in column 'marker'"),
    ("subject,marker,time,score\nsub-01,101.5,0.5,1\n", r"row 1: expected an integer in column 'marker'"),
    ("subject,marker,time,score\nsub-01,101,nan,1\n", r"row 1: expected a finite number in column 'time'"),
    ("subject,marker,time,score\nsub-01,101,inf,1\n", r"row 1: expected a finite number in column 'time'"),
    ("subject,marker,onset,offset,label\nsub-01,101,2.0,1.0,micro\n", r"row 1: expected onset <= offset"),
    ("subject,marker,event,class,probability\nsub-01,101,0,fear,1.5\n", r"row 1: expected a probability in \[0, 1\]"),
    ("subject,marker,event,class,probability\nsub-01,101,-1,fear,0.5\n", r"row 1: expected an event index >= 0"),
    ("", "expected a CSV file with a header row"),
])
def test_read_predictions_bad_input(tmp_path, text, match):
    with pytest.raises(DataFormatError, match=match):
        read_predictions(_write(tmp_path, text))


def test_read_predictions_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="Invalid value for 'path'"):
        read_predictions(tmp_path / "nope.csv")
