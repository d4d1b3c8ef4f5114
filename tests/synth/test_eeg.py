"""Tests of the synthetic EEG (mmme_analysis.synth.eeg)."""
import dataclasses
import time

import mne
import numpy as np
import pytest

from mmme_analysis.synth import BANDS, QUIKCAP64, EEGConfig, simulate_eeg

SFREQ = 500.0
# calm (no effect) around fear (alpha x0.4), disgust (theta x2), anger (beta x2)
SEGMENTS = [(0, 30, 6), (30, 60, 4), (60, 90, 2), (90, 120, 7), (120, 150, 6)]


@pytest.fixture(scope="module")
def planted():
    return simulate_eeg(150.0, SFREQ, rng=np.random.default_rng(4), segments=SEGMENTS, return_truth=True)


@pytest.fixture(scope="module")
def null():
    return simulate_eeg(
        150.0, SFREQ, rng=np.random.default_rng(4), segments=SEGMENTS, null=True, return_truth=True
    )


def _band_power(sim, chans, band, t0, t1):
    data, names, _, _ = sim
    idx = [names.index(c) for c in chans]
    x = data[idx, int(t0 * SFREQ) : int(t1 * SFREQ)]
    psd, freqs = mne.time_frequency.psd_array_welch(x, SFREQ, fmin=1.0, fmax=45.0, n_fft=1000, verbose=False)
    lo, hi = BANDS[band]
    return psd[:, (freqs >= lo) & (freqs < hi)].mean()


def test_layout_names_and_types(planted):
    data, names, types, truth = planted
    assert data.shape == (68, int(150 * SFREQ))
    assert names[:64] == list(QUIKCAP64)
    assert names[64:] == ["HEO", "VEO", "EKG", "EMG"]
    assert types == ["eeg"] * 64 + ["eog", "eog", "ecg", "emg"]
    assert len(set(names)) == 68
    name = "colin27_1005" if "colin27_1005" in mne.channels.get_builtin_montages() else "standard_1005"
    montage = mne.channels.make_standard_montage(name)
    known = {c.upper() for c in montage.ch_names}
    assert [c for c in QUIKCAP64 if c not in known] == ["CB1", "CB2"]


def test_amplitudes_are_eeg_like(planted):
    data = planted[0]
    rms_uv = data[:64].std(axis=1) * 1e6
    assert 10 < np.median(rms_uv) < 30
    assert rms_uv.max() < 60


def test_alpha_is_posterior_and_line_noise_present(planted):
    post = _band_power(planted, ["O1", "OZ", "O2"], "alpha", 0, 30)
    front = _band_power(planted, ["FP1", "F7", "FT8"], "alpha", 0, 30)
    assert post > 5 * front
    data = planted[0]
    psd, f = mne.time_frequency.psd_array_welch(data[:64], SFREQ, n_fft=1000, verbose=False)
    psd = psd.mean(axis=0)
    near = (f > 45) & (f < 55) & (np.abs(f - 50) > 1)
    assert psd[np.argmin(np.abs(f - 50))] > 5 * np.median(psd[near])
    null_cfg = EEGConfig(line_uv=0.0)
    quiet = simulate_eeg(20.0, SFREQ, rng=np.random.default_rng(4), config=null_cfg)[0]
    psd0, f0 = mne.time_frequency.psd_array_welch(quiet[:64], SFREQ, n_fft=1000, verbose=False)
    psd0 = psd0.mean(axis=0)
    assert psd0[np.argmin(np.abs(f0 - 50))] < 2 * np.median(psd0[near])


@pytest.mark.parametrize(
    "band, chans, seg, lo, hi",
    [
        ("alpha", ["O1", "OZ", "O2"], (30, 60), 0.3, 0.7),  # fear: x0.4 planted
        ("theta", ["FZ", "FCZ", "F1", "F2"], (60, 90), 1.3, 2.2),  # disgust: x2
        ("beta", ["C3", "CZ", "C4"], (90, 120), 1.2, 2.2),  # anger: x2 (diluted by 1/f)
    ],
)
def test_category_band_power_change_vs_null(planted, null, band, chans, seg, lo, hi):
    ratio = _band_power(planted, chans, band, *seg) / _band_power(null, chans, band, *seg)
    assert lo < ratio < hi
    # in the null run, the segment looks like the calm baseline
    base = (_band_power(null, chans, band, 0, 30) + _band_power(null, chans, band, 120, 150)) / 2
    assert 0.7 < _band_power(null, chans, band, *seg) / base < 1.4


def test_truth_table(planted, null):
    import json

    import pandas as pd

    records = planted[3]["band_effects"]
    json.dumps(records)  # JSON-friendly for ground_truth.json
    table = pd.DataFrame(records)
    assert list(table.columns) == ["category", "band", "fmin", "fmax", "power_factor", "channels"]
    assert table["category"].tolist() == [1, 2, 3, 4, 5, 7, 8]
    row = table[(table.category == 4) & (table.band == "alpha")].iloc[0]
    assert row.power_factor == 0.4 and "OZ" in row.channels and (row.fmin, row.fmax) == BANDS["alpha"]
    assert null[3]["band_effects"] == []
    # calm baseline segments are identical in planted and null runs (same draws)
    np.testing.assert_allclose(planted[0][:, :5000], null[0][:, :5000])


def test_blinks_on_veo_leak_frontally(planted):
    data, names, _, truth = planted
    veo = data[names.index("VEO")]
    assert truth["blinks"].size > 10
    peaks = [veo[int((b + 0.1) * SFREQ)] for b in truth["blinks"] if b < 149]
    assert np.median(peaks) > 80e-6
    def corr(c):
        return np.corrcoef(veo, data[names.index(c)])[0, 1]
    assert corr("FP1") > 0.5 > 0.1 > abs(corr("OZ"))
    heo = data[names.index("HEO")]
    assert np.corrcoef(heo, data[names.index("F7")])[0, 1] > 0.2
    assert np.corrcoef(heo, data[names.index("F8")])[0, 1] < -0.2


def test_given_ecg_goes_to_ekg_channel():
    n = int(10 * SFREQ)
    ecg = 1e-3 * np.sin(np.linspace(0, 60, n))
    data, names, _ = simulate_eeg(10.0, SFREQ, rng=np.random.default_rng(0), ecg=ecg)
    ekg = data[names.index("EKG")]
    assert np.abs(ekg - ecg).max() < 50e-6  # its own noise + mains only


def test_fast_enough_at_1000_hz():
    t0 = time.perf_counter()
    data, _, _ = simulate_eeg(60.0, 1000.0, rng=np.random.default_rng(1))
    elapsed = time.perf_counter() - t0
    assert data.shape == (68, 60000)
    assert elapsed < 15.0  # ~0.7 s on one core; generous for a shared CI box


def test_config_frozen_and_custom_effects():
    cfg = EEGConfig(band_effects=((6, "alpha", 0.25),))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.alpha_uv = 1.0  # type: ignore[misc]
    segs = [(0, 20, 1), (20, 40, 6)]
    sim = simulate_eeg(40.0, SFREQ, rng=np.random.default_rng(2), segments=segs, config=cfg, return_truth=True)
    ratio = _band_power(sim, ["O1", "OZ", "O2"], "alpha", 22, 40) / _band_power(sim, ["O1", "OZ", "O2"], "alpha", 0, 18)
    assert ratio < 0.6


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(sfreq=None), TypeError, "'sfreq'"),
        (dict(ecg=np.zeros(10)), ValueError, "'ecg'"),
        (dict(segments=[(0, 1)]), ValueError, "'segments'"),
        (dict(config=EEGConfig), TypeError, "'config'"),
        (dict(rng=1), TypeError, "'rng'"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = dict(sfreq=SFREQ, rng=np.random.default_rng(0))
    args.update(kwargs)
    sfreq = args.pop("sfreq")
    with pytest.raises(exc, match=match):
        simulate_eeg(2.0, sfreq, **args)
