"""Emotion distributions (7 and 3 classes, ME vs MaE) and per-subject counts."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_option
from ..vocab import EMOTION3_CLASSES, EMOTIONS_7
from ._common import check_annotations
from .published import MMME_ME_EMOTIONS

__all__ = ["emotion_counts", "subject_counts", "subject_emotion_counts"]


def _class_labels(ann: pd.DataFrame, classes: str, extra=()) -> tuple[pd.Series, list]:
    """Class of each row (missing -> ``"(none)"``) and the class order: the canonical
    classes first, then the other classes of the rows and of ``extra``, sorted."""
    labels = ann[classes].astype(object).where(ann[classes].notna(), "(none)")
    order = list(EMOTIONS_7 if classes == "emotion" else EMOTION3_CLASSES)
    return labels, order + sorted((set(labels) | set(extra)) - set(order))


def emotion_counts(annotations: pd.DataFrame, *, classes: str = "emotion", published: bool = True) -> pd.DataFrame:
    """Count expressions per emotion class, MEs and MaEs side by side.

    Parameters
    ----------
    annotations : pandas.DataFrame
        The table of :func:`mmme_analysis.read_coding_file`.
    classes : str
        ``"emotion"`` (7 canonical classes, plus any other class present) or
        ``"emotion3"`` (negative / positive / surprise, plus ``other`` when present).
    published : bool
        With ``classes="emotion"``, add ``n_me_published`` (MMME paper; its class list has
        ``contempt`` where the sheets have ``tense``, so both rows appear).

    Returns
    -------
    pandas.DataFrame
        Index: class. Columns ``n_me``, ``pct_me``, ``n_mae``, ``pct_mae``, ``n_total``,
        ``pct_total`` (% of the column's expressions) [, ``n_me_published``]. Rows with a
        missing class are counted under ``"(none)"``.
    """
    check_option("classes", classes, ("emotion", "emotion3"))
    ann = check_annotations(annotations, (classes, "kind"))
    published = published and classes == "emotion"
    labels, index = _class_labels(ann, classes, extra=MMME_ME_EMOTIONS if published else ())
    tab = pd.crosstab(labels, ann["kind"]).reindex(index=index, columns=["micro", "macro"]).fillna(0).astype(int)
    out = pd.DataFrame(index=pd.Index(index, name=classes))
    out["n_me"] = tab["micro"]
    out["n_mae"] = tab["macro"]
    out["n_total"] = out["n_me"] + out["n_mae"]
    for col in ("me", "mae", "total"):
        tot = out[f"n_{col}"].sum()
        out[f"pct_{col}"] = 100.0 * out[f"n_{col}"] / tot if tot else np.nan
    out = out[["n_me", "pct_me", "n_mae", "pct_mae", "n_total", "pct_total"]]
    if published:
        out["n_me_published"] = [MMME_ME_EMOTIONS.get(c, np.nan) for c in index]
    return out


def subject_counts(annotations: pd.DataFrame) -> pd.DataFrame:
    """Expressions and trials per (pseudonymous) subject.

    Returns
    -------
    pandas.DataFrame
        Index ``subject``; columns ``n_me``, ``n_mae``, ``n_total``, ``n_trials``
        (trials with at least one coded expression).
    """
    ann = check_annotations(annotations, ("subject", "kind", "trial"))
    tab = pd.crosstab(ann["subject"], ann["kind"]).reindex(columns=["micro", "macro"]).fillna(0).astype(int)
    out = pd.DataFrame({"n_me": tab["micro"], "n_mae": tab["macro"]})
    out["n_total"] = out["n_me"] + out["n_mae"]
    out["n_trials"] = ann.groupby("subject")["trial"].nunique().reindex(out.index).fillna(0).astype(int)
    out.index.name = "subject"
    return out


def subject_emotion_counts(annotations: pd.DataFrame, *, classes: str = "emotion", kind: str | None = "micro") -> pd.DataFrame:
    """Expressions per subject and emotion class.

    Parameters
    ----------
    annotations : pandas.DataFrame
        The table of :func:`mmme_analysis.read_coding_file`.
    classes : str
        ``"emotion"`` or ``"emotion3"``.
    kind : str | None
        ``"micro"`` (default), ``"macro"`` or ``None`` (both).

    Returns
    -------
    pandas.DataFrame
        Index ``subject``, one column per class (the canonical order first), counts.
    """
    check_option("classes", classes, ("emotion", "emotion3"))
    check_option("kind", kind, ("micro", "macro", None))
    ann = check_annotations(annotations, ("subject", "kind", classes))
    if kind is not None:
        ann = ann[ann["kind"] == kind]
    labels, cols = _class_labels(ann, classes)
    tab = pd.crosstab(ann["subject"], labels).reindex(columns=cols).fillna(0).astype(int)
    tab.columns.name = classes
    return tab
