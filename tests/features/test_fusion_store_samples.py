"""Fusion samples from a store: layout of synth.fusion_samples, MNE band power, resampling, cache, bad input."""
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis import MMMEWarning
from mmme_analysis.flow import compute_flow_features, dataset_fusion_samples, eeg_step_features, peri_resample
from mmme_analysis.flow import fusion_samples as fs_module

FAST = dict(window=(-0.5, 0.5), step=0.5, n_frames=2, size=16, method="dis")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """2 subjects x 2 trials of 4 s; five micro-expressions (two within 0.5 s of a trial edge)."""
    from mmme_analysis.convert import convert
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    root = tmp_path_factory.mktemp("fusion-store")
    raw = synthesize(root / "raw", SynthConfig(n_subjects=2, n_trials=2, duration=4.0, rest=1.0, lead_in=1.0, seed=5,
                                               size=(96, 80)), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)  # no standard positions for the synthetic CB1, CB2
        return convert(raw, root / "s.zarr", progress=False)


@pytest.fixture(scope="module")
def ds(store):
    return mm.open_dataset(store)


@pytest.fixture(scope="module")
def samples(ds):
    return dataset_fusion_samples(ds, feature="band_power", cache=False, **FAST)


def _micro(ds):
    a = ds.annotations
    return a[a["kind"] == "micro"]


def test_layout_is_that_of_the_synthetic_samples(ds, samples):
    from mmme_analysis.synth import fusion_samples

    syn = fusion_samples(2, 1, size=16, n_frames=2)
    for var in ("video", "eeg", "peri"):
        assert samples[var].dims == syn[var].dims and samples[var].dtype == np.float32
    micro = _micro(ds)
    assert samples.sizes["sample"] == len(micro) == 5
    assert samples.sizes["video_time"] == 2 and samples.sizes["y"] == 16
    assert samples.sizes["eeg_time"] == 2 and samples.sizes["band"] == 5
    assert samples.sizes["peri_time"] == 16 and list(samples["peri_channel"].values) == ["ppg", "rsp", "skt", "eda", "ecg"]
    np.testing.assert_allclose(samples["eeg_time"].values, [-0.25, 0.25])
    # channels picked by name and type: every 'eeg' channel of the store, no EOG / ECG / EMG
    tree = ds.trial(str(samples["trial"].values[0]))
    types = {str(c): str(k) for c, k in zip(tree["eeg"]["channel"].values, tree["eeg"]["ch_type"].values)}
    assert [types[c] for c in samples["eeg_channel"].values] == ["eeg"] * samples.sizes["eeg_channel"]
    assert samples.sizes["eeg_channel"] == sum(t == "eeg" for t in types.values())
    assert list(samples["subject"].values) == list(micro["subject"]) and list(samples["trial"].values) == list(micro["trial"])
    assert list(samples["label"].values) == list(micro["emotion3"])
    np.testing.assert_allclose(samples["onset"].values, micro["onset"].to_numpy(float))
    assert np.isfinite(samples["video"].values).all() and np.isfinite(samples["peri"].values).all()


def test_last_clip_frame_is_the_onset_to_apex_flow(ds, samples):
    i = 0
    tree = ds.trial(str(samples["trial"].values[i]))
    face = tree["face"]["frames"]
    t = face["time"].values
    on, ap = int(np.argmin(np.abs(t - samples["onset"].values[i]))), int(np.argmin(np.abs(t - samples["apex"].values[i])))
    ref = compute_flow_features([dict(onset=face.isel(time=on).values, apex=face.isel(time=ap).values)], method="dis",
                                size=16, normalize="none", progress=False)["flow_inputs"].values[0]
    np.testing.assert_allclose(samples["video"].values[i, :, -1], ref, atol=1e-5)
    assert samples["video_seconds"].values[i, -1] == pytest.approx(t[ap] - t[on])


def test_band_power_equals_mne_welch_on_the_same_window(ds, samples):
    import mne

    i = 1
    trial, onset = str(samples["trial"].values[i]), float(samples["onset"].values[i])
    node = ds.trial(trial)["eeg"].to_dataset()
    sf = float(node.attrs["sfreq"])
    t = node["time"].values
    i0 = int(np.searchsorted(t, onset - 0.5 - 0.5 / sf))
    x = node["eeg"].sel(channel=list(samples["eeg_channel"].values)).isel(time=slice(i0, i0 + 1000)).values.astype(float)
    for k in range(2):  # two 0.5-s steps, each one whole Welch segment of 500 samples
        seg = x[:, k * 500:(k + 1) * 500]
        psd, freqs = mne.time_frequency.psd_array_welch(seg, sf, n_fft=500, n_per_seg=500, verbose="error")
        for b, (lo, hi) in enumerate(zip(samples["band_low"].values, samples["band_high"].values)):
            want = psd[:, (freqs >= lo) & (freqs < hi)].sum(-1) * (sf / 500)
            np.testing.assert_allclose(samples["eeg"].values[i, :, b, k], want, rtol=1e-5)
        # and the eeg package's own band power (MNE compute on the same segment) agrees
        bp = mm.eeg.eeg_band_power(seg, sf).values[0]
        np.testing.assert_allclose(samples["eeg"].values[i, :, :, k], bp, rtol=1e-5)


def test_step_features_of_a_tone_and_the_whole_window():
    sf = 1000.0
    t = np.arange(2000) / sf
    x = np.vstack([3e-6 * np.sin(2 * np.pi * 10 * t), 1e-6 * np.sin(2 * np.pi * 6 * t)])
    bp = eeg_step_features(x, sf, feature="band_power")
    assert bp.shape == (2, 5, 2)
    np.testing.assert_allclose(bp[0, 2], 4.5e-12, rtol=1e-6)   # alpha: A^2 / 2
    np.testing.assert_allclose(bp[1, 1], 0.5e-12, rtol=1e-6)   # theta
    assert bp[0, [0, 1, 3, 4]].max() < 1e-6 * bp[0, 2].min()
    padded = eeg_step_features(x, sf, feature="band_power", n_fft=4096)  # zero-padded, all samples still used
    np.testing.assert_allclose(padded[0, 2], 4.5e-12, rtol=1e-3)
    # a burst in the second half of a step: a 512-point PSD of the step's start would miss it
    burst = np.where(t % 1.0 >= 0.6, x[0], 0.0)[None]
    assert eeg_step_features(burst, sf, feature="band_power")[0, 2, 0] > 0.15 * 4.5e-12
    assert eeg_step_features(burst[:, :512], 512.0, step=1.0, feature="band_power")[0, 2, 0] < 1e-20
    de = eeg_step_features(x, sf)
    np.testing.assert_allclose(de, 0.5 * np.log(2 * np.pi * np.e * bp * 1e12))
    np.testing.assert_allclose(eeg_step_features(x, sf, feature="log_band_power"), np.log10(bp))


def test_peri_resampled_without_shift(ds, samples):
    from scipy.signal import resample_poly

    i = 2
    node = ds.trial(str(samples["trial"].values[i]))["peri"].to_dataset()
    sf = float(node.attrs["sfreq"])
    t = node["time"].values
    i0 = int(np.searchsorted(t, float(samples["onset"].values[i]) - 0.5 - 0.5 / sf))
    x = np.stack([node[c].values[i0:i0 + int(sf)].astype(float) for c in ("PPG", "RSP", "SKT", "EDA", "ECG")])
    assert sf == 1000.0
    np.testing.assert_allclose(samples["peri"].values[i], resample_poly(x, 2, 125, axis=-1, padtype="line"), rtol=1e-4, atol=1e-5)
    y = peri_resample(np.sin(2 * np.pi * 0.5 * np.arange(8000) / 1000.0)[None], 1000.0, 16.0)
    assert y.shape == (1, 128)
    np.testing.assert_allclose(y[0, 8:-8], np.sin(2 * np.pi * 0.5 * np.arange(128) / 16.0)[8:-8], atol=2e-3)  # no time shift


def test_edge_windows_left_out_with_a_warning(ds):
    with pytest.warns(MMMEWarning, match=r"3 expression\(s\) left out of the fusion samples"):
        s = dataset_fusion_samples(ds, window=(-1.0, 1.0), n_frames=1, size=16, method="dis", modalities=("eeg", "peri"),
                                   cache=False)
    assert s.sizes["sample"] == 2 and "video" not in s
    import json

    assert {d["reason"] for d in json.loads(s.attrs["dropped"])} == {"window outside the EEG"}


def test_cache_reused_and_invalidated(ds, store, monkeypatch):
    first = dataset_fusion_samples(ds, **FAST)
    groups = sorted(p.name for p in (store / "features").iterdir() if p.is_dir())
    assert len(groups) == 1 and groups[0].startswith("fusion_samples-")

    calls = []
    real = fs_module.compute_flow_features
    monkeypatch.setattr(fs_module, "compute_flow_features", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = dataset_fusion_samples(ds, **FAST)
    assert calls == [] and again.identical(first)  # read back from features/, flow not recomputed
    assert again["label"].dtype == object and again["apex_estimated"].dtype == bool

    changed = dataset_fusion_samples(ds, **{**FAST, "peri_sfreq": 8.0})  # new parameters: new key, recomputed
    assert calls == [1] and changed.sizes["peri_time"] == 8 and changed.attrs["params_key"] != first.attrs["params_key"]
    events = _micro(ds).copy()
    events.loc[events.index[0], "onset"] += 0.02  # edited annotations: recomputed too
    moved = dataset_fusion_samples(ds, events, **FAST)
    assert calls == [1, 1] and not np.allclose(moved["onset"].values, first["onset"].values)
    names = [p.name for p in (store / "features").iterdir() if p.is_dir()]
    assert len(names) == 3 and not any(".tmp-" in n or ".old-" in n for n in names)  # atomic writes, nothing left over
    dataset_fusion_samples(ds, cache=False, **{**FAST, "n_frames": 1})
    assert len([p for p in (store / "features").iterdir() if p.is_dir()]) == 3


def test_fusion_validator_accepts_store_samples(ds):
    from mmme_analysis.training import FusionConfig, fusion_loso

    s = dataset_fusion_samples(ds, cache=False, **{**FAST, "size": 28})
    pred, folds, _ = fusion_loso(s, "mes_eeg", ("video", "eeg"), config=FusionConfig(epochs=1, device="cpu", batch_size=2))
    assert len(pred) == s.sizes["sample"] and sorted(folds["subject"]) == ["sub-01", "sub-02"]


def _bad_events(ds):
    return _micro(ds).drop(columns=["onset"])


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(window=(0.5, -0.5)), ValueError, r"Invalid value for 'window': expected \(start, stop\) s spanning"),
    (dict(window=(-0.5, 0.25)), ValueError, r"Invalid value for 'window': expected .* whole number of 0.5-s steps"),
    (dict(window="ab"), ValueError, r"Invalid value for 'window'"),
    (dict(step=1.0, n_fft=512), ValueError, r"Invalid value for 'n_fft': expected >= 1000 \(the samples of one 1.0 s step\)"),
    (dict(feature="psd"), ValueError, r"Invalid value for 'feature': expected one of"),
    (dict(method="horn"), ValueError, r"Invalid value for 'method': expected one of"),
    (dict(modalities=("video", "audio")), ValueError, r"Invalid value for 'modalities': expected distinct names"),
    (dict(modalities=()), ValueError, r"Invalid value for 'modalities'"),
    (dict(n_frames=0), ValueError, r"Invalid value for 'n_frames': expected an integer >= 1"),
    (dict(size=2.5), TypeError, r"Invalid value for 'size': expected an integer"),
    (dict(peri_sfreq=0), ValueError, r"Invalid value for 'peri_sfreq': expected a finite number > 0"),
    (dict(peri_channels=("PPG", "GSR")), ValueError, r"Invalid value for 'peri_channels': expected signals of the peri node"),
    (dict(eeg_channels=("FZ", "NOPE")), ValueError, r"Invalid value for 'eeg_channels': expected channel names .* got \['NOPE'\]"),
    (dict(bands={"alpha": (13.0, 8.0)}), ValueError, r"Invalid value for 'bands': expected \(low, high\) with 0 <= low < high"),
    (dict(bands={"hi": (100.0, 600.0)}), ValueError, r"Invalid value for 'bands': expected high edges <= Nyquist"),
    (dict(label="valence"), ValueError, r"Invalid value for 'events': expected columns .* got missing \['valence'\]"),
    (dict(events="bad"), TypeError, r"Invalid value for 'events': expected an instance of DataFrame"),
    (dict(events=_bad_events), ValueError, r"Invalid value for 'events': expected columns .* got missing \['onset'\]"),
])
def test_bad_input(ds, kwargs, exc, match):
    kw = {**FAST, "cache": False, **kwargs}
    if callable(kw.get("events")):
        kw["events"] = kw["events"](ds)
    with pytest.raises(exc, match=match):
        dataset_fusion_samples(ds, **kw)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: dataset_fusion_samples("store.zarr"), TypeError, r"Invalid value for 'dataset': expected a Dataset"),
    (lambda: eeg_step_features(np.zeros(1000), 1000.0), ValueError, r"Invalid value for 'data': expected \(n_channels, n_times\)"),
    (lambda: eeg_step_features(np.zeros((2, 1500)), 1000.0), ValueError, r"expected a whole number of 1000-sample steps, got 1500"),
    (lambda: eeg_step_features(np.zeros((2, 1000)), 1000.0, step=0.001), ValueError, r"Invalid value for 'step': expected at least 2"),
    (lambda: eeg_step_features(np.zeros((2, 1000)), None), TypeError, r"Invalid value for 'sfreq': expected a number"),
    (lambda: eeg_step_features(np.zeros((2, 1000)), 1000.0, bands={}), ValueError, r"expected at least one band"),
    (lambda: peri_resample(np.zeros((2, 10)), 1000.0, -1.0), ValueError, r"Invalid value for 'target': expected a finite"),
    (lambda: peri_resample(np.zeros(10), 1000.0, 16.0), ValueError, r"Invalid value for 'data': expected \(n_channels"),
])
def test_bad_input_functions(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_events_table_of_a_task(ds):
    from mmme_analysis.training import me_task

    task = me_task(ds.annotations, "3class")
    s = dataset_fusion_samples(ds, task.table, label="label", cache=False, modalities=("eeg",), **{**FAST, "n_frames": 1})
    assert s.sizes["sample"] == len(task.table) and set(s["label"].values) <= set(task.labels)
    assert list(s["row"].values) == list(range(len(task.table)))  # one sample per row, in the table's order
    assert isinstance(s.attrs["params"], str) and pd.notna(s.attrs["params_key"])
