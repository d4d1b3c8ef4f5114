"""PPG pipeline."""
import numpy as np
import pytest

from mmme_analysis.physio import ecg_process, ppg_process


def test_pulse_rate_follows_heart_rate(peri):
    das, truth = peri
    ds = ppg_process(das["PPG"])
    assert ds["PPG_Rate"].attrs["units"] == "bpm"
    # systolic peaks sit ~ptt after each R peak
    peaks = ds["PPG_Peak_Times"].values
    expected = truth["ppg_peaks"]
    err = np.abs(peaks[:, None] - expected[None, :]).min(axis=1)
    assert np.median(err) < 0.05
    hr = ecg_process(das["ECG"])["ECG_Rate"].values
    assert abs(np.median(ds["PPG_Rate"].values) - np.median(hr)) < 2.0


def test_spkit_ppg_matches_neurokit():
    """Real PPG from the spkit wheel (PhyAAt, 128 Hz, arbitrary units): pulse rate in bpm."""
    sp = pytest.importorskip("spkit")
    import neurokit2 as nk

    x, fs = sp.data.ppg_sample(sample=1)
    x = np.asarray(x[: int(60 * fs)], float)
    ds = ppg_process(x, fs)
    signals, info = nk.ppg_process(x, sampling_rate=fs)
    assert ds.sizes["ppg_peak"] == len(info["PPG_Peaks"])
    assert np.median(np.abs(ds["PPG_Rate"].values - signals["PPG_Rate"].to_numpy())) < 1.0


def test_ppg_requires_sfreq():
    with pytest.raises(TypeError, match="Invalid value for 'sfreq'"):
        ppg_process(np.zeros(100))
