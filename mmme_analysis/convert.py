"""Convert a raw dataset into a lazy, chunked Zarr store (``mmme convert RAW STORE.zarr``).

The layout is :mod:`mmme_analysis.io.store`'s. Each trial is written to a hidden
temporary group and renamed into place when complete, so a trial is either absent or
whole; a later run skips complete trials.
"""
from __future__ import annotations

import functools
from pathlib import Path

from tqdm import tqdm

from ._validate import check_int, check_path
from .dataset import open_dataset
from .io.store import STORE_FORMAT, STORE_VERSION, ensure_groups, trial_complete, write_annotations, write_trial

__all__ = ["convert"]


@functools.lru_cache(maxsize=4)
def _source(raw_dir: str):
    """The source dataset, opened once per process (dask workers convert several trials)."""
    return open_dataset(raw_dir)


def _convert_one(raw_dir: str, store: str, trial: str, proxy_side: int) -> str:
    import xarray as xr

    src = _source(raw_dir)
    row = src.trials.set_index("trial").loc[trial]
    summary = {"trial": trial, **{k: (v.item() if hasattr(v, "item") else v) for k, v in row.to_dict().items()}}
    with xr.set_options(keep_attrs=True):
        write_trial(src.trial(trial), store, trial, proxy_side=proxy_side, summary=summary)
    return trial


def convert(raw_dir, store, *, workers: int | None = None, overwrite: bool = False, progress: bool = True,
            proxy_side: int = 128) -> Path:
    """Convert a raw dataset folder into a Zarr store.

    Parameters
    ----------
    raw_dir : path-like
        Raw MMME-layout folder, or a video-only dataset folder (CASME II, SAMM, ...; see
        :mod:`mmme_analysis.dataset.imageseq`), opened read-only.
    store : path-like
        Target ``.zarr`` folder; created if needed. Complete trials already in it are skipped.
    workers : int, optional
        Run trials on a local ``dask.distributed`` cluster with this many worker processes.
    overwrite : bool
        Rewrite trials that are already complete.
    progress : bool
        Show a tqdm progress bar.
    proxy_side : int
        Largest side (px) of the downscaled browsing video.

    Returns
    -------
    Path
        The store.

    """
    import zarr

    raw_dir = check_path("raw_dir", raw_dir, kind="dir")
    store = check_path("store", store, must_exist=False)
    if workers is not None:
        workers = check_int("workers", workers, min_value=1)
    src = _source(str(raw_dir))
    store.mkdir(parents=True, exist_ok=True)
    root = zarr.open_group(str(store), mode="a", zarr_format=3)
    root.attrs.update({"format": STORE_FORMAT, "version": STORE_VERSION, "source": str(raw_dir)})
    write_annotations(src.annotations, store)
    ensure_groups(store, "trials")

    todo = [t for t in src.trials["trial"] if overwrite or not trial_complete(store, t)]
    bar = tqdm(total=len(todo), desc="convert", unit="trial", disable=not progress)
    if workers:
        from dask.distributed import Client, LocalCluster, as_completed

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            futures = [client.submit(_convert_one, str(raw_dir), str(store), t, proxy_side, pure=False) for t in todo]
            for fut in as_completed(futures):
                fut.result()
                bar.update()
    else:
        for t in todo:
            _convert_one(str(raw_dir), str(store), t, proxy_side)
            bar.update()
    bar.close()
    return store
