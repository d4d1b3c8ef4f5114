"""Action-unit table in the layout of MMME Table 1."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocab import AU_TABLE
from ._common import check_annotations
from .published import MMME_AU_COUNTS_ME

__all__ = ["au_table"]


def au_table(annotations: pd.DataFrame, *, published: bool = True) -> pd.DataFrame:
    """Count action units in micro- and macro-expressions.

    An AU is counted once per expression, whatever its side prefix (``L12`` and ``R12``
    in one expression count as one AU12), using the ``au_codes`` column.

    Parameters
    ----------
    annotations : pandas.DataFrame
        The table of :func:`mmme_analysis.read_coding_file` (``au_codes``, ``kind``).
    published : bool
        Add ``n_me_published`` (MMME Table 1, published; NaN where not listed).

    Returns
    -------
    pandas.DataFrame
        One row per AU seen (and, with ``published``, per AU of Table 1), sorted by number:
        ``au`` ("AU4"), ``code`` (int), ``name`` (FACS), ``region``, ``n_me``,
        ``pct_me`` (% of MEs containing the AU), ``n_mae``, ``pct_mae`` (% of MaEs),
        ``n_total`` [, ``n_me_published``]. ``attrs`` hold ``n_me`` and ``n_mae``
        (numbers of expressions).
    """
    ann = check_annotations(annotations, ("au_codes", "kind"))
    n_kind = {k: int((ann["kind"] == k).sum()) for k in ("micro", "macro")}
    rows = []
    for codes, kind in zip(ann["au_codes"], ann["kind"]):
        for c in sorted(set(int(x) for x in (codes or ()))):
            rows.append((c, kind))
    counts = pd.DataFrame(rows, columns=["code", "kind"])
    table = (
        counts.groupby(["code", "kind"]).size().unstack("kind")
        .reindex(columns=["micro", "macro"]).fillna(0).astype(int)
        if len(counts) else pd.DataFrame(columns=["micro", "macro"], dtype=int)
    )
    codes = sorted(set(table.index) | (set(MMME_AU_COUNTS_ME) if published else set()))
    table = table.reindex(codes).fillna(0).astype(int)
    out = pd.DataFrame(
        {
            "au": [f"AU{c}" for c in codes],
            "code": codes,
            "name": [AU_TABLE["name"].get(c, "") for c in codes],
            "region": [AU_TABLE["region"].get(c, "") for c in codes],
            "n_me": table["micro"].to_numpy(),
            "pct_me": 100.0 * table["micro"].to_numpy() / n_kind["micro"] if n_kind["micro"] else np.nan,
            "n_mae": table["macro"].to_numpy(),
            "pct_mae": 100.0 * table["macro"].to_numpy() / n_kind["macro"] if n_kind["macro"] else np.nan,
        }
    )
    out["n_total"] = out["n_me"] + out["n_mae"]
    if published:
        out["n_me_published"] = [MMME_AU_COUNTS_ME.get(c, np.nan) for c in codes]
    out.attrs["n_me"] = n_kind["micro"]
    out.attrs["n_mae"] = n_kind["macro"]
    return out.reset_index(drop=True)
