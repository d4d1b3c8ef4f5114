"""EEG preprocessing: conversion, resampling, filters, ICA removal of blinks."""
import mne
import numpy as np
import pytest
import xarray as xr

from mmme_analysis.eeg import eeg_filter, eeg_ica, eeg_preprocess, eeg_resample, eeg_to_raw

SFREQ = 250.0


def _blinks(n, fs, rng):
    x = np.zeros(n)
    for c in rng.uniform(1, n / fs - 1, 12):
        x += np.exp(-0.5 * ((np.arange(n) / fs - c) / 0.08) ** 2)
    return 150e-6 * x


@pytest.fixture(scope="module")
def eeg_da():
    """12 EEG channels (10-20 positions) + HEO + VEO, 30 s, with blinks on frontal channels."""
    rng = np.random.default_rng(0)
    montage = mne.channels.make_standard_montage("spherical_1020")
    names = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "T7", "T8"]
    pos = montage.get_positions()["ch_pos"]
    n = int(20 * SFREQ)
    t = np.arange(n) / SFREQ
    # non-Gaussian sources (ICA needs them): alpha bursts, heavy-tailed noise
    src = rng.laplace(size=(6, n))
    src[0] = np.sin(2 * np.pi * 10 * t) * (1 + np.sin(2 * np.pi * 0.3 * t))
    src[1] = np.sign(np.sin(2 * np.pi * 6 * t))
    brain = 5e-6 * rng.standard_normal((12, 6)) @ src + 0.5e-6 * rng.standard_normal((12, n))
    blink = _blinks(n, SFREQ, rng)
    weights = np.array([1.0, 1.0, 0.5, 0.5, 0.2, 0.2, 0.05, 0.05, 0.02, 0.02, 0.1, 0.1])
    eeg = brain + weights[:, None] * blink + 20e-6 * np.sin(2 * np.pi * 50 * t)
    veo = blink + 2e-6 * rng.standard_normal(n)
    heo = 2e-6 * rng.standard_normal(n)
    data = np.vstack([eeg, heo, veo])
    chans = names + ["HEO", "VEO"]
    xyz = np.array([pos[c] for c in names] + [[np.nan] * 3] * 2)
    node = xr.Dataset(  # the /eeg node of a trial tree (docs/data_model.md)
        {"eeg": (("channel", "time"), data, {"units": "V"})},
        coords={"channel": chans, "time": t, "ch_type": ("channel", ["eeg"] * 12 + ["eog"] * 2),
                "pos": (("channel", "xyz"), xyz)},
        attrs={"sfreq": SFREQ, "units": "V"},
    )
    return node, blink


def test_to_raw(eeg_da):
    node, _ = eeg_da
    raw = eeg_to_raw(node)
    assert raw.get_channel_types() == ["eeg"] * 12 + ["eog"] * 2
    np.testing.assert_allclose(raw.get_data(), node["eeg"].values)
    pos = raw.get_montage().get_positions()["ch_pos"]
    np.testing.assert_allclose(pos["C3"], node["pos"].sel(channel="C3").values)
    # a bare DataArray (no positions): EOG typed from the HEO/VEO names
    bare = node["eeg"].drop_vars("ch_type").assign_attrs(sfreq=SFREQ)
    assert eeg_to_raw(bare).get_channel_types() == ["eeg"] * 12 + ["eog"] * 2


def test_resample_and_filter(eeg_da):
    raw = eeg_to_raw(eeg_da[0])
    res = eeg_resample(raw, 125.0)
    assert res.info["sfreq"] == 125.0 and raw.info["sfreq"] == SFREQ  # input untouched
    filt = eeg_filter(raw, l_freq=1.0, h_freq=45.0, notch=50.0)
    psd_before = raw.compute_psd(fmin=45, fmax=55, picks="eeg", verbose="error")
    psd_after = filt.compute_psd(fmin=45, fmax=55, picks="eeg", verbose="error")
    f = psd_before.freqs
    at50 = np.argmin(np.abs(f - 50))
    assert psd_after.get_data()[:, at50].mean() < 1e-3 * psd_before.get_data()[:, at50].mean()


def test_ica_removes_blinks(eeg_da):
    da, blink = eeg_da
    raw = eeg_filter(eeg_to_raw(da), l_freq=1.0, h_freq=45.0, notch=50.0)
    blink_f = eeg_filter(mne.io.RawArray(blink[None], mne.create_info(["b"], SFREQ, "eeg"), verbose="error"),
                         l_freq=1.0, h_freq=45.0, notch=50.0).get_data()[0]
    clean, ica = eeg_ica(raw, n_components=8, measure="correlation", threshold=0.5)
    assert len(ica.exclude) >= 1
    fp1 = raw.ch_names.index("Fp1")
    before = np.corrcoef(raw.get_data()[fp1], blink_f)[0, 1]
    after = np.corrcoef(clean.get_data()[fp1], blink_f)[0, 1]
    assert before > 0.8 and abs(after) < 0.3, (before, after)


def test_preprocess_pipeline(eeg_da):
    raw, ica = eeg_preprocess(eeg_da[0], sfreq=125.0, ica=True)
    assert raw.info["sfreq"] == 125.0 and ica is not None and ica.n_components_ >= 1


def test_missing_eog_warns(eeg_da):
    from mmme_analysis import MMMEWarning

    raw = eeg_to_raw(eeg_da[0]).drop_channels(["HEO"])
    with pytest.warns(MMMEWarning, match="HEO"):
        eeg_ica(raw, n_components=5, measure="correlation", threshold=0.5)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: eeg_to_raw(np.zeros((2, 10))), TypeError, "Invalid value for 'eeg'"),
        (lambda: eeg_to_raw(xr.DataArray(np.zeros((2, 10)), dims=("channel", "time"))), TypeError, "sfreq"),
        (lambda: eeg_resample("raw", 100.0), TypeError, "Invalid value for 'raw'"),
        (lambda: eeg_filter(mne.io.RawArray(np.zeros((1, 500)), mne.create_info(1, 100.0, "eeg"), verbose="error"),
                            h_freq=60.0), ValueError, "Invalid value for 'h_freq'"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
