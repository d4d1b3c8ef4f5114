"""One tidy feature table of expressions and matched non-ME moments, across a whole dataset.

:func:`event_table` gives one row per annotated expression (``kind`` ``"micro"`` /
``"macro"``) and, for each micro-expression, one row per matched non-ME moment
(``kind="control"``, ``matched_to`` the ME's ``event_id``). Columns: the ids and metadata
(:data:`ID_COLUMNS`), then numeric feature columns prefixed by their source:

=========  =====================================================================================
group      columns (units in ``df.attrs["units"]``)
=========  =====================================================================================
``ann``    ``ann_duration`` (s; NaN when the offset was not coded), ``ann_onset_apex`` (s),
           ``au_<N>`` (0/1, one per AU coded anywhere in the source)
``ecg``    ``ecg_hr_<anchor>`` (bpm), ``ecg_slope_<anchor>``, ``ecg_absslope_<anchor>`` (bpm/s)
           for anchor onset, apex, offset; ``ecg_hrv_rmssd`` (ms, window around the apex)
``eda``    ``eda_phasic_peak`` (S), ``eda_latency`` (s)
``ppg``    ``ppg_amplitude`` (V)
``rsp``    ``rsp_rate`` (breaths/min), ``rsp_amplitude`` (V)
``skt``    ``skt_change`` (degC)
``eeg``    ``eeg_<band>_<region>_power`` (V^2), ``eeg_<band>_<region>_de`` (nat)
=========  =====================================================================================

The physiology columns are those of :func:`mmme_analysis.physio.event_features` (the
function whose rows :func:`~mmme_analysis.stats.compare_moments` tests), renamed, plus
features measured at the same rows' times; see :mod:`.event_table_physio`.
:func:`event_table_moments` turns the table back into the layout ``compare_moments``
takes, so that a contrast computed from the table is the statistics module's.

Controls are drawn per trial with ``numpy.random.default_rng([seed, zlib.crc32(trial)])``
(:func:`trial_rng`), so that each trial's rows do not depend on which other trials are
computed, in which order or in which thread.

Caching: a store's table goes into its group ``features/event_table-<key>`` (see
:mod:`.event_table_cache`); raw folders and image-sequence datasets are read-only, their
tables go to the user cache folder (``$MMME_CACHE_DIR/event-table`` or
``~/.cache/mmme-analysis/event-table``); coding sheets alone are not cached (reading the
sheet is the whole cost).
"""
from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .._validate import check_int, check_positive, check_type
from ..errors import DataFormatError

__all__ = ["ID_COLUMNS", "FEATURE_GROUPS", "PHYSIO_GROUPS", "event_table", "event_table_moments", "trial_rng"]

#: Id and metadata columns, in order, before the feature columns.
ID_COLUMNS = ("event_id", "trial", "subject", "kind", "matched_to", "emotion7", "emotion3", "category",
              "onset", "apex", "offset")

#: Peripheral feature groups (processed with :func:`mmme_analysis.physio.physio_process`).
PHYSIO_GROUPS = ("ecg", "ppg", "eda", "rsp", "skt")

#: Every feature group, in column order.
FEATURE_GROUPS = ("ann", *PHYSIO_GROUPS, "eeg")

_SHORTHANDS = {"annotation": ("ann",), "physio": PHYSIO_GROUPS}
_KINDS = ("micro", "macro")
_ANN_NEED = ("trial", "subject", "kind", "onset", "apex", "offset")
_STRING_COLUMNS = ("event_id", "trial", "subject", "kind", "matched_to", "emotion7", "emotion3")
_SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


def trial_rng(seed: int, trial: str) -> np.random.Generator:
    """The generator that draws one trial's matched non-ME moments in :func:`event_table`.

    ``numpy.random.default_rng([seed, zlib.crc32(trial.encode())])``: it depends on the
    seed and the trial id only.

    Examples
    --------
    >>> a = trial_rng(0, "sub-01_101").random()
    >>> b = trial_rng(0, "sub-01_101").random()
    >>> a == b, a == trial_rng(0, "sub-01_102").random()
    (True, False)
    """
    return np.random.default_rng([int(seed), zlib.crc32(str(trial).encode())])


def _groups(features, available: tuple) -> tuple:
    """The feature groups asked for, in :data:`FEATURE_GROUPS` order."""
    if isinstance(features, str):
        if features == "all":
            return available
        features = [features]
    if not isinstance(features, (list, tuple)) or not features:
        raise TypeError(f"Invalid value for 'features': expected 'all', a group name or a list of them "
                        f"{FEATURE_GROUPS + tuple(_SHORTHANDS)!r}, got {features!r}")
    asked = set()
    for f in features:
        if f in _SHORTHANDS:
            asked.update(_SHORTHANDS[f])
        elif f in FEATURE_GROUPS:
            asked.add(f)
        else:
            raise ValueError(f"Invalid value for 'features': expected names among "
                             f"{('all', *FEATURE_GROUPS, *_SHORTHANDS)!r}, got {f!r}")
    missing = sorted(asked - set(available), key=FEATURE_GROUPS.index)
    if missing:
        raise ValueError(f"Invalid value for 'features': the source has no data for {missing!r} (it has "
                         f"{list(available)!r}; a coding sheet gives annotation features only)")
    return tuple(g for g in FEATURE_GROUPS if g in asked)


def _check_annotations(ann) -> pd.DataFrame:
    if not isinstance(ann, pd.DataFrame):
        raise TypeError(f"Invalid value for 'source': expected a Dataset, a coding sheet path or the annotation "
                        f"DataFrame of read_coding_file, got {type(ann).__name__}")
    missing = [c for c in _ANN_NEED if c not in ann]
    if missing:
        raise ValueError(f"Invalid value for 'source': expected annotation columns {list(_ANN_NEED)!r} "
                         f"(see docs/data_model.md), missing {missing!r}")
    bad = ~ann["kind"].isin(_KINDS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"Invalid value for 'source': expected kind 'micro' or 'macro' in every row, got "
                         f"{ann['kind'].iloc[i]!r} in row {i} (trial {ann['trial'].iloc[i]!r})")
    for c in ("onset", "apex", "offset"):
        if not pd.api.types.is_numeric_dtype(ann[c]):
            raise ValueError(f"Invalid value for 'source': expected numeric {c!r} (s), got dtype {ann[c].dtype}")
    if ann["trial"].isna().any():
        raise ValueError("Invalid value for 'source': expected a trial id in every row, got NA in row "
                         f"{int(np.flatnonzero(ann['trial'].isna().to_numpy())[0])}")
    return ann


def _au_codes(ann: pd.DataFrame) -> list:
    """AU codes (tuples of int) per row, from ``au_codes`` or ``aus``."""
    if "au_codes" in ann:
        return [tuple(int(c) for c in v) if isinstance(v, (tuple, list)) else () for v in ann["au_codes"]]
    if "aus" in ann:
        from ..vocab import au_numbers

        return [tuple(au_numbers(v)) if isinstance(v, (tuple, list)) else () for v in ann["aus"]]
    return [()] * len(ann)


def _annotation_rows(ann: pd.DataFrame, times: pd.DataFrame | None = None) -> pd.DataFrame:
    """Expression rows (ids, metadata, ``ann`` features) of one trial's annotation rows.

    ``times``: trial-axis ``onset``/``apex``/``offset`` of the same rows (a dataset's
    ``/events`` node); default the annotation's own times.
    """
    n = len(ann)
    trial = ann["trial"].astype(str).to_numpy()
    src = ann if times is None else times
    out = pd.DataFrame({
        "event_id": [f"{t}:e{k}" for k, t in enumerate(trial)],
        "trial": trial,
        "subject": ann["subject"].astype(str).to_numpy(),
        "kind": ann["kind"].astype(str).to_numpy(),
        "matched_to": [pd.NA] * n,
        "emotion7": ann["emotion"].to_numpy(object) if "emotion" in ann else [pd.NA] * n,
        "emotion3": ann["emotion3"].to_numpy(object) if "emotion3" in ann else [pd.NA] * n,
        "category": pd.array(ann["category"].to_numpy(object) if "category" in ann else [pd.NA] * n, dtype="Int64"),
        "onset": np.asarray(src["onset"], float),
        "apex": np.asarray(src["apex"], float),
        "offset": np.asarray(src["offset"], float),
    })
    onset, apex, offset = (np.asarray(ann[c], float) for c in ("onset", "apex", "offset"))
    if "duration" in ann:
        out["ann_duration"] = np.asarray(ann["duration"], float)
    else:  # an offset equal to the apex was not coded (read_coding_file's convention)
        out["ann_duration"] = np.where(offset > apex, offset - onset, np.nan)
    out["ann_onset_apex"] = np.asarray(ann["onset_apex"], float) if "onset_apex" in ann else apex - onset
    out["_au"] = _au_codes(ann)
    return out


def _finish(parts: list, au: list, groups: tuple, feature_cols: list, units: dict) -> pd.DataFrame:
    """Concatenate trial parts, expand AU indicators, type and order the columns."""
    parts = [p for p in parts if len(p)]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*ID_COLUMNS, "_au"])
    cols = list(ID_COLUMNS)
    if "ann" in groups:
        codes = df["_au"] if "_au" in df else pd.Series([()] * len(df))
        ind = {f"au_{c}": np.fromiter((c in v if isinstance(v, tuple) else False for v in codes), bool, len(df))
               .astype(np.int8) for c in au}
        df = pd.concat([df, pd.DataFrame(ind, index=df.index)], axis=1)
        feature_cols = ["ann_duration", "ann_onset_apex", *ind, *feature_cols]
        units = {"ann_duration": "s", "ann_onset_apex": "s", **dict.fromkeys(ind, "1"), **units}
    for c in feature_cols:
        if c not in df:
            df[c] = np.nan
    df = df[cols + feature_cols].reset_index(drop=True)
    for c in _STRING_COLUMNS:
        df[c] = df[c].astype("string")
    df["category"] = df["category"].astype("Int64")
    for c in ("onset", "apex", "offset", *[f for f in feature_cols if not f.startswith("au_")]):
        df[c] = df[c].astype(float)
    df.attrs["features"] = list(feature_cols)
    df.attrs["units"] = {**{"onset": "s", "apex": "s", "offset": "s"}, **{c: units[c] for c in feature_cols}}
    df.attrs["groups"] = list(groups)
    return df


def _all_aus(ann: pd.DataFrame) -> list:
    return sorted({c for v in _au_codes(ann) for c in v})


def _sheet_table(ann: pd.DataFrame, groups: tuple, progress: bool) -> pd.DataFrame:
    from tqdm import tqdm

    parts = [_annotation_rows(rows) for _, rows in tqdm(ann.groupby("trial", sort=False), disable=not progress,
                                                        desc="event table")]
    out = _finish(parts, _all_aus(ann), groups, [], {})
    out.attrs["cache"] = {"location": None, "computed": int(ann["trial"].nunique()), "reused": 0}
    return out


def _open_source(source):
    """``(dataset or None, annotation table or None)`` of an event_table source."""
    from ..dataset import Dataset

    if isinstance(source, Dataset):
        return source, None
    if isinstance(source, pd.DataFrame):
        return None, _check_annotations(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"Invalid value for 'source': expected an existing dataset folder, store or coding "
                                    f"sheet, got {str(path)!r}")
        if path.is_dir():
            from ..dataset import open_dataset

            return open_dataset(path), None
        if path.suffix.lower() not in _SHEET_SUFFIXES:
            raise ValueError(f"Invalid value for 'source': expected a coding sheet ({', '.join(_SHEET_SUFFIXES)}) or a "
                             f"dataset folder, got the file {path.name!r}")
        from ..io.coding import read_coding_file

        return None, _check_annotations(read_coding_file(path))
    raise TypeError(f"Invalid value for 'source': expected a Dataset (mmme_analysis.open_dataset), a coding sheet path "
                    f"or an annotation DataFrame, got {type(source).__name__}")


def _dataset_groups(ds) -> tuple:
    t = ds.trials
    out = ["ann"]
    if len(t) and t["has_peri"].any():
        out += list(PHYSIO_GROUPS)
    if len(t) and t["has_eeg"].any():
        out.append("eeg")
    return tuple(out)


def _check_window(window) -> dict:
    if window is None:
        return {}
    if not isinstance(window, Mapping):
        raise TypeError(f"Invalid value for 'window': expected a mapping {{modality: (start, stop)}} (s), got "
                        f"{type(window).__name__}")
    from .event_table_physio import WINDOWS

    out = {}
    for k, v in window.items():
        if k not in WINDOWS:
            raise ValueError(f"Invalid value for 'window': expected keys among {tuple(WINDOWS)!r}, got {k!r}")
        try:
            w0, w1 = (float(x) for x in v)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid value for 'window': expected (start, stop) in s for {k!r}, got {v!r}") from None
        if not (np.isfinite(w0) and np.isfinite(w1) and w1 > w0):
            raise ValueError(f"Invalid value for 'window': expected finite start < stop (s) for {k!r}, got {v!r}")
        out[str(k)] = (w0, w1)
    return out


def event_table(source, *, features="all", window: Mapping | None = None, n_non_me: int = 1,
                min_distance: float = 3.0, seed: int = 0, n_workers: int | None = None, progress: bool = False,
                cache: bool = True) -> pd.DataFrame:
    """Tidy feature table: one row per expression and per matched non-ME moment, across a dataset.

    Parameters
    ----------
    source : Dataset | path-like | pandas.DataFrame
        A dataset of :func:`mmme_analysis.open_dataset` (store, raw folder, image
        sequences; a folder path is opened with it), a coding sheet (``.xlsx``, ``.xls``,
        ``.csv``, read with :func:`mmme_analysis.read_coding_file`) or its annotation
        table. Sheets and tables give annotation features only.
    features : str | sequence of str
        ``"all"`` (default: every group the source has data for), a group of
        :data:`FEATURE_GROUPS` (``"ann"``, ``"ecg"``, ``"ppg"``, ``"eda"``, ``"rsp"``,
        ``"skt"``, ``"eeg"``), ``"annotation"`` (= ``"ann"``), ``"physio"`` (the five
        peripheral groups) or a list of them.
    window : mapping | None
        Windows ``(start, stop)`` (s, relative to the anchor) overriding the defaults of
        :data:`mmme_analysis.stats.event_table_physio.WINDOWS`, per key.
    n_non_me : int
        Matched non-ME moments per micro-expression (controls; 0 for none).
    min_distance : float
        Distance (s) of a control from every annotated expression
        (:func:`mmme_analysis.physio.event_features`).
    seed : int
        Seed of the controls (per trial, :func:`trial_rng`).
    n_workers : int | None
        Threads of dask's local scheduler (default: CPU count).
    progress : bool
        Show a tqdm progress bar (one step per trial).
    cache : bool
        Reuse and update the cached table (stores: inside the store; raw folders and image
        sequences: the user cache folder; never inside a raw folder). A trial is
        recomputed when its annotation rows, its summary (``ds.trials`` row), the
        parameters or the package versions change. Coding sheets are not cached.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ID_COLUMNS` -- ``event_id`` (``<trial>:e<k>`` for the k-th expression
        of a trial, ``<trial>:e<k>:c<m>`` for its m-th control), ``trial``, ``subject``
        (pseudonym), ``kind`` (``"micro"``, ``"macro"``, ``"control"``), ``matched_to``
        (the ME's event_id for controls, else NA), ``emotion7``, ``emotion3`` (NA for
        controls), ``category`` (stimulus category of the trial; NA without markers),
        ``onset``, ``apex``, ``offset`` (s on the trial axis: a dataset's ``/events``
        times, a sheet's coded times; NaN where unknown) -- then the feature columns
        (see the module docstring). Controls have 0 in every ``au_<N>`` and NaN
        annotation durations. Controls are the matched moments of
        :func:`~mmme_analysis.physio.event_features`: they exist only when a signal group
        is asked for and the trial has peripheral signals (all of them are processed,
        whichever groups are asked for, so that the controls do not depend on the
        choice). ``attrs``: ``features`` (the feature columns), ``units``
        (column -> unit), ``groups``, ``cache`` (``location``, ``computed`` and ``reused``
        trial counts).

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> df = mm.stats.event_table(ds, features="annotation", cache=False)
    >>> df.columns[:6].tolist()
    ['event_id', 'trial', 'subject', 'kind', 'matched_to', 'emotion7']
    >>> sorted(df["kind"].unique()), df.attrs["units"]["ann_duration"]
    (['macro', 'micro'], 's')
    """
    check_type("progress", progress, bool)
    check_type("cache", cache, bool)
    n_non_me = check_int("n_non_me", n_non_me, min_value=0)
    min_distance = check_positive("min_distance", min_distance, allow_zero=True)
    seed = check_int("seed", seed, min_value=0)
    if n_workers is not None:
        n_workers = check_int("n_workers", n_workers, min_value=1)
    windows = _check_window(window)
    ds, ann = _open_source(source)
    if ds is None:
        return _sheet_table(ann, _groups(features, ("ann",)), progress)
    groups = _groups(features, _dataset_groups(ds))
    from .event_table_compute import dataset_table

    params = {"groups": list(groups), "window": {k: list(v) for k, v in sorted(windows.items())},
              "n_non_me": n_non_me, "min_distance": min_distance, "seed": seed}
    parts, au, feature_cols, units, info = dataset_table(ds, groups, params, windows, n_workers=n_workers,
                                                         progress=progress, cache=cache)
    out = _finish(parts, au, groups, feature_cols, units)
    out.attrs["cache"] = info
    return out


def event_table_moments(df: pd.DataFrame) -> pd.DataFrame:
    """The ME and control rows of an :func:`event_table` in the layout of :func:`~mmme_analysis.stats.compare_moments`.

    Micro-expressions with their controls become matched strata: ``event`` is the ME's
    ``event_id`` (its controls' ``matched_to``), ``moment`` is ``"me"`` / ``"non_me"``;
    macro-expressions are left out. Feature columns keep their names.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"event_id": ["t:e0", "t:e0:c1", "t:e1"], "trial": "t", "subject": "sub-01",
    ...                    "kind": ["micro", "control", "macro"], "matched_to": [pd.NA, "t:e0", pd.NA],
    ...                    "ecg_slope_apex": [2.0, 0.5, 1.0]})
    >>> m = event_table_moments(df)
    >>> m[["event", "moment", "ecg_slope_apex"]].values.tolist()
    [['t:e0', 'me', 2.0], ['t:e0', 'non_me', 0.5]]
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for 'df': expected the DataFrame of event_table, got {type(df).__name__}")
    missing = [c for c in ("event_id", "trial", "subject", "kind", "matched_to") if c not in df]
    if missing:
        raise ValueError(f"Invalid value for 'df': expected the columns of event_table, missing {missing!r}")
    d = df[df["kind"].isin(("micro", "control"))].copy()
    me = d["kind"] == "micro"
    d.insert(0, "event", np.where(me, d["event_id"].astype(object), d["matched_to"].astype(object)))
    d.insert(1, "moment", np.where(me, "me", "non_me"))
    d["event"] = d["event"].astype(str)
    for c in ("subject", "trial"):
        d[c] = d[c].astype(str)
    d.attrs = dict(df.attrs)
    return d.reset_index(drop=True)


def _raise_mismatch(trial: str, n_events: int, n_rows: int):
    raise DataFormatError(f"trial {trial}: {n_events} event(s) in its /events node but {n_rows} row(s) of the "
                          "annotation table; expected one event per annotated expression, in order")
