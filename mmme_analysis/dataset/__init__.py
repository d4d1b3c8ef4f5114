"""Datasets: one API over raw folders and Zarr stores (see ``docs/data_model.md``)."""
from __future__ import annotations

from pathlib import Path

from .._validate import check_path
from .base import Dataset, slice_time

__all__ = ["Dataset", "open_dataset", "slice_time"]


def open_dataset(path=None, *, coding_file=None, flavour: str = "auto", fps: float | None = None) -> Dataset:
    """Open a dataset: a raw MMME-layout folder, a video-only dataset folder, or a ``.zarr`` store.

    Parameters
    ----------
    path : path-like, optional
        Raw folder or store. ``None`` opens the built-in demo dataset (generated and cached
        on first use, see :mod:`mmme_analysis.demo`).
    coding_file, flavour, fps
        Video-only datasets only (CASME II, SAMM, CAS(ME)^2, CAS(ME)^3; see
        :class:`~mmme_analysis.dataset.imageseq.ImageSequenceDataset`): the coding sheet (default:
        the one at the root), its flavour and the frame rate (frames/s).

    Returns
    -------
    Dataset
        ``RawDataset``, ``ImageSequenceDataset`` or a store dataset, with ``.annotations``,
        ``.trials``, ``.trial()``, ``.window()``, ``.to_mne()`` and iteration over trials.
    """
    if path is None:
        from ..demo import demo_path

        path = demo_path()
    path = check_path("path", path, kind="dir")
    video_only = coding_file is not None or flavour != "auto" or fps is not None
    if (Path(path) / "zarr.json").is_file():
        if video_only:
            raise TypeError("Invalid value for 'coding_file, flavour, fps': expected them only for a video-only "
                            f"dataset folder, got them for the store {path}")
        from ..store import read_store_attrs

        if read_store_attrs(path).get("trial_key") == "trial":  # converted from a video-only dataset
            from .imageseq import ImageSequenceStore

            return ImageSequenceStore(path)
        from .zarr import StoreDataset

        return StoreDataset(path)
    # -- video-only datasets (CASME II, SAMM, CAS(ME)^2/^3): no MMME participant folder, but a
    #    coding sheet at the root (or coding_file= given)
    from .raw import find_participants

    if not find_participants(Path(path)):
        from .imageseq import ImageSequenceDataset, find_coding_sheets

        if video_only or find_coding_sheets(path):
            return ImageSequenceDataset(path, coding_file, flavour=flavour, fps=fps)
    elif video_only:
        raise TypeError("Invalid value for 'coding_file, flavour, fps': expected them only for a video-only "
                        f"dataset folder, got them for the MMME raw folder {path}")
    # -- the MMME raw layout
    from .raw import RawDataset

    return RawDataset(path)
