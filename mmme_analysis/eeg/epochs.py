"""EEG epochs (MNE) on expression events or on trial windows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_option, check_positive
from .preprocessing import _check_raw

__all__ = ["eeg_epochs", "eeg_event_epochs", "eeg_window_epochs"]


def eeg_epochs(raw, times, *, tmin: float = -0.5, tmax: float = 1.0, tstart: float = 0.0, event_id: int = 1,
               baseline=None, metadata: pd.DataFrame | None = None, picks="eeg"):
    """Cut epochs around arbitrary times (s on the trial axis).

    Parameters
    ----------
    raw : mne.io.Raw
        Continuous EEG.
    times : array-like of float
        Epoch reference times (s on the trial axis).
    tmin, tmax : float
        Epoch start / stop relative to each time (s).
    tstart : float
        Trial-axis time (s) of the raw's first sample (``raw.times[0]``); 0 when the raw
        starts at the trial's marker.
    event_id : int
        Event code given to all epochs.
    baseline : tuple | None
        Passed to :class:`mne.Epochs` (``None``: no baseline correction).
    metadata : pandas.DataFrame | None
        One row per time, attached as ``epochs.metadata``.
    picks : str | list
        Channels to keep.

    Returns
    -------
    mne.Epochs
        Preloaded; epochs that would leave the recording are dropped (MNE's rule), and
        ``metadata`` is cut to the kept ones.
    """
    import mne

    _check_raw(raw)
    times = np.atleast_1d(np.asarray(times, float))
    if times.size == 0 or not np.all(np.isfinite(times)):
        raise ValueError(f"Invalid value for 'times': expected a non-empty array of finite times (s), got {times!r}")
    if tmax <= tmin:
        raise ValueError(f"Invalid value for 'tmax': expected a value > tmin ({tmin}), got {tmax!r}")
    if metadata is not None and len(metadata) != times.size:
        raise ValueError(f"Invalid value for 'metadata': expected {times.size} rows (one per time), got {len(metadata)}")
    sfreq = raw.info["sfreq"]
    samples = np.round((times - tstart) * sfreq).astype(int) + raw.first_samp
    events = np.column_stack([samples, np.zeros_like(samples), np.full_like(samples, event_id)])
    order = np.argsort(samples, kind="stable")
    md = None if metadata is None else metadata.iloc[order].reset_index(drop=True)
    ep = mne.Epochs(raw, events[order], event_id={"event": event_id}, tmin=tmin, tmax=tmax, baseline=baseline,
                    picks=picks, preload=True, metadata=md, reject_by_annotation=False, event_repeated="drop",
                    verbose="error")
    return ep


def eeg_event_epochs(raw, events, *, anchor: str = "apex", kinds=("micro",), tmin: float = -0.5, tmax: float = 1.0,
                     tstart: float = 0.0, baseline=None, picks="eeg"):
    """Epochs locked to expression events of a trial.

    Parameters
    ----------
    raw : mne.io.Raw
        Continuous EEG of the trial.
    events : xarray.Dataset | pandas.DataFrame
        The trial's ``/events`` (``onset``, ``apex``, ``offset`` in s, ``kind``).
    anchor : str
        ``"onset"``, ``"apex"`` or ``"offset"``.
    kinds : sequence of str
        Event kinds to keep (``"micro"``, ``"macro"``).
    tmin, tmax, tstart, baseline, picks
        See :func:`eeg_epochs`.

    Returns
    -------
    mne.Epochs
        With the event rows as ``metadata``.
    """
    check_option("anchor", anchor, ("onset", "apex", "offset"))
    if isinstance(events, xr.Dataset):
        events = events.to_dataframe().reset_index()
    if not isinstance(events, pd.DataFrame):
        raise TypeError(f"Invalid value for 'events': expected a Dataset or DataFrame, got {type(events).__name__}")
    ev = events[events["kind"].isin(kinds)] if "kind" in events else events
    if len(ev) == 0:
        raise ValueError(f"Invalid value for 'kinds': expected kinds present in 'events', got {tuple(kinds)!r}")
    return eeg_epochs(raw, ev[anchor].to_numpy(float), tmin=tmin, tmax=tmax, tstart=tstart, baseline=baseline,
                      metadata=ev.reset_index(drop=True), picks=picks)


def eeg_window_epochs(raw, start: float, stop: float, *, duration: float = 1.0, overlap: float = 0.0,
                      tstart: float = 0.0, picks="eeg"):
    """Fixed-length epochs tiling a window of the trial (e.g. a baseline or the whole trial).

    Parameters
    ----------
    raw : mne.io.Raw
        Continuous EEG of the trial.
    start, stop : float
        Window on the trial axis (s); epochs ``[t, t + duration)`` with ``t`` from
        ``start`` in steps of ``duration - overlap`` while ``t + duration <= stop``.
    duration, overlap : float
        Epoch length and overlap (s).
    tstart : float
        Trial-axis time (s) of the raw's first sample.

    Returns
    -------
    mne.Epochs
        ``tmin = 0``; metadata column ``start`` (s on the trial axis).
    """
    duration = check_positive("duration", duration)
    overlap = check_positive("overlap", overlap, allow_zero=True)
    if overlap >= duration:
        raise ValueError(f"Invalid value for 'overlap': expected a value < duration ({duration}), got {overlap!r}")
    if stop - start < duration:
        raise ValueError(f"Invalid value for 'stop': expected a window of at least duration ({duration} s) after "
                         f"start ({start}), got {stop!r}")
    step = duration - overlap
    n = int(np.floor((stop - start - duration) / step + 1e-9)) + 1
    starts = start + step * np.arange(n)
    sfreq = raw.info["sfreq"]
    return eeg_epochs(raw, starts, tmin=0.0, tmax=duration - 1.0 / sfreq, tstart=tstart,
                      metadata=pd.DataFrame({"start": starts}), picks=picks)
