"""The built-in demo dataset, as MNE's ``datasets.sample``: :func:`data_path` returns its path.

Generated on first use, cached, then reused. The cache folder is ``$MMME_DATA_HOME`` if
set, else ``~/.cache/mmme-analysis``. The demo (raw layout and its Zarr store) is built in
a temporary sibling folder and renamed into place when complete, so concurrent first uses
cannot see a half-written demo.

The demo ships predictions, so that a new user sees them in the Explorer without training
anything: the baseline spotter (:class:`mmme_analysis.spotting.BaselineSpotter`, faces at 64
pixels wide to keep the build short; leave-one-subject-out: each subject's trials are
spotted with ``k`` fitted on the other subject's annotations) and the heart-rate-slope
filter (:func:`~mmme_analysis.spotting.hrs_filter`, ``eta = 2``) are run on the demo store
when it is built, and their output written to ``<store>/predictions/``
(:data:`PREDICTION_FILES`): the score of every frame (``trial, time, score``) and the
candidate intervals (``trial, onset, offset, label, apex, kept, hrs`` and extra columns), in
the Explorer's tidy CSV format (:mod:`mmme_analysis.dashboard.predictions`; seconds are the
times of the intervals' first and last frames). The Explorer shows them by default. The
demo's faces are synthetic and no face detector finds them, so the spotter's regions are
its template regions on the whole crop. A cached demo without these files gets them on
its next use.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path

from ._atomic import atomic_path
from ._validate import check_option
from ._warnings import MMMEWarning

__all__ = ["cache_dir", "data_path", "DEMO_VERSION", "PREDICTION_FILES"]

#: bump when the generator's output or the store layout changes, so cached demos are rebuilt
DEMO_VERSION = "demo-v8"


def _demo_config():
    """The demo: 2 participants x 3 trials x 10 s (about a minute to build on 2 cores)."""
    from .synth.generator import SynthConfig

    return SynthConfig(n_subjects=2, n_trials=3, duration=10.0, rest=2.0, seed=2026)


#: The demo's prediction files in ``<store>/predictions/``: kind -> file name.
PREDICTION_FILES = {"spotting": "baseline_spotting.csv", "intervals": "baseline_intervals.csv"}


def _spotter_config():
    """The baseline spotter of the demo: its defaults, faces at 64 pixels wide (3 x faster)."""
    from .spotting import SpotConfig

    return SpotConfig(width=64)


def _has_predictions(store: Path) -> bool:
    return all((store / "predictions" / name).is_file() for name in PREDICTION_FILES.values())


def _write_predictions(store: Path, progress: bool) -> None:
    """Spot the demo store with the baseline and the HR-slope filter; write its two CSV files."""
    import numpy as np
    import pandas as pd

    from .dataset import open_dataset
    from .spotting import BaselineSpotter, hrs_filter, trial_frames

    ds = open_dataset(store)
    ann, trials = ds.annotations, ds.trials
    found, scores = [], {}
    with warnings.catch_warnings():  # no face detector finds the synthetic faces: template regions
        warnings.simplefilter("ignore", MMMEWarning)
        for subject in sorted(trials["subject"].astype(str).unique()):
            spotter = BaselineSpotter(_spotter_config()).fit(ann[ann["subject"].astype(str) != subject])
            mine = trials.loc[(trials["subject"].astype(str) == subject) & trials["has_video"].astype(bool), "trial"]
            found.append(spotter.predict(ds, mine, progress=progress))
            scores.update(spotter.scores_)
        pred = hrs_filter(pd.concat(found, ignore_index=True), ds, eta=2.0)
    times = {t: np.asarray(trial_frames(ds.trial(t))[0]["time"].values, float) for t in pred["video"].unique()}

    def seconds(col):
        return [float(times[t][int(i)]) for t, i in zip(pred["video"], pred[col])]

    intervals = pd.DataFrame({
        "trial": pred["video"].astype(str), "onset": seconds("onset"), "offset": seconds("offset"),
        "label": pred["kind"].astype(str), "apex": seconds("apex"), "kept": pred["kept"].astype(bool),
        "hrs": pred["hrs"].astype(float), "hrs_mean": pred["hrs_mean"].astype(float), "eta": pred["eta"],
        "score": pred["score"].astype(float), "onset_frame": pred["onset"], "apex_frame": pred["apex"],
        "offset_frame": pred["offset"]})
    spotting = pd.concat([pd.DataFrame({"trial": trial, "time": s.index.to_numpy(float), "score": s.to_numpy(float),
                                        "kind": kind}) for (trial, kind), s in sorted(scores.items())],
                         ignore_index=True)
    folder = store / "predictions"
    folder.mkdir(exist_ok=True)
    for kind, table in (("spotting", spotting), ("intervals", intervals)):
        with atomic_path(folder / PREDICTION_FILES[kind]) as tmp:
            table.to_csv(tmp, index=False, float_format="%.7g")


def cache_dir() -> Path:
    """Folder holding cached generated data."""
    env = os.environ.get("MMME_DATA_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mmme-analysis"


def _build(progress: bool) -> Path:
    target = cache_dir() / DEMO_VERSION
    if (target / "store.zarr" / "zarr.json").is_file():
        if not _has_predictions(target / "store.zarr"):  # a demo cached before it shipped predictions
            _write_predictions(target / "store.zarr", progress)
        return target
    from .convert import convert
    from .synth.generator import synthesize

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{DEMO_VERSION}.", dir=target.parent))
    try:
        synthesize(tmp / "raw", _demo_config(), progress=progress)
        convert(tmp / "raw", tmp / "store.zarr", progress=progress)
        _write_predictions(tmp / "store.zarr", progress)
        try:
            os.rename(tmp, target)
        except OSError:  # another process finished first: use theirs
            if not (target / "store.zarr" / "zarr.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def data_path(kind: str = "store", *, progress: bool = False) -> Path:
    """Path of the demo dataset, generated and converted on first use.

    Parameters
    ----------
    kind : ``"store"`` | ``"raw"`` | ``"predictions"``
        The Zarr store, the raw MMME-layout folder it was converted from, or the folder of
        its baseline predictions (``<store>/predictions``, :data:`PREDICTION_FILES`).
    progress : bool
        Show progress bars while building it the first time.

    Returns
    -------
    Path

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> mm.demo.data_path().name, mm.demo.data_path("raw").name
    ('store.zarr', 'raw')
    >>> sorted(p.name for p in mm.demo.data_path("predictions").glob("*.csv"))
    ['baseline_intervals.csv', 'baseline_spotting.csv']
    """
    check_option("kind", kind, ("store", "raw", "predictions"))
    root = _build(progress)
    return {"store": root / "store.zarr", "raw": root / "raw", "predictions": root / "store.zarr" / "predictions"}[kind]
