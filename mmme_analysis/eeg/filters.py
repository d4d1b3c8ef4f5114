"""Band-pass and notch filtering of plain arrays (no ``mne.io.Raw`` needed).

:func:`eeg_filter_array` is the array-level counterpart of
:func:`mmme_analysis.eeg.preprocessing.eeg_filter`: the same MNE FIR filters (zero phase,
MNE's default filter design), applied to an ``ndarray`` whose last axis is time. The
Explorer uses it to filter the EEG it displays.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validate import check_positive, check_sfreq, check_type

__all__ = ["eeg_filter_array"]


def eeg_filter_array(data, sfreq, *, l_freq=None, h_freq=None, notch=None) -> np.ndarray:
    """Band-pass and notch filter signals held in an array (MNE FIR filters, zero phase).

    Parameters
    ----------
    data : array-like, shape (..., n_times)
        Signals, time on the last axis (e.g. ``(n_channels, n_times)``), any unit.
    sfreq : float
        Sampling frequency (Hz). Required: there is no default.
    l_freq, h_freq : float or None
        Pass band edges (Hz), passed to :func:`mne.filter.filter_data`; ``None`` leaves that
        side open (both ``None``: no band-pass). ``h_freq`` must lie below Nyquist and
        ``l_freq`` below ``h_freq``.
    notch : float or None
        Line frequency (Hz), e.g. 50 or 60: it and its harmonics up to 1 Hz below Nyquist
        (MNE's default transition band) are removed with :func:`mne.filter.notch_filter`,
        before the band-pass. ``None``: no notch.

    Returns
    -------
    ndarray
        Filtered copy, float64, same shape as ``data``.

    Raises
    ------
    TypeError
        ``sfreq`` missing, or a frequency that is not a number.
    ValueError
        A frequency that is not finite and positive, ``h_freq`` at or above Nyquist, or
        ``l_freq >= h_freq``.

    See Also
    --------
    mmme_analysis.eeg.eeg_filter : the same filters on an ``mne.io.Raw``.

    Examples
    --------
    >>> import numpy as np
    >>> from mmme_analysis.eeg import eeg_filter_array
    >>> sfreq = 500.0
    >>> t = np.arange(5000) / sfreq
    >>> x = np.sin(2 * np.pi * 10 * t) + np.sin(2 * np.pi * 50 * t)  # alpha + line noise
    >>> y = eeg_filter_array(x[None], sfreq, l_freq=1.0, h_freq=40.0, notch=50.0)
    >>> y.shape, y.dtype
    ((1, 5000), dtype('float64'))
    >>> mid = slice(1000, 4000)  # away from the edges
    >>> bool(np.abs(y[0, mid] - np.sin(2 * np.pi * 10 * t[mid])).max() < 0.05)
    True
    """
    import mne

    sfreq = check_sfreq(sfreq)
    nyq = sfreq / 2.0
    for name, value in (("l_freq", l_freq), ("h_freq", h_freq), ("notch", notch)):
        if value is not None:
            check_type(name, value, numbers.Real, "float (Hz)")
            check_positive(name, value)
    if h_freq is not None and float(h_freq) >= nyq:
        raise ValueError(f"Invalid value for 'h_freq': expected a frequency below Nyquist ({nyq:g} Hz), "
                         f"got {h_freq!r}")
    if l_freq is not None and h_freq is not None and float(l_freq) >= float(h_freq):
        raise ValueError(f"Invalid value for 'l_freq': expected a frequency below h_freq={h_freq!r}, "
                         f"got {l_freq!r}")
    out = np.array(data, dtype=np.float64)  # a copy: MNE filters in place when allowed
    if out.ndim == 0:
        raise ValueError(f"Invalid value for 'data': expected an array with a time axis, got a scalar {data!r}")
    if notch is not None:
        freqs = np.arange(float(notch), nyq - 1.0, float(notch))
        if freqs.size:
            out = mne.filter.notch_filter(out, sfreq, freqs, verbose="error")
    if l_freq is not None or h_freq is not None:
        out = mne.filter.filter_data(out, sfreq, l_freq, h_freq, verbose="error")
    return out
