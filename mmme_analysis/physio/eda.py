"""EDA: cleaning, tonic/phasic decomposition and skin-conductance responses (NeuroKit2)."""
from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .._validate import check_option, check_positive
from ._base import as_signal, to_dataset

__all__ = ["eda_process", "EDA_PHASIC_METHODS", "SCR_MIN_AMPLITUDE", "SCR_MIN_RISE"]

#: Tonic/phasic decomposition methods accepted by :func:`eda_process` (NeuroKit2 spellings).
EDA_PHASIC_METHODS = ("highpass", "smoothmedian", "cvxeda")

_TO_MICRO = 1e6  # NeuroKit2's default thresholds are tuned for microsiemens

#: Smallest SCR amplitude (microsiemens): the conservative end of the field's 0.01-0.05 uS.
SCR_MIN_AMPLITUDE = 0.05
#: Shortest SCR rise time (s), onset to peak.
SCR_MIN_RISE = 0.5


def eda_process(eda, sfreq=None, *, method: str = "highpass", scr_min_amplitude: float = SCR_MIN_AMPLITUDE,
                scr_min_rise: float = SCR_MIN_RISE) -> xr.Dataset:
    """Clean an EDA signal, split it into tonic and phasic parts and find SCRs.

    NeuroKit2's ``eda_clean`` (3 Hz low-pass), ``eda_phasic`` and ``eda_peaks`` (method
    ``neurokit``, no relative threshold) are applied to the signal in microsiemens; an SCR
    is kept when its amplitude (peak minus onset of the phasic part) is at least
    ``scr_min_amplitude`` **microsiemens** (absolute, the field's convention of
    0.01-0.05 uS, Boucsein et al. 2012; default 0.05 uS, the conservative end) and its
    rise time (onset to peak) at least ``scr_min_rise`` s (SCRs rise over 0.5-5 s;
    faster wiggles are sensor noise and quantisation: without this criterion the spkit
    recordings, quantised at 0.01 uS, give 55 "SCRs" per minute). Peaks whose onset
    NeuroKit2 cannot find (no amplitude can be measured) are dropped, so no amplitude is
    NaN. Outputs are returned in the input's unit (siemens in the trial tree). The input
    is taken as siemens when its ``units`` attr is ``"S"`` or, for a plain array, when its
    median magnitude is below 1e-3; otherwise it is taken as microsiemens.

    Parameters
    ----------
    eda : xarray.DataArray | array-like
        Skin conductance (S in the trial tree), dims ``("time",)`` with an ``sfreq`` attr.
    sfreq : float | None
        Sampling frequency (Hz); required for a plain array.
    method : str
        Tonic/phasic decomposition, one of :data:`EDA_PHASIC_METHODS`.
    scr_min_amplitude : float
        Smallest SCR amplitude (uS). Default :data:`SCR_MIN_AMPLITUDE` (0.05 uS).
    scr_min_rise : float
        Shortest SCR rise time (s). Default :data:`SCR_MIN_RISE` (0.5 s).

    Returns
    -------
    xarray.Dataset
        On ``time`` (s): ``EDA_Clean``, ``EDA_Tonic``, ``EDA_Phasic`` (input units),
        ``EDA_SCR_Peaks`` (1 at SCR peaks), ``EDA_SCR_Amplitude`` (input units, at the
        peaks, 0 elsewhere). On ``scr``: ``EDA_SCR_Onset_Times``, ``EDA_SCR_Peak_Times``
        (s), ``EDA_SCR_Amplitudes`` (input units). Attrs ``sfreq`` (Hz),
        ``scr_min_amplitude_uS``, ``scr_min_rise_s``.

    Examples
    --------
    >>> import numpy as np, neurokit2 as nk
    >>> x = nk.eda_simulate(duration=60, sampling_rate=50, scr_number=3, noise=0.01, random_state=1)
    >>> ds = eda_process(x, 50.0)  # microsiemens
    >>> int(ds.sizes["scr"]) <= 5 and bool(np.isfinite(ds["EDA_SCR_Amplitudes"]).all())
    True
    """
    import neurokit2 as nk

    check_option("method", method, EDA_PHASIC_METHODS)
    scr_min_amplitude = check_positive("scr_min_amplitude", scr_min_amplitude, allow_zero=True)
    scr_min_rise = check_positive("scr_min_rise", scr_min_rise, allow_zero=True)
    values, time, sr, units = as_signal(eda, sfreq, name="eda")
    scale = _TO_MICRO if (units == "S" or (units is None and np.nanmedian(np.abs(values)) < 1e-3)) else 1.0
    x = values * scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clean = np.asarray(nk.eda_clean(x, sampling_rate=sr), dtype=float)
        parts = nk.eda_phasic(clean, sampling_rate=sr, method=method)
        phasic = parts["EDA_Phasic"].to_numpy(dtype=float)
        tonic = parts["EDA_Tonic"].to_numpy(dtype=float)
        try:
            _, info = nk.eda_peaks(phasic, sampling_rate=sr, method="neurokit", amplitude_min=0.0)
        except (IndexError, ValueError):  # no extremum at all (flat phasic part)
            info = {k: np.zeros(0) for k in ("SCR_Peaks", "SCR_Onsets", "SCR_Amplitude", "SCR_RiseTime")}
    peaks = np.asarray(info["SCR_Peaks"], dtype=float)
    onsets = np.asarray(info["SCR_Onsets"], dtype=float)
    amps = np.asarray(info["SCR_Amplitude"], dtype=float)
    rise = np.asarray(info["SCR_RiseTime"], dtype=float)
    ok = np.isfinite(peaks) & np.isfinite(onsets) & np.isfinite(amps) & (amps >= scr_min_amplitude)
    ok &= np.isfinite(rise) & (rise >= scr_min_rise)
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
        scr_min_amplitude_uS=float(scr_min_amplitude),
        scr_min_rise_s=float(scr_min_rise),
    )
    ds["EDA_SCR_Onset_Times"] = xr.Variable(("scr",), np.interp(onsets[ok], np.arange(time.size), time), {"units": "s"})
    ds["EDA_SCR_Peak_Times"] = xr.Variable(("scr",), time[peaks_i], {"units": "s"})
    ds["EDA_SCR_Amplitudes"] = xr.Variable(("scr",), amps[ok] / scale, {"units": u})
    return ds
