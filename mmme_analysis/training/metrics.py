"""MEGC-style recognition metrics on predictions pooled over all LOSO folds.

The Micro-Expression Grand Challenge (MEGC 2019, See et al. 2019) scores a LOSO run on the
predictions of **all folds pooled together** (not the mean of per-fold scores, which is
undefined for folds missing a class and biased for small folds):

* UF1 (unweighted F1, "macro F1"): ``mean_c 2 TP_c / (2 TP_c + FP_c + FN_c)``;
* UAR (unweighted average recall, "balanced accuracy"): ``mean_c TP_c / N_c``;

with ``TP_c, FP_c, FN_c`` counted over the pooled predictions and ``N_c`` the number of
samples of class ``c``. The mean runs over ``labels`` (default: the classes present in
``y_true`` or ``y_pred``). A class with ``2 TP + FP + FN == 0`` has F1 0, and a class
listed in ``labels`` but absent from ``y_true`` has recall 0 (scikit-learn's
``zero_division=0``); both agree with ``sklearn.metrics.f1_score(..., average="macro")`` and
``recall_score(..., average="macro")`` on the same labels.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .._validate import check_path

__all__ = ["megc_metrics", "uf1", "uar", "confusion", "save_results"]


def _prepare(y_true, y_pred, labels):
    yt = np.asarray(y_true)
    yp = np.asarray(y_pred)
    if yt.ndim != 1 or yp.shape != yt.shape:
        raise ValueError(
            "Invalid value for 'y_pred': expected a 1-D array of the length of 'y_true' "
            f"({yt.shape}), got shape {yp.shape}"
        )
    if yt.size == 0:
        raise ValueError("Invalid value for 'y_true': expected at least one prediction, got []")
    if labels is None:
        labels = np.unique(np.concatenate([yt, yp]))
    labels = list(labels)
    if len(labels) < 1 or len(set(labels)) != len(labels):
        raise ValueError(f"Invalid value for 'labels': expected distinct class labels, got {labels!r}")
    return yt, yp, labels


def confusion(y_true, y_pred, labels: Sequence | None = None) -> np.ndarray:
    """Confusion matrix ``C[i, j]`` = number of samples of class ``labels[i]`` predicted
    ``labels[j]`` (rows: truth, columns: prediction). Samples whose truth or prediction is
    not in ``labels`` are left out.
    """
    yt, yp, labels = _prepare(y_true, y_pred, labels)
    index = {c: i for i, c in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(yt.tolist(), yp.tolist()):
        if t in index and p in index:
            cm[index[t], index[p]] += 1
    return cm


def _per_class(cm: np.ndarray):
    tp = np.diag(cm).astype(float)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    denom_f1 = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom_f1, out=np.zeros_like(tp), where=denom_f1 > 0)
    n = cm.sum(axis=1).astype(float)
    recall = np.divide(tp, n, out=np.zeros_like(tp), where=n > 0)
    return f1, recall


def uf1(y_true, y_pred, labels: Sequence | None = None) -> float:
    """Unweighted F1 (MEGC UF1) of pooled predictions; see the module docstring."""
    f1, _ = _per_class(confusion(y_true, y_pred, labels))
    return float(f1.mean())


def uar(y_true, y_pred, labels: Sequence | None = None) -> float:
    """Unweighted average recall (MEGC UAR) of pooled predictions."""
    _, recall = _per_class(confusion(y_true, y_pred, labels))
    return float(recall.mean())


def megc_metrics(y_true, y_pred, labels: Sequence | None = None) -> dict:
    """UF1, UAR, accuracy, per-class F1 / recall and the confusion matrix.

    Parameters
    ----------
    y_true, y_pred : array-like, 1-D
        Pooled truth and predictions of all folds (class labels, any hashable type).
    labels : sequence, optional
        Classes to score, in display order (default: sorted union of both arrays).

    Returns
    -------
    dict
        ``uf1``, ``uar``, ``accuracy`` (floats), ``n`` (int), ``labels`` (list),
        ``f1`` and ``recall`` (dict class -> float), ``confusion`` (2-D int array,
        rows truth, columns prediction).
    """
    yt, yp, labels = _prepare(y_true, y_pred, labels)
    cm = confusion(yt, yp, labels)
    f1, recall = _per_class(cm)
    return {
        "uf1": float(f1.mean()),
        "uar": float(recall.mean()),
        "accuracy": float(np.mean(yt == yp)),
        "n": int(yt.size),
        "labels": list(labels),
        "f1": dict(zip(labels, map(float, f1))),
        "recall": dict(zip(labels, map(float, recall))),
        "confusion": cm,
    }


def save_results(table: pd.DataFrame, path) -> Path:
    """Save a tidy results table atomically as CSV (``.csv``) or JSON (``.json``, records).

    The file is written to a temporary file in the same folder, then moved in place with
    :func:`os.replace`.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"Invalid value for 'table': expected a pandas.DataFrame, got {type(table).__name__}"
        )
    p = check_path("path", path, must_exist=False)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ValueError(f"Invalid value for 'path': expected a .csv or .json file, got {str(p)!r}")
    if not p.parent.is_dir():
        raise FileNotFoundError(f"Invalid value for 'path': expected an existing folder, got {str(p.parent)!r}")
    with atomic_path(p) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        if suffix == ".csv":
            table.to_csv(fh, index=False)
        else:
            json.dump(json.loads(table.to_json(orient="records")), fh, indent=1)
    return p
