"""Flow features for many samples, in parallel with dask, and their cache in a Zarr store.

A *sample* is a mapping with the two frames of one expression, ``"onset"`` and ``"apex"``
(arrays ``(y, x)`` or ``(y, x, 3)``; NumPy, dask or xarray, read only inside the task),
and any scalar metadata (``subject``, ``trial``, ``label`` ...) which become coordinates
along the ``sample`` dimension of the result. :func:`mmme_analysis.training.task_samples`
builds such samples from a dataset.

The samples are processed in chunks of consecutive samples, one dask task per chunk (a few
chunks per thread): the flow solver is set up once per thread
(:func:`~mmme_analysis.flow.flow_compute`), the maps of consecutive flows of one shape are
computed together in reused per-thread buffers, and the normalisation runs over the whole
chunk (:func:`_chunk_features`). Each chunk travels in a :class:`_Chunk`, opaque to dask, which would otherwise walk every
sample mapping and array when it builds the tasks (about 40 us per sample); on the local
threaded scheduler the tasks form a plain graph for :func:`dask.threaded.get` (no
collections to optimise; with one thread the tasks run one after the other in the calling
thread, without the scheduler), and each task advances the progress bar itself.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import xarray as xr

from .._atomic import atomic_dir
from .._validate import check_int, check_option, check_path
from ..io.store import ensure_groups
from ..video.face import FACE_METHODS, face_crop, face_detect
from .inputs import CHANNELS, NORMALIZE_METHODS, _normalize, _workspace
from .optical import FLOW_METHODS, flow_compute

_CHUNKS_PER_THREAD = 4
_MAX_CHUNK = 16
_GROUP = 8  # consecutive flows of one shape whose maps are computed together

__all__ = ["compute_flow_features", "cache_flow", "load_flow", "sample_features"]


def sample_features(sample: Mapping[str, Any], *, method: str = "tvl1", size: int = 28,
                    normalize: str = "maxabs", subtract_global: bool = True,
                    crop_face: bool = False, crop_size: int = 128, face_method: str = "auto",
                    cv_threads: int | None = None) -> np.ndarray:
    """Model input ``(3, size, size)`` of one sample: face crop, flow onset->apex, inputs.

    Parameters are those of :func:`compute_flow_features` (``cv_threads=None`` leaves
    OpenCV's thread count as it is). The same steps serve
    :func:`mmme_analysis.training.infer_clip` on a user's clip.

    Returns
    -------
    numpy.ndarray, shape (3, size, size), float32
    """
    check_option("normalize", normalize, NORMALIZE_METHODS)
    size = check_int("size", size, min_value=4)
    return _chunk_features([sample], method=method, size=size, normalize=normalize,
                           subtract_global=subtract_global, crop_face=crop_face,
                           crop_size=crop_size, face_method=face_method,
                           cv_threads=cv_threads)[0]


def _chunk_features(samples: list, *, method: str, size: int, normalize: str,
                    subtract_global: bool, crop_face: bool, crop_size: int, face_method: str,
                    cv_threads: int | None) -> np.ndarray:
    """:func:`sample_features` of consecutive samples, as one array (n, 3, size, size).

    Consecutive flows of one shape are collected, up to ``_GROUP``, in the thread's
    reused buffers (:func:`~mmme_analysis.flow.inputs._workspace`) and their maps computed
    together, one NumPy call per step for the group: the calls' own cost is shared, and so
    is the slower start of the NumPy code after a solver call (its code and data have left
    the caches; ``benchmarks/bench_flow.py`` times the steps). Each flow is copied into the
    buffers and dropped at once, so that the solver's next output reuses its memory.
    """
    if cv_threads is not None:
        cv2.setNumThreads(cv_threads)
    maps = np.empty((len(samples), 3, size, size), np.float64)
    ws, group = None, []

    def flush():  # the group holds consecutive samples: their maps are a slice of maps
        ws.maps(len(group), size, subtract_global, maps[group[0]:group[-1] + 1])
        group.clear()

    for i, sample in enumerate(samples):
        onset = np.asarray(sample["onset"])
        apex = np.asarray(sample["apex"])
        if crop_face:
            face = face_detect(onset, method=face_method)
            onset = face_crop(onset, face, size=crop_size)
            apex = face_crop(apex, face, size=crop_size)
        flow = flow_compute(onset, apex, method=method)
        if group and ws.planes.shape[2:] != flow.shape[:2]:
            flush()
        if not group:
            ws = _workspace(*flow.shape[:2], capacity=_GROUP)
        ws.put(len(group), flow)
        group.append(i)
        del flow
        if len(group) == ws.capacity:
            flush()
    if group:
        flush()
    return _normalize(maps, normalize)


class _Chunk:
    """Consecutive samples of one task; dask passes it through without looking inside."""

    def __init__(self, samples: list):
        self.samples = samples


def _chunk_task(chunk: _Chunk, bar=None, **kw) -> np.ndarray:
    """:func:`_chunk_features` of one chunk; advances ``bar`` (tqdm) by its length."""
    out = _chunk_features(chunk.samples, **kw)
    if bar is not None:
        bar.update(len(chunk.samples))
    return out


def _metadata(samples: list[Mapping[str, Any]]) -> dict[str, list]:
    keys: list[str] = []
    for s in samples:
        for k, v in s.items():
            if k not in ("onset", "apex") and k not in keys and np.ndim(v) == 0:
                keys.append(k)
    return {k: [s.get(k) for s in samples] for k in keys}


def compute_flow_features(samples: Iterable[Mapping[str, Any]], *, method: str = "tvl1",
                          size: int = 28, normalize: str = "maxabs",
                          subtract_global: bool = True, crop_face: bool = False,
                          crop_size: int = 128, face_method: str = "auto", client=None,
                          n_workers: int | None = None,
                          cv_threads: int | None = 1, progress: bool = True) -> xr.Dataset:
    """Compute the model inputs of many samples, in parallel over samples with dask.

    Parameters
    ----------
    samples : iterable of mapping
        Each with ``"onset"`` and ``"apex"`` frames (same shape) and scalar metadata.
    method : {"tvl1", "dis", "farneback"}
        Optical-flow method (:func:`~mmme_analysis.flow.flow_compute`).
    size : int
        Side of the model input in pixels (28 for STSTNet, OFF-ApexNet, FR; 60 for RCN-A).
    normalize : {"maxabs", "minmax", "zscore", "none"}
        Per-sample normalisation (:func:`~mmme_analysis.flow.flow_normalize`).
    subtract_global : bool
        Remove the median (head) translation before computing strain.
    crop_face : bool
        Detect the face on the onset frame and crop both frames to it
        (:func:`~mmme_analysis.video.face_detect`, ``crop_size`` pixels) first.
    crop_size : int
        Side of the face crop in pixels.
    face_method : {"auto", "dlib", "cascade", "frame"}
        Face detector of ``crop_face`` (:func:`~mmme_analysis.video.face_detect`).
    client : distributed.Client, optional
        Run on this dask.distributed cluster; otherwise dask's local threaded scheduler
        (OpenCV releases the GIL) with ``n_workers`` threads (default: CPU count).
    n_workers : int, optional
        Threads of the local scheduler (ignored with a client).
    cv_threads : int or None
        OpenCV's own thread count inside each task (default 1, avoiding
        oversubscription; restored afterwards on the local scheduler). None leaves it.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    xarray.Dataset
        Variable ``flow_inputs`` (sample, channel, y, x) float32 with ``channel`` =
        ``("u", "v", "strain")``, one coordinate along ``sample`` per metadata key, and
        attrs ``flow_method``, ``size``, ``normalize``, ``subtract_global``, ``crop_face``,
        ``face_method``.
    """
    import dask
    from tqdm import tqdm

    check_option("method", method, FLOW_METHODS)
    check_option("normalize", normalize, NORMALIZE_METHODS)
    check_option("face_method", face_method, FACE_METHODS)
    size = check_int("size", size, min_value=4)
    if n_workers is not None:
        n_workers = check_int("n_workers", n_workers, min_value=1)
    samples = list(samples)
    if not samples:
        raise ValueError("Invalid value for 'samples': expected at least one sample, got []")
    for i, s in enumerate(samples):
        if not isinstance(s, Mapping) or "onset" not in s or "apex" not in s:
            raise ValueError(
                f"Invalid value for 'samples[{i}]': expected a mapping with 'onset' and "
                f"'apex' frames, got {type(s).__name__}"
            )
    kw = dict(method=method, size=size, normalize=normalize, subtract_global=subtract_global,
              crop_face=crop_face, crop_size=crop_size, face_method=face_method,
              cv_threads=cv_threads)
    if client is not None:
        n_threads = max(1, sum(client.nthreads().values()))
    else:
        n_threads = n_workers or os.cpu_count() or 1
    step = max(1, min(_MAX_CHUNK, -(-len(samples) // (_CHUNKS_PER_THREAD * n_threads))))
    chunks = [_Chunk(samples[i:i + step]) for i in range(0, len(samples), step)]
    bar = tqdm(total=len(samples), desc=f"flow ({method})", disable=not progress)
    try:
        if client is not None:
            from distributed import as_completed

            # pure=False: no hashing of the frames for task keys (the result is not cached by key)
            tasks = [dask.delayed(_chunk_task, pure=False)(c, **kw) for c in chunks]
            futures = client.compute(tasks)
            lengths = {f.key: len(c.samples) for f, c in zip(futures, chunks)}
            for fut in as_completed(futures):
                bar.update(lengths[fut.key])
            results = client.gather(futures)
        else:
            import dask.threaded

            run = partial(_chunk_task, bar=bar, **kw)
            old = cv2.getNumThreads()
            try:
                if n_threads == 1:
                    # one thread: the chunks one after the other in this one, as dask's
                    # scheduler would run them on its single worker, without its graph,
                    # queue and hand-over between threads
                    results = [run(c) for c in chunks]
                else:
                    # several: dask hands out the chunks one at a time, which balances
                    # the load between the threads
                    graph = {("flow-features", i): (run, c) for i, c in enumerate(chunks)}
                    results = dask.threaded.get(graph, list(graph), num_workers=n_workers,
                                                chunksize=1)
            finally:
                cv2.setNumThreads(old)
    finally:
        bar.close()
    data = np.concatenate(results).astype(np.float32, copy=False)
    coords: dict[str, Any] = {"sample": np.arange(len(samples)), "channel": list(CHANNELS)}
    for k, v in _metadata(samples).items():
        coords[k] = ("sample", np.asarray(v, dtype=object if any(x is None for x in v) else None))
    return xr.Dataset(
        {"flow_inputs": (("sample", "channel", "y", "x"), data)},
        coords=coords,
        attrs=dict(flow_method=method, size=size, normalize=normalize,
                   subtract_global=int(subtract_global), crop_face=int(crop_face),
                   face_method=face_method),
    )


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ValueError(
            f"Invalid value for 'name': expected a non-empty name without '/', got {name!r}"
        )
    return name


def cache_flow(features: xr.Dataset, store_path, name: str) -> Path:
    """Write flow features into group ``features/<name>`` of a Zarr store, atomically.

    The dataset is written to a temporary folder beside the target (same file system) and
    moved in place (as the store's trials are written); an older group of the
    same name is replaced only once the new one is complete. The store (and its
    ``features`` group) is created when missing; only ``features/<name>`` is touched.

    Parameters
    ----------
    features : xarray.Dataset
        E.g. the result of :func:`compute_flow_features`.
    store_path : str or path-like
        Zarr store folder (``*.zarr``).
    name : str
        Group name under ``features/`` (no ``/``).

    Returns
    -------
    pathlib.Path
        The folder of the written group.
    """
    if not isinstance(features, xr.Dataset):
        raise TypeError(
            f"Invalid value for 'features': expected an xarray.Dataset, got {type(features).__name__}"
        )
    name = _check_name(name)
    store = check_path("store_path", store_path, must_exist=False)
    if store.exists() and not store.is_dir():
        raise ValueError(f"Invalid value for 'store_path': expected a Zarr folder, got {str(store)!r}")
    ensure_groups(store.parent, store.name, "features")
    final = store / "features" / name
    ds = features.copy()
    for k in list(ds.coords):  # strings as variable-length UTF-8 (a Zarr v3 spec type)
        if ds[k].dtype == object or ds[k].dtype.kind == "U":
            ds[k] = ds[k].copy(data=np.array([str(v) for v in ds[k].values.ravel()],
                                             dtype=object).reshape(ds[k].shape))
    with atomic_dir(final) as tmp:
        ds.to_zarr(str(tmp), mode="w", consolidated=False)
    return final


def load_flow(store_path, name: str) -> xr.Dataset:
    """Load flow features cached by :func:`cache_flow` (into memory).

    Raises
    ------
    FileNotFoundError
        When the store or the group ``features/<name>`` does not exist.
    """
    name = _check_name(name)
    store = check_path("store_path", store_path, kind="dir")
    group = store / "features" / name
    if not group.is_dir():
        raise FileNotFoundError(
            f"Invalid value for 'name': expected a cached feature group, got {name!r} "
            f"(no features/{name} in {str(store)!r})"
        )
    with xr.open_zarr(str(store), group=f"features/{name}", consolidated=False) as ds:
        return ds.load()
