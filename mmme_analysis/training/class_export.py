"""Class probabilities of a LOSO run in the Explorer's tidy ``classes`` format.

:func:`class_predictions` turns the per-sample predictions of a validator
(``prob_<class>`` columns, e.g. from :func:`~mmme_analysis.training.fusion_loso`) into one row
per ``(trial, event, class)``, where ``event`` is the 0-based index of the expression in
the trial's ``/events`` node (the key the Explorer uses, see
:mod:`mmme_analysis.dashboard.predictions`). Each sample is matched to its trial's event by
onset: the nearest event onset within ``tolerance`` (default 3 ms, under half a frame at
150 fps), else a :class:`ValueError` naming the trial and the onset. Save the table with
:func:`~mmme_analysis.training.save_results`; the Explorer opens it as a prediction file.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_positive, check_type

__all__ = ["CLASS_COLUMNS", "class_predictions"]

#: Columns of the table :func:`class_predictions` returns (the Explorer's ``classes`` kind).
CLASS_COLUMNS = ("trial", "event", "class", "probability", "subject", "y_true", "fold")


def _event_onsets(dataset, trial: str) -> np.ndarray:
    node = dataset.trial(trial)["/events"]
    return np.asarray(node["onset"].values, dtype=float) if "onset" in node else np.zeros(0)


def class_predictions(predictions: pd.DataFrame, samples: xr.Dataset, dataset, *, tolerance: float = 0.003) -> pd.DataFrame:
    """Class probabilities per annotated event, in the Explorer's ``classes`` format.

    Parameters
    ----------
    predictions : pandas.DataFrame
        One row per sample: ``sample`` (index into ``samples``), ``y_true``, ``fold`` and one
        ``prob_<class>`` column per class (the first table of
        :func:`~mmme_analysis.training.fusion_loso`).
    samples : xarray.Dataset
        The samples predicted, with ``trial`` and ``onset`` (s, trial axis) coordinates on
        ``sample`` (e.g. :func:`mmme_analysis.flow.dataset_fusion_samples`).
    dataset : Dataset
        The dataset the samples come from (its trials' ``/events`` give the event index).
    tolerance : float
        Largest distance (s) between a sample's onset and its event's onset.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CLASS_COLUMNS`, one row per sample and class; probabilities in [0, 1].

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> from mmme_analysis.flow import dataset_fusion_samples
    >>> from mmme_analysis.training import FusionConfig, fusion_loso
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> s = dataset_fusion_samples(ds, modalities=("eeg",), window=(-1.0, 1.0))  # doctest: +SKIP
    >>> pred, _, _ = fusion_loso(s, "mes_eeg", ("eeg",), config=FusionConfig(epochs=1))  # doctest: +SKIP
    >>> class_predictions(pred, s, ds).columns[:4].tolist()  # doctest: +SKIP
    ['trial', 'event', 'class', 'probability']
    """
    check_type("predictions", predictions, pd.DataFrame)
    check_type("samples", samples, xr.Dataset)
    tol = check_positive("tolerance", tolerance)
    probs = [c for c in predictions.columns if str(c).startswith("prob_")]
    missing = [c for c in ("sample", "y_true", "fold") if c not in predictions.columns]
    if missing or not probs:
        raise ValueError("Invalid value for 'predictions': expected columns 'sample', 'y_true', 'fold' and "
                         f"prob_<class>, got missing {missing + ([] if probs else ['prob_<class>'])}")
    no_coord = [c for c in ("trial", "onset") if c not in samples.coords and c not in samples]
    if no_coord:
        raise ValueError("Invalid value for 'samples': expected 'trial' and 'onset' on dim 'sample' (samples from "
                         f"a dataset, e.g. flow.dataset_fusion_samples), got missing {no_coord}")
    idx = predictions["sample"].to_numpy(dtype=int)
    if idx.size and (idx.min() < 0 or idx.max() >= samples.sizes["sample"]):
        raise ValueError(f"Invalid value for 'predictions': expected 'sample' in [0, {samples.sizes['sample'] - 1}], "
                         f"got {int(idx.min())}..{int(idx.max())}")
    p = predictions[probs].to_numpy(dtype=float)
    if not np.all(np.isfinite(p)) or p.min(initial=0) < 0 or p.max(initial=0) > 1:
        raise ValueError("Invalid value for 'predictions': expected probabilities in [0, 1], got values outside")
    trials = np.asarray(samples["trial"].values).astype(str)[idx]
    onsets = np.asarray(samples["onset"].values, dtype=float)[idx]
    subjects = np.asarray(samples["subject"].values).astype(str)[idx] if "subject" in samples else np.full(idx.size, "")
    events = np.empty(idx.size, dtype=int)
    cache: dict[str, np.ndarray] = {}
    for i, (trial, onset) in enumerate(zip(trials, onsets)):
        if trial not in cache:
            cache[trial] = _event_onsets(dataset, trial)
        ev = cache[trial]
        k = int(np.argmin(np.abs(ev - onset))) if ev.size else -1
        if k < 0 or abs(ev[k] - onset) > tol:
            raise ValueError(f"Invalid value for 'samples': expected an event of trial {trial!r} at onset {onset:.3f} s "
                             f"(within {tol * 1e3:.1f} ms), got none in its /events")
        events[i] = k
    classes = [str(c)[len("prob_"):] for c in probs]
    out = pd.DataFrame({
        "trial": np.repeat(trials, len(classes)),
        "event": np.repeat(events, len(classes)),
        "class": np.tile(classes, idx.size),
        "probability": p.reshape(-1),
        "subject": np.repeat(subjects, len(classes)),
        "y_true": np.repeat(predictions["y_true"].astype(str).to_numpy(), len(classes)),
        "fold": np.repeat(predictions["fold"].to_numpy(), len(classes)),
    })
    return out[list(CLASS_COLUMNS)]
