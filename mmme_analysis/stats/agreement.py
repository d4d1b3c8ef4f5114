"""Agreement between two codings: Cohen's kappa, and the labelled kind against the rule."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._validate import check_type

__all__ = ["cohen_kappa", "kind_agreement"]


def cohen_kappa(y1, y2, *, labels=None) -> float:
    """Cohen's kappa: the agreement of two codings of the same items, corrected for chance.

    Parameters
    ----------
    y1, y2 : array-like
        The two codings, one label per item (same length, at least one item).
    labels : sequence | None
        The labels to count; items where either coding is outside ``labels`` are left
        out (as :func:`sklearn.metrics.cohen_kappa_score`). Default: every label seen.

    Returns
    -------
    float
        ``(p_o - p_e) / (1 - p_e)`` with ``p_o`` the observed agreement and ``p_e`` the
        agreement expected from the two codings' label frequencies; NaN when ``p_e == 1``
        (both codings use one and the same label throughout).

    Notes
    -----
    Equals :func:`sklearn.metrics.cohen_kappa_score` (unweighted) on the same inputs.
    """
    a = np.asarray(y1, dtype=object).ravel()
    b = np.asarray(y2, dtype=object).ravel()
    if a.shape != b.shape:
        raise ValueError(f"Invalid value for 'y2': expected {a.size} labels (as many as "
                         f"y1), got {b.size}")
    if labels is None:
        levels = list(dict.fromkeys(list(a) + list(b)))
    else:
        levels = list(dict.fromkeys(labels))
        if not levels:
            raise ValueError(f"Invalid value for 'labels': expected at least one label, "
                             f"got {labels!r}")
    index = {lab: i for i, lab in enumerate(levels)}
    keep = np.array([x in index and y in index for x, y in zip(a, b)], dtype=bool)
    if not keep.any():
        raise ValueError("Invalid value for 'y1': expected at least one item coded with "
                         "the labels in both codings, got none")
    counts = np.zeros((len(levels), len(levels)))
    for x, y in zip(a[keep], b[keep]):
        counts[index[x], index[y]] += 1
    n = counts.sum()
    p_o = np.trace(counts) / n
    p_e = float(counts.sum(axis=1) @ counts.sum(axis=0)) / n**2
    if math.isclose(p_e, 1.0):
        return math.nan
    return float((p_o - p_e) / (1.0 - p_e))


def kind_agreement(df: pd.DataFrame) -> pd.DataFrame:
    """Cross-tabulate the labelled kind of the expressions against the duration rule.

    Parameters
    ----------
    df : pandas.DataFrame
        An annotation table from :func:`mmme_analysis.io.coding.read_coding_file`; only
        rows with ``kind_source == "column"`` (a labelled kind) are used.

    Returns
    -------
    pandas.DataFrame
        Counts with index ``labelled`` and columns ``rule`` (both ``micro``, ``macro``).
        ``attrs``: ``n`` (rows compared), ``agreement`` (fraction of equal kinds) and
        ``kappa`` (:func:`cohen_kappa`).
    """
    check_type("df", df, pd.DataFrame, "pandas.DataFrame")
    needed = ("kind", "kind_rule", "kind_source")
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"Invalid value for 'df': expected an annotation table with columns "
                         f"{', '.join(needed)}, got one without {', '.join(missing)}")
    lab = df[df["kind_source"] == "column"]
    if lab.empty:
        raise ValueError("Invalid value for 'df': expected rows with a labelled kind "
                         "(kind_source == 'column'), got none")
    levels = ["micro", "macro"]
    table = pd.crosstab(pd.Categorical(lab["kind"], levels),
                        pd.Categorical(lab["kind_rule"], levels),
                        rownames=["labelled"], colnames=["rule"], dropna=False)
    agreement = float((lab["kind"].to_numpy() == lab["kind_rule"].to_numpy()).mean())
    kappa = cohen_kappa(lab["kind"], lab["kind_rule"], labels=levels)
    table.attrs.update(n=int(len(lab)), agreement=agreement, kappa=kappa)
    return table
