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
    _, info = nk.ppg_peaks(nk.ppg_clean(x, sampling_rate=fs), sampling_rate=fs, correct_artifacts=True)
    np.testing.assert_array_equal(np.flatnonzero(ds["PPG_Peaks"].values), np.unique(info["PPG_Peaks"]))
    peaks = np.flatnonzero(ds["PPG_Peaks"].values)
    even = (peaks[1:] - peaks[:-1]) % 2 == 0  # 60 / interval at the interval's midpoint
    mids = ((peaks[:-1] + peaks[1:]) // 2)[even]
    np.testing.assert_allclose(ds["PPG_Rate"].values[mids], (60.0 * fs / np.diff(peaks))[even], rtol=1e-9)


def test_ppg_requires_sfreq():
    with pytest.raises(TypeError, match="Invalid value for 'sfreq'"):
        ppg_process(np.zeros(100))
