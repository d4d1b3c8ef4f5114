"""Verify a converted store: every chunk decodes, all metadata parses, the summaries agree with the data.

:func:`check_store` reads the whole store (chunk by chunk, so memory stays bounded) and
lists what is damaged as a tidy table (the columns of ``Dataset.problems``). ``mmme check
STORE`` prints it.
"""
from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ._validate import check_path, check_type
from .dataset.base import PROBLEM_COLUMNS
from .errors import DataFormatError
from .io.store import check_store as _check_root
from .io.store import missing_chunks, use_fast_codecs

__all__ = ["check_store"]

#: the groups of a trial whose arrays hold data (``video`` only for image-sequence datasets)
_GROUPS = ("video", "face", "proxy", "eeg", "peri", "events")


class _Rows:
    """The problem rows found so far, with the store's root for relative file names."""

    def __init__(self, root: Path):
        self.root, self.rows = root, []

    def add(self, subject: str, trial: str, modality: str, path, error: str) -> None:
        file = Path(path).relative_to(self.root).as_posix() if Path(path).is_absolute() else str(path)
        self.rows.append({"subject": subject, "trial": trial, "modality": modality, "file": file,
                          "error": str(error).replace(str(self.root) + "/", "").replace(str(self.root), self.root.name)})


def _json(path: Path) -> dict:
    meta = json.loads(Path(path).read_bytes())
    if not isinstance(meta, dict):
        raise ValueError(f"a JSON {type(meta).__name__}, not an object")
    return meta


def _meta(rows: _Rows, path: Path, subject: str, trial: str, modality: str) -> dict | None:
    """A ``zarr.json``'s content, or None and a row saying why it cannot be used."""
    try:
        return _json(path)
    except FileNotFoundError:
        rows.add(subject, trial, modality, path, "zarr.json is missing: expected the metadata written by convert")
    except (OSError, ValueError) as err:  # empty, not UTF-8, not JSON
        rows.add(subject, trial, modality, path, f"zarr.json cannot be parsed ({type(err).__name__}: {str(err)[:80]})")
    return None


def _blocks(arr):
    """(chunk key, selection) of every stored chunk (shard) of a Zarr array, in order."""
    grid = arr.shards or arr.chunks
    counts = [math.ceil(n / c) if n else 0 for n, c in zip(arr.shape, grid)]
    for idx in itertools.product(*(range(n) for n in counts)):
        key = "c/" + "/".join(map(str, idx)) if idx else "c"
        yield key, tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(idx, grid, arr.shape))


def _check_array(rows: _Rows, folder: Path, subject: str, trial: str, modality: str, complete: bool) -> np.ndarray | None:
    """Decode every chunk of one array (a row per missing or corrupt chunk); its values when small."""
    import zarr

    meta = _meta(rows, folder / "zarr.json", subject, trial, modality)
    if meta is None:
        return None
    # signals and frames are written with every chunk (write_empty_chunks): a missing file is damage, not fill
    # values; a small coordinate equal to its fill value (an ``event`` index of 0) may have none
    if complete and "time" in (meta.get("dimension_names") or ()):
        for key in missing_chunks(folder):
            rows.add(subject, trial, modality, folder / key, "chunk file is missing: expected every chunk written by "
                                                              "convert (a read would give fill values)")
    try:
        arr = zarr.open_array(str(folder), mode="r")
    except Exception as err:  # noqa: BLE001 - invalid metadata content
        rows.add(subject, trial, modality, folder / "zarr.json", f"array metadata invalid ({type(err).__name__}: "
                                                                  f"{str(err)[:120]})")
        return None
    small = arr.size <= 4096
    values = []
    for key, sel in _blocks(arr):
        if not (folder / key).is_file():
            continue  # reported above, or legitimately all fill value
        try:
            block = np.asarray(arr[sel])
        except Exception as err:  # noqa: BLE001 - zarr / zarrs / numcodecs raise many kinds on damaged bytes
            rows.add(subject, trial, modality, folder / key, f"chunk cannot be decoded ({type(err).__name__}: "
                                                             f"{str(err)[:120]})")
            small = False
            continue
        if small:
            values.append(block)
    return np.concatenate([v.ravel() for v in values]) if small and values else (np.zeros(0) if small else None)


def _check_group(rows: _Rows, folder: Path, subject: str, trial: str, complete: bool) -> dict | None:
    """Every array of one group; {array: small values} (None when the group's metadata is unusable)."""
    if _meta(rows, folder / "zarr.json", subject, trial, folder.name) is None:
        return None
    out = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        out[sub.name] = _check_array(rows, sub, subject, trial, folder.name, complete)
    return out


def _check_summaries(rows: _Rows, folder: Path, attrs: dict, groups: dict, subject: str, trial: str) -> None:
    """The trial's summary attributes (n_events, has_* ...) against its stored groups."""
    events = groups.get("events")
    kinds = None if not events or events.get("kind") is None else [str(k) for k in events["kind"]]
    derived = {"has_eeg": "eeg" in groups, "has_peri": "peri" in groups,
               "has_video": bool({"video", "face"} & set(groups)) or bool(attrs.get("video_source"))}
    if kinds is not None:
        derived |= {"n_events": len(kinds), "n_me": kinds.count("micro"), "n_mae": kinds.count("macro")}
    elif "events" not in groups and attrs.get("n_events"):
        rows.add(subject, trial, "events", folder / "events", f"events group is missing, but n_events says "
                                                              f"{attrs['n_events']!r}")
    for key, value in derived.items():
        if key in attrs and attrs[key] != value:
            rows.add(subject, trial, "trial", folder / "zarr.json", f"{key} says {attrs[key]!r} but the stored data "
                                                                    f"give {value!r}")


def _check_trial(rows: _Rows, folder: Path) -> None:
    trial = folder.name
    meta = _meta(rows, folder / "zarr.json", "", trial, "trial")
    attrs = (meta or {}).get("attributes", {}) if isinstance((meta or {}).get("attributes", {}), dict) else {}
    subject = str(attrs.get("subject", ""))
    complete = bool(attrs.get("chunks_complete"))
    groups = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found = _check_group(rows, sub, subject, trial, complete)
        if found is not None or sub.name in _GROUPS:
            groups[sub.name] = found or {}
    if meta is not None:
        _check_summaries(rows, folder, attrs, groups, subject, trial)


def check_store(store, *, progress: bool = False) -> pd.DataFrame:
    """Verify a converted store: metadata, every chunk of every array, and the trial summaries.

    Parameters
    ----------
    store : path-like
        A ``.zarr`` store written by :func:`mmme_analysis.convert.convert` (read-only).
    progress : bool
        Show a progress bar over the trials.

    Returns
    -------
    pandas.DataFrame
        One row per problem, with the columns of ``Dataset.problems`` (``subject``,
        ``trial``, ``modality``, ``file``, ``error``); ``file`` is relative to the store
        (``trials/sub-01_101/eeg/eeg/c/0/1``), never an absolute path. Empty when the store
        is intact.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> from mmme_analysis.check import check_store
    >>> check_store(mm.demo.data_path()).empty
    True
    """
    from tqdm.auto import tqdm

    root = check_path("store", store, kind="dir").resolve()
    check_type("progress", progress, bool)
    use_fast_codecs()
    rows = _Rows(root)
    try:
        _check_root(root)
    except DataFormatError as err:
        rows.add("", "", "store", root / "zarr.json", str(err))
    if (root / "annotations").is_dir():
        _check_group(rows, root / "annotations", "", "", False)
    else:
        rows.add("", "", "annotations", "annotations", "annotations group is missing: expected the table written by "
                                                       "convert")
    base = root / "trials"
    trials = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")) if base.is_dir() else []
    if not base.is_dir():
        rows.add("", "", "store", "trials", "trials group is missing: expected one group per trial")
    for folder in tqdm(trials, desc="check", unit="trial", disable=not progress):
        _check_trial(rows, folder)
    return pd.DataFrame(rows.rows, columns=list(PROBLEM_COLUMNS), dtype=str)
