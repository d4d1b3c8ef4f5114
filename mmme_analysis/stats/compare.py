"""ME vs non-ME over many features: one test per feature (chosen by ``method``), FDR."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_option, check_rng
from .contrast_tests import moment_contrast_bootstrap, moment_contrast_mixedlm, moment_contrast_permutation
from .contrasts import STRATUM
from .me_ecg import _check_frame, moment_effect_size, moment_mixedlm, moment_permutation_test

__all__ = ["METHODS", "DEFAULT_METHOD", "compare_moments"]

#: Tests of :func:`compare_moments`: the design-aware ones on matched strata, then the
#: row-level one of earlier releases.
METHODS = ("trial_permutation", "stratum_permutation", "mixedlm", "bootstrap", "rows")

#: The default: the test that stayed calibrated across the designs of benchmarks/calibration.py.
DEFAULT_METHOD = "trial_permutation"

_PREFIXES = ("ECG_", "PPG_", "EDA_", "RSP_", "SKT_", "HRV_")


def _test(d, f, method, rng, n_permutations, n_resamples) -> dict:
    if method == "mixedlm":
        return moment_contrast_mixedlm(d, f)
    if method in ("trial_permutation", "stratum_permutation"):
        r = moment_contrast_permutation(d, f, rng=rng, unit=method.split("_")[0], n_permutations=n_permutations)
        return dict(r, estimate=r.pop("statistic"))
    if method == "bootstrap":
        return moment_contrast_bootstrap(d, f, rng=rng, n_resamples=n_resamples)
    r = moment_mixedlm(d, f)
    r["p_perm"] = moment_permutation_test(d, f, rng=rng, n_permutations=n_permutations)["p"]
    return r


def compare_moments(
    df: pd.DataFrame,
    features=None,
    *,
    rng: np.random.Generator,
    method: str = DEFAULT_METHOD,
    n_permutations: int = 2000,
    n_resamples: int = 1000,
    alpha: float = 0.05,
    fdr_method: str = "fdr_bh",
    effect_size: bool = True,
) -> pd.DataFrame:
    """ME vs matched non-ME moments for many features: one test each, then FDR.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`mmme_analysis.physio.event_features` (possibly over many trials).
    features : sequence of str | None
        Columns to test; default every numeric column whose name starts with a modality
        prefix (ECG_, PPG_, EDA_, RSP_, SKT_, HRV_) and does not end in ``_trialmean``.
    rng : numpy.random.Generator
        For the permutations and bootstraps.
    method : str
        The test, one of :data:`METHODS`:

        * ``"trial_permutation"`` (default) -- sign flips of whole trials' contrasts
          (:func:`~mmme_analysis.stats.moment_contrast_permutation`, ``unit="trial"``);
          in ``benchmarks/calibration.py`` (8 null seeds per design) its mean null
          rejection was 0.01-0.07 and no null seed had an FDR rejection, with 1-2 and
          3-4 MEs per trial and in the notebook-02 cohort.
        * ``"stratum_permutation"`` -- relabelling within each matched stratum; right only
          when the strata of one trial are independent. On the simulated cohorts (2
          controls per ME, slow drifts) it rejected 12-20 % of null features: strata of
          one trial are not independent there.
        * ``"mixedlm"`` -- contrast mixed model with subject and trial-within-subject
          intercepts (:func:`~mmme_analysis.stats.moment_contrast_mixedlm`); a parametric
          estimate with an SE, for many subjects and trials.
        * ``"bootstrap"`` -- subjects then trials resampled
          (:func:`~mmme_analysis.stats.moment_contrast_bootstrap`); CIs without normality.
        * ``"rows"`` -- the row-level tests of earlier releases (subject-intercept mixed
          model on rows, within-subject shuffles in ``p_perm``): ignores trials and
          matching; needs only ``subject`` and ``moment`` columns.

        The strata methods need ``subject``, ``trial`` and ``event`` columns.
    n_permutations, n_resamples : int
        Permutations (permutation methods, ``p_perm`` of ``"rows"``) and bootstrap
        resamples (``"bootstrap"``, the effect-size CI).
    alpha : float
        FDR level of ``reject``.
    fdr_method : str
        Passed to :func:`statsmodels.stats.multitest.multipletests` (``fdr_bh`` default).
    effect_size : bool
        Add Hedges' g of ME vs non-ME rows with a row bootstrap CI (``g``, ``g_ci_low``,
        ``g_ci_high``; descriptive: the CI ignores clustering).

    Returns
    -------
    pandas.DataFrame
        One row per feature, sorted as ``features``: ``feature``, ``modality``,
        ``method``, ``mean_me``, ``mean_non_me`` (row means), ``estimate`` (ME minus
        matched non-ME, feature units), ``p``, ``q`` (FDR-adjusted ``p``), ``reject``,
        ``n_subjects``, ``n_trials``, ``n_me`` (strata; ME rows for ``"rows"``),
        ``n_non_me``, ``n_eff`` and ``n_eff_basis`` (what ``n_eff`` counts: ``"kish"``,
        the Kish effective sample size from the model's intra-class correlations, or
        the independent units a resampling test uses), then the test's own columns
        (``se``, ``ci_low``, ``ci_high`` where it has them; ``z``, variance components and
        ``converged`` of the mixed models; ``exact`` of the permutations; ``p_perm`` of
        ``"rows"``) and the effect size. A feature that cannot be tested (constant,
        without finite ME or matched non-ME values) gets NaN results and counts as
        ``p = 1`` in the FDR step.

    Examples
    --------
    >>> import numpy as np
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> feats = mm.physio.dataset_event_features(ds, rng=np.random.default_rng(0), variables=["ECG_Rate_Slope"],
    ...                                          anchors=("apex",), min_distance=1.0)
    >>> res = mm.stats.compare_moments(feats, ["ECG_Rate_Slope_apex"], rng=np.random.default_rng(0),
    ...                                n_permutations=200, n_resamples=200)
    >>> res[["feature", "modality", "method"]].to_dict("records")
    [{'feature': 'ECG_Rate_Slope_apex', 'modality': 'ECG', 'method': 'trial_permutation'}]
    >>> bool(0 <= res["p"].item() <= 1 and 0 <= res["q"].item() <= 1)
    True
    """
    from statsmodels.stats.multitest import multipletests

    check_rng(rng)
    check_option("method", method, METHODS)
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for 'df': expected a pandas DataFrame, got {type(df).__name__}")
    need = ["subject", "moment"] if method == "rows" else [*STRATUM, "moment"]
    missing = [c for c in need if c not in df]
    if missing:
        raise ValueError(f"Invalid value for 'df': expected columns {need!r} for method={method!r}, missing {missing!r}"
                         + ("" if method == "rows" else " (method='rows' needs only subject and moment)"))
    if features is None:
        features = [c for c in df.columns if c.startswith(_PREFIXES) and not c.endswith("_trialmean")
                    and pd.api.types.is_numeric_dtype(df[c])]
    rows = []
    for f in features:
        row = {"feature": f, "modality": f.split("_", 1)[0], "method": method, "mean_me": np.nan,
               "mean_non_me": np.nan, "estimate": np.nan, "p": np.nan, "n_me": 0, "n_non_me": 0}
        try:
            d = _check_frame(df, f)
        except ValueError:  # no finite ME or no finite non-ME values (e.g. rate of a too-short trial)
            rows.append(row)
            continue
        if method != "rows":
            d = df.loc[d.index]
        row.update(mean_me=float(d.loc[d["moment"] == "me", f].mean()),
                   mean_non_me=float(d.loc[d["moment"] == "non_me", f].mean()),
                   n_non_me=int((d["moment"] == "non_me").sum()))
        try:
            row.update(_test(d, f, method, rng, n_permutations, n_resamples))
        except (ValueError, np.linalg.LinAlgError):  # constant, unfittable or without strata: no test
            pass
        if effect_size:
            row.update(moment_effect_size(d, f, rng=rng, n_resamples=n_resamples))
        rows.append(row)
    out = pd.DataFrame(rows)
    if len(out):
        if "n_trials" not in out and "trial" in df:  # "rows": count the trials behind the rows
            out["n_trials"] = [int(df.loc[df[f].notna(), ["subject", "trial"]].drop_duplicates().shape[0])
                               if f in df else 0 for f in out["feature"]]
        p = out["p"].fillna(1.0).to_numpy()
        reject, q, _, _ = multipletests(p, alpha=alpha, method=fdr_method)
        out["q"] = q
        out["reject"] = reject
        lead = ["feature", "modality", "method", "mean_me", "mean_non_me", "estimate", "p", "q", "reject",
                "n_subjects", "n_trials", "n_me", "n_non_me", "n_eff", "n_eff_basis"]
        out = out[[c for c in lead if c in out] + [c for c in out if c not in lead]]
    return out
