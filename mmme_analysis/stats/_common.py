"""Checks and fitting shared by the statistics tables."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


def fit_mixedlm(model, methods, what: str):
    """REML fit of a statsmodels ``MixedLM``, trying each optimiser list until one converges.

    Returns the first converged result, else the last one fitted; raises LinAlgError naming
    ``what`` when none could be fitted.
    """
    res = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in methods:
            try:
                res = model.fit(reml=True, method=method)
            except (np.linalg.LinAlgError, ValueError):
                continue
            if res.converged:
                break
    if res is None:
        raise np.linalg.LinAlgError(f"MixedLM {what} could not be fitted")
    return res


def check_annotations(ann, columns) -> pd.DataFrame:
    """Return ``ann`` if it is a DataFrame holding ``columns``, else raise."""
    if not isinstance(ann, pd.DataFrame):
        raise TypeError(
            f"Invalid value for 'annotations': expected the DataFrame of read_coding_file, got {type(ann).__name__}"
        )
    missing = [c for c in columns if c not in ann]
    if missing:
        raise ValueError(
            f"Invalid value for 'annotations': expected columns {list(columns)!r} "
            f"(see docs/data_model.md), missing {missing!r}"
        )
    return ann


def fdr_columns(out: pd.DataFrame, *, alpha: float, method: str) -> pd.DataFrame:
    """Add ``q`` and ``reject`` to ``out`` (in place, returned): the false-discovery-rate
    correction (:func:`statsmodels.stats.multitest.multipletests`) of its finite ``p`` over
    all rows; rows without a p-value get NaN ``q`` and are not rejected."""
    from statsmodels.stats.multitest import multipletests

    out["q"] = np.nan
    out["reject"] = False
    ok = out["p"].notna().to_numpy()
    if ok.any():
        reject, q, _, _ = multipletests(out.loc[ok, "p"].to_numpy(), alpha=alpha, method=method)
        out.loc[ok, "q"] = q
        out.loc[ok, "reject"] = reject
    return out
