"""Where :func:`~mmme_analysis.stats.event_table` keeps its tables, and when they are stale.

A table is cached per parameter set, as one Zarr group (dimension ``row``) named
``event_table-<params key>``: inside a store under ``features/`` (beside the flow
features of :func:`mmme_analysis.flow.cache_flow`), for a raw folder or an image-sequence
dataset in the user cache folder (``$MMME_CACHE_DIR/event-table/<hash of the folder
path>/features/``, else ``~/.cache/mmme-analysis/...``): raw folders are read-only and
never written. The group's attribute ``trial_keys`` maps each trial to the key its rows
were computed under: a hash of the trial's annotation rows, its summary (its row of
``ds.trials``), the parameters and the versions of this package, NumPy, NeuroKit2 and MNE
(:func:`trial_key`). A call reuses the rows of every trial whose key is unchanged and
recomputes the others.

What the key does not see: the signal files of a raw folder (a re-exported ``.mat`` with
the same annotations reuses old rows: pass ``cache=False`` or delete the cache folder)
and a store's trial groups rewritten without a change to its annotations or summaries.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TABLE_VERSION", "params_key", "trial_key", "cache_location", "read_cached", "write_cached"]

#: Bumped whenever a feature's definition changes (invalidates every cached table).
TABLE_VERSION = 1

_STR = "str"


def _versions(signals: bool) -> dict:
    from .. import __version__

    out = {"mmme_analysis": __version__, "numpy": np.__version__, "pandas": pd.__version__, "table": TABLE_VERSION}
    if signals:  # NeuroKit2 and MNE compute the signal features (imported only then: they are slow to import)
        import mne
        import neurokit2

        out.update(neurokit2=neurokit2.__version__, mne=mne.__version__)
    return out


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def params_key(params: dict) -> str:
    """Hash (hex) of the parameters and the package versions."""
    return _digest({"params": params, "versions": _versions(any(g != "ann" for g in params.get("groups", ())))})


def _cell(v):
    if isinstance(v, tuple):
        return list(v)
    if v is None or (not isinstance(v, (list, str)) and pd.isna(v)):
        return None
    if isinstance(v, (np.floating, float)):
        return repr(float(v))
    return str(v)


def trial_key(pkey: str, summary: dict, rows: pd.DataFrame) -> str:
    """Key of one trial's rows: the parameters' key, its summary and its annotation rows."""
    ann = [[_cell(v) for v in r] for r in rows.itertuples(index=False)]
    return _digest({"params": pkey, "summary": {k: _cell(v) for k, v in summary.items()},
                    "columns": list(map(str, rows.columns)), "rows": ann})


def cache_location(ds) -> Path:
    """The Zarr folder the tables of ``ds`` are cached in (a store: the store itself)."""
    if ds.backend == "zarr":
        return Path(ds.path)
    env = os.environ.get("MMME_CACHE_DIR")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "mmme-analysis"
    name = hashlib.sha256(str(Path(ds.path).resolve()).encode()).hexdigest()[:24]
    return root / "event-table" / f"{name}.zarr"


def _group(location: Path, pkey: str) -> Path:
    return Path(location) / "features" / f"event_table-{pkey[:20]}"


def read_cached(location: Path, pkey: str) -> tuple[pd.DataFrame | None, dict]:
    """``(rows, trial_keys)`` cached under ``pkey`` (``(None, {})`` when absent or unreadable)."""
    import xarray as xr

    group = _group(location, pkey)
    if not (group / "zarr.json").is_file():
        return None, {}
    try:
        with xr.open_zarr(str(group), consolidated=False) as ds:
            ds = ds.load()
        if ds.attrs.get("params_key") != pkey:
            return None, {}
        kinds = json.loads(ds.attrs["column_kinds"])
        df = pd.DataFrame({c: ds[c].values for c in kinds})
        for c, kind in kinds.items():
            if kind == _STR:
                df[c] = pd.array([None if v == "\0" else str(v) for v in df[c]], dtype=object)
            elif kind == "Int64":
                df[c] = pd.array([None if np.isnan(v) else int(v) for v in df[c]], dtype="Int64")
            elif kind == "au":
                df[c] = [tuple(int(x) for x in str(v).split(",") if x) for v in df[c]]
        return df, json.loads(ds.attrs["trial_keys"])
    except (OSError, ValueError, KeyError, TypeError):  # damaged or foreign group: recompute
        return None, {}


def write_cached(location: Path, pkey: str, rows: pd.DataFrame, trial_keys: dict) -> Path:
    """Write ``rows`` (all trials) under ``pkey``, atomically (an older group is replaced when complete)."""
    import xarray as xr

    from .._atomic import atomic_dir
    from ..io.store import ensure_groups

    location = Path(location)
    ensure_groups(location.parent, location.name, "features")
    kinds, data = {}, {}
    for c in rows.columns:
        col = rows[c]
        if c == "_au":
            kinds[c] = "au"
            data[c] = np.array([",".join(map(str, v)) for v in col], dtype=object)
        elif str(col.dtype) == "Int64":
            kinds[c] = "Int64"
            data[c] = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            kinds[c] = "float"
            data[c] = col.to_numpy(dtype=float, na_value=np.nan)
        else:
            kinds[c] = _STR
            data[c] = np.array(["\0" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                                for v in col], dtype=object)
    ds = xr.Dataset({c: ("row", v) for c, v in data.items()},
                    attrs={"params_key": pkey, "trial_keys": json.dumps(trial_keys), "column_kinds": json.dumps(kinds),
                           "description": "mmme_analysis.stats.event_table cache"})
    final = _group(location, pkey)
    with atomic_dir(final) as tmp:
        ds.to_zarr(str(tmp), mode="w", consolidated=False)
    return final
