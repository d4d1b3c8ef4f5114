"""ME vs non-ME physiology on rows: subject-level mixed model, permutation, effect size, eta rule.

Input is the tidy table of :func:`mmme_analysis.physio.event_features` (columns
``subject``, ``moment`` in {"me", "non_me"} and feature columns). The CMCL-Net claim
checked here is that the heart-rate slope at ME apexes exceeds that at other moments.

These tests treat rows as independent within a subject: they ignore the trials and the
matching of controls to MEs, and lose calibration when MEs cluster in trials (issue 11).
They are kept as ``compare_moments(method="rows")``; the design-aware tests on matched
strata are in :mod:`mmme_analysis.stats.contrast_tests`.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validate import check_int, check_option, check_positive, check_rng
from ._common import fit_mixedlm
from .contrasts import kish_n_eff

__all__ = [
    "moment_mixedlm",
    "moment_permutation_test",
    "moment_effect_size",
    "eta_curve",
]


def _check_frame(df, feature):
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for 'df': expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in ("subject", "moment", feature) if c not in df]
    if missing:
        raise ValueError(f"Invalid value for 'df': expected columns subject, moment and {feature!r}, missing {missing!r}")
    d = df[["subject", "moment", feature]].dropna()
    d = d[d["moment"].isin(("me", "non_me"))]
    if d["moment"].nunique() < 2:
        raise ValueError(f"Invalid value for 'df': expected both 'me' and 'non_me' rows with finite {feature!r}, "
                         f"got moments {sorted(d['moment'].unique())!r}")
    return d


def moment_mixedlm(df: pd.DataFrame, feature: str) -> dict:
    """Linear mixed model ``feature ~ is_me`` with a random intercept per subject.

    statsmodels ``MixedLM`` (REML). ``estimate`` is the ME minus non-ME difference in the
    feature's unit; ``p`` the two-sided Wald test of it.

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_low``, ``ci_high`` (95 %), ``z``, ``p``,
        ``group_var`` (subject intercept variance), ``converged``, ``n_me``, ``n_non_me``,
        ``n_subjects``, ``n_eff`` (rows over the Kish design effect of the subject
        intra-class correlation) and ``n_eff_basis`` (``"kish"``).
    """
    import statsmodels.formula.api as smf

    d = _check_frame(df, feature).rename(columns={feature: "y"})
    d = d.assign(is_me=(d["moment"] == "me").astype(float))
    out = {"n_me": int(d["is_me"].sum()), "n_non_me": int((1 - d["is_me"]).sum()), "n_subjects": int(d["subject"].nunique())}
    # fit on the standardised feature (features range from 1e-8 S to 1e3 ms), rescale after
    center, scale = float(d["y"].mean()), float(d["y"].std(ddof=1))
    if not np.isfinite(scale) or scale == 0:
        raise ValueError(f"Invalid value for 'df': expected {feature!r} to vary, got a constant")
    d["y"] = (d["y"] - center) / scale
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if out["n_subjects"] >= 2:
            model = smf.mixedlm("y ~ is_me", d, groups=d["subject"])
            res = fit_mixedlm(model, (["lbfgs"], ["bfgs", "lbfgs", "cg"], ["powell"]),
                              f"for {feature!r} (singular design)")
            group_var = float(np.asarray(res.cov_re)[0, 0]) * scale**2
            converged = bool(res.converged)
        else:  # one subject: ordinary least squares
            res = smf.ols("y ~ is_me", d).fit()
            group_var, converged = 0.0, True
    resid_var = float(res.scale) * scale**2
    ci = np.asarray(res.conf_int())[list(res.params.index).index("is_me")] * scale
    out.update(
        estimate=float(res.params["is_me"]) * scale,
        se=float(res.bse["is_me"]) * scale,
        ci_low=float(ci[0]),
        ci_high=float(ci[1]),
        z=float(res.tvalues["is_me"]),
        p=float(res.pvalues["is_me"]),
        group_var=group_var,
        converged=converged,
        n_eff=kish_n_eff(d.assign(trial=np.arange(len(d))), group_var, 0.0, resid_var),
        n_eff_basis="kish",
    )
    return out


def _group_mean_diff(y, labels, codes, n_groups):
    """Mean over subjects of (mean ME - mean non-ME); labels (..., n) bool."""
    me = labels.astype(float)
    ne = 1.0 - me
    s_me = np.stack([(me * y)[..., codes == g].sum(-1) for g in range(n_groups)], -1)
    n_me = np.stack([me[..., codes == g].sum(-1) for g in range(n_groups)], -1)
    s_ne = np.stack([(ne * y)[..., codes == g].sum(-1) for g in range(n_groups)], -1)
    n_ne = np.stack([ne[..., codes == g].sum(-1) for g in range(n_groups)], -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = s_me / n_me - s_ne / n_ne
    return np.nanmean(diff, axis=-1)


def moment_permutation_test(
    df: pd.DataFrame,
    feature: str,
    *,
    rng: np.random.Generator,
    n_permutations: int = 2000,
    alternative: str = "two-sided",
) -> dict:
    """Within-subject permutation test of ME vs non-ME.

    The statistic is the mean over subjects of each subject's ME mean minus non-ME mean.
    Labels are shuffled within each subject (subjects with only one kind of row do not
    contribute). ``p = (1 + #{|T*| >= |T|}) / (1 + n_permutations)``.

    Returns
    -------
    dict
        ``statistic`` (feature units), ``p``, ``n_permutations``.
    """
    check_rng(rng)
    n_permutations = check_int("n_permutations", n_permutations, min_value=1)
    check_option("alternative", alternative, ("two-sided", "greater", "less"))
    d = _check_frame(df, feature)
    codes, _ = pd.factorize(d["subject"])
    n_groups = codes.max() + 1
    y = d[feature].to_numpy(float)
    lab = (d["moment"] == "me").to_numpy()
    observed = float(_group_mean_diff(y, lab, codes, n_groups))
    perm = np.empty((n_permutations, lab.size), bool)
    for g in range(n_groups):
        idx = np.flatnonzero(codes == g)
        perm[:, idx] = rng.permuted(np.broadcast_to(lab[idx], (n_permutations, idx.size)), axis=1)
    null = _group_mean_diff(y[None, :], perm, codes, n_groups)
    if alternative == "two-sided":
        hits = np.abs(null) >= abs(observed) - 1e-12
    elif alternative == "greater":
        hits = null >= observed - 1e-12
    else:
        hits = null <= observed + 1e-12
    return {"statistic": observed, "p": float((1 + hits.sum()) / (1 + n_permutations)), "n_permutations": n_permutations}


def _hedges_g(a, b, axis=-1):
    na, nb = a.shape[axis], b.shape[axis]
    va, vb = a.var(axis=axis, ddof=1), b.var(axis=axis, ddof=1)
    sp = np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    j = 1.0 - 3.0 / (4.0 * (na + nb) - 9.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return j * (a.mean(axis=axis) - b.mean(axis=axis)) / sp


def moment_effect_size(
    df: pd.DataFrame,
    feature: str,
    *,
    rng: np.random.Generator,
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
) -> dict:
    """Hedges' g (ME minus non-ME, pooled sd) with a bootstrap CI (scipy.stats.bootstrap).

    Returns
    -------
    dict
        ``g``, ``g_ci_low``, ``g_ci_high`` (percentile bootstrap, ``confidence_level``).
    """
    from scipy.stats import bootstrap

    check_rng(rng)
    n_resamples = check_int("n_resamples", n_resamples, min_value=1)
    check_positive("confidence_level", confidence_level)
    d = _check_frame(df, feature)
    a = d.loc[d["moment"] == "me", feature].to_numpy(float)
    b = d.loc[d["moment"] == "non_me", feature].to_numpy(float)
    g = float(_hedges_g(a, b))
    if a.size < 2 or b.size < 2 or not np.isfinite(g):
        return {"g": g, "g_ci_low": np.nan, "g_ci_high": np.nan}
    res = bootstrap((a, b), _hedges_g, vectorized=True, n_resamples=n_resamples, method="percentile",
                    confidence_level=confidence_level, rng=rng)
    return {"g": g, "g_ci_low": float(res.confidence_interval.low), "g_ci_high": float(res.confidence_interval.high)}


def eta_curve(
    df: pd.DataFrame,
    *,
    feature: str = "ECG_Rate_AbsSlope_apex",
    reference: str = "ECG_Rate_AbsSlope_trialmean",
    etas=None,
) -> pd.DataFrame:
    """Fraction of moments kept by the CMCL-Net eta rule, per eta.

    A candidate is kept when its apex slope exceeds ``eta`` times the mean slope of its
    trial: ``df[feature] > eta * df[reference]``.

    Parameters
    ----------
    df : pandas.DataFrame
        Event features with ``moment``, ``feature`` and ``reference`` columns.
    etas : array-like | None
        Thresholds; default 1.0 to 3.0 in steps of 0.1.

    Returns
    -------
    pandas.DataFrame
        ``eta``, ``moment`` ("me"/"non_me"), ``kept`` (fraction in [0, 1]), ``n``.
    """
    for c in ("moment", feature, reference):
        if c not in df:
            raise ValueError(f"Invalid value for 'df': expected a column {c!r}, got {list(df.columns)!r}")
    etas = np.round(np.arange(1.0, 3.0 + 1e-9, 0.1), 10) if etas is None else np.asarray(etas, float)
    rows = []
    for moment, d in df.groupby("moment", sort=True):
        d = d[[feature, reference]].dropna()
        x = d[feature].to_numpy(float)
        ref = d[reference].to_numpy(float)
        for eta in etas:
            kept = float(np.mean(x > eta * ref)) if x.size else np.nan
            rows.append({"eta": float(eta), "moment": moment, "kept": kept, "n": int(x.size)})
    return pd.DataFrame(rows)
