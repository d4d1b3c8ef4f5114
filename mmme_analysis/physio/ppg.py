"""PPG: cleaning, systolic peaks and pulse rate with its slope (NeuroKit2)."""
from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from ._base import as_signal, peak_rate, slope, to_dataset

__all__ = ["ppg_process"]


def ppg_process(ppg, sfreq=None) -> xr.Dataset:
    """Clean a PPG, find systolic peaks and derive the pulse rate.

    Uses NeuroKit2's ``ppg_clean`` (Elgendi band-pass) and ``ppg_peaks`` and
    ``signal_rate`` (monotone cubic interpolation between beats).

    Parameters
    ----------
    ppg : xarray.DataArray | array-like
        PPG (any unit; V in the trial tree), dims ``("time",)`` with an ``sfreq`` attr.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``PPG_Clean`` (input units), ``PPG_Rate`` (bpm),
        ``PPG_Rate_Slope`` (bpm/s), ``PPG_Peaks`` (1 at systolic peaks). On ``ppg_peak``:
        ``PPG_Peak_Times`` (s). Attr ``sfreq`` (Hz).
    """
    import neurokit2 as nk

    values, time, sr, units = as_signal(ppg, sfreq, name="ppg")
    clean = np.asarray(nk.ppg_clean(values, sampling_rate=sr), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ppg_peaks(clean, sampling_rate=sr)
    peaks = np.asarray(info["PPG_Peaks"], dtype=int)
    rate = peak_rate(peaks, sr, values.size, where="ppg_process", what="pulse peaks", nan_vars="pulse rate")
    marks = np.zeros(values.size, dtype=np.int8)
    marks[peaks] = 1
    ds = to_dataset(
        {"PPG_Clean": clean, "PPG_Rate": rate, "PPG_Rate_Slope": slope(rate, sr), "PPG_Peaks": marks},
        time,
        sr,
        {"PPG_Clean": units or "", "PPG_Rate": "bpm", "PPG_Rate_Slope": "bpm/s", "PPG_Peaks": ""},
    )
    ds["PPG_Peak_Times"] = xr.Variable(("ppg_peak",), time[peaks], {"units": "s"})
    return ds
