"""Shared plumbing: the rate helper used by ECG, PPG and RSP."""
import warnings

import numpy as np
import pytest

from mmme_analysis import MMMEWarning
from mmme_analysis.physio._base import MIN_PEAKS, peak_rate


def test_peak_rate_between_beats():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither an MMMEWarning nor a NeuroKitWarning
        rate = peak_rate([100, 300, 500, 700], 100.0, 1000, where="test", what="beats")
    np.testing.assert_allclose(rate, 30.0)  # one beat every 2 s


def test_too_few_peaks_give_nan_and_an_mmme_warning():
    # NeuroKit2 returns NaN for <= 3 peaks with its own warning; ours must say it instead
    peaks = [100, 300, 500][: MIN_PEAKS - 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("always", MMMEWarning)
        with pytest.warns(MMMEWarning, match="found 3 beats in 10.0 s; expected at least 4, rate set to NaN"):
            rate = peak_rate(peaks, 100.0, 1000, where="test", what="beats")
    assert rate.shape == (1000,) and np.isnan(rate).all()


def test_flat_respiration_belt_gives_nan_rate_with_our_warning():
    import warnings

    from mmme_analysis import MMMEWarning
    from mmme_analysis.physio import rsp_process

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = rsp_process(np.full(30 * 1000, 0.5), sfreq=1000.0)  # NeuroKit2 raised IndexError here
    assert np.isnan(out["RSP_Rate"].values).all() and np.isnan(out["RSP_Amplitude"].values).all()
    assert any(issubclass(w.category, MMMEWarning) for w in rec)
