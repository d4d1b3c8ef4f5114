"""Pair statistics on an event table: the numbers of the correlation dashboard.

The input is the tidy table of :func:`mmme_analysis.stats.event_table`: one row per
expression and matched control, a ``subject`` column and numeric feature columns.

* :func:`correlation_matrix` -- every pair of features: Pearson or Spearman (the statistics
  module's :func:`~mmme_analysis.stats.correlate`) or the within-subject repeated-measures
  correlation (:func:`rm_corr`), with Benjamini-Hochberg FDR over the pairs
  (:func:`statsmodels.stats.multitest.multipletests`).
* :func:`rm_corr` -- repeated-measures correlation (Bakdash & Marusich 2017): the partial
  correlation of ``x`` and ``y`` given the subject, from the OLS fit ``y ~ C(subject) + x``
  (statsmodels), ``N - k - 1`` degrees of freedom for ``N`` rows of ``k`` subjects.
* :func:`pair_mixedlm` -- ``y ~ x`` with a random intercept per subject (statsmodels ``MixedLM``).
* :func:`permutation_null` -- the chosen correlation under ``x`` shuffled within each subject.
* :func:`loso_influence` -- the correlation with each subject left out, and a warning when
  one subject carries it.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .._validate import check_int, check_option, check_positive, check_rng
from ._common import fdr_columns, fit_mixedlm

__all__ = ["METHODS", "correlation_matrix", "rm_corr", "pair_correlation", "pair_mixedlm", "permutation_null",
           "loso_influence"]

#: Correlation methods: Pearson, Spearman, repeated-measures (within-subject) correlation.
METHODS = ("pearson", "spearman", "rmcorr")


def _check(df, columns) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for 'df': expected the DataFrame of stats.event_table, got {type(df).__name__}")
    missing = [c for c in columns if c not in df]
    if missing:
        raise ValueError(f"Invalid value for 'df': expected columns {list(columns)!r}, missing {missing!r}")
    bad = [c for c in columns if c != "subject" and not pd.api.types.is_numeric_dtype(df[c])]
    if bad:
        raise ValueError(f"Invalid value for 'df': expected numeric feature columns, got {bad!r} of dtype "
                         f"{[str(df[c].dtype) for c in bad]!r}")
    return df


def _complete(df, x, y):
    """Rows with finite x and y: (x, y, subject codes) and the subject labels."""
    xv = pd.to_numeric(df[x], errors="coerce").to_numpy(float)
    yv = pd.to_numeric(df[y], errors="coerce").to_numpy(float)
    ok = np.isfinite(xv) & np.isfinite(yv) & df["subject"].notna().to_numpy()
    codes, subjects = pd.factorize(df.loc[ok, "subject"].astype(str), sort=True)
    return xv[ok], yv[ok], codes, np.asarray(subjects, dtype=object)


def _within(v, codes):
    """``v`` minus its subject's mean."""
    n = codes.max() + 1 if codes.size else 0
    means = np.bincount(codes, weights=v, minlength=n) / np.maximum(np.bincount(codes, minlength=n), 1)
    return v - means[codes]


def _keep_repeated(xv, yv, codes):
    """Rows of subjects with at least two complete rows (the others carry no within-subject change)."""
    counts = np.bincount(codes)
    keep = counts[codes] >= 2
    codes = pd.factorize(codes[keep], sort=True)[0]
    return xv[keep], yv[keep], codes


def _r_p(r, dof):
    """Two-sided p of a correlation ``r`` on ``dof`` degrees of freedom (t test)."""
    from scipy import stats

    if not np.isfinite(r) or dof < 1:
        return np.nan
    if abs(r) >= 1:
        return 0.0
    t = r * np.sqrt(dof / (1.0 - r * r))
    return float(2 * stats.t.sf(abs(t), dof))


def _stat(xv, yv, codes, method):
    """(r, p, n) of one pair of complete arrays; NaN r and p when it cannot be computed."""
    from scipy import stats

    n = int(xv.size)
    if method == "rmcorr":
        xv, yv, codes = _keep_repeated(xv, yv, codes)
        xc, yc = _within(xv, codes), _within(yv, codes)
        den = np.sqrt((xc @ xc) * (yc @ yc))
        dof = xv.size - (codes.max() + 1 if codes.size else 0) - 1
        if den == 0 or dof < 1:
            return np.nan, np.nan, n
        r = float(np.clip(xc @ yc / den, -1, 1))
        return r, _r_p(r, dof), n
    if n < 3 or np.ptp(xv) == 0 or np.ptp(yv) == 0:
        return np.nan, np.nan, n
    res = (stats.pearsonr if method == "pearson" else stats.spearmanr)(xv, yv)
    return float(res.statistic), float(res.pvalue), n


def rm_corr(df: pd.DataFrame, x: str, y: str) -> dict:
    """Repeated-measures correlation of ``x`` and ``y`` within subjects, from statsmodels OLS.

    Fits ``y ~ C(subject) + x`` (one intercept per subject, one common slope) on the rows
    where both are finite; subjects with fewer than two such rows are left out (they carry
    no within-subject change). ``r = t / sqrt(t^2 + dof)`` from the slope's t statistic, on
    ``dof = N - k - 1`` (``N`` rows, ``k`` subjects), which equals the correlation of the
    within-subject centred values (Bakdash & Marusich 2017).

    Returns
    -------
    dict
        ``r``, ``p`` (two-sided), ``dof``, ``slope`` (``y`` units per ``x`` unit), ``n``
        (rows used), ``n_subjects``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"subject": ["a"] * 3 + ["b"] * 3, "x": [1.0, 2, 3, 10, 11, 12],
    ...                    "y": [1.0, 3, 2, 0, 2, 1]})
    >>> res = rm_corr(df, "x", "y")
    >>> round(res["r"], 3), res["dof"], res["n_subjects"]
    (0.5, 3, 2)
    """
    import statsmodels.api as sm

    _check(df, ["subject", x, y])
    xv, yv, codes, _ = _complete(df, x, y)
    xv, yv, codes = _keep_repeated(xv, yv, codes)
    k = int(codes.max() + 1) if codes.size else 0
    out = {"r": np.nan, "p": np.nan, "dof": int(xv.size - k - 1), "slope": np.nan, "n": int(xv.size), "n_subjects": k}
    if out["dof"] < 1 or np.ptp(_within(xv, codes)) == 0 or np.ptp(_within(yv, codes)) == 0:
        return out
    design = np.column_stack([np.eye(k)[codes], xv])  # one intercept column per subject, then x
    res = sm.OLS(yv, design).fit()
    t = float(res.tvalues[-1])
    out.update(r=float(t / np.sqrt(t * t + res.df_resid)), p=float(res.pvalues[-1]), slope=float(res.params[-1]))
    return out


def pair_correlation(df: pd.DataFrame, x: str, y: str, *, method: str = "pearson") -> dict:
    """Correlation of one feature pair: ``r``, ``p``, ``n`` (events used) and ``n_subjects``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"subject": ["a", "a", "b", "b"], "x": [1.0, 2, 3, 4], "y": [2.0, 4, 6, 8]})
    >>> pair_correlation(df, "x", "y")
    {'r': 1.0, 'p': 0.0, 'n': 4, 'n_subjects': 2, 'method': 'pearson'}
    """
    check_option("method", method, METHODS)
    _check(df, ["subject", x, y])
    xv, yv, codes, subjects = _complete(df, x, y)
    if method == "rmcorr":
        res = rm_corr(df, x, y)
        return {"r": res["r"], "p": res["p"], "n": res["n"], "n_subjects": res["n_subjects"], "method": method}
    r, p, n = _stat(xv, yv, codes, method)
    return {"r": r, "p": p, "n": n, "n_subjects": int(len(subjects)), "method": method}


def correlation_matrix(df: pd.DataFrame, features, *, method: str = "pearson", alpha: float = 0.05,
                       fdr_method: str = "fdr_bh") -> pd.DataFrame:
    """Correlations of every pair of ``features``, with FDR-adjusted p-values over the pairs.

    Parameters
    ----------
    df : pandas.DataFrame
        Event table (a ``subject`` column and the numeric ``features``).
    features : sequence of str
        At least two numeric columns.
    method : str
        ``"pearson"``, ``"spearman"`` (:func:`mmme_analysis.stats.correlate`, scipy) or
        ``"rmcorr"`` (:func:`rm_corr`, within subjects).
    alpha : float
        FDR level of ``reject``.
    fdr_method : str
        Passed to :func:`statsmodels.stats.multitest.multipletests` over all pairs.

    Returns
    -------
    pandas.DataFrame
        One row per pair (``x`` before ``y`` in ``features`` order): ``x``, ``y``,
        ``method``, ``r``, ``p``, ``q`` (FDR-adjusted), ``reject``, ``n`` (events with
        both values), ``n_subjects``. A pair that cannot be computed has NaN ``r``/``p``
        and is left out of the FDR step.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"subject": np.repeat(["a", "b"], 20), "u": rng.normal(size=40)})
    >>> df["v"] = df["u"] + 0.1 * rng.normal(size=40)
    >>> df["w"] = rng.normal(size=40)
    >>> m = correlation_matrix(df, ["u", "v", "w"])
    >>> m[["x", "y", "reject"]].values.tolist()
    [['u', 'v', True], ['u', 'w', False], ['v', 'w', False]]
    """
    check_option("method", method, METHODS)
    check_positive("alpha", alpha)
    features = list(features)
    if len(features) < 2 or len(set(features)) != len(features):
        raise ValueError(f"Invalid value for 'features': expected at least two distinct columns, got {features!r}")
    _check(df, ["subject", *features])
    if method in ("pearson", "spearman"):
        from .correlate import correlate

        out = correlate(df, features, method=method, alpha=alpha, fdr_method=fdr_method)
        out = out[out["kind"] == "feature-feature"].drop(columns="kind").reset_index(drop=True)
    else:
        rows = []
        for a, b in itertools.combinations(features, 2):
            xv, yv, codes, _ = _complete(df, a, b)
            r, p, n = _stat(xv, yv, codes, method)
            rows.append({"x": a, "y": b, "method": method, "r": r, "p": p, "n": n})
        out = pd.DataFrame(rows, columns=["x", "y", "method", "r", "p", "n"])
        fdr_columns(out, alpha=alpha, method=fdr_method)
    values = {c: pd.to_numeric(df[c], errors="coerce").notna().to_numpy() for c in features}
    subject = df["subject"].astype(str).to_numpy()
    out["n_subjects"] = [int(pd.unique(subject[values[a] & values[b]]).size) for a, b in zip(out["x"], out["y"])]
    return out[["x", "y", "method", "r", "p", "q", "reject", "n", "n_subjects"]]


def pair_mixedlm(df: pd.DataFrame, x: str, y: str) -> dict:
    """Linear mixed model ``y ~ x`` with a random intercept per subject (statsmodels ``MixedLM``, REML).

    Fitted on the standardised pair (features range from 1e-8 S to 1e3 ms), the slope and
    its CI are given back in ``y`` units per ``x`` unit; ``p`` is the two-sided Wald test.

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_low``, ``ci_high`` (95 %), ``z``, ``p``, ``group_var``
        (subject intercept variance, ``y`` units squared), ``converged``, ``n`` (events),
        ``n_subjects``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"subject": np.repeat(["a", "b", "c"], 30), "x": rng.normal(size=90)})
    >>> df["y"] = 2.0 * df["x"] + np.repeat([0.0, 5.0, -5.0], 30) + 0.1 * rng.normal(size=90)
    >>> round(pair_mixedlm(df, "x", "y")["estimate"], 1)
    2.0
    """
    import statsmodels.api as sm

    _check(df, ["subject", x, y])
    xv, yv, codes, subjects = _complete(df, x, y)
    out = {"n": int(xv.size), "n_subjects": int(len(subjects))}
    sx, sy = (float(np.std(v, ddof=1)) if v.size > 1 else 0.0 for v in (xv, yv))
    if xv.size < 4 or sx == 0 or sy == 0 or len(subjects) < 2:
        raise ValueError(f"Invalid value for 'df': expected >= 4 events of >= 2 subjects with varying {x!r} and {y!r}, "
                         f"got {xv.size} events of {len(subjects)} subject(s)")
    xs, ys = (xv - xv.mean()) / sx, (yv - yv.mean()) / sy
    model = sm.MixedLM(ys, sm.add_constant(xs), groups=codes)
    res = fit_mixedlm(model, (["lbfgs"], ["bfgs", "lbfgs", "cg"], ["powell"]), f"{y!r} ~ {x!r}")
    scale = sy / sx
    ci = np.asarray(res.conf_int())[1] * scale
    out.update(estimate=float(res.params[1]) * scale, se=float(res.bse[1]) * scale, ci_low=float(ci[0]),
               ci_high=float(ci[1]), z=float(res.tvalues[1]), p=float(res.pvalues[1]),
               group_var=float(np.asarray(res.cov_re)[0, 0]) * sy**2, converged=bool(res.converged))
    return out


def permutation_null(df: pd.DataFrame, x: str, y: str, *, method: str = "pearson", rng: np.random.Generator,
                     n_permutations: int = 1000) -> dict:
    """Null distribution of the pair's correlation with ``x`` shuffled within each subject.

    Within-subject shuffles keep each subject's values (and so the between-subject
    differences) and break the pairing of ``x`` with ``y`` inside subjects.
    ``p = (1 + #{|r*| >= |r|}) / (1 + n_permutations)``.

    Returns
    -------
    dict
        ``observed`` (r), ``null`` (array of ``n_permutations`` r), ``p``,
        ``n_permutations``, ``n`` (events), ``n_subjects``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"subject": np.repeat(["a", "b"], 25), "x": rng.normal(size=50)})
    >>> df["y"] = df["x"] + rng.normal(size=50)
    >>> res = permutation_null(df, "x", "y", rng=np.random.default_rng(1), n_permutations=199)
    >>> res["p"], res["null"].shape
    (0.005, (199,))
    """
    from scipy import stats

    check_option("method", method, METHODS)
    check_rng(rng)
    n_permutations = check_int("n_permutations", n_permutations, min_value=1)
    _check(df, ["subject", x, y])
    xv, yv, codes, subjects = _complete(df, x, y)
    if method == "rmcorr":
        xv, yv, codes = _keep_repeated(xv, yv, codes)
        a, b = _within(xv, codes), _within(yv, codes)  # shuffles keep the subject means: a stays centred
    elif method == "spearman":
        a, b = stats.rankdata(xv), stats.rankdata(yv)
    else:
        a, b = xv, yv
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a @ a) * (b @ b))
    out = {"n": int(xv.size), "n_subjects": int(len(subjects)), "n_permutations": n_permutations}
    if den == 0 or xv.size < 3:
        return {**out, "observed": np.nan, "null": np.full(n_permutations, np.nan), "p": np.nan}
    observed = float(a @ b / den)
    perm = np.empty((n_permutations, a.size), np.int32)
    for g in range(int(codes.max()) + 1):
        idx = np.flatnonzero(codes == g).astype(np.int32)
        perm[:, idx] = rng.permuted(np.broadcast_to(idx, (n_permutations, idx.size)), axis=1)
    null = (a[perm] @ b) / den
    hits = np.abs(null) >= abs(observed) - 1e-12
    return {**out, "observed": observed, "null": null, "p": float((1 + hits.sum()) / (1 + n_permutations))}


def loso_influence(df: pd.DataFrame, x: str, y: str, *, method: str = "pearson", alpha: float = 0.05) -> tuple:
    """The pair's correlation with each subject left out, and whether one subject drives it.

    A correlation is *driven by one subject* when it is significant (``p < alpha``) with
    every subject and is not, or has the opposite sign, without one of them.

    Returns
    -------
    table : pandas.DataFrame
        One row per subject: ``subject``, ``n`` (its events), ``r_without``, ``p_without``,
        ``change`` (``r_without - r``), sorted by ``|change|``, largest first.
    warning : str or None
        What the subject does to the correlation, naming it; None when no subject drives it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"subject": np.repeat(["sub-01", "sub-02", "sub-03"], 30), "x": rng.normal(size=90)})
    >>> df["y"] = rng.normal(size=90)
    >>> df.loc[df.subject == "sub-03", ["x", "y"]] += np.linspace(0, 6, 30)[:, None]  # one subject's trend
    >>> table, warning = loso_influence(df, "x", "y")
    >>> table["subject"].iloc[0], warning.split(":")[0]
    ('sub-03', 'Driven by one subject')
    """
    check_option("method", method, METHODS)
    check_positive("alpha", alpha)
    full = pair_correlation(df, x, y, method=method)
    subject = df["subject"].astype(str)
    rows = []
    for s in sorted(subject.dropna().unique()):
        mask = (subject == s).to_numpy()
        rest = pair_correlation(df[~mask], x, y, method=method)
        n_s = full["n"] - rest["n"]
        rows.append({"subject": s, "n": int(n_s), "r_without": rest["r"], "p_without": rest["p"],
                     "change": rest["r"] - full["r"]})
    table = pd.DataFrame(rows, columns=["subject", "n", "r_without", "p_without", "change"])
    table = table.iloc[np.argsort(-np.abs(table["change"].fillna(0).to_numpy()), kind="stable")].reset_index(drop=True)
    warning = None
    if len(table) >= 2 and np.isfinite(full["r"]):
        for row in table.itertuples() if full["p"] < alpha else ():
            lost = not row.p_without < alpha
            flipped = np.isfinite(row.r_without) and np.sign(row.r_without) == -np.sign(full["r"])
            if lost or flipped:
                what = "is not significant" if lost else "reverses its sign"
                warning = (f"Driven by one subject: without {row.subject} ({row.n} events) the correlation {what} "
                           f"(r = {row.r_without:.2f}, p = {row.p_without:.3g}; with every subject "
                           f"r = {full['r']:.2f}, p = {full['p']:.3g}).")
                break
    return table, warning
