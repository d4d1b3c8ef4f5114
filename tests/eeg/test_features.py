"""EEG band power and differential entropy: real spkit EEG against MNE's PSD."""
import mne
import numpy as np
import pytest
import xarray as xr
from mne.time_frequency import psd_array_welch

from mmme_analysis.eeg import BANDS, eeg_band_power, eeg_differential_entropy, eeg_psd


@pytest.fixture(scope="module")
def spkit_eeg():
    """14-channel EEG from the spkit wheel (PhyAAt, Emotiv, 128 Hz, 16 s), converted uV -> V."""
    sp = pytest.importorskip("spkit")
    x, fs, names = sp.data.eeg_sample_14ch()
    data = np.asarray(x, float).T * 1e-6  # (channel, time) in V
    return data, float(fs), list(names)


def _mne_band_power(data, fs, n_fft):
    psd, freqs = psd_array_welch(data, fs, fmin=1.0, fmax=45.0, n_fft=n_fft, verbose="error")
    df = freqs[1] - freqs[0]
    return np.stack([psd[..., (freqs >= lo) & (freqs < hi)].sum(-1) * df for lo, hi in BANDS.values()], -1)


def test_band_power_equals_mne_psd_on_real_eeg(spkit_eeg):
    data, fs, names = spkit_eeg
    epochs = data.reshape(14, 4, -1).transpose(1, 0, 2)  # 4 events of 4 s
    bp = eeg_band_power(epochs, fs, ch_names=names)
    assert bp.dims == ("event", "channel", "band")
    assert list(bp["band"].values) == ["delta", "theta", "alpha", "beta", "gamma"]
    assert bp.attrs["units"] == "V^2"
    assert list(bp["channel"].values) == names
    np.testing.assert_allclose(bp.values, _mne_band_power(epochs, fs, n_fft=int(2 * fs)), rtol=1e-12)
    # plausible scalp EEG: total 1-45 Hz power between (1 uV)^2 and (200 uV)^2
    total = bp.sum("band").values
    assert np.all((total > 1e-12) & (total < 4e-8))


def test_epochs_path_equals_array_path(spkit_eeg):
    data, fs, names = spkit_eeg
    epochs_arr = data.reshape(14, 4, -1).transpose(1, 0, 2)
    info = mne.create_info(names, fs, "eeg")
    ep = mne.EpochsArray(epochs_arr, info, verbose="error")
    a = eeg_band_power(ep)
    b = eeg_band_power(epochs_arr, fs, ch_names=names)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-10)
    spec = ep.compute_psd(method="welch", fmin=1.0, fmax=45.0, n_fft=int(2 * fs), verbose="error")
    psd = eeg_psd(ep, fmin=1.0, fmax=45.0)
    np.testing.assert_allclose(psd.values, spec.get_data())


def test_alpha_sine_lands_in_alpha():
    fs = 200.0
    t = np.arange(0, 4, 1 / fs)
    rng = np.random.default_rng(0)
    x = 10e-6 * np.sin(2 * np.pi * 10 * t) + 0.5e-6 * rng.standard_normal((2, 3, t.size))
    bp = eeg_band_power(x, fs)
    assert (bp.argmax("band") == 2).all()
    # a sine of amplitude A has power A^2 / 2
    np.testing.assert_allclose(bp.sel(band="alpha").values, (10e-6) ** 2 / 2, rtol=0.1)
    rel = eeg_band_power(x, fs, relative=True)
    np.testing.assert_allclose(rel.sum("band"), 1.0)


def test_differential_entropy_formula(spkit_eeg):
    data, fs, names = spkit_eeg
    bp = eeg_band_power(data, fs)
    de = eeg_differential_entropy(data, fs)
    np.testing.assert_allclose(de.values, 0.5 * np.log(2 * np.pi * np.e * bp.values * 1e12))
    assert de.attrs["units"] == "nat" and isinstance(de, xr.DataArray)


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((np.zeros((2, 3, 100)),), {}, TypeError, "Invalid value for 'sfreq'"),
        ((np.zeros(100), 100.0), {}, ValueError, "n_events, n_channels, n_times"),
        ((np.zeros((1, 2, 100)), 100.0), {"bands": {"bad": (8, 4)}}, ValueError, "Invalid value for 'bands'"),
        ((np.zeros((1, 2, 100)), 100.0), {"ch_names": ["a"]}, ValueError, "Invalid value for 'ch_names'"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        eeg_band_power(*args, **kwargs)
