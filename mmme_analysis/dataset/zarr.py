"""The Zarr backend: a store written by :func:`mmme_analysis.convert.convert`, read lazily."""
from __future__ import annotations

import concurrent.futures
import functools
import json
import re
import warnings
from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from .._warnings import MMMEWarning
from ..errors import DataFormatError
from ..io.store import annotations_from_xarray, check_store, missing_chunks, read_problems, trial_path, use_fast_codecs
from .base import PROBLEM_COLUMNS, TRIAL_COLUMNS, Backend, trials_frame, video_file_frame
from .zarr_reads import event_kinds as _event_kinds
from .zarr_reads import guarded

__all__ = ["ZarrBackend"]

#: threads that issue the chunk reads of one window together (zarr and zarrs release the GIL)
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="mmme-window")


def _natural_key(text: str):
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", str(text))]


class ZarrBackend(Backend):
    """Backend over a ``.zarr`` store; trials open lazily (dask) and frames read one chunk."""

    name = "zarr"

    def __init__(self, path, *, raw=None):
        self.path = Path(path)
        self.attrs = check_store(self.path)
        #: the raw folder whose videos the store references (``raw=``, else the converted one; the
        #: store records it relative to itself)
        source = self.attrs.get("source")
        self.raw = Path(raw) if raw is not None else (self.path / source).resolve() if source else None
        use_fast_codecs()
        # opened trials, per backend object (a class-level cache would keep every object alive);
        # lazy trees are small, so a session's worth stays open
        self._open = functools.lru_cache(maxsize=64)(self._open_group_tree)
        self._arrays = functools.lru_cache(maxsize=64)(self._open_arrays)
        # the raw video of a trial, resolved (coding sheet read for the pseudonyms) and probed once
        self._video = functools.lru_cache(maxsize=64)(self._referenced_video)
        self._source_file = functools.lru_cache(maxsize=64)(self._source_file)
        self._annotations = None
        self._trials = None
        self._frames_array = functools.lru_cache(maxsize=256)(self._open_frames)

    @staticmethod
    def _open_frames(path: str):
        import zarr

        return zarr.open_array(path, mode="r")

    @property
    def annotations(self) -> pd.DataFrame:
        if self._annotations is None:
            ann = self.path / "annotations"
            if (ann / "zarr.json").is_file():
                try:
                    self._annotations = annotations_from_xarray(xr.open_dataset(ann, engine="zarr", consolidated=False))
                except Exception as err:  # noqa: BLE001 - codec / metadata errors of a damaged group
                    raise DataFormatError(f"{self.path}: the annotations group cannot be read ({type(err).__name__}: "
                                          f"{str(err)[:120]}); expected the table written by convert (the store is "
                                          f"damaged: convert again)") from None
            else:
                warnings.warn(f"{self.path.name}: the annotations group is missing: the annotation table is empty; "
                              f"expected the table written by convert (the store is damaged: convert again)",
                              MMMEWarning, stacklevel=3)
                self._annotations = pd.DataFrame(columns=["trial", "subject", "marker"])
        return self._annotations

    @property
    def trials(self) -> pd.DataFrame:
        """Complete trials, read from each trial group's attributes (hidden temp groups skipped).

        The summaries are derived from the stored data (``has_*`` from the groups, ``n_events``
        from the events group), never trusted: an attribute that disagrees gives a warning. A
        trial whose metadata is missing or unreadable is left out (:attr:`problems`, after
        the rows of the store's own problems table: what convert left out).
        """
        if self._trials is None:
            base = self.path / "trials"
            rows, self._problems = [], []
            folders = sorted((p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")),
                             key=lambda p: _natural_key(p.name)) if base.is_dir() else []
            for folder in folders:
                try:
                    attrs = self._metadata(folder, folder.name).get("attributes", {})
                except DataFormatError as err:
                    self._problems.append({"subject": "", "trial": folder.name, "modality": "trial",
                                           "file": f"trials/{folder.name}/zarr.json", "error": str(err)})
                    warnings.warn(f"{err} (left out)", MMMEWarning, stacklevel=3)
                    continue
                row = {k: attrs.get(k) for k in TRIAL_COLUMNS} | {"trial": folder.name}
                rows.append(row | self._derived(folder, attrs))
            # what convert left out of this store (participants, trials, modalities) comes first
            self._problems = read_problems(self.path, PROBLEM_COLUMNS).to_dict("records") + self._problems
            self._trials = trials_frame(rows)
        return self._trials

    def _derived(self, folder: Path, attrs: dict) -> dict:
        """The summaries of a trial from its groups, with a warning for each attribute that disagrees."""
        groups = {p.name for p in folder.iterdir() if p.is_dir()}
        got = {"has_video": bool(groups & {"video", "face"}) or bool(attrs.get("video_source")),
               "has_eeg": "eeg" in groups, "has_peri": "peri" in groups}
        kinds = _event_kinds(folder / "events")
        if kinds is not None:
            got |= {"n_events": len(kinds), "n_me": kinds.count("micro"), "n_mae": kinds.count("macro")}
        elif attrs.get("n_events"):
            got |= {"n_events": 0, "n_me": 0, "n_mae": 0}
        for key, value in got.items():
            said = attrs.get(key)
            if said is not None and said != value:
                what = "events" if key.startswith("n_") else key[4:]
                warnings.warn(f"{self.path.name}: trial {folder.name}: {key} says {said!r} but the stored {what} give "
                              f"{value!r} (events group {'missing' if kinds is None else 'present'}); expected them to "
                              f"agree: the stored data are used (the store is damaged?)", MMMEWarning, stacklevel=4)
        return got

    def _open_group_tree(self, trial: str) -> xr.DataTree:
        """Open a trial lazily: each group on its own, video in one-second (shard) dask chunks."""
        path = trial_path(self.path, trial)
        root = self._metadata(path, trial)
        nodes = {"/": xr.Dataset(attrs=root.get("attributes", {}))}
        for group in ("video", "face", "proxy", "eeg", "peri", "events"):
            if not (path / group).is_dir():
                continue
            self._metadata(path / group, trial)
            self._check_arrays(path / group, trial)
            if root.get("attributes", {}).get("chunks_complete"):
                self._check_complete(path / group, trial)
            try:
                nodes[f"/{group}"] = self._open_group(path, group, trial)
            except DataFormatError:
                raise
            except Exception as err:  # noqa: BLE001 - codec / metadata errors of damaged bytes
                raise DataFormatError(f"{self.path}: trial {trial}, group {group}: cannot be read ({type(err).__name__}: "
                                      f"{str(err)[:120]}); expected intact chunks and metadata (the store is damaged: "
                                      f"convert this trial again)") from None
        return xr.DataTree.from_dict(nodes)

    def _open_group(self, path: Path, group: str, trial: str) -> xr.Dataset:
        chunks = {}
        if group in ("video", "face", "proxy"):
            fps = json.loads((path / group / "zarr.json").read_text())["attributes"]["fps"]
            chunks = {"time": max(1, int(round(float(fps))))}
        with warnings.catch_warnings():
            # one-second dask chunks deliberately span the one-frame storage chunks of a shard
            # (and split the small ``frame`` coordinate); reading whole shards is what we want
            warnings.filterwarnings("ignore", message="The specified chunks separate the stored chunks")
            ds = xr.open_dataset(str(path), group=group, engine="zarr", chunks=chunks, consolidated=False)
        if group == "events":  # a few rows: not worth a graph
            return ds.load()
        # coordinates (frame numbers, channel types, positions) are small: in memory
        ds = ds.assign_coords({k: ds[k].load() for k in ds.coords if k not in ds.indexes})
        for var in ds.data_vars:  # chunk reads that fail name the store, trial, array and chunk
            if isinstance(ds[var].data, da.Array):
                ds[var] = ds[var].copy(data=guarded(path / group / var, ds[var].data.chunks,
                                                    f"{self.path}: trial {trial}, array {group}/{var}"))
        return ds

    def _check_arrays(self, group: Path, trial: str) -> None:
        """Every array folder of a group has its metadata (a missing ``zarr.json`` hides the array)."""
        for sub in sorted(p for p in group.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if not (sub / "zarr.json").is_file():
                raise DataFormatError(f"{self.path}: trial {trial}, array {group.name}/{sub.name}: its zarr.json is "
                                      f"missing; expected the array metadata written by convert (the store is "
                                      f"damaged: convert this trial again)")

    def _metadata(self, folder: Path, trial: str) -> dict:
        """A group's ``zarr.json``, or an error naming the store, trial and group."""
        try:
            meta = json.loads((folder / "zarr.json").read_bytes())
            if not isinstance(meta, dict):
                raise ValueError(f"a JSON {type(meta).__name__}, not an object")
            return meta
        except (OSError, ValueError) as err:  # missing, empty, not UTF-8, not JSON
            where = folder.relative_to(trial_path(self.path, trial)).as_posix()
            raise DataFormatError(f"{self.path}: trial {trial}, {'' if where == '.' else where + '/'}zarr.json "
                                  f"{'is missing' if isinstance(err, FileNotFoundError) else 'cannot be read'} "
                                  f"({type(err).__name__}); expected the group metadata written by convert (the store "
                                  f"is damaged: convert this trial again)") from None

    def _check_complete(self, group: Path, trial: str) -> None:
        """Every chunk file of the group's signals and frames exists (all were written): never fill values.

        Arrays along ``time`` are checked; small coordinate arrays (an ``event`` index equal to
        the fill value) may legitimately have no chunk file.
        """
        for array in sorted(p for p in group.iterdir() if (p / "zarr.json").is_file()):
            try:
                if "time" not in json.loads((array / "zarr.json").read_bytes()).get("dimension_names", ()):
                    continue
                gone = missing_chunks(array)
            except (OSError, ValueError, KeyError) as err:
                raise DataFormatError(f"{self.path}: trial {trial}, array {group.name}/{array.name}: zarr.json cannot "
                                      f"be read ({type(err).__name__}); expected the array metadata written by "
                                      f"convert (the store is damaged: convert this trial again)") from None
            if gone:
                raise DataFormatError(
                    f"{self.path}: trial {trial}, array {group.name}/{array.name}: chunk file(s) "
                    f"{', '.join(gone[:3])}{' ...' if len(gone) > 3 else ''} missing ({len(gone)}); expected every "
                    f"chunk (the store is damaged: convert this trial again; `mmme check` lists all damage)")

    def load(self, trial: str) -> xr.DataTree:
        tree = self._open(trial).copy()
        video = self._video(trial)
        if video is not None:
            tree["video"] = video
        return tree

    def _source_file(self, trial: str) -> Path | None:
        """The raw video (or frame folder) a trial references, or None when it is not reachable."""
        from .raw import resolve_shown

        shown = self._open(trial).attrs.get("video_source")
        if not shown or self.raw is None or not self.raw.is_dir():
            return None
        try:
            path = resolve_shown(self.raw, shown)
        except (FileNotFoundError, ValueError):
            return None
        return path if path.exists() else None

    def _referenced_video(self, trial: str) -> xr.Dataset | None:
        """Full frames from the raw video, lazily, on the times stored with the face crops."""
        from ..io.video import read_frames, read_video

        path = self._source_file(trial)
        if path is None:
            return None
        tree = self._open(trial)
        _check_same_file(path, tree.attrs, f"{self.path}: trial {trial} references {tree.attrs['video_source']}")
        frames = read_frames(path) if path.is_dir() else read_video(path)
        face = tree["face"].to_dataset()
        n = int(tree.attrs.get("video_frames", face.sizes["time"]))
        if frames.sizes["time"] != n:
            raise DataFormatError(f"{self.path}: trial {trial} references {tree.attrs['video_source']} with {n} "
                                  f"frames, but the file now has {frames.sizes['time']}; expected the video it "
                                  f"was converted from")
        da_ = frames.drop_vars([c for c in frames.coords]).assign_coords(time=face["time"].variable,
                                                                          frame=face["frame"].variable)
        return da_.to_dataset(name="frames").assign_attrs(fps=face.attrs["fps"], source=tree.attrs["video_source"])

    def _open_arrays(self, trial: str) -> dict:
        """{group: (dataset, {variable: (zarr.Array, dims)})} of a trial, for eager window reads."""
        import zarr

        out = {}
        for name, node in self._open(trial).children.items():
            ds = node.to_dataset(inherit=False)
            arrays = {v: (zarr.open_array(str(trial_path(self.path, trial) / name / v), mode="r"), ds[v].dims)
                      for v in ds.data_vars if "time" in ds[v].dims} if "time" in ds.dims else {}
            out[name] = (ds, arrays)
        return out

    def window(self, trial: str, t0: float, t1: float) -> xr.DataTree:
        """The window read eagerly: one zarr read per variable, issued together, no dask graph.

        The chunk reads run in a thread pool (zarr's codecs release the GIL) while the
        coordinates, events and the lazy full-frame slice are cut; the tree is assembled
        with :meth:`xarray.DataTree.from_dict`, which does not copy the groups again.
        """
        groups = self._arrays(trial)
        futures, bounds = {}, {}
        for name, (ds, arrays) in groups.items():
            if arrays:
                i0, i1 = (int(i) for i in np.searchsorted(ds.indexes["time"].values, [t0, t1], side="left"))
                bounds[name] = i0, i1
                for var, (arr, dims) in arrays.items():
                    key = tuple(slice(i0, i1) if d == "time" else slice(None) for d in dims)
                    futures[name, var] = _POOL.submit(arr.__getitem__, key)
        nodes = {"/": xr.Dataset(attrs=dict(self._open(trial).attrs))}
        video = self._video(trial)
        if video is not None:  # full frames stay lazy: one second is ~1 GB at 2048 x 1088
            t = video.indexes["time"].values
            i0, i1 = (int(i) for i in np.searchsorted(t, [t0, t1], side="left"))
            nodes["/video"] = video.isel(time=slice(i0, i1))
        coords = {}
        for name, (ds, arrays) in groups.items():
            if name == "events":
                keep = (ds["offset"].values >= t0) & (ds["onset"].values < t1) if ds.sizes.get("event", 0) else []
                nodes[f"/{name}"] = ds.isel(event=np.flatnonzero(keep))
            elif not arrays:
                nodes[f"/{name}"] = ds
            else:
                i0, i1 = bounds[name]
                coords[name] = {k: v.variable[tuple(slice(i0, i1) if d == "time" else slice(None) for d in v.dims)]
                                for k, v in ds.coords.items()}
        for name, cut in coords.items():
            ds, arrays = groups[name]
            data = {var: xr.Variable(dims, self._result(futures[name, var].result, trial, f"{name}/{var}", bounds[name]),
                                     attrs=ds[var].attrs) for var, (_, dims) in arrays.items()}
            nodes[f"/{name}"] = xr.Dataset(data, coords=cut, attrs=ds.attrs)
        return xr.DataTree.from_dict(nodes)

    def _result(self, read, trial: str, array: str, bounds) -> np.ndarray:
        """``read()``'s values, or an error naming store, trial, array and samples (a corrupt chunk)."""
        try:
            return read()
        except Exception as err:  # codec errors (zarrs / numcodecs) on damaged bytes
            raise DataFormatError(f"{self.path}: trial {trial}, array {array}, samples {bounds[0]}:{bounds[1]}: "
                                  f"cannot be decoded ({type(err).__name__}: {err}); expected intact chunks (the "
                                  f"store is damaged: convert this trial again)") from err

    def frame(self, trial: str, index: int, *, node: str = "video", width: int | None = None) -> np.ndarray:
        """One frame (y, x, rgb) uint8: a single chunk read, or one seek in the raw video; scaled to ``width``."""
        from ..io.video import scale_to_width

        path = trial_path(self.path, trial) / node / "frames"
        if not (path / "zarr.json").is_file():
            source = self._source_file(trial) if node == "video" else None
            if source is not None and source.is_file():
                self._video(trial)  # checks the file still has the frames the store was converted from
                return video_file_frame(source, index, label=f"trial {trial}", width=width)
            if source is not None:
                return super().frame(trial, index, node=node, width=width)
            raise ValueError(f"Invalid value for 'node': trial {trial} of {self.path} has no {node!r} frames"
                             + (f" (its raw video {self._open(trial).attrs.get('video_source')} is not reachable "
                                f"below {self.raw}; pass raw= to open_dataset)" if node == "video" else ""))
        arr = self._frames_array(str(path))
        if index >= arr.shape[0]:
            raise IndexError(f"Invalid value for 'index': expected < {arr.shape[0]} frames, got {index}")
        self._open(trial)  # checks the trial's chunks are all there
        return scale_to_width(self._result(lambda: np.asarray(arr[index]), trial, f"{node}/frames", (index, index + 1)),
                              width)


def _check_same_file(path: Path, attrs: dict, label: str) -> None:
    """The raw video is the one converted, where convert recorded its ``video_size`` (bytes) / ``video_sha1``."""
    import hashlib

    if path.is_dir():
        return
    size = attrs.get("video_size")
    if size is not None and int(size) != path.stat().st_size:
        raise DataFormatError(f"{label}, which has changed since conversion: {path.stat().st_size} bytes, expected "
                              f"{int(size)} (the video it was converted from)")
    digest = attrs.get("video_sha1")
    if digest:
        h = hashlib.sha1()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != digest:
            raise DataFormatError(f"{label}, whose content has changed since conversion (SHA-1 differs); expected "
                                  f"the video it was converted from")
