"""Tests of the open-trial data of the Explorer (no browser): frames, EEG, peripheral
signals, events, alignment."""
from __future__ import annotations

import numpy as np
import pytest

from mmme_analysis.dashboard import TrialState
from mmme_analysis.dashboard.channels import channel_group
from mmme_analysis.dashboard.frames import frame_index
from mmme_analysis.dataset import open_dataset

from .conftest import CASME2_CLIPS, FakeDataset, FakeSpec, frame_bits


def _decode(data: bytes) -> np.ndarray:
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return bgr[..., ::-1]


# -- frames -----------------------------------------------------------------------------
@pytest.mark.parametrize("t, fps, expected", [
    (0.0, 150.0, 0), (1.0, 150.0, 150), (0.0033, 150.0, 0), (0.0034, 150.0, 1),
    (2 / 150, 150.0, 2), (59.99, 150.0, 8998), (1.5, 30.0, 45), (0.05, 30.0, 2),
])
def test_frame_index_is_round_t_times_fps(t, fps, expected):
    assert frame_index(t, fps) == expected == int(round(t * fps))


@pytest.mark.parametrize("fps, error", [(0, ValueError), (-150, ValueError), (float("nan"), ValueError),
                                        (None, TypeError)])
def test_frame_index_bad_fps(fps, error):
    with pytest.raises(error, match="Invalid value for 'fps'"):
        frame_index(1.0, fps)


@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_frame_bytes_show_the_requested_frame(fmt):
    state = TrialState(FakeDataset(), "sub-01_101", image_format=fmt)
    info = state.video_info()
    assert (info.fps, info.n_frames) == (150.0, 1500)
    for t in (0.0, 1.0, 1.0 + 1 / 150, 3.333, 9.99):
        i = info.index(t)
        assert i == int(round(t * 150))
        fr = state.frame(i)
        assert fr.mime == f"image/{fmt}"
        assert fr.message == ""
        assert fr.time == pytest.approx(i / 150)
        assert frame_bits(_decode(fr.data)) == i
    assert info.index(-5) == 0 and info.index(1e6) == 1499


@pytest.mark.parametrize("per_chunk", [1, 10])
def test_frame_reads_only_what_is_shown(per_chunk):
    import dask.array as da

    ds = FakeDataset(FakeSpec(frames_per_chunk=per_chunk))
    state = TrialState(ds, "sub-01_101")
    assert isinstance(state.tree["video"]["frames"].data, da.Array)
    assert ds.frames_read == []  # opening a trial decodes no frame
    fr = state.frame(703)
    assert frame_bits(_decode(fr.data)) == 703
    assert state.frame(703) is fr  # encoded frames are cached
    for i in range(700, 710):  # stepping through the chunk
        assert frame_bits(_decode(state.frame(i).data)) == i
    expected = list(range(700, 710)) if per_chunk == 10 else [703] + [i for i in range(700, 710) if i != 703]
    assert ds.frames_read == expected


def test_unreadable_frame_gives_placeholder_and_message():
    state = TrialState(FakeDataset(FakeSpec(broken_frames=(5,))), "sub-01_101")
    fr = state.frame(5)
    assert "Frame 5" in fr.message and "could not be read" in fr.message and "OSError" in fr.message
    assert "sub-01_101" in fr.message
    assert _decode(fr.data).ndim == 3  # still an image
    assert state.frame(6).message == ""


def test_large_frames_are_scaled_for_display():
    state = TrialState(FakeDataset(FakeSpec(width=400, height=200)), "sub-01_101", max_frame_width=200)
    img = _decode(state.frame(0).data)
    assert img.shape[:2] == (100, 200)


@pytest.mark.parametrize("trial, error, match", [
    (101, TypeError, "Invalid value for 'trial'"),
    ("sub-01_999", KeyError, "Invalid value for 'trial'"),
])
def test_bad_trial_id(trial, error, match):
    with pytest.raises(error, match=match):
        TrialState(FakeDataset(), trial)


def test_video_only_dataset_frames(casme2):
    ds = open_dataset(casme2)
    assert ds.backend == "imageseq"
    for (subject, clip, _first, n) in CASME2_CLIPS:
        state = TrialState(ds, f"sub-{subject:02d}_{clip}")
        info = state.video_info()
        assert (info.n_frames, info.fps) == (n, 200.0)
        for i in (0, n // 2, n - 1):
            fr = state.frame(i)
            assert fr.message == "" and fr.time == pytest.approx(i / 200.0)
            assert frame_bits(_decode(fr.data)) == i
        assert state.eeg_channels().empty and state.peri_signals() == {} and state.cardiac() is None
        assert [m.split(" in ")[0] for m in state.missing()] == ["No EEG", "No peripheral signals"]
        devs, res = state.alignment()
        assert devs.empty and res.empty
        assert state.extent() == (0.0, pytest.approx((n - 1) / 200.0))


# -- missing modalities -----------------------------------------------------------------
@pytest.mark.parametrize("flags, words", [
    (dict(video=False), ["No video"]),
    (dict(eeg=False), ["No EEG"]),
    (dict(peri=False), ["No peripheral"]),
    (dict(video=False, eeg=False), ["No video", "No EEG"]),
    (dict(), []),
])
def test_missing_modality_messages(flags, words):
    state = TrialState(FakeDataset(FakeSpec(**flags)), "sub-01_101")
    msgs = state.missing()
    assert len(msgs) == len(words)
    for m, w in zip(msgs, words):
        assert m.startswith(w) and "sub-01_101" in m
    if not flags.get("video", True):
        assert state.video_info() is None
        fr = state.frame(3)
        assert "No video" in fr.message
    if not flags.get("eeg", True):
        assert state.eeg_channels().empty
        assert state.eeg_traces(["Fp1"], 0, 1, 100)["xs"] == []
    if not flags.get("peri", True):
        assert state.peri_signals() == {}
        assert state.cardiac() is None


def test_a_trial_state_opens_its_trial_once():
    ds = FakeDataset()
    state = TrialState(ds, "sub-01_101")
    state.frame(0)
    state.eeg_traces(["Fz"], 0, 1, 100)
    state.cardiac()
    state.alignment()
    assert ds.opened == ["sub-01_101"]
    assert state.trial == "sub-01_101" and state.subject == "sub-01"
    with pytest.raises(TypeError, match="Constant parameter 'trial'"):
        state.trial = "sub-02_102"  # one state per trial


# -- EEG and peripheral -----------------------------------------------------------------
def test_eeg_traces_stack_scale_and_downsample():
    state = TrialState(FakeDataset(), "sub-01_101")
    chans = state.eeg_channels()
    assert list(chans.columns) == ["channel", "ch_type", "group"]
    assert chans.set_index("channel").loc["HEO", "group"] == "eog"
    picked = ["Fp1", "Fz", "FC6"]
    tr = state.eeg_traces(picked, 0.0, 10.0, 200)
    assert tr["channel"] == picked and tr["offset"] == [2, 1, 0]
    assert all(x.size == 400 for x in tr["xs"])  # 5000 samples -> 2 per pixel
    short = state.eeg_traces(picked, 2.0, 4.0, 600)  # 1001 samples: all kept
    for x, y, off in zip(short["xs"], short["ys"], short["offset"]):
        assert x.size == 1003  # 2.0 <= t <= 4.0 and one sample beyond each edge
        assert abs(np.median(y) - off) < 0.1  # centred on its row
        assert np.percentile(np.abs(y - off), 95) < 0.5  # +-2 sd stays within the row
    common = state.eeg_traces(picked, 0.0, 10.0, 200, scaling="common")
    assert len(set(np.round(common["scale"], 12))) == 1
    assert len(set(np.round(tr["scale"], 12))) == 3


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(scaling="global"), ValueError, "Invalid value for 'scaling'"),
    (dict(gain=0), ValueError, "Invalid value for 'gain'"),
    (dict(gain="x"), TypeError, "Invalid value for 'gain'"),
    (dict(width=1), ValueError, "Invalid value for 'width'"),
])
def test_eeg_traces_bad_input(kwargs, error, match):
    state = TrialState(FakeDataset(), "sub-01_101")
    args = dict(channels=["Fz"], t0=0, t1=1, width=100) | kwargs
    with pytest.raises(error, match=match):
        state.eeg_traces(**args)


def test_notch_filter_removes_line_noise():
    state = TrialState(FakeDataset(), "sub-01_101")
    _, raw = state.eeg_data(["Fz"])
    _, notched = state.eeg_data(["Fz"], notch=50.0)
    _, band = state.eeg_data(["Fz"], l_freq=1.0, h_freq=40.0)

    def power50(x):
        spec = np.abs(np.fft.rfft(x[0][500:-500])) ** 2
        f = np.fft.rfftfreq(x[0][500:-500].size, 1 / 500.0)
        return spec[np.argmin(np.abs(f - 50))]

    assert power50(notched["Fz"]) < 1e-3 * power50(raw["Fz"])
    assert power50(band["Fz"]) < 1e-3 * power50(raw["Fz"])


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
    card = TrialState(ds, "sub-01_101").cardiac()
    truth = ds.rpeaks
    assert abs(card["rpeaks"].size - truth.size) <= 1
    d = np.abs(card["rpeaks"][:, None] - truth[None, :]).min(axis=1)
    assert np.median(d) < 0.02
    hr = card["hr"][np.isfinite(card["hr"])]
    assert 60 < np.median(hr) < 85
    assert card["hr_slope"].shape == card["time"].shape


def test_derived_signals_belong_to_their_trial():
    ds = FakeDataset()
    first, second = TrialState(ds, "sub-01_101"), TrialState(ds, "sub-02_102")
    assert not np.array_equal(second.peri_at("ECG", [1.0, 2.0]), first.peri_at("ECG", [1.0, 2.0]))
    r1 = first.cardiac()["rpeaks"]
    r2 = second.cardiac()["rpeaks"]
    assert not np.array_equal(r1, r2)
    d = np.abs(r2[:, None] - ds.rpeaks[None, :]).min(axis=1)  # ds.rpeaks: the last trial built
    assert np.median(d) < 0.02  # the R peaks of sub-02_102


def test_peri_trace_is_downsampled():
    state = TrialState(FakeDataset(), "sub-01_101")
    assert state.peri_signals() == {"ECG": "V", "PPG": "V", "RSP": "V", "EDA": "S", "SKT": "degC"}
    assert state.peri_sfreq() == 250.0
    x, y = state.peri_trace("ECG", 0, 10, 100)
    assert x.size <= 200 and y.dtype == np.float32


def test_events_and_alignment_tables():
    state = TrialState(FakeDataset(), "sub-01_101")
    ev = state.events()
    assert list(ev.columns) == ["onset", "apex", "offset", "kind", "emotion", "emotion3", "aus"]
    assert len(ev) == 3 and (ev.onset <= ev.apex).all()
    assert state.event_at(float(ev.apex[1])) == 1
    assert state.event_at(-100.0) == 0 and state.event_at(100.0) == 2  # nearest apex
    devs, res = state.alignment()
    assert list(devs.device) == ["biopac", "camera"]
    assert devs.set_index("device").loc["biopac", "drift_ppm"] == pytest.approx(21.5)
    assert devs.set_index("device").loc["camera", "max_abs_residual_ms"] == pytest.approx(3.0)
    assert devs.set_index("device").loc["camera", "n_markers"] == 3
    assert len(res) == 6 and res.residual_ms.abs().max() == pytest.approx(3.0)
    assert state.extent() == (0.0, pytest.approx(9.998, abs=0.01))
