"""Respiration: cleaning, breathing rate and amplitude (NeuroKit2)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from ._base import MIN_PEAKS, as_signal, mark_span, peak_rate, rate_span, to_dataset

__all__ = ["rsp_process"]


def rsp_process(rsp, sfreq=None) -> xr.Dataset:
    """Clean a respiration-belt signal and derive breathing rate and amplitude.

    NeuroKit2's ``rsp_clean`` and ``rsp_peaks`` (method ``khodadad2018``),
    ``rsp_amplitude`` and ``signal_rate`` of the troughs (as :func:`neurokit2.rsp_process`).

    Parameters
    ----------
    rsp : xarray.DataArray | array-like
        Respiration (V in the trial tree), dims ``("time",)`` with an ``sfreq`` attr.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``RSP_Clean`` and ``RSP_Amplitude`` (input units),
        ``RSP_Rate`` (breaths/min, at the midpoints of the trough-to-trough intervals,
        interpolated; attrs ``valid_from`` / ``valid_to``), ``RSP_Peaks`` (1 at
        inhalation peaks). Attr ``sfreq``.
    """
    import neurokit2 as nk

    values, time, sr, units = as_signal(rsp, sfreq, name="rsp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = np.asarray(nk.rsp_clean(values, sampling_rate=sr), dtype=float)
        try:
            peak_signal, info = nk.rsp_peaks(clean, sampling_rate=sr, amplitude_min=0.3)
            troughs = np.asarray(info["RSP_Troughs"], dtype=int)
        except (IndexError, ValueError):  # NeuroKit2 fails on a flat belt (no extremum at all)
            peak_signal = {"RSP_Peaks": pd.Series(np.zeros(values.size, dtype=np.int8))}
            troughs = np.array([], dtype=int)
    rate = peak_rate(troughs, sr, values.size, where="rsp_process", what="breaths", nan_vars="rate and amplitude")
    amplitude = (
        np.asarray(nk.rsp_amplitude(clean, peak_signal), dtype=float)
        if troughs.size >= MIN_PEAKS
        else np.full(values.size, np.nan)
    )
    u = units or ""
    ds = to_dataset(
        {
            "RSP_Clean": clean,
            "RSP_Amplitude": amplitude,
            "RSP_Rate": rate,
            "RSP_Peaks": peak_signal["RSP_Peaks"].to_numpy(dtype=np.int8),
        },
        time,
        sr,
        {"RSP_Clean": u, "RSP_Amplitude": u, "RSP_Rate": "breaths/min", "RSP_Peaks": ""},
    )
    mark_span(ds, ("RSP_Rate",), rate_span(troughs, time))
    return ds
