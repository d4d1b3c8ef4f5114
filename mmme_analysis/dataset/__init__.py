"""Datasets: one API over raw folders and Zarr stores (see ``docs/data_model.md``)."""
from __future__ import annotations

from pathlib import Path

from .._validate import check_path
from .base import Dataset, slice_time

__all__ = ["Dataset", "open_dataset", "slice_time"]


def open_dataset(path=None) -> Dataset:
    """Open a dataset: a raw MMME-layout folder or a ``.zarr`` store.

    Parameters
    ----------
    path : path-like, optional
        Raw folder or store. ``None`` opens the built-in demo dataset (generated and cached
        on first use, see :mod:`mmme_analysis.demo`).

    Returns
    -------
    Dataset
        ``RawDataset`` or ``StoreDataset``, with ``.annotations``, ``.trials``, ``.trial()``,
        ``.window()``, ``.to_mne()`` and iteration over trials.
    """
    if path is None:
        from ..demo import demo_path

        path = demo_path()
    path = check_path("path", path, kind="dir")
    if (Path(path) / "zarr.json").is_file():
        from .zarr import StoreDataset

        return StoreDataset(path)
    from .raw import RawDataset

    return RawDataset(path)
