"""Tests of the array-level EEG filter the Explorer displays through
(:func:`mmme_analysis.eeg.eeg_filter_array`)."""
from __future__ import annotations

import numpy as np
import pytest

from mmme_analysis.eeg import eeg_filter_array

SFREQ = 500.0


def _signal():
    t = np.arange(5000) / SFREQ
    alpha = np.sin(2 * np.pi * 10 * t)
    return t, alpha, np.stack([alpha + np.sin(2 * np.pi * 50 * t) + 0.5 * np.sin(2 * np.pi * 100 * t),
                               alpha + 2.0])


def _power(x, f0):
    spec = np.abs(np.fft.rfft(x[1000:-1000])) ** 2
    f = np.fft.rfftfreq(x[1000:-1000].size, 1 / SFREQ)
    return spec[np.argmin(np.abs(f - f0))]


def test_notch_removes_the_line_and_its_harmonics():
    _, alpha, x = _signal()
    y = eeg_filter_array(x, SFREQ, notch=50.0)
    assert y.shape == x.shape and y.dtype == np.float64
    for f0 in (50.0, 100.0):
        assert _power(y[0], f0) < 1e-3 * _power(x[0], f0)
    assert _power(y[0], 10.0) == pytest.approx(_power(x[0], 10.0), rel=0.02)


def test_band_pass_removes_offset_and_line():
    _, alpha, x = _signal()
    y = eeg_filter_array(x, SFREQ, l_freq=1.0, h_freq=40.0)
    mid = slice(1000, 4000)
    np.testing.assert_allclose(y[1, mid], alpha[mid], atol=0.05)  # the 2.0 offset is gone
    assert _power(y[0], 50.0) < 1e-3 * _power(x[0], 50.0)


def test_input_is_not_changed_and_no_filter_is_a_copy():
    _, _, x = _signal()
    before = x.copy()
    y = eeg_filter_array(x, SFREQ)
    np.testing.assert_array_equal(y, before)
    assert y is not x
    eeg_filter_array(x, SFREQ, l_freq=1.0, notch=50.0)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("sfreq, kwargs, error, match", [
    (None, dict(l_freq=1.0), TypeError, "Invalid value for 'sfreq'"),
    (0.0, dict(), ValueError, "Invalid value for 'sfreq'"),
    (SFREQ, dict(l_freq=-1.0), ValueError, "Invalid value for 'l_freq'"),
    (SFREQ, dict(h_freq="40"), TypeError, "Invalid value for 'h_freq'"),
    (SFREQ, dict(h_freq=250.0), ValueError, r"Invalid value for 'h_freq': expected a frequency below Nyquist"),
    (SFREQ, dict(l_freq=40.0, h_freq=10.0), ValueError, r"Invalid value for 'l_freq': expected a frequency below"),
    (SFREQ, dict(notch=float("nan")), ValueError, "Invalid value for 'notch'"),
])
def test_bad_input(sfreq, kwargs, error, match):
    with pytest.raises(error, match=match):
        eeg_filter_array(np.zeros((1, 1000)), sfreq, **kwargs)
