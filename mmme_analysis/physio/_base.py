"""Shared plumbing of the physiology pipelines: signal in, xarray out.

Every ``<modality>_process`` accepts either an :class:`xarray.DataArray` with a ``time``
dimension (seconds on the trial axis) and an ``sfreq`` attribute (Hz), as found in the
``/peri`` node of a trial (see ``docs/data_model.md``), or a plain 1-D array together with
a REQUIRED ``sfreq``. Outputs share the input's ``time`` coordinate.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_sfreq
from .._warnings import MMMEWarning

__all__ = ["as_signal", "to_dataset", "peak_rate", "rate_span", "mark_span", "check_rate_range", "RATE_RANGE", "slope", "MIN_PEAKS"]

#: Fewest beats / breaths from which a rate is interpolated; fewer give a NaN rate.
#: NeuroKit2's ``signal_rate`` itself returns NaN (with a NeuroKitWarning) for <= 3 peaks.
MIN_PEAKS = 4

#: Physiological range (bpm) of heart / pulse rate; beat-to-beat rates outside it warn
#: (30 bpm: below any sinus rhythm of awake adults; 220 bpm: the age-predicted maximum).
RATE_RANGE = (30.0, 220.0)


def as_signal(x, sfreq=None, *, name: str = "signal"):
    """Return ``(values, time, sfreq, units)`` of a 1-D signal.

    Parameters
    ----------
    x : xarray.DataArray | array-like
        Signal. A DataArray must have the single dimension ``time``; its ``sfreq`` attr
        (Hz) is used unless ``sfreq`` is passed (they must then agree).
    sfreq : float | None
        Sampling frequency (Hz). Required for plain arrays.
    name : str
        Argument name used in error messages.

    Returns
    -------
    values : numpy.ndarray of float64
    time : numpy.ndarray of float64 (s)
    sfreq : float (Hz)
    units : str | None
    """
    if isinstance(x, xr.DataArray):
        if x.dims != ("time",):
            raise ValueError(
                f"Invalid value for {name!r}: expected a DataArray with the single dimension "
                f"'time', got dims {x.dims!r}"
            )
        attr_sfreq = x.attrs.get("sfreq")
        if sfreq is None and attr_sfreq is None:
            raise TypeError(
                f"Invalid value for 'sfreq': expected a sampling frequency in Hz (required: "
                f"{name!r} has no 'sfreq' attr), got None"
            )
        if sfreq is not None and attr_sfreq is not None and not np.isclose(float(sfreq), float(attr_sfreq)):
            raise ValueError(
                f"Invalid value for 'sfreq': expected {float(attr_sfreq)} (the 'sfreq' attr of "
                f"{name!r}), got {sfreq!r}"
            )
        sfreq = check_sfreq(attr_sfreq if sfreq is None else sfreq)
        values = np.asarray(x.values, dtype=float)
        time = (
            np.asarray(x["time"].values, dtype=float)
            if "time" in x.coords
            else np.arange(values.size) / sfreq
        )
        units = x.attrs.get("units")
    else:
        sfreq = check_sfreq(sfreq)
        values = np.asarray(x, dtype=float)
        if values.ndim != 1:
            raise ValueError(
                f"Invalid value for {name!r}: expected a 1-D signal, got shape {values.shape!r}"
            )
        time = np.arange(values.size) / sfreq
        units = None
    if values.size < 2:
        raise ValueError(f"Invalid value for {name!r}: expected at least 2 samples, got {values.size}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"Invalid value for {name!r}: expected finite samples, got NaN or inf")
    return values, time, sfreq, units


def to_dataset(columns: dict, time: np.ndarray, sfreq: float, units: dict, **attrs) -> xr.Dataset:
    """Build a Dataset of (time,) variables with ``units`` attrs and an ``sfreq`` attr."""
    data_vars = {}
    for key, val in columns.items():
        arr = np.asarray(val.values if isinstance(val, (pd.Series,)) else val)
        data_vars[key] = xr.Variable(("time",), arr, {"units": units.get(key, "")})
    ds = xr.Dataset(data_vars, coords={"time": ("time", time, {"units": "s"})})
    ds.attrs.update(sfreq=float(sfreq), **attrs)
    return ds


def peak_rate(peaks, sfreq: float, n_samples: int, *, where: str, what: str, nan_vars: str = "rate") -> np.ndarray:
    """Instantaneous rate (per minute) at every sample, placed where each interval is measured.

    Each interval between consecutive peaks gives one rate, ``60 / interval``, placed at
    the interval's **midpoint** (the beat-to-beat rate is the mean rate over the interval,
    so its midpoint is where it is measured); the rates are interpolated between
    midpoints with monotone cubic (PCHIP) interpolation (NeuroKit2 ``signal_interpolate``)
    and held constant before the first and after the last midpoint (see
    :func:`rate_span`). NeuroKit2's ``signal_rate`` instead assigns each rate to the
    closing peak, which delays a heart-rate response by half an interval and flattens its
    peak (an 8 bpm response came out about a quarter too small).

    Parameters
    ----------
    peaks : array-like of int
        Sample indices of the beats / breaths.
    sfreq : float
        Sampling frequency (Hz).
    n_samples : int
        Length of the signal (samples).
    where, what, nan_vars : str
        Caller, name of the peaks and of the variables set to NaN, for the warning.

    Returns
    -------
    numpy.ndarray of float, length ``n_samples``
        All NaN, with an MMMEWarning, when there are fewer than :data:`MIN_PEAKS` peaks.

    Examples
    --------
    >>> rate = peak_rate([0, 100, 300, 400, 500], 100.0, 600, where="doc", what="beats")
    >>> float(rate[50]), float(rate[200]), float(rate[450])  # midpoints of 1 s, 2 s, 1 s intervals
    (60.0, 30.0, 60.0)
    """
    import neurokit2 as nk

    peaks = np.unique(np.asarray(peaks, dtype=int))
    if peaks.size >= MIN_PEAKS:
        mids = 0.5 * (peaks[:-1] + peaks[1:])
        rates = 60.0 * float(sfreq) / np.diff(peaks)
        return np.asarray(
            nk.signal_interpolate(mids, rates, x_new=np.arange(n_samples), method="monotone_cubic"), dtype=float
        )
    warnings.warn(
        f"{where}: found {peaks.size} {what} in {n_samples / sfreq:.1f} s; expected at least {MIN_PEAKS}, "
        f"{nan_vars} set to NaN",
        MMMEWarning,
        stacklevel=3,
    )
    return np.full(n_samples, np.nan)


def rate_span(peaks, time: np.ndarray) -> tuple[float, float]:
    """``(first, last)`` time (s) at which :func:`peak_rate` is measured: the first and last
    interval midpoints. Outside it the rate is held constant (not measured); ``(nan, nan)``
    with fewer than :data:`MIN_PEAKS` peaks."""
    peaks = np.unique(np.asarray(peaks, dtype=int))
    if peaks.size < MIN_PEAKS:
        return np.nan, np.nan
    t = np.interp(0.5 * (peaks[:-1] + peaks[1:]), np.arange(time.size), time)
    return float(t[0]), float(t[-1])


def mark_span(ds: xr.Dataset, names, span: tuple[float, float]) -> None:
    """Record on variables ``names`` of ``ds`` the span (s) where they are measured
    (attrs ``valid_from``, ``valid_to``), read by ``event_features`` to flag cut windows."""
    for name in names:
        ds[name].attrs.update(valid_from=float(span[0]), valid_to=float(span[1]))


def check_rate_range(peaks, sfreq: float, rate_range, *, where: str, what: str) -> int:
    """Warn (MMMEWarning) when beat-to-beat rates ``60 / interval`` leave ``rate_range`` (bpm).

    Returns the number of intervals outside the range (missed or spurious beats, or
    artefacts: the rate is kept, the warning says how many and how far out).
    """
    lo, hi = (float(v) for v in rate_range)
    if not 0 < lo < hi:
        raise ValueError(f"Invalid value for 'rate_range': expected (low, high) bpm with 0 < low < high, "
                         f"got {rate_range!r}")
    peaks = np.unique(np.asarray(peaks, dtype=int))
    if peaks.size < 2:
        return 0
    rates = 60.0 * float(sfreq) / np.diff(peaks)
    bad = (rates < lo) | (rates > hi)
    if bad.any():
        warnings.warn(
            f"{where}: {int(bad.sum())} of {rates.size} beat-to-beat {what}s outside the physiological range "
            f"{lo:g}-{hi:g} bpm (from {rates.min():.1f} to {rates.max():.1f} bpm): missed or spurious beats",
            MMMEWarning,
            stacklevel=3,
        )
    return int(bad.sum())


def slope(values: np.ndarray, sfreq: float) -> np.ndarray:
    """First derivative per second (central differences)."""
    return np.gradient(values, 1.0 / sfreq)
