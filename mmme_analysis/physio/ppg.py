"""PPG: cleaning, systolic peaks (artifact-corrected) and pulse rate with its slope (NeuroKit2)."""
from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from ._base import RATE_RANGE, as_signal, check_rate_range, mark_span, peak_rate, rate_span, slope, to_dataset

__all__ = ["ppg_process"]


def ppg_process(ppg, sfreq=None, *, correct_artifacts: bool = True, rate_range: tuple = RATE_RANGE) -> xr.Dataset:
    """Clean a PPG, find systolic peaks and derive the pulse rate.

    Uses NeuroKit2's ``ppg_clean`` (Elgendi band-pass) and ``ppg_peaks`` with its
    artifact correction (Lipponen & Tarvainen 2019: missed, extra and ectopic beats),
    then 60 / inter-beat interval placed at each interval's midpoint and interpolated
    (:func:`~mmme_analysis.physio._base.peak_rate`). Pulse rates outside ``rate_range``
    (default 30-220 bpm) after the correction give an MMMEWarning: on real recordings
    they come from missed beats or motion artefacts, which no correction removes reliably.

    Parameters
    ----------
    ppg : xarray.DataArray | array-like
        PPG (any unit; V in the trial tree), dims ``("time",)`` with an ``sfreq`` attr.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.
    correct_artifacts : bool
        NeuroKit2's beat correction. Default True.
    rate_range : tuple of float
        Physiological pulse-rate range (bpm) outside which a warning is issued.

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``PPG_Clean`` (input units), ``PPG_Rate`` (bpm),
        ``PPG_Rate_Slope`` (bpm/s), ``PPG_Peaks`` (1 at systolic peaks); the rate
        variables carry ``valid_from`` / ``valid_to`` (s, first and last interval
        midpoint). On ``ppg_peak``: ``PPG_Peak_Times`` (s). Attr ``sfreq`` (Hz).

    Examples
    --------
    >>> import numpy as np, neurokit2 as nk
    >>> x = nk.ppg_simulate(duration=30, sampling_rate=100, heart_rate=70, random_state=0)
    >>> ds = ppg_process(x, 100.0)
    >>> bool(60 < float(ds["PPG_Rate"].median()) < 80)
    True
    """
    import neurokit2 as nk

    values, time, sr, units = as_signal(ppg, sfreq, name="ppg")
    clean = np.asarray(nk.ppg_clean(values, sampling_rate=sr), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ppg_peaks(clean, sampling_rate=sr, correct_artifacts=correct_artifacts)
    peaks = np.unique(np.asarray(info["PPG_Peaks"], dtype=int))
    peaks = peaks[(peaks >= 0) & (peaks < values.size)]
    rate = peak_rate(peaks, sr, values.size, where="ppg_process", what="pulse peaks", nan_vars="pulse rate")
    check_rate_range(peaks, sr, rate_range, where="ppg_process", what="pulse rate")
    marks = np.zeros(values.size, dtype=np.int8)
    marks[peaks] = 1
    ds = to_dataset(
        {"PPG_Clean": clean, "PPG_Rate": rate, "PPG_Rate_Slope": slope(rate, sr), "PPG_Peaks": marks},
        time,
        sr,
        {"PPG_Clean": units or "", "PPG_Rate": "bpm", "PPG_Rate_Slope": "bpm/s", "PPG_Peaks": ""},
    )
    mark_span(ds, ("PPG_Rate", "PPG_Rate_Slope"), rate_span(peaks, time))
    ds["PPG_Peak_Times"] = xr.Variable(("ppg_peak",), time[peaks], {"units": "s"})
    return ds
