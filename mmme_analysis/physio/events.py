"""Event-locked physiological features at MEs and at matched non-ME moments.

For each annotated expression (by default the micro-expressions) the mean of each
processed signal is taken in a window around its onset, apex and offset. For each of
them, ``n_non_me`` *matched* non-ME moments are drawn in the same trial: the expression's
onset-apex-offset pattern is moved to a random time (``rng``) such that it lies at least
``min_distance`` s away from every annotated expression (micro or macro) and the windows
stay inside the recording. Features of the matched moments are measured the same way, so
that ME and non-ME rows of one trial differ only in where they sit.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_int, check_positive, check_rng
from .._warnings import MMMEWarning
from .ecg import ecg_process
from .eda import eda_process
from .ppg import ppg_process
from .rsp import rsp_process
from .skt import skt_process

__all__ = [
    "ANCHORS",
    "DEFAULT_WINDOWS",
    "DEFAULT_VARIABLES",
    "physio_process",
    "event_features",
    "trial_event_features",
    "dataset_event_features",
]

#: Event time points features are taken around.
ANCHORS = ("onset", "apex", "offset")

#: Window (start, stop) in s relative to each anchor, per modality prefix. EDA responses
#: start 1-3 s after the stimulus, hence its later window.
DEFAULT_WINDOWS = MappingProxyType(
    {
        "ECG": (-0.5, 0.5),
        "PPG": (-0.5, 0.5),
        "HRV": (-2.5, 2.5),
        "EDA": (0.0, 5.0),
        "RSP": (-2.0, 2.0),
        "SKT": (-1.0, 1.0),
    }
)

#: Continuous variables summarised by default (when present).
DEFAULT_VARIABLES = (
    "ECG_Rate",
    "ECG_Rate_Slope",
    "ECG_Rate_AbsSlope",
    "PPG_Rate",
    "PPG_Rate_Slope",
    "EDA_Tonic",
    "EDA_Phasic",
    "RSP_Rate",
    "RSP_Amplitude",
    "SKT_Level",
    "SKT_Slope",
)

_PROCESSORS = {
    "ECG": ecg_process,
    "PPG": ppg_process,
    "EDA": eda_process,
    "RSP": rsp_process,
    "SKT": skt_process,
}


def physio_process(peri, *, modalities=("ECG", "PPG", "EDA", "RSP", "SKT")) -> xr.Dataset:
    """Run the ``<modality>_process`` pipelines on a trial's peripheral signals.

    Parameters
    ----------
    peri : xarray.DataTree | xarray.Dataset
        A trial tree (its ``/peri`` node is used) or the ``/peri`` Dataset itself:
        variables ``ECG``, ``PPG``, ``EDA``, ``RSP``, ``SKT`` on ``time`` with an ``sfreq``
        attr (Hz) on the Dataset or the variables.
    modalities : sequence of str
        Which of ECG, PPG, EDA, RSP, SKT to process; absent ones are skipped.

    Returns
    -------
    xarray.Dataset
        The merged outputs (see each ``*_process``) on the common ``time`` axis.
    """
    if isinstance(peri, xr.DataTree):
        if "peri" not in peri.children:
            raise ValueError("Invalid value for 'peri': expected a trial tree with a /peri node, got nodes "
                             f"{list(peri.children)!r}")
        peri = peri["peri"].to_dataset()
    if not isinstance(peri, xr.Dataset):
        raise TypeError(f"Invalid value for 'peri': expected an xarray DataTree or Dataset, got {type(peri).__name__}")
    for m in modalities:
        if m not in _PROCESSORS:
            raise ValueError(f"Invalid value for 'modalities': expected names among {tuple(_PROCESSORS)!r}, got {m!r}")
    outs = []
    for m in modalities:
        if m not in peri:
            continue
        da = peri[m]
        sfreq = da.attrs.get("sfreq", peri.attrs.get("sfreq"))
        if sfreq is None:
            raise TypeError(f"Invalid value for 'sfreq': expected an 'sfreq' attr (Hz) on the /peri node or {m!r}, got None")
        outs.append(_PROCESSORS[m](da, float(sfreq)))
    if not outs:
        raise ValueError(f"Invalid value for 'peri': expected at least one of {tuple(modalities)!r}, got {list(peri.data_vars)!r}")
    out = xr.merge(outs, compat="override", combine_attrs="drop_conflicts")
    out.attrs["sfreq"] = outs[0].attrs["sfreq"]
    return out


def _events_frame(events) -> pd.DataFrame:
    if isinstance(events, xr.Dataset):
        df = events.to_dataframe().reset_index()
    elif isinstance(events, pd.DataFrame):
        df = events.copy()
    else:
        raise TypeError(f"Invalid value for 'events': expected an xarray Dataset (dim 'event') or DataFrame, got {type(events).__name__}")
    missing = [c for c in ("onset", "apex", "offset") if c not in df]
    if missing:
        raise ValueError(f"Invalid value for 'events': expected columns onset, apex, offset, got {list(df.columns)!r}")
    if "kind" not in df:
        df["kind"] = "micro"
    if "event" not in df:
        df["event"] = np.arange(len(df))
    df["offset"] = df["offset"].fillna(df["apex"]).fillna(df["onset"])
    return df.reset_index(drop=True)


def _window_mean(values: np.ndarray, time: np.ndarray, t0: float, t1: float) -> float:
    i0, i1 = np.searchsorted(time, [t0, t1])
    if i1 <= i0:
        return np.nan
    seg = values[i0:i1]
    seg = seg[np.isfinite(seg)]
    return float(seg.mean()) if seg.size else np.nan


def _hrv_window(rpeak_times: np.ndarray, t0: float, t1: float) -> tuple[float, float]:
    """Mean NN and RMSSD (ms) of the beats in [t0, t1)."""
    beats = rpeak_times[(rpeak_times >= t0) & (rpeak_times < t1)]
    nn = np.diff(beats) * 1000.0
    mean_nn = float(nn.mean()) if nn.size >= 1 else np.nan
    rmssd = float(np.sqrt(np.mean(np.diff(nn) ** 2))) if nn.size >= 2 else np.nan
    return mean_nn, rmssd


def _window_for(var: str, windows: Mapping) -> tuple[float, float]:
    prefix = var.split("_", 1)[0]
    w = windows.get(prefix, DEFAULT_WINDOWS.get(prefix, (-0.5, 0.5)))
    return float(w[0]), float(w[1])


def _match_times(ev, all_events, t_min, t_max, n, min_distance, rng, step):
    """Random shifts of one event's pattern to non-ME places; returns apex times."""
    rel_on = ev.onset - ev.apex
    rel_off = ev.offset - ev.apex
    lo = t_min - rel_on
    hi = t_max - rel_off
    if hi <= lo:
        return np.zeros(0)
    grid = np.arange(lo, hi, step)
    ok = np.ones(grid.size, bool)
    for o, f in zip(all_events["onset"].to_numpy(float), all_events["offset"].to_numpy(float)):
        # pseudo interval [g+rel_on, g+rel_off] must be >= min_distance away from [o, f]
        ok &= (grid + rel_off <= o - min_distance) | (grid + rel_on >= f + min_distance)
    cand = grid[ok]
    if cand.size == 0:
        return np.zeros(0)
    return np.sort(rng.choice(cand, size=min(n, cand.size), replace=False))


def event_features(
    physio: xr.Dataset,
    events,
    *,
    rng: np.random.Generator,
    subject: str = "sub-01",
    trial=0,
    kinds=("micro",),
    anchors=ANCHORS,
    variables=None,
    windows: Mapping | None = None,
    n_non_me: int = 1,
    min_distance: float = 3.0,
) -> pd.DataFrame:
    """Event-locked features of one trial at MEs and matched non-ME moments.

    Parameters
    ----------
    physio : xarray.Dataset
        Processed signals of one trial on ``time`` (s), e.g. :func:`physio_process` or
        :func:`~mmme_analysis.physio.ecg.ecg_process`.
    events : xarray.Dataset | pandas.DataFrame
        The trial's ``/events`` (dim ``event``) or a table with ``onset``, ``apex``,
        ``offset`` (s on the trial axis; NaN offset -> apex) and ``kind``.
    rng : numpy.random.Generator
        Draws the matched non-ME moments (fixed seed -> same moments).
    subject, trial
        Written into the ``subject`` and ``trial`` columns.
    kinds : sequence of str
        Event kinds that get feature rows (default MEs only). All annotated expressions,
        whatever their kind, are avoided when placing non-ME moments.
    anchors : sequence of str
        Subset of :data:`ANCHORS`.
    variables : sequence of str | None
        Time-series variables to summarise; default those of :data:`DEFAULT_VARIABLES`
        present in ``physio``.
    windows : mapping | None
        Per-modality (prefix) window (start, stop) in s relative to the anchor, overriding
        :data:`DEFAULT_WINDOWS`.
    n_non_me : int
        Matched non-ME moments per ME (>= 0).
    min_distance : float
        Minimum distance (s) between a non-ME moment's [onset, offset] and any annotated
        expression. Heart-rate and skin-conductance responses last a few seconds, so a
        distance shorter than ~3 s lets non-ME moments fall on the tail of an ME's
        response (biasing the comparison).

    Returns
    -------
    pandas.DataFrame
        One row per ME and per matched moment: ``subject``, ``trial``, ``event`` (id of
        the ME; matched moments carry the id of their ME), ``moment`` (``"me"`` /
        ``"non_me"``), ``match`` (0 for MEs, 1..n_non_me), ``emotion``/``emotion3`` when
        known, ``onset``/``apex``/``offset`` (s), then ``<variable>_<anchor>`` (window
        mean, units of the variable), ``<variable>_trialmean`` (mean over the trial) and,
        when R-peaks are present, ``HRV_MeanNN_<anchor>`` and ``HRV_RMSSD_<anchor>`` (ms).
    """
    check_rng(rng)
    if not isinstance(physio, xr.Dataset) or "time" not in physio.dims:
        raise TypeError("Invalid value for 'physio': expected an xarray Dataset with a 'time' dimension, "
                        f"got {type(physio).__name__}")
    n_non_me = check_int("n_non_me", n_non_me, min_value=0)
    min_distance = check_positive("min_distance", min_distance, allow_zero=True)
    for a in anchors:
        if a not in ANCHORS:
            raise ValueError(f"Invalid value for 'anchors': expected names among {ANCHORS!r}, got {a!r}")
    windows = dict(windows or {})
    ev = _events_frame(events)
    time = np.asarray(physio["time"].values, float)
    if variables is None:
        variables = [v for v in DEFAULT_VARIABLES if v in physio]
    else:
        bad = [v for v in variables if v not in physio]
        if bad:
            raise ValueError(f"Invalid value for 'variables': expected variables of 'physio', got {bad!r}")
    arrays = {v: np.asarray(physio[v].values, float) for v in variables}
    trial_means = {v: float(np.nanmean(a)) if np.isfinite(a).any() else np.nan for v, a in arrays.items()}
    rpeaks = np.asarray(physio["ECG_R_Peak_Times"].values, float) if "ECG_R_Peak_Times" in physio else None

    win = {v: _window_for(v, windows) for v in variables}
    hrv_win = _window_for("HRV", windows)
    all_w = [*win.values(), hrv_win] if rpeaks is not None else list(win.values())
    w_lo = min((w[0] for w in all_w), default=0.0)
    w_hi = max((w[1] for w in all_w), default=0.0)
    step = max(float(np.median(np.diff(time))) if time.size > 1 else 0.01, 0.01)

    rows = []
    ev = ev[ev["onset"].notna()]
    targets = ev[ev["kind"].isin(kinds)]
    if targets["apex"].isna().any():
        warnings.warn(
            f"event_features: subject {subject!r} trial {trial!r}: skipped {int(targets['apex'].isna().sum())} "
            "event(s) without a coded apex",
            MMMEWarning,
            stacklevel=2,
        )
        targets = targets[targets["apex"].notna()]
    for _, e in targets.iterrows():
        base = {"subject": subject, "trial": trial, "event": e["event"]}
        for extra in ("emotion", "emotion3", "kind"):
            if extra in e:
                base[extra] = e[extra]
        moments = [("me", 0, 0.0)]
        shifts = _match_times(e, ev, time[0] - w_lo, time[-1] - w_hi, n_non_me, min_distance, rng, step)
        if shifts.size < n_non_me:
            warnings.warn(
                f"event_features: subject {subject!r} trial {trial!r} event {e['event']!r}: placed "
                f"{shifts.size} of {n_non_me} non-ME moments (not enough time away from expressions)",
                MMMEWarning,
                stacklevel=2,
            )
        moments += [("non_me", k + 1, s - e["apex"]) for k, s in enumerate(shifts)]
        for moment, match, shift in moments:
            row = dict(base, moment=moment, match=match)
            tt = {a: float(e[a]) + shift for a in ANCHORS}
            row.update(tt)
            for v in variables:
                w0, w1 = win[v]
                for a in anchors:
                    row[f"{v}_{a}"] = _window_mean(arrays[v], time, tt[a] + w0, tt[a] + w1)
                row[f"{v}_trialmean"] = trial_means[v]
            if rpeaks is not None:
                w0, w1 = hrv_win
                for a in anchors:
                    row[f"HRV_MeanNN_{a}"], row[f"HRV_RMSSD_{a}"] = _hrv_window(rpeaks, tt[a] + w0, tt[a] + w1)
            rows.append(row)
    return pd.DataFrame(rows)


def trial_event_features(tree: xr.DataTree, *, rng: np.random.Generator, **kwargs) -> pd.DataFrame:
    """:func:`event_features` of one trial tree (``/peri`` processed, ``/events`` used).

    ``subject`` and ``trial`` (the trial id) come from the tree's attrs. Returns an empty
    DataFrame when the trial has no ``/peri`` or no ``/events``.
    """
    if not isinstance(tree, xr.DataTree):
        raise TypeError(f"Invalid value for 'tree': expected an xarray.DataTree, got {type(tree).__name__}")
    if "peri" not in tree.children or "events" not in tree.children:
        return pd.DataFrame()
    events = tree["events"].to_dataset()
    if events.sizes.get("event", 0) == 0:
        return pd.DataFrame()
    physio = physio_process(tree)
    return event_features(
        physio, events, rng=rng, subject=tree.attrs.get("subject", "sub-01"),
        trial=tree.attrs.get("trial", "trial"), **kwargs,
    )


def dataset_event_features(dataset, *, rng: np.random.Generator, progress: bool = False, **kwargs) -> pd.DataFrame:
    """:func:`trial_event_features` over every trial with peripheral data and events.

    Parameters
    ----------
    dataset : mmme_analysis dataset
        The object of :func:`mmme_analysis.open_dataset` (uses ``.trials`` and ``.trial``).
    rng : numpy.random.Generator
        Shared by all trials (deterministic order: ``dataset.trials`` order).
    progress : bool
        Show a tqdm progress bar.
    **kwargs
        Passed to :func:`event_features`.
    """
    from tqdm import tqdm

    trials = dataset.trials
    if "has_peri" in trials:
        trials = trials[trials["has_peri"].astype(bool)]
    if "n_events" in trials:
        trials = trials[trials["n_events"] > 0]
    frames = []
    for _, row in tqdm(list(trials.iterrows()), disable=not progress, desc="event features"):
        frames.append(trial_event_features(dataset.trial(row["trial"]), rng=rng, **kwargs))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
