"""Event-locked physiological features at MEs and at matched non-ME moments.

For each annotated expression (by default the micro-expressions) the mean of each
processed signal is taken in a window around its onset, apex and offset. For each of
them, ``n_non_me`` *matched* non-ME moments are drawn in the same trial: the expression's
onset-apex-offset pattern is moved to a random time (``rng``) such that it lies at least
``min_distance`` s away from every annotated expression (micro or macro), under the same
window constraints as the ME and at its distance from the nearer trial edge where
possible (:mod:`.matching`). Windows that run past the signal are flagged (``cut``); by
default such MEs are excluded with their matched moments. Features of the matched
moments are measured the same way, so that ME and non-ME rows of one trial differ only in
where they sit.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_int, check_option, check_positive, check_rng
from .._warnings import MMMEWarning
from .ecg import ecg_process
from .eda import eda_process
from .matching import EDGE_HORIZON, cut_mask, edge_distance, match_times, signal_extent, variable_span, window_mean
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
    cut: str = "exclude",
    edge_horizon: float = EDGE_HORIZON,
    hrv: bool | None = None,
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
    cut : str
        What to do with MEs whose feature windows run past the signal (see
        :mod:`~mmme_analysis.physio.matching`; beat-based rates are measured between the
        first and last interval midpoint only): ``"exclude"`` (default) drops them with
        their matched moments when every feature window is cut, else sets the cut features
        (``cut_vars``) to NaN for the ME and its matched moments, and the cut features of
        any matched moment to NaN in its row, the rest kept; it warns with the counts.
        ``"keep"`` keeps every value, window means taken on the part of each window inside
        the signal, flagged ``cut``. Windows are never shortened silently.
    hrv : bool | None
        Add ``HRV_MeanNN_<anchor>`` / ``HRV_RMSSD_<anchor>`` from ``ECG_R_Peak_Times``
        (window ``windows["HRV"]``, default +-2.5 s). ``None`` (default): when R-peaks are
        present and ``variables`` is ``None``; with an explicit ``variables`` list only when
        True (their wide window then also decides which rows are ``cut``).
    edge_horizon : float
        Matched moments are drawn at the ME's distance from the nearer trial edge (within
        0.5 s where possible, else the nearest possible) when that distance is below
        ``edge_horizon`` s; beyond it, anywhere at least that far from both edges.

    Returns
    -------
    pandas.DataFrame
        One row per ME and per matched moment: ``subject``, ``trial``, ``event`` (id of
        the ME; matched moments carry the id of their ME), ``moment`` (``"me"`` /
        ``"non_me"``), ``match`` (0 for MEs, 1..n_non_me), ``emotion``/``emotion3`` when
        known, ``onset``/``apex``/``offset`` (s), ``cut`` (bool: a feature window of the
        row runs past the signal), ``cut_vars`` (the variables whose windows are cut,
        comma-separated, ``"HRV"`` for the HRV windows; ``""`` when none: with
        ``cut="keep"``, select per feature), ``edge_distance`` (s, apex to the nearer trial edge),
        then ``<variable>_<anchor>`` (window mean, units of the variable),
        ``<variable>_trialmean`` (mean over the trial) and, with ``hrv`` (and R-peaks),
        ``HRV_MeanNN_<anchor>`` and ``HRV_RMSSD_<anchor>`` (ms).

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> t = np.arange(0, 30, 0.01)
    >>> physio = xr.Dataset({"SKT_Level": ("time", 33 + 0.01 * t)}, coords={"time": t})
    >>> ev = pd.DataFrame({"onset": [0.5, 15.0], "apex": [0.6, 15.1], "offset": [0.7, 15.2]})
    >>> df = event_features(physio, ev, rng=np.random.default_rng(0), cut="keep")
    >>> df[["moment", "cut"]].values.tolist()
    [['me', True], ['non_me', True], ['me', False], ['non_me', False]]
    """
    check_rng(rng)
    if not isinstance(physio, xr.Dataset) or "time" not in physio.dims:
        raise TypeError("Invalid value for 'physio': expected an xarray Dataset with a 'time' dimension, "
                        f"got {type(physio).__name__}")
    n_non_me = check_int("n_non_me", n_non_me, min_value=0)
    min_distance = check_positive("min_distance", min_distance, allow_zero=True)
    check_option("cut", cut, ("exclude", "keep"))
    edge_horizon = check_positive("edge_horizon", edge_horizon, allow_zero=True)
    for a in anchors:
        if a not in ANCHORS:
            raise ValueError(f"Invalid value for 'anchors': expected names among {ANCHORS!r}, got {a!r}")
    windows = dict(windows or {})
    ev = _events_frame(events)
    time = np.asarray(physio["time"].values, float)
    variables_default = variables is None
    if variables is None:
        variables = [v for v in DEFAULT_VARIABLES if v in physio]
    else:
        bad = [v for v in variables if v not in physio]
        if bad:
            raise ValueError(f"Invalid value for 'variables': expected variables of 'physio', got {bad!r}")
    arrays = {v: np.asarray(physio[v].values, float) for v in variables}
    trial_means = {v: float(np.nanmean(a)) if np.isfinite(a).any() else np.nan for v, a in arrays.items()}
    if hrv is None:
        hrv = variables_default
    rpeaks = np.asarray(physio["ECG_R_Peak_Times"].values, float) if hrv and "ECG_R_Peak_Times" in physio else None

    extent = signal_extent(time)
    win = {v: _window_for(v, windows) for v in variables}
    span = {v: variable_span(physio[v].attrs, extent) for v in variables}
    hrv_win = _window_for("HRV", windows)
    step = max(float(np.median(np.diff(time))) if time.size > 1 else 0.01, 0.01)

    rows = []
    ev = ev[ev["onset"].notna()]
    targets = ev[ev["kind"].isin(kinds)]
    if targets["apex"].isna().any():
        warnings.warn(
            f"event_features: subject {subject!r} trial {trial!r}: skipped {int(targets['apex'].isna().sum())} "
            "event(s) without a coded apex", MMMEWarning, stacklevel=2)
        targets = targets[targets["apex"].notna()]
    n_cut = n_part = 0

    def _cut_names(apex: float, rel: dict) -> list:
        """The variables (and ``"HRV"``) whose windows around ``apex`` run past the signal."""
        names = [v for v in variables if cut_mask([apex], [(rel[a], *win[v], *span[v]) for a in anchors])[0]]
        if rpeaks is not None and cut_mask([apex], [(rel[a], *hrv_win, *extent) for a in anchors])[0]:
            names.append("HRV")
        return names

    for _, e in targets.iterrows():
        rel = {a: float(e[a]) - float(e["apex"]) for a in ANCHORS}
        spec = [(rel[a], *win[v], *span[v]) for v in variables for a in anchors]
        if rpeaks is not None:
            spec += [(rel[a], *hrv_win, *extent) for a in anchors]
        me_cut = _cut_names(float(e["apex"]), rel)
        if me_cut and cut == "exclude" and len(me_cut) == len(variables) + (rpeaks is not None):
            n_cut += 1  # every feature window of this ME runs past the signal
            continue
        n_part += bool(me_cut) and cut == "exclude"
        base = {"subject": subject, "trial": trial, "event": e["event"]}
        for extra in ("emotion", "emotion3", "kind"):
            if extra in e:
                base[extra] = e[extra]
        moments = [("me", 0, float(e["apex"]))]
        shifts = match_times(e, ev, extent, spec, n_non_me, min_distance, rng, step, horizon=edge_horizon)
        if shifts.size < n_non_me:
            warnings.warn(
                f"event_features: subject {subject!r} trial {trial!r} event {e['event']!r}: placed "
                f"{shifts.size} of {n_non_me} non-ME moments (not enough time away from expressions)",
                MMMEWarning, stacklevel=2)
        moments += [("non_me", k + 1, float(s)) for k, s in enumerate(shifts)]
        for moment, match, apex in moments:
            row = dict(base, moment=moment, match=match)
            tt = {a: apex + rel[a] for a in ANCHORS}
            row.update(tt)
            names = _cut_names(apex, rel)
            row["cut"] = bool(names)
            row["cut_vars"] = ",".join(names)
            row["edge_distance"] = float(edge_distance(apex, extent))
            for v in variables:
                w0, w1 = win[v]
                for a in anchors:
                    row[f"{v}_{a}"] = window_mean(arrays[v], time, tt[a] + w0, tt[a] + w1, span[v])
                row[f"{v}_trialmean"] = trial_means[v]
            if rpeaks is not None:
                w0, w1 = hrv_win
                for a in anchors:
                    row[f"HRV_MeanNN_{a}"], row[f"HRV_RMSSD_{a}"] = _hrv_window(rpeaks, tt[a] + w0, tt[a] + w1)
            if cut == "exclude":  # a row's cut features, and the whole stratum's where the ME's is cut
                for v in {*names, *me_cut}:
                    cols = ([f"HRV_MeanNN_{a}" for a in anchors] + [f"HRV_RMSSD_{a}" for a in anchors]
                            if v == "HRV" else [f"{v}_{a}" for a in anchors])
                    row.update(dict.fromkeys(cols, np.nan))
            rows.append(row)
    if n_cut or n_part:
        warnings.warn(
            f"event_features: subject {subject!r} trial {trial!r}: of {len(targets)} ME(s), excluded {n_cut} whose "
            f"feature windows all run past the signal (trial edges) and set to NaN the cut features of {n_part} "
            "more, with their matched moments; cut='keep' keeps them, flagged", MMMEWarning, stacklevel=2)
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
