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

__all__ = ["as_signal", "to_dataset", "peak_rate", "slope", "MIN_PEAKS"]

#: Fewest beats / breaths from which a rate is interpolated; fewer give a NaN rate.
#: NeuroKit2's ``signal_rate`` itself returns NaN (with a NeuroKitWarning) for <= 3 peaks.
MIN_PEAKS = 4


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
    """Rate (per minute) at every sample, interpolated between peaks (NeuroKit2 ``signal_rate``).

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
    """
    import neurokit2 as nk

    peaks = np.asarray(peaks, dtype=int)
    if peaks.size >= MIN_PEAKS:
        return np.asarray(nk.signal_rate(peaks, sampling_rate=sfreq, desired_length=n_samples), dtype=float)
    warnings.warn(
        f"{where}: found {peaks.size} {what} in {n_samples / sfreq:.1f} s; expected at least {MIN_PEAKS}, "
        f"{nan_vars} set to NaN",
        MMMEWarning,
        stacklevel=3,
    )
    return np.full(n_samples, np.nan)


def slope(values: np.ndarray, sfreq: float) -> np.ndarray:
    """First derivative per second (central differences)."""
    return np.gradient(values, 1.0 / sfreq)
