"""EDA, RSP and SKT pipelines."""
import numpy as np
import pytest

from mmme_analysis.physio import eda_process, rsp_process, skt_process

from .conftest import SFREQ


def test_eda_units_and_planted_scrs(peri):
    das, truth = peri
    ds = eda_process(das["EDA"])
    for v in ("EDA_Clean", "EDA_Tonic", "EDA_Phasic"):
        assert ds[v].attrs["units"] == "S"
    # tonic level in siemens (a few microsiemens) and close to the cleaned signal's level;
    # the phasic part is small and centred
    assert 1e-6 < float(ds["EDA_Tonic"].mean()) < 2e-5
    np.testing.assert_allclose(float(ds["EDA_Tonic"].mean()), float(ds["EDA_Clean"].mean()), rtol=0.05)
    assert abs(float(ds["EDA_Phasic"].mean())) < 0.2e-6
    # each planted SCR onset is followed by a detected SCR peak within 4 s
    peaks = ds["EDA_SCR_Peak_Times"].values
    for onset in truth["scr_onsets"]:
        assert np.any((peaks > onset) & (peaks < onset + 4.0)), (onset, peaks)


def test_eda_spkit_gsr_runs():
    """Real GSR from the spkit wheel (PhyAAt, 128 Hz, arbitrary units)."""
    sp = pytest.importorskip("spkit")
    x, fs = sp.data.gsr_sample(sample=1)
    ds = eda_process(np.asarray(x[: int(60 * fs)], float), fs)
    assert np.isfinite(ds["EDA_Tonic"].values).all()


def test_rsp_rate_matches_simulated_breathing(peri):
    das, _ = peri
    ds = rsp_process(das["RSP"])
    assert ds["RSP_Rate"].attrs["units"] == "breaths/min"
    # simulated respiration at ~0.25 Hz = 15 breaths/min
    assert abs(np.nanmedian(ds["RSP_Rate"].values) - 15.0) < 2.5
    assert np.nanmedian(ds["RSP_Amplitude"].values) > 0


def test_skt_slope_of_a_ramp():
    t = np.arange(0, 60, 1 / 100.0)
    skt = 33.0 + 0.01 * t  # 0.01 degC/s
    ds = skt_process(skt, 100.0)
    mid = slice(1000, 5000)
    np.testing.assert_allclose(ds["SKT_Slope"].values[mid], 0.01, rtol=0.02)
    np.testing.assert_allclose(ds["SKT_Level"].values[mid], skt[mid], atol=0.01)
    assert ds["SKT_Slope"].attrs["units"] == "degC/s"


@pytest.mark.parametrize(
    ("func", "kwargs", "exc", "match"),
    [
        (skt_process, {"lowpass": 0.0}, ValueError, "Invalid value for 'lowpass'"),
        (skt_process, {"lowpass": 200.0}, ValueError, "below Nyquist"),
        (eda_process, {"method": "sparse"}, ValueError, "Invalid value for 'method'"),
    ],
)
def test_bad_arguments(func, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        func(np.ones(1000) * 33.0, SFREQ, **kwargs)
