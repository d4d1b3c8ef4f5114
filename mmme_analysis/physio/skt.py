"""Skin temperature: smoothed level and slope."""
from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import check_positive
from ._base import as_signal, slope, to_dataset

__all__ = ["skt_process"]


def skt_process(skt, sfreq=None, *, lowpass: float = 0.5) -> xr.Dataset:
    """Low-pass a skin-temperature trace and compute its slope.

    Parameters
    ----------
    skt : xarray.DataArray | array-like
        Skin temperature (degC in the trial tree), dims ``("time",)`` with ``sfreq``.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.
    lowpass : float
        Cut-off (Hz) of NeuroKit2's zero-phase Butterworth low-pass (order 2). Default 0.5.

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``SKT_Level`` (input units, degC) and ``SKT_Slope``
        (input units per s, degC/s). Attr ``sfreq`` (Hz).
    """
    import neurokit2 as nk

    values, time, sr, units = as_signal(skt, sfreq, name="skt")
    lowpass = check_positive("lowpass", lowpass)
    if lowpass >= sr / 2:
        raise ValueError(f"Invalid value for 'lowpass': expected a cut-off below Nyquist ({sr / 2} Hz), got {lowpass!r}")
    level = np.asarray(
        nk.signal_filter(values, sampling_rate=sr, lowcut=None, highcut=lowpass, method="butterworth", order=2),
        dtype=float,
    )
    u = units or "degC"
    return to_dataset(
        {"SKT_Level": level, "SKT_Slope": slope(level, sr)},
        time,
        sr,
        {"SKT_Level": u, "SKT_Slope": f"{u}/s"},
        lowpass=lowpass,
    )
