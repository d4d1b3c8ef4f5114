"""The per-trial computation of :func:`~mmme_analysis.stats.event_table` on a dataset: dask chunks, cache.

Trials are computed in chunks of consecutive trials, one dask task per chunk, on dask's
local threaded scheduler (NeuroKit2, NumPy and MNE release the GIL in their heavy parts);
each task advances the tqdm bar per trial. Chunks of a raw folder or image sequences hold
one subject's trials (its session is read by one thread); a store's hold up to
:data:`_MAX_CHUNK` trials. Trials whose cached rows are current are not read at all.
"""
from __future__ import annotations

import os
import warnings
from functools import partial

import numpy as np
import pandas as pd

from .._warnings import MMMEWarning
from ..io.store import trial_path
from .event_table import _all_aus, _annotation_rows, _raise_mismatch, trial_rng
from .event_table_cache import cache_location, params_key, read_cached, trial_key, write_cached
from .event_table_physio import signal_columns, trial_signal_rows

__all__ = ["dataset_table"]

_MAX_CHUNK = 8
_CHUNKS_PER_THREAD = 4


def _events(ds, trial: str, tree) -> pd.DataFrame:
    """Trial-axis ``onset``/``apex``/``offset`` of a trial's ``/events`` node.

    Without a tree (a store, annotation features only) the three arrays are read from the
    store's ``trials/<trial>/events`` group directly: a few ms, where opening the whole
    trial tree takes ~0.3 s.
    """
    cols = ["onset", "apex", "offset"]
    if tree is None:
        import zarr

        path = trial_path(ds.path, trial) / "events"
        if not (path / "zarr.json").is_file():
            return pd.DataFrame(columns=cols)
        group = zarr.open_group(str(path), mode="r")
        return pd.DataFrame({c: np.asarray(group[c][:], float) for c in cols})
    if "events" not in tree.children:
        return pd.DataFrame(columns=cols)
    ev = tree["events"].to_dataset()
    return pd.DataFrame({c: np.asarray(ev[c].values, float) for c in cols})


def _trial_part(ds, trial: str, rows: pd.DataFrame, groups: tuple, params: dict, windows: dict) -> pd.DataFrame:
    """Every table row of one trial (expressions, then each ME's controls after it)."""
    if not len(rows):
        return pd.DataFrame()
    signal = [g for g in groups if g != "ann"]
    tree = ds.trial(trial) if signal or ds.backend != "zarr" else None
    ev = _events(ds, trial, tree)
    if len(ev) != len(rows):
        _raise_mismatch(trial, len(ev), len(rows))
    expr = _annotation_rows(rows, ev)
    if not signal:
        return expr
    feat, ctrl = trial_signal_rows(tree, expr, signal, windows, rng=trial_rng(params["seed"], trial),
                                   n_non_me=params["n_non_me"], min_distance=params["min_distance"])
    expr = pd.concat([expr, feat], axis=1)
    if not len(ctrl):
        return expr
    me = expr.iloc[ctrl["event"].to_numpy(int)].reset_index(drop=True)
    c = pd.DataFrame({
        "event_id": [f"{e}:c{int(m)}" for e, m in zip(me["event_id"], ctrl["match"])],
        "trial": me["trial"], "subject": me["subject"], "kind": "control", "matched_to": me["event_id"],
        "emotion7": [pd.NA] * len(me), "emotion3": [pd.NA] * len(me), "category": me["category"],
        "onset": ctrl["onset"].to_numpy(float), "apex": ctrl["apex"].to_numpy(float),
        "offset": ctrl["offset"].to_numpy(float), "ann_duration": np.nan, "ann_onset_apex": np.nan,
        "_au": [()] * len(me),
    })
    c = pd.concat([c, ctrl.drop(columns=["event", "match", "onset", "apex", "offset"])], axis=1)
    order = np.r_[np.arange(len(expr)), ctrl["event"].to_numpy(float) + 0.5]  # controls after their ME
    out = pd.concat([expr, c], ignore_index=True)
    return out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


class _Chunk:
    """Trials of one task; dask passes it through without looking inside."""

    def __init__(self, items: list):
        self.items = items


def _chunk_task(chunk: _Chunk, *, ds, groups, params, windows, bar=None) -> list:
    out = []
    for trial, rows in chunk.items:
        out.append(_trial_part(ds, trial, rows, groups, params, windows))
        if bar is not None:
            bar.update(1)
    return out


def _chunks(ds, items: list, n_threads: int) -> list:
    if ds.backend != "zarr":  # one subject's session read by one thread
        subj = ds.trials.set_index("trial")["subject"]
        by = {}
        for it in items:
            by.setdefault(subj[it[0]], []).append(it)
        return [_Chunk(v) for v in by.values()]
    step = max(1, min(_MAX_CHUNK, -(-len(items) // (_CHUNKS_PER_THREAD * n_threads))))
    return [_Chunk(items[i:i + step]) for i in range(0, len(items), step)]


def dataset_table(ds, groups: tuple, params: dict, windows: dict, *, n_workers=None, progress=False, cache=True):
    """Trial parts of a dataset's table: ``(parts, au codes, signal columns, units, cache info)``."""
    import dask.threaded
    from tqdm import tqdm

    trials = ds.trials
    ann = ds.annotations
    ann = ann[ann["trial"].isin(set(trials["trial"]))]
    by_trial = {t: r for t, r in ann.groupby("trial", sort=False)}
    empty = ann.iloc[:0]
    pkey = params_key(params)
    keys = {}
    for summary in trials.to_dict("records"):
        t = summary["trial"]
        keys[t] = trial_key(pkey, summary, by_trial.get(t, empty))
    location = cache_location(ds) if cache else None
    cached, old_keys = read_cached(location, pkey) if cache else (None, {})
    reuse = {t for t in keys if old_keys.get(t) == keys[t]} if cached is not None else set()
    parts = {t: g for t, g in cached.groupby("trial", sort=False) if t in reuse} if reuse else {}
    todo = [(t, by_trial.get(t, empty)) for t in trials["trial"] if t not in reuse]
    n_threads = n_workers or os.cpu_count() or 1
    bar = tqdm(total=len(todo), desc="event table", disable=not progress)
    try:
        if todo:
            chunks = _chunks(ds, todo, n_threads)
            run = partial(_chunk_task, ds=ds, groups=groups, params=params, windows=windows, bar=bar)
            graph = {("event-table", i): (run, c) for i, c in enumerate(chunks)}
            results = dask.threaded.get(graph, list(graph), num_workers=n_threads)
            for chunk, res in zip(chunks, results):
                for (t, _), part in zip(chunk.items, res):
                    parts[t] = part
    finally:
        bar.close()
    cols, units = signal_columns(groups)
    ordered = [parts[t] for t in trials["trial"] if t in parts]
    if cache and (todo or set(old_keys) != set(keys)):
        full = [p for p in ordered if len(p)]
        if full:
            table = pd.concat(full, ignore_index=True)
            for c in cols:
                if c not in table:
                    table[c] = np.nan
            try:
                write_cached(location, pkey, table, keys)
            except OSError as err:  # a read-only store or cache folder: the table is still returned
                warnings.warn(f"event_table: could not cache the table in {location} ({type(err).__name__}: {err}); "
                              "it will be computed again next time", MMMEWarning, stacklevel=3)
                location = None
    info = {"location": None if location is None else str(location), "computed": len(todo), "reused": len(reuse)}
    return ordered, _all_aus(ann), cols, units, info
