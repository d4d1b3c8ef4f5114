"""A dataset read lazily from a Zarr store written by :func:`mmme_analysis.store.convert`."""
from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_int
from ..errors import DataFormatError
from ..store import STORE_FORMAT, annotations_from_xarray, read_store_attrs, trial_path
from .base import Dataset

__all__ = ["StoreDataset"]

_SUMMARY = ("subject", "marker", "category", "category_name", "n_events", "n_me", "n_mae",
            "has_video", "has_eeg", "has_peri")


class StoreDataset(Dataset):
    """Dataset over a ``.zarr`` store; trials open lazily (dask) and frames read one chunk."""

    kind = "zarr"

    def __init__(self, path):
        path = Path(path)
        attrs = read_store_attrs(path)
        if attrs.get("format") != STORE_FORMAT:
            raise DataFormatError(
                f"{path}: not an mmme-analysis store; expected root attribute format={STORE_FORMAT!r}, "
                f"got {attrs.get('format')!r}"
            )
        super().__init__(path)
        self.attrs = attrs
        # opened trials, per dataset object (a class-level cache would keep every object alive);
        # lazy trees are small, so a session's worth stays open
        self._open = functools.lru_cache(maxsize=64)(self._open_group_tree)
        self._annotations = None
        self._trials = None

    @property
    def annotations(self) -> pd.DataFrame:
        if self._annotations is None:
            ann = self.path / "annotations"
            self._annotations = (annotations_from_xarray(xr.open_dataset(ann, engine="zarr", consolidated=False))
                                 if ann.exists() else pd.DataFrame())
        return self._annotations

    #: trial-summary attributes listed by ``trials`` (subclasses keyed otherwise extend it)
    summary_columns = _SUMMARY

    @staticmethod
    def _trial_order(name: str):
        """Sort key of a trial folder name (markers numerically)."""
        return (0, int(name), "") if name.isdigit() else (1, 0, name)

    @property
    def trials(self) -> pd.DataFrame:
        """Complete trials, read from each trial group's attributes (hidden temp groups skipped)."""
        if self._trials is None:
            rows = []
            base = self.path / "trials"
            visible = lambda folder: sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                                            key=lambda p: self._trial_order(p.name))
            for sub in visible(base) if base.is_dir() else []:
                for tr in visible(sub):
                    meta = tr / "zarr.json"
                    if meta.is_file():
                        attrs = json.loads(meta.read_text()).get("attributes", {})
                        rows.append({k: attrs.get(k) for k in self.summary_columns})
            self._trials = pd.DataFrame(rows, columns=list(self.summary_columns))
        return self._trials

    def _open_group_tree(self, subject: str, marker) -> xr.DataTree:
        """Open a trial lazily: each group on its own, video in one-second (shard) dask chunks."""
        path = trial_path(self.path, subject, marker)
        root = json.loads((path / "zarr.json").read_text())
        nodes = {"/": xr.Dataset(attrs=root.get("attributes", {}))}
        for group in ("video", "video_proxy", "eeg", "peri", "events"):
            if not (path / group / "zarr.json").is_file():
                continue
            chunks = {}
            if group.startswith("video"):
                fps = json.loads((path / group / "zarr.json").read_text())["attributes"]["fps"]
                chunks = {"time": max(1, int(round(float(fps))))}
            with warnings.catch_warnings():
                # one-second dask chunks deliberately span the one-frame storage chunks of a shard
                # (and split the small ``frame`` coordinate); reading whole shards is what we want
                warnings.filterwarnings("ignore", message="The specified chunks separate the stored chunks")
                ds = xr.open_dataset(str(path), group=group, engine="zarr", chunks=chunks, consolidated=False)
            nodes[f"/{group}"] = ds.load() if group == "events" else ds  # a few rows: not worth a graph
        return xr.DataTree.from_dict(nodes)

    def _load_trial(self, subject: str, marker) -> xr.DataTree:
        tree = self._open(subject, marker)
        if "video_proxy" in tree.children:
            tree = tree.copy()
            del tree["video_proxy"]
        return tree

    def proxy(self, subject: str, marker: int) -> xr.Dataset:
        """The downscaled browsing video of a trial (lazy)."""
        subject, marker = self._check_trial(subject, marker)
        return self._open(subject, marker)["video_proxy"].to_dataset()

    def frame(self, subject: str, marker: int, index: int, *, proxy: bool = False) -> np.ndarray:
        """One video frame (y, x, rgb) uint8, read as a single chunk (no dask graph)."""
        import zarr

        index = check_int("index", index, min_value=0)
        group = "video_proxy" if proxy else "video"
        arr = zarr.open_array(str(trial_path(self.path, subject, marker) / group / "frames"), mode="r")
        if index >= arr.shape[0]:
            raise IndexError(f"Invalid value for 'index': expected < {arr.shape[0]} frames, got {index}")
        return np.asarray(arr[index])
