"""The Zarr backend: a store written by :func:`mmme_analysis.convert.convert`, read lazily."""
from __future__ import annotations

import concurrent.futures
import functools
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..io.store import annotations_from_xarray, check_store, trial_path, use_fast_codecs
from .base import TRIAL_COLUMNS, Backend, trials_frame

__all__ = ["ZarrBackend"]

#: threads that issue the chunk reads of one window together (zarr and zarrs release the GIL)
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="mmme-window")


def _natural_key(text: str):
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", str(text))]


class ZarrBackend(Backend):
    """Backend over a ``.zarr`` store; trials open lazily (dask) and frames read one chunk."""

    name = "zarr"

    def __init__(self, path):
        self.path = Path(path)
        self.attrs = check_store(self.path)
        use_fast_codecs()
        # opened trials, per backend object (a class-level cache would keep every object alive);
        # lazy trees are small, so a session's worth stays open
        self._open = functools.lru_cache(maxsize=64)(self._open_group_tree)
        self._arrays = functools.lru_cache(maxsize=64)(self._open_arrays)
        self._annotations = None
        self._trials = None

    @property
    def annotations(self) -> pd.DataFrame:
        if self._annotations is None:
            ann = self.path / "annotations"
            self._annotations = (annotations_from_xarray(xr.open_dataset(ann, engine="zarr", consolidated=False))
                                 if ann.exists() else pd.DataFrame(columns=["trial", "subject", "marker"]))
        return self._annotations

    @property
    def trials(self) -> pd.DataFrame:
        """Complete trials, read from each trial group's attributes (hidden temp groups skipped)."""
        if self._trials is None:
            base = self.path / "trials"
            rows = []
            folders = sorted((p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")),
                             key=lambda p: _natural_key(p.name)) if base.is_dir() else []
            for folder in folders:
                meta = folder / "zarr.json"
                if meta.is_file():
                    attrs = json.loads(meta.read_text()).get("attributes", {})
                    rows.append({k: attrs.get(k) for k in TRIAL_COLUMNS} | {"trial": folder.name})
            self._trials = trials_frame(rows)
        return self._trials

    def _open_group_tree(self, trial: str) -> xr.DataTree:
        """Open a trial lazily: each group on its own, video in one-second (shard) dask chunks."""
        path = trial_path(self.path, trial)
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
            if group == "events":  # a few rows: not worth a graph
                ds = ds.load()
            else:  # coordinates (frame numbers, channel types, positions) are small: in memory
                ds = ds.assign_coords({k: ds[k].load() for k in ds.coords if k not in ds.indexes})
            nodes[f"/{group}"] = ds
        return xr.DataTree.from_dict(nodes)

    def load(self, trial: str) -> xr.DataTree:
        tree = self._open(trial).copy()
        if "video_proxy" in tree.children:
            del tree["video_proxy"]
        return tree

    def _open_arrays(self, trial: str) -> dict:
        """{group: (dataset, {variable: zarr.Array})} of a trial, for eager window reads."""
        import zarr

        out = {}
        for name, node in self._open(trial).children.items():
            if name == "video_proxy":
                continue
            ds = node.to_dataset(inherit=False)
            arrays = {v: zarr.open_array(str(trial_path(self.path, trial) / name / v), mode="r")
                      for v in ds.data_vars if "time" in ds[v].dims} if "time" in ds.dims else {}
            out[name] = (ds, arrays)
        return out

    def window(self, trial: str, t0: float, t1: float) -> xr.DataTree:
        """The window read eagerly: one zarr read per variable, issued together, no dask graph."""
        groups = self._arrays(trial)
        jobs = {}
        for name, (ds, arrays) in groups.items():
            if arrays:
                i0, i1 = (int(i) for i in np.searchsorted(ds.indexes["time"].values, [t0, t1], side="left"))
                for var, arr in arrays.items():
                    jobs[name, var] = (arr, tuple(slice(i0, i1) if d == "time" else slice(None)
                                                  for d in ds[var].dims), (i0, i1))
        values = dict(zip(jobs, _POOL.map(lambda job: job[0][job[1]], jobs.values())))
        children = {}
        for name, (ds, arrays) in groups.items():
            if name == "events":
                keep = (ds["offset"].values >= t0) & (ds["onset"].values < t1) if ds.sizes.get("event", 0) else []
                children[name] = xr.DataTree(ds.isel(event=np.flatnonzero(keep)))
                continue
            if not arrays:
                children[name] = xr.DataTree(ds)
                continue
            i0, i1 = jobs[name, next(iter(arrays))][2]
            coords = {k: v.variable[tuple(slice(i0, i1) if d == "time" else slice(None) for d in v.dims)]
                      for k, v in ds.coords.items()}
            data = {var: xr.Variable(ds[var].dims, values[name, var], attrs=ds[var].attrs) for var in arrays}
            children[name] = xr.DataTree(xr.Dataset(data, coords=coords, attrs=ds.attrs))
        return xr.DataTree(xr.Dataset(attrs=dict(self._open(trial).attrs)), children=children)

    def proxy(self, trial: str) -> xr.Dataset | None:
        tree = self._open(trial)
        return tree["video_proxy"].to_dataset() if "video_proxy" in tree.children else None

    def frame(self, trial: str, index: int, *, proxy: bool = False) -> np.ndarray:
        """One video frame (y, x, rgb) uint8, read as a single chunk (no dask graph)."""
        import zarr

        group = "video_proxy" if proxy else "video"
        path = trial_path(self.path, trial) / group / "frames"
        if not (path / "zarr.json").is_file():
            raise ValueError(f"Invalid value for 'proxy': trial {trial} of {self.path} has no {group} group")
        arr = zarr.open_array(str(path), mode="r")
        if index >= arr.shape[0]:
            raise IndexError(f"Invalid value for 'index': expected < {arr.shape[0]} frames, got {index}")
        return np.asarray(arr[index])
