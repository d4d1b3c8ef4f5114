"""Datasets: one :class:`Dataset` type over raw folders, image sequences and Zarr stores.

See ``docs/data_model.md`` for the trial tree and ``docs/architecture.md`` for the layers.
"""
from __future__ import annotations

from pathlib import Path

from .._validate import check_path
from .base import PROBLEM_COLUMNS, TRIAL_COLUMNS, Backend, Dataset, slice_time

__all__ = ["Dataset", "Backend", "open_dataset", "slice_time", "TRIAL_COLUMNS", "PROBLEM_COLUMNS"]


def open_dataset(path, *, raw=None, coding_file=None, flavour: str = "auto", fps: float | None = None) -> Dataset:
    """Open a dataset: a raw MMME-layout folder, a video-only dataset folder, or a ``.zarr`` store.

    Parameters
    ----------
    path : path-like
        Raw folder or store (``~`` and relative paths work; opened read-only). The demo
        dataset is at :func:`mmme_analysis.demo.data_path`.
    raw : path-like, optional
        Stores only: the raw folder whose videos the store references (default: the folder
        it was converted from), for full frames (``tree["video"]``).
    coding_file, flavour, fps
        Video-only datasets only (CASME II, SAMM, CAS(ME)^2, CAS(ME)^3; see
        :mod:`mmme_analysis.dataset.imageseq`): the coding sheet (default: the one at the
        root), its flavour and the frame rate (frames/s).

    Returns
    -------
    Dataset
        One type whatever the storage (``ds.backend`` says which), with ``.annotations``,
        ``.trials``, ``.trial()``, ``.window()``, ``.frame()``, ``.to_mne()`` and iteration
        over trials, all keyed by the trial id (``ds.trials["trial"]``).

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> ds
    <Dataset | zarr | ... | 2 subjects, 6 trials, ... annotated expressions>
    >>> ds.trials[["trial", "subject", "marker"]].head(1)
            trial subject  marker
    0  sub-01_101  sub-01     101
    """
    path = check_path("path", path, kind="dir").resolve()
    video_only = coding_file is not None or flavour != "auto" or fps is not None
    if (Path(path) / "zarr.json").is_file():
        if video_only:
            raise TypeError("Invalid value for 'coding_file, flavour, fps': expected them only for a video-only "
                            f"dataset folder, got them for the store {path}")
        from .zarr import ZarrBackend

        return Dataset(ZarrBackend(path, raw=None if raw is None else check_path("raw", raw, kind="dir")))
    if path.suffix == ".zarr" or ((path / "trials").is_dir() and (path / "annotations").is_dir()):
        from ..errors import DataFormatError

        raise DataFormatError(f"{path}: no zarr.json at the root of this store folder (its store root metadata is "
                              f"missing); expected a store written by mmme convert (the store is damaged: convert "
                              f"again)")
    if raw is not None:
        raise TypeError(f"Invalid value for 'raw': expected it only for a store, got it for the folder {path}")
    # -- video-only datasets (CASME II, SAMM, CAS(ME)^2/^3): no MMME participant folder, but a
    #    coding sheet at the root (or coding_file= given)
    from ..io.images import find_coding_sheets
    from .raw import find_participants

    if not find_participants(Path(path)):
        if video_only or find_coding_sheets(path):
            from .imageseq import ImageSequenceBackend

            return Dataset(ImageSequenceBackend(path, coding_file, flavour=flavour, fps=fps))
    elif video_only:
        raise TypeError("Invalid value for 'coding_file, flavour, fps': expected them only for a video-only "
                        f"dataset folder, got them for the MMME raw folder {path}")
    from .raw import RawBackend

    return Dataset(RawBackend(path))
