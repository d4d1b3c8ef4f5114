"""ECG: cleaning, R-peaks, instantaneous heart rate and its slope, HRV (NeuroKit2)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_option
from ._base import as_signal, peak_rate, slope, to_dataset

__all__ = ["ecg_process", "ecg_hrv", "ECG_METHODS", "HRV_DOMAINS"]

#: Cleaning / R-peak methods accepted by :func:`ecg_process` (NeuroKit2 spellings).
ECG_METHODS = ("neurokit", "pantompkins1985", "hamilton2002", "elgendi2010", "engzeemod2012")
#: HRV domains accepted by :func:`ecg_hrv`.
HRV_DOMAINS = ("time", "frequency", "nonlinear")


def ecg_process(ecg, sfreq=None, *, method: str = "neurokit", correct_artifacts: bool = True) -> xr.Dataset:
    """Clean an ECG, find R-peaks and derive heart rate and its slope.

    The steps are NeuroKit2's (``ecg_clean`` -> ``ecg_peaks`` -> ``signal_rate`` with
    monotone cubic interpolation), i.e. the same as :func:`neurokit2.ecg_process`, but the
    output lives on the input's time axis as an :class:`xarray.Dataset`.

    Parameters
    ----------
    ecg : xarray.DataArray | array-like
        ECG (any unit; V in the trial tree), dims ``("time",)`` with an ``sfreq`` attr.
    sfreq : float | None
        Sampling frequency (Hz); required when ``ecg`` is a plain array.
    method : str
        NeuroKit2 method for cleaning and R-peak detection, one of :data:`ECG_METHODS`.
    correct_artifacts : bool
        Let NeuroKit2 correct ectopic / missed beats (Lipponen & Tarvainen 2019).

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``ECG_Clean`` (input units), ``ECG_Rate`` (bpm, instantaneous
        heart rate interpolated between beats), ``ECG_Rate_Slope`` (signed dHR/dt, bpm/s),
        ``ECG_Rate_AbsSlope`` (|dHR/dt|, bpm/s, as plotted by CMCL-Net),
        ``ECG_R_Peaks`` (1 at R-peak samples, else 0). On ``rpeak``:
        ``ECG_R_Peak_Times`` (s on the trial axis). Attrs ``sfreq`` (Hz), ``method``.
        With fewer than 4 R-peaks (``_base.MIN_PEAKS``) the rate variables are NaN and an
        MMMEWarning is issued.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> peri = ds.trial("sub-01_101")["peri"]
    >>> out = mm.physio.ecg_process(peri["ECG"], peri.attrs["sfreq"])
    >>> sorted(out.data_vars)[:3], out["ECG_Rate"].attrs.get("units", "bpm")
    (['ECG_Clean', 'ECG_R_Peak_Times', 'ECG_R_Peaks'], 'bpm')
    >>> 40 < float(out["ECG_Rate"].mean()) < 120
    True
    """
    import neurokit2 as nk

    check_option("method", method, ECG_METHODS)
    values, time, sfreq, units = as_signal(ecg, sfreq, name="ecg")
    sr = float(sfreq)
    clean = np.asarray(nk.ecg_clean(values, sampling_rate=sr, method=method), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, info = nk.ecg_peaks(clean, sampling_rate=sr, method=method, correct_artifacts=correct_artifacts)
    peaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
    peaks = peaks[(peaks >= 0) & (peaks < values.size)]
    rate = peak_rate(peaks, sr, values.size, where="ecg_process", what="R-peaks", nan_vars="heart rate")
    rslope = slope(rate, sr)
    marks = np.zeros(values.size, dtype=np.int8)
    marks[peaks] = 1
    ds = to_dataset(
        {
            "ECG_Clean": clean,
            "ECG_Rate": rate,
            "ECG_Rate_Slope": rslope,
            "ECG_Rate_AbsSlope": np.abs(rslope),
            "ECG_R_Peaks": marks,
        },
        time,
        sr,
        {
            "ECG_Clean": units or "",
            "ECG_Rate": "bpm",
            "ECG_Rate_Slope": "bpm/s",
            "ECG_Rate_AbsSlope": "bpm/s",
            "ECG_R_Peaks": "",
        },
        method=method,
    )
    ds["ECG_R_Peak_Times"] = xr.Variable(("rpeak",), time[peaks], {"units": "s"})
    return ds


def ecg_hrv(ecg, sfreq=None, *, domains=("time",), method: str = "neurokit") -> pd.DataFrame:
    """Heart-rate variability of one trial (NeuroKit2 ``hrv_*``).

    Parameters
    ----------
    ecg : xarray.Dataset | xarray.DataArray | array-like
        Either the output of :func:`ecg_process` (its R-peaks are used) or an ECG signal,
        which is processed first.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.
    domains : sequence of str
        Any of :data:`HRV_DOMAINS`. Frequency-domain indices need a few minutes of data
        to be meaningful (LF); on ~60 s trials only the HF band is reliable.
    method : str
        Passed to :func:`ecg_process` when a raw signal is given.

    Returns
    -------
    pandas.DataFrame
        One row; NeuroKit2's ``HRV_*`` columns (times in ms, powers in ms^2).
    """
    import neurokit2 as nk

    domains = tuple(domains) if not isinstance(domains, str) else (domains,)
    if not domains:
        raise ValueError("Invalid value for 'domains': expected at least one of " + ", ".join(HRV_DOMAINS) + ", got ()")
    for d in domains:
        check_option("domains", d, HRV_DOMAINS)
    if not isinstance(ecg, xr.Dataset):
        ecg = ecg_process(ecg, sfreq, method=method)
    elif "ECG_R_Peaks" not in ecg:
        raise ValueError("Invalid value for 'ecg': expected the Dataset of ecg_process (with ECG_R_Peaks), got variables "
                         f"{list(ecg.data_vars)!r}")
    sr = float(ecg.attrs["sfreq"])
    peaks = np.flatnonzero(ecg["ECG_R_Peaks"].values)
    if peaks.size < 3:
        raise ValueError(f"Invalid value for 'ecg': expected at least 3 R-peaks for HRV, got {peaks.size}")
    funcs = {"time": nk.hrv_time, "frequency": nk.hrv_frequency, "nonlinear": nk.hrv_nonlinear}
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d in domains:
            parts.append(funcs[d](peaks, sampling_rate=sr))
    return pd.concat(parts, axis=1).reset_index(drop=True)
