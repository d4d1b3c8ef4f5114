"""Exploratory correlation tables with p-values and FDR."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .._validate import check_int, check_option
from ._common import fdr_columns

__all__ = ["correlate", "CORRELATION_METHODS"]

CORRELATION_METHODS = ("spearman", "pearson", "kendall")


def _corr(x, y, method):
    from scipy import stats

    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return np.nan, np.nan, int(x.size)
    f = {"spearman": stats.spearmanr, "pearson": stats.pearsonr, "kendall": stats.kendalltau}[method]
    res = f(x, y)
    return float(res.statistic), float(res.pvalue), int(x.size)


def correlate(df: pd.DataFrame, features=None, *, labels=(), method: str = "spearman", alpha: float = 0.05,
              fdr_method: str = "fdr_bh", min_n: int = 3) -> pd.DataFrame:
    """Tidy table of feature-feature and feature-label correlations.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per observation (e.g. :func:`mmme_analysis.physio.event_features`).
    features : sequence of str | None
        Numeric feature columns; default every numeric column not listed in ``labels``.
    labels : sequence of str
        Label columns. Numeric or boolean labels are correlated as they are; categorical
        ones are one-hot coded per level (``y`` reads ``"label=level"``; with two levels
        this is the point-biserial / rank-biserial correlation).
    method : str
        ``"spearman"`` (default), ``"pearson"`` or ``"kendall"`` (scipy.stats).
    alpha : float
        FDR level for ``reject``.
    fdr_method : str
        Passed to :func:`statsmodels.stats.multitest.multipletests`, over all rows.
    min_n : int
        Pairs with fewer complete observations get NaN ``r``/``p``.

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``y``, ``kind`` ("feature-feature" / "feature-label"),
        ``method``, ``r``, ``p``, ``n``, ``q`` (FDR-adjusted p), ``reject``.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for 'df': expected a pandas DataFrame, got {type(df).__name__}")
    check_option("method", method, CORRELATION_METHODS)
    min_n = check_int("min_n", min_n, min_value=3)
    labels = [labels] if isinstance(labels, str) else list(labels)
    missing = [c for c in labels if c not in df]
    if missing:
        raise ValueError(f"Invalid value for 'labels': expected columns of 'df', missing {missing!r}")
    if features is None:
        features = [c for c in df.columns if c not in labels and pd.api.types.is_numeric_dtype(df[c])
                    and not pd.api.types.is_bool_dtype(df[c])]
    features = list(features)
    bad = [c for c in features if c not in df or not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise ValueError(f"Invalid value for 'features': expected numeric columns of 'df', got {bad!r}")
    rows = []
    for a, b in itertools.combinations(features, 2):
        r, p, n = _corr(df[a].to_numpy(float), df[b].to_numpy(float), method)
        rows.append({"x": a, "y": b, "kind": "feature-feature", "r": r, "p": p, "n": n})
    for lab in labels:
        col = df[lab]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            targets = {lab: col.astype(float).to_numpy()}
        else:
            levels = sorted(col.dropna().unique(), key=str)
            valid = col.notna().to_numpy()
            targets = {f"{lab}={lv}": np.where(valid, (col == lv).to_numpy(float), np.nan) for lv in levels}
        for name, y in targets.items():
            for f in features:
                r, p, n = _corr(df[f].to_numpy(float), y, method)
                rows.append({"x": f, "y": name, "kind": "feature-label", "r": r, "p": p, "n": n})
    out = pd.DataFrame(rows, columns=["x", "y", "kind", "r", "p", "n"])
    out.insert(3, "method", method)
    too_few = out["n"] < min_n
    out.loc[too_few, ["r", "p"]] = np.nan
    return fdr_columns(out, alpha=alpha, method=fdr_method)
