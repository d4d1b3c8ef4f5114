"""EDA: cleaning, tonic/phasic decomposition and skin-conductance responses (NeuroKit2)."""
from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .._validate import check_option
from ._base import as_signal, to_dataset

__all__ = ["eda_process", "EDA_PHASIC_METHODS"]

#: Tonic/phasic decomposition methods accepted by :func:`eda_process` (NeuroKit2 spellings).
EDA_PHASIC_METHODS = ("highpass", "smoothmedian", "cvxeda")

_TO_MICRO = 1e6  # NeuroKit2's default thresholds are tuned for microsiemens


def eda_process(eda, sfreq=None, *, method: str = "highpass") -> xr.Dataset:
    """Clean an EDA signal, split it into tonic and phasic parts and find SCRs.

    NeuroKit2's ``eda_clean`` (3 Hz low-pass), ``eda_phasic`` and ``eda_peaks``
    (method ``neurokit``, minimum amplitude 10 % of the largest SCR) are applied to the
    signal in microsiemens; outputs are returned in the input's unit (siemens in the
    trial tree). The input is taken as siemens when its ``units`` attr is ``"S"`` or, for
    a plain array, when its median magnitude is below 1e-3; otherwise it is used as is
    (e.g. already in microsiemens, or arbitrary units).

    Parameters
    ----------
    eda : xarray.DataArray | array-like
        Skin conductance (S in the trial tree), dims ``("time",)`` with an ``sfreq`` attr.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.
    method : str
        Tonic/phasic decomposition, one of :data:`EDA_PHASIC_METHODS`.

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``EDA_Clean``, ``EDA_Tonic``, ``EDA_Phasic`` (input units),
        ``EDA_SCR_Peaks`` (1 at SCR peaks), ``EDA_SCR_Amplitude`` (input units, at the
        peaks, 0 elsewhere). On ``scr``: ``EDA_SCR_Onset_Times``, ``EDA_SCR_Peak_Times``
        (s). Attr ``sfreq`` (Hz).
    """
    import neurokit2 as nk

    check_option("method", method, EDA_PHASIC_METHODS)
    values, time, sr, units = as_signal(eda, sfreq, name="eda")
    scale = _TO_MICRO if (units == "S" or (units is None and np.nanmedian(np.abs(values)) < 1e-3)) else 1.0
    x = values * scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = np.asarray(nk.eda_clean(x, sampling_rate=sr), dtype=float)
        parts = nk.eda_phasic(clean, sampling_rate=sr, method=method)
        phasic = parts["EDA_Phasic"].to_numpy(dtype=float)
        tonic = parts["EDA_Tonic"].to_numpy(dtype=float)
        _, info = nk.eda_peaks(phasic, sampling_rate=sr, method="neurokit", amplitude_min=0.1)
    peaks = np.asarray(info["SCR_Peaks"], dtype=float)
    onsets = np.asarray(info["SCR_Onsets"], dtype=float)
    amps = np.asarray(info["SCR_Amplitude"], dtype=float)
    ok = np.isfinite(peaks)
    peaks_i = peaks[ok].astype(int)
    marks = np.zeros(values.size, dtype=np.int8)
    marks[peaks_i] = 1
    amp_trace = np.zeros(values.size)
    amp_trace[peaks_i] = amps[ok] / scale
    u = units or ""
    ds = to_dataset(
        {
            "EDA_Clean": clean / scale,
            "EDA_Tonic": tonic / scale,
            "EDA_Phasic": phasic / scale,
            "EDA_SCR_Peaks": marks,
            "EDA_SCR_Amplitude": amp_trace,
        },
        time,
        sr,
        {"EDA_Clean": u, "EDA_Tonic": u, "EDA_Phasic": u, "EDA_SCR_Peaks": "", "EDA_SCR_Amplitude": u},
        method=method,
    )
    on_t = np.where(np.isfinite(onsets[ok]), np.interp(np.nan_to_num(onsets[ok]), np.arange(time.size), time), np.nan)
    ds["EDA_SCR_Onset_Times"] = xr.Variable(("scr",), on_t, {"units": "s"})
    ds["EDA_SCR_Peak_Times"] = xr.Variable(("scr",), time[peaks_i], {"units": "s"})
    return ds
