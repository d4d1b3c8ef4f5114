"""Design-aware tests of ME vs matched non-ME moments, on the per-stratum contrasts.

Three tests of ``H0: mean contrast = 0`` (contrast = ME value minus the mean of its
matched controls, :func:`~mmme_analysis.stats.contrasts.moment_contrasts`), each for a
different view of what is independent:

* :func:`moment_contrast_mixedlm` -- linear mixed model ``contrast ~ 1`` with subject and
  trial-within-subject random intercepts (statsmodels MixedLM, ``vc_formula``). Right when
  the contrasts are roughly normal and there are enough subjects and trials (>= ~6 each)
  for the variance components; it weights trials and subjects by their information.
* :func:`moment_contrast_permutation` -- relabels ME and control within each matched
  stratum (``unit="stratum"``: with one control the sign flip of the contrast, with ``k``
  controls which of the ``k + 1`` rows is the ME), or flips the sign of whole trials'
  (``unit="trial"``) or subjects' (``unit="subject"``) contrasts. Exact (enumerated when
  the relabellings are few) under exchangeability of the chosen unit: ``"stratum"`` is
  right only when strata of one trial are independent (no shared drift, controls not
  shared); ``"trial"`` stays valid when strata of one trial are correlated (several MEs per
  trial, slow drifts), assuming trials are independent; ``"subject"`` also when trials
  of one subject are.
* :func:`moment_contrast_bootstrap` -- resamples subjects, then trials within each
  resampled subject (strata stay whole); percentile CI and the p of its inversion. Right
  for CIs of the mean contrast without normality, given enough subjects (with fewer than
  ~8 the percentile interval is too narrow).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_int, check_option, check_positive, check_rng
from ._common import fit_mixedlm
from .contrasts import design_counts, kish_n_eff, moment_contrasts

__all__ = ["moment_contrast_mixedlm", "moment_contrast_permutation", "moment_contrast_bootstrap"]

_ALTERNATIVES = ("two-sided", "greater", "less")


def _strata(df, feature, min_strata=2):
    s = moment_contrasts(df, feature)
    if len(s) < min_strata:
        raise ValueError(f"Invalid value for 'df': expected >= {min_strata} strata (an ME and a matched control with "
                         f"finite {feature!r}), got {len(s)}")
    return s


def moment_contrast_mixedlm(df: pd.DataFrame, feature: str) -> dict:
    """Mixed model of the per-stratum contrast with subject and trial-within-subject intercepts.

    ``contrast ~ 1`` with a random intercept per subject and a variance component for the
    trials within each subject (statsmodels ``MixedLM``, REML, fitted on the contrast
    divided by its root mean square). ``estimate`` is the fixed intercept, the mean ME
    minus matched-control difference; ``p`` its two-sided Wald z test. A level that cannot
    be told apart from another is left out (trial component when no trial holds two
    strata or no subject two trials; one subject: trials as groups; one trial: a one-sample
    t test of the contrasts). ``n_eff`` is the Kish effective number of strata from the
    estimated variance components (:func:`~mmme_analysis.stats.contrasts.kish_n_eff`).

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_low``, ``ci_high`` (95 %), ``z``, ``p``, ``subject_var``,
        ``trial_var``, ``residual_var`` (feature units squared), ``converged``,
        ``n_subjects``, ``n_trials``, ``n_me`` (strata), ``n_eff``, ``n_eff_basis``
        (``"kish"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([{"subject": s, "trial": t, "event": e, "moment": m, "x": rng.normal() + (m == "me")}
    ...                    for s in range(6) for t in range(3) for e in range(3) for m in ("me", "non_me")])
    >>> res = moment_contrast_mixedlm(df, "x")
    >>> (res["n_subjects"], res["n_trials"], res["n_me"]), bool(res["p"] < 0.001)
    ((6, 18, 54), True)
    """
    import statsmodels.formula.api as smf
    from scipy import stats

    s = _strata(df, feature)
    out = design_counts(s)
    y = s["contrast"].to_numpy(float)
    scale = float(np.sqrt(np.mean(y**2)))
    if scale == 0:
        raise ValueError(f"Invalid value for 'df': expected {feature!r} contrasts to vary, got all zero")
    d = pd.DataFrame({"y": y / scale, "subject": pd.factorize(s["subject"])[0],
                      "trial": s.groupby(["subject", "trial"], sort=False).ngroup().to_numpy()})
    per_trial = d.groupby("trial").size()
    trials_per_subject = d.groupby("subject")["trial"].nunique()
    sub_v = tri_v = 0.0
    converged = True
    if out["n_trials"] < 2:  # one trial: strata are the only replication
        t = stats.ttest_1samp(d["y"], 0.0)
        ci = t.confidence_interval(0.95)
        est, se = float(d["y"].mean()), float(d["y"].std(ddof=1) / np.sqrt(len(d)))
        z, p, ci = float(t.statistic), float(t.pvalue), (float(ci.low), float(ci.high))
        res_v = float(d["y"].var(ddof=1))
    else:
        if out["n_subjects"] >= 2:
            groups = d["subject"]
            vc = {"trial": "0 + C(trial)"} if (per_trial.max() >= 2 and trials_per_subject.max() >= 2) else None
        else:
            groups, vc = d["trial"], None
        model = smf.mixedlm("y ~ 1", d, groups=groups, re_formula="1", vc_formula=vc)
        res = fit_mixedlm(model, (["powell"], ["lbfgs"], ["nm"]), f"of the {feature!r} contrasts")
        converged = bool(res.converged)
        est, se = float(res.params["Intercept"]), float(res.bse["Intercept"])
        z, p = float(res.tvalues["Intercept"]), float(res.pvalues["Intercept"])
        ci = tuple(np.asarray(res.conf_int())[0])
        group_v = float(np.asarray(res.cov_re)[0, 0])
        if out["n_subjects"] >= 2:
            sub_v, tri_v = group_v, (float(res.vcomp[0]) if vc else 0.0)
        else:
            tri_v = group_v
        res_v = float(res.scale)
    var = {"subject_var": sub_v * scale**2, "trial_var": tri_v * scale**2, "residual_var": res_v * scale**2}
    out.update(estimate=est * scale, se=se * scale, ci_low=float(ci[0]) * scale, ci_high=float(ci[1]) * scale, z=z, p=p,
               **var, converged=converged, n_eff=kish_n_eff(s, var["subject_var"], var["trial_var"], var["residual_var"]),
               n_eff_basis="kish")
    return out


def _relabel_stratum(values, codes, n):
    """Contrasts with row ``codes[..., i]`` of stratum ``i`` as the ME: ``((k + 1) y_j - S) / k``."""
    m = np.array([v.size for v in values])
    pad = np.full((len(values), m.max()), np.nan)
    for i, v in enumerate(values):
        pad[i, : v.size] = v
    total = np.nansum(pad, axis=1)
    y = pad[np.arange(len(values)), codes]  # (..., n)
    return ((m * y - total) / (m - 1)).sum(-1) / n


def _p_value(null, observed, alternative, exact):
    tol = 1e-12 * max(1.0, abs(observed))
    if alternative == "two-sided":
        hits = np.abs(null) >= abs(observed) - tol
    elif alternative == "greater":
        hits = null >= observed - tol
    else:
        hits = null <= observed + tol
    return float(hits.mean()) if exact else float((1 + hits.sum()) / (1 + null.size))


def moment_contrast_permutation(
    df: pd.DataFrame,
    feature: str,
    *,
    rng: np.random.Generator,
    unit: str = "trial",
    n_permutations: int = 2000,
    alternative: str = "two-sided",
) -> dict:
    """Permutation test of the mean per-stratum contrast, relabelling within matched strata.

    The statistic is the mean contrast over strata. ``unit="stratum"`` draws, for each
    stratum independently, which of its ``k + 1`` rows is the ME (``k = 1``: the sign flip
    of the contrast); ``unit="trial"`` / ``"subject"`` flip the sign of all contrasts of a
    trial / subject together (for ``k = 1`` this swaps the ME and control labels of every
    stratum of the trial at once). When the relabellings number at most
    ``n_permutations`` they are all enumerated and ``p`` is exact (``#{|T*| >= |T|} / N``,
    identity included); otherwise ``p = (1 + #{|T*| >= |T|}) / (1 + n_permutations)``
    from random ones. See the module docstring for when each unit is right.

    Returns
    -------
    dict
        ``statistic`` (mean contrast, feature units), ``p``, ``n_permutations`` (the
        number used), ``exact``, ``unit``, ``n_subjects``, ``n_trials``, ``n_me``,
        ``n_eff`` (the number of independent units the test relabels) and
        ``n_eff_basis`` (``"strata"``, ``"trials"`` or ``"subjects"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"subject": "s1", "trial": [1, 1, 1, 1, 2, 2], "event": [0, 0, 1, 1, 2, 2],
    ...                    "moment": ["me", "non_me"] * 3, "x": [2.0, 1.0, 3.0, 1.0, 1.0, 0.0]})
    >>> res = moment_contrast_permutation(df, "x", rng=np.random.default_rng(0), unit="stratum")
    >>> res["statistic"], res["p"], res["exact"]  # contrasts 1, 2, 1: 2 of 8 sign flips reach |T| = 4/3
    (1.3333333333333333, 0.25, True)
    """
    check_rng(rng)
    check_option("unit", unit, ("stratum", "trial", "subject"))
    n_permutations = check_int("n_permutations", n_permutations, min_value=1)
    check_option("alternative", alternative, _ALTERNATIVES)
    s = _strata(df, feature, min_strata=1)
    out = design_counts(s)
    c = s["contrast"].to_numpy(float)
    n = c.size
    observed = float(c.mean())
    if unit == "stratum":
        m = s["n_controls"].to_numpy() + 1
        n_total = float(np.prod(m.astype(float)))
        exact = n_total <= n_permutations
        if exact:  # mixed-radix decoding of every relabelling
            idx = np.arange(int(n_total))[:, None]
            codes = (idx // np.r_[1, np.cumprod(m)[:-1]][None, :]) % m[None, :]
        else:
            codes = np.floor(rng.random((n_permutations, n)) * m[None, :]).astype(int)
        null = _relabel_stratum(list(s["values"]), codes, n)
        units = n
    else:
        keys = ["subject", "trial"] if unit == "trial" else ["subject"]
        sums = s.groupby(keys, sort=True)["contrast"].sum().to_numpy(float)
        units = sums.size
        exact = 2.0**units <= n_permutations
        if exact:
            signs = 1 - 2 * ((np.arange(2**units)[:, None] >> np.arange(units)[None, :]) & 1)
        else:
            signs = rng.choice(np.array([-1, 1]), size=(n_permutations, units))
        null = signs @ sums / n
    out.update(statistic=observed, p=_p_value(null, observed, alternative, exact), n_permutations=int(null.size),
               exact=bool(exact), unit=unit, n_eff=float(units), n_eff_basis={"stratum": "strata"}.get(unit, unit + "s"))
    return out


def moment_contrast_bootstrap(
    df: pd.DataFrame,
    feature: str,
    *,
    rng: np.random.Generator,
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
) -> dict:
    """Hierarchical bootstrap of the mean per-stratum contrast: subjects, then trials within them.

    Each resample draws ``n_subjects`` subjects with replacement and, for each drawn
    subject, as many of its trials as it has, with replacement; a drawn trial brings all
    its strata. The statistic is the mean contrast over the resampled strata.
    ``ci_low``/``ci_high`` are percentile limits; ``p`` inverts them (two-sided:
    ``2 * min(#{T* <= 0} + 1, #{T* >= 0} + 1) / (n_resamples + 1)``, capped at 1), so
    ``p < 1 - confidence_level`` exactly when 0 is outside the interval.

    Returns
    -------
    dict
        ``estimate``, ``se`` (sd of the resampled means), ``ci_low``, ``ci_high``, ``p``,
        ``n_resamples``, ``n_subjects``, ``n_trials``, ``n_me``, ``n_eff`` (the subjects,
        the units resampled first) and ``n_eff_basis`` (``"subjects"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame([{"subject": s, "trial": t, "event": e, "moment": m, "x": rng.normal() + (m == "me")}
    ...                    for s in range(8) for t in range(3) for e in range(2) for m in ("me", "non_me")])
    >>> res = moment_contrast_bootstrap(df, "x", rng=np.random.default_rng(0), n_resamples=500)
    >>> bool(res["ci_low"] < res["estimate"] < res["ci_high"]), bool(res["p"] < 0.01)
    (True, True)
    """
    check_rng(rng)
    n_resamples = check_int("n_resamples", n_resamples, min_value=1)
    confidence_level = check_positive("confidence_level", confidence_level)
    if confidence_level >= 1:
        raise ValueError(f"Invalid value for 'confidence_level': expected a number in (0, 1), got {confidence_level!r}")
    s = _strata(df, feature)
    out = design_counts(s)
    tr = s.groupby(["subject", "trial"], sort=True)["contrast"].agg(["sum", "size"]).reset_index()
    sub_codes = pd.factorize(tr["subject"])[0]
    n_sub = out["n_subjects"]
    n_t = np.bincount(sub_codes)
    width = int(n_t.max())
    t_sum, t_n = np.zeros((n_sub, width)), np.zeros((n_sub, width))
    pos = tr.groupby(sub_codes).cumcount().to_numpy()
    t_sum[sub_codes, pos] = tr["sum"].to_numpy(float)
    t_n[sub_codes, pos] = tr["size"].to_numpy(float)
    subj = rng.integers(0, n_sub, size=(n_resamples, n_sub))
    k = np.floor(rng.random((n_resamples, n_sub, width)) * n_t[subj][..., None]).astype(int)
    keep = np.arange(width)[None, None, :] < n_t[subj][..., None]
    boot = (np.where(keep, t_sum[subj[..., None], k], 0).sum((1, 2))
            / np.where(keep, t_n[subj[..., None], k], 0).sum((1, 2)))
    alpha = 1.0 - confidence_level
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    p = min(1.0, 2 * min((boot <= 0).sum() + 1, (boot >= 0).sum() + 1) / (n_resamples + 1))
    out.update(estimate=float(s["contrast"].mean()), se=float(boot.std(ddof=1)) if n_resamples > 1 else np.nan,
               ci_low=float(lo), ci_high=float(hi), p=float(p), n_resamples=n_resamples, n_eff=float(n_sub),
               n_eff_basis="subjects")
    return out
