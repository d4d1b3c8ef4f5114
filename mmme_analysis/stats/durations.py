"""ME durations (onset-offset, onset-apex) and comparison with published datasets."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_option
from ._common import check_annotations
from .published import ME_DURATION_N, ME_DURATIONS_MS

__all__ = ["MEASURES", "UNCODED", "duration_samples", "duration_summary", "duration_comparison", "duration_test"]

#: Duration measures.
MEASURES = ("onset_offset", "onset_apex")
#: Treatment of rows whose offset was not coded (offset == apex):
#: ``"exclude"`` drops them from onset-offset durations, ``"as_apex"`` uses the apex as
#: the offset (so their onset-offset duration is their onset-apex duration).
UNCODED = ("exclude", "as_apex")


def duration_samples(annotations: pd.DataFrame, *, kind: str | None = "micro", measure: str = "onset_offset",
                     uncoded: str = "exclude") -> np.ndarray:
    """Durations in milliseconds.

    Parameters
    ----------
    annotations : pandas.DataFrame
        The table of :func:`mmme_analysis.read_coding_file`.
    kind : str | None
        ``"micro"``, ``"macro"`` or ``None`` (all).
    measure : str
        ``"onset_offset"`` or ``"onset_apex"``.
    uncoded : str
        See :data:`UNCODED` (only affects ``onset_offset``).

    Returns
    -------
    numpy.ndarray of float (ms), finite values only.
    """
    check_option("measure", measure, MEASURES)
    check_option("uncoded", uncoded, UNCODED)
    check_option("kind", kind, ("micro", "macro", None))
    ann = check_annotations(annotations, ("onset", "apex", "offset", "offset_coded", "kind"))
    if kind is not None:
        ann = ann[ann["kind"] == kind]
    if measure == "onset_apex":
        d = ann["apex"] - ann["onset"]
    else:
        d = ann["offset"] - ann["onset"]
        if uncoded == "exclude":
            d = d[ann["offset_coded"].astype(bool)]
    d = 1000.0 * d.to_numpy(float)
    return d[np.isfinite(d)]


def duration_summary(annotations: pd.DataFrame, *, kind: str | None = "micro") -> pd.DataFrame:
    """n, mean, sd and median (ms) for each measure and each treatment of uncoded offsets.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``uncoded``, ``n``, ``mean_ms``, ``sd_ms`` (ddof=1),
        ``median_ms``.
    """
    rows = []
    for measure, uncoded in (("onset_offset", "exclude"), ("onset_offset", "as_apex"), ("onset_apex", "exclude")):
        x = duration_samples(annotations, kind=kind, measure=measure, uncoded=uncoded)
        rows.append({
            "measure": measure,
            "uncoded": uncoded if measure == "onset_offset" else "n/a",
            "n": int(x.size),
            "mean_ms": float(x.mean()) if x.size else np.nan,
            "sd_ms": float(x.std(ddof=1)) if x.size > 1 else np.nan,
            "median_ms": float(np.median(x)) if x.size else np.nan,
        })
    return pd.DataFrame(rows)


def duration_test(a, b) -> dict:
    """Welch's t-test of two duration samples (``scipy.stats.ttest_ind``, unequal variances).

    Returns
    -------
    dict
        ``t``, ``p``, ``df``, ``n_a``, ``n_b``, ``mean_diff`` (a - b, same unit as input).
    """
    from scipy import stats

    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        raise ValueError(f"Invalid value for 'a'/'b': expected at least 2 finite durations each, got {a.size} and {b.size}")
    res = stats.ttest_ind(a, b, equal_var=False)
    return {"t": float(res.statistic), "p": float(res.pvalue), "df": float(res.df), "n_a": int(a.size), "n_b": int(b.size),
            "mean_diff": float(a.mean() - b.mean())}


def duration_comparison(annotations: pd.DataFrame, *, label: str = "this data", kind: str = "micro",
                        measure: str = "onset_offset", uncoded: str = "exclude") -> pd.DataFrame:
    """Computed ME duration beside the published ones of CASME ... MMME.

    Each published row gets a Welch t-test from summary statistics
    (``scipy.stats.ttest_ind_from_stats``) against the computed sample where the
    published number of MEs is known (:data:`~mmme_analysis.stats.published.ME_DURATION_N`);
    elsewhere ``t``/``p`` are NaN.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset``, ``source`` ("published" / "computed"), ``n``, ``mean_ms``,
        ``sd_ms``, ``t``, ``p`` (computed vs that row).
    """
    from scipy import stats

    x = duration_samples(annotations, kind=kind, measure=measure, uncoded=uncoded)
    m, s, n = (float(x.mean()) if x.size else np.nan), (float(x.std(ddof=1)) if x.size > 1 else np.nan), int(x.size)
    rows = []
    for name, (pm, ps) in ME_DURATIONS_MS.items():
        pn = ME_DURATION_N.get(name)
        t = p = np.nan
        if pn is not None and n > 1:
            res = stats.ttest_ind_from_stats(m, s, n, pm, ps, pn, equal_var=False)
            t, p = float(res.statistic), float(res.pvalue)
        rows.append({"dataset": name, "source": "published", "n": pn if pn is not None else np.nan,
                     "mean_ms": pm, "sd_ms": ps, "t": t, "p": p})
    rows.append({"dataset": label, "source": "computed", "n": n, "mean_ms": m, "sd_ms": s, "t": np.nan, "p": np.nan})
    out = pd.DataFrame(rows)
    out.attrs.update(kind=kind, measure=measure, uncoded=uncoded)
    return out
