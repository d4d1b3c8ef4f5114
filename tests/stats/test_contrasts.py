"""Design-aware ME vs matched non-ME tests: hand-worked examples, scipy / statsmodels equivalents."""
import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from mmme_analysis.stats import (
    compare_moments,
    design_counts,
    kish_n_eff,
    moment_contrast_bootstrap,
    moment_contrast_mixedlm,
    moment_contrast_permutation,
    moment_contrasts,
)

from ._synth import planted_table

# 2 subjects x 2 trials x 2 strata, one control each. Stratum contrasts (ME - control):
#   subject a: trial 1 (1, 1), trial 2 (1, 1);  subject b: trial 1 (1, -1), trial 2 (1, 1)
CONTRASTS = [1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0, 1.0]


def _hand_table(contrasts=CONTRASTS):
    """ME = level + contrast, control = level; levels differ by subject and trial (they must cancel)."""
    rows = []
    for i, c in enumerate(contrasts):
        subject, trial = ("a", "b")[i // 4], 1 + (i // 2) % 2
        level = {"a": 60.0, "b": 80.0}[subject] + 5.0 * trial
        rows += [{"subject": subject, "trial": trial, "event": i, "moment": "me", "match": 0, "x": level + c},
                 {"subject": subject, "trial": trial, "event": i, "moment": "non_me", "match": 1, "x": level}]
    return pd.DataFrame(rows)


def test_contrasts_by_hand():
    s = moment_contrasts(_hand_table(), "x")
    np.testing.assert_allclose(s["contrast"], CONTRASTS)
    assert s["contrast"].mean() == 0.75  # 6 / 8
    np.testing.assert_allclose(s.groupby(["subject", "trial"])["contrast"].mean(), [1.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(s.groupby("subject")["contrast"].mean(), [1.0, 0.5])
    assert design_counts(s) == {"n_subjects": 2, "n_trials": 4, "n_me": 8}


def test_contrasts_drop_incomplete_strata_and_average_controls():
    df = pd.DataFrame({"subject": "s", "trial": 1, "event": [0, 0, 0, 1, 1, 2, 2],
                       "moment": ["me", "non_me", "non_me", "me", "non_me", "me", "non_me"],
                       "x": [4.0, 1.0, 2.0, np.nan, 3.0, 5.0, np.nan]})
    s = moment_contrasts(df, "x")  # event 1: no ME value, event 2: no finite control
    assert list(s["event"]) == [0] and s["contrast"].item() == 2.5 and s["n_controls"].item() == 2
    np.testing.assert_array_equal(s["values"].item(), [4.0, 1.0, 2.0])


@pytest.mark.parametrize(
    ("unit", "alternative", "p", "n_perm", "n_eff"),
    [
        # all 2^8 sign flips; the sum S of 8 +-1 terms reaches |S| >= 6 with 0 or 1 minus sign: 2 * (1 + 8)
        ("stratum", "two-sided", 18 / 256, 256, 8),
        ("stratum", "greater", 9 / 256, 256, 8),
        # trial sums (2, 2, 0, 2): |S| >= 6 needs the three non-zero trials to agree, the zero one is free: 4 of 16
        ("trial", "two-sided", 4 / 16, 16, 4),
        # subject sums (4, 2): |S| >= 6 needs both signs equal: 2 of 4
        ("subject", "two-sided", 2 / 4, 4, 2),
        ("subject", "greater", 1 / 4, 4, 2),  # S* >= 6 only for (+, +)
        ("subject", "less", 1.0, 4, 2),  # every flip has S* <= 6
    ],
)
def test_exact_sign_flip_by_hand(unit, alternative, p, n_perm, n_eff):
    res = moment_contrast_permutation(_hand_table(), "x", rng=np.random.default_rng(0), unit=unit,
                                      alternative=alternative)
    assert res["exact"] and res["n_permutations"] == n_perm
    assert res["statistic"] == 0.75
    np.testing.assert_allclose(res["p"], p)
    assert (res["n_subjects"], res["n_trials"], res["n_me"], res["n_eff"]) == (2, 4, 8, n_eff)


def test_relabelling_with_two_controls_by_hand():
    # stratum 0: ME 3, controls 0, 0 -> ME row 3, or a control as the ME: 0 - 1.5 = -1.5 (twice)
    # stratum 1: ME 1, controls 2, 0 -> 1 - 1 = 0, 2 - 0.5 = 1.5, 0 - 1.5 = -1.5
    # T = (3 + 0) / 2 = 1.5; of the 9 relabellings |T*| >= 1.5 for (3, 0), (3, 1.5), (-1.5, -1.5) x 2: 4 / 9
    df = pd.DataFrame({"subject": "s", "trial": 1, "event": [0, 0, 0, 1, 1, 1], "moment": ["me", "non_me", "non_me"] * 2,
                       "x": [3.0, 0.0, 0.0, 1.0, 2.0, 0.0]})
    res = moment_contrast_permutation(df, "x", rng=np.random.default_rng(0), unit="stratum")
    assert res["exact"] and res["n_permutations"] == 9 and res["statistic"] == 1.5
    np.testing.assert_allclose(res["p"], 4 / 9)
    # fewer allowed than the 9: random relabellings, p = (1 + hits) / (1 + B) close to 4 / 9
    mc = moment_contrast_permutation(df, "x", rng=np.random.default_rng(1), unit="stratum", n_permutations=8)
    assert not mc["exact"] and mc["n_permutations"] == 8 and mc["p"] >= 1 / 9
    many = moment_contrast_permutation(df, "x", rng=np.random.default_rng(1), unit="stratum", n_permutations=5)
    assert many["p"] in [k / 6 for k in range(1, 7)]


def _one_control_table(contrasts, strata_per_trial=1, trials_per_subject=1):
    rows = []
    for i, c in enumerate(contrasts):
        trial = i // strata_per_trial
        subject = trial // trials_per_subject
        rows += [{"subject": f"s{subject}", "trial": trial, "event": i, "moment": "me", "x": 10.0 * subject + c},
                 {"subject": f"s{subject}", "trial": trial, "event": i, "moment": "non_me", "x": 10.0 * subject}]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("unit", ["stratum", "trial"])
def test_exact_sign_flip_matches_scipy_permutation_test(unit):
    c = np.random.default_rng(7).normal(0.4, 1.0, 12)
    df = _one_control_table(c, strata_per_trial=2, trials_per_subject=2)
    res = moment_contrast_permutation(df, "x", rng=np.random.default_rng(0), unit=unit, n_permutations=5000)
    units = c if unit == "stratum" else c.reshape(6, 2).sum(1)
    ref = stats.permutation_test((units,), np.sum, permutation_type="samples", n_resamples=np.inf,
                                 alternative="two-sided")
    assert res["exact"]
    np.testing.assert_allclose(res["p"], ref.pvalue, rtol=1e-12)
    np.testing.assert_allclose(res["statistic"], c.mean())


def test_mixedlm_one_stratum_per_trial_is_t_on_subject_means():
    """Balanced, one stratum per trial (no trial variance to estimate): REML z equals the one-sample t."""
    rng = np.random.default_rng(11)
    n_sub, n_tr = 8, 5
    c = (rng.normal(0.3, 1.0, n_sub)[:, None] + rng.normal(0, 1.0, (n_sub, n_tr))).ravel()
    df = _one_control_table(c, strata_per_trial=1, trials_per_subject=n_tr)
    res = moment_contrast_mixedlm(df, "x")
    means = c.reshape(n_sub, n_tr).mean(1)
    t = stats.ttest_1samp(means, 0.0)
    np.testing.assert_allclose(res["estimate"], means.mean(), rtol=1e-6)
    np.testing.assert_allclose(res["z"], t.statistic, rtol=1e-3)
    np.testing.assert_allclose(res["se"], means.std(ddof=1) / np.sqrt(n_sub), rtol=1e-3)
    assert res["subject_var"] > 0 and res["trial_var"] == 0
    assert (res["n_subjects"], res["n_trials"], res["n_me"]) == (8, 40, 40)


def test_mixedlm_models_trial_variance():
    """Strata of one trial share an offset: the trial component takes it and the SE grows past the naive one."""
    rng = np.random.default_rng(12)
    n_sub, n_tr, n_st = 8, 4, 4
    c = (rng.normal(0, 2.0, (n_sub, n_tr, 1)) + rng.normal(0, 0.5, (n_sub, n_tr, n_st))).ravel()
    df = _one_control_table(c, strata_per_trial=n_st, trials_per_subject=n_tr)
    res = moment_contrast_mixedlm(df, "x")
    assert res["trial_var"] > 1.0 and res["residual_var"] < 0.6
    naive = c.std(ddof=1) / np.sqrt(c.size)
    trial_means = c.reshape(-1, n_st).mean(1)
    assert res["se"] > 1.5 * naive
    np.testing.assert_allclose(res["se"], trial_means.std(ddof=1) / np.sqrt(trial_means.size), rtol=0.15)
    np.testing.assert_allclose(res["estimate"], c.mean(), rtol=1e-4)
    # Kish: 4 strata per trial correlated by about rho_t: n_eff close to the 32 trials, far below 128 strata
    assert 28 < res["n_eff"] < 45


def test_kish_by_hand():
    s = moment_contrasts(_hand_table(), "x")
    # subject variance 1, residual 1: every stratum correlates 0.5 with the 3 others of its subject
    np.testing.assert_allclose(kish_n_eff(s, 1.0, 0.0, 1.0), 8 / (1 + 3 * 0.5))
    # trial variance 1, residual 1: 0.5 with the one other stratum of its trial
    np.testing.assert_allclose(kish_n_eff(s, 0.0, 1.0, 1.0), 8 / 1.5)
    assert kish_n_eff(s, 0.0, 0.0, 1.0) == 8.0


def test_bootstrap_resamples_subjects_then_trials():
    """Subject s0: trials with contrasts 0 and 2; subject s1: one trial with 10. The exact bootstrap law:

    subjects (s0, s0), p 1/4: 4 trials of s0, mean 1, variance 1/4; (s0, s1) either order, p 1/2: 2 trials of
    s0 and s1's, (a1 + a2 + 10) / 3, mean 4, variance 2/9; (s1, s1), p 1/4: 10. Mean 4.75, variance
    1/4 (1 + 1/4) + 1/2 (16 + 2/9) + 1/4 100 - 4.75^2 = 10.861; P(T* <= 0) = 1/4 * 1/16 = 1/64.
    """
    df = _one_control_table([0.0, 2.0, 10.0], strata_per_trial=1, trials_per_subject=2)
    res = moment_contrast_bootstrap(df, "x", rng=np.random.default_rng(0), n_resamples=20000)
    assert res["estimate"] == 4.0 and res["n_eff"] == 2 and res["n_eff_basis"] == "subjects"
    assert (res["n_subjects"], res["n_trials"], res["n_me"]) == (2, 3, 3)
    var = 0.25 * 1.25 + 0.5 * (16 + 2 / 9) + 0.25 * 100 - 4.75**2
    np.testing.assert_allclose(res["se"], np.sqrt(var), rtol=0.02)
    np.testing.assert_allclose(res["ci_high"], 10.0)  # P(T* = 10) = 1/4 > 2.5 %
    np.testing.assert_allclose(res["p"], 2 / 64, atol=0.006)


def test_bootstrap_constant_and_independent():
    df = _one_control_table([1.5] * 6, strata_per_trial=1, trials_per_subject=2)
    res = moment_contrast_bootstrap(df, "x", rng=np.random.default_rng(0), n_resamples=99)
    assert res["ci_low"] == res["ci_high"] == 1.5 and res["p"] == 2 / 100
    # one stratum and trial per subject: the ordinary bootstrap of the mean, sd ~ sd(x) / sqrt(n) * sqrt((n-1)/n)
    c = np.random.default_rng(3).normal(0, 1, 30)
    res = moment_contrast_bootstrap(_one_control_table(c), "x", rng=np.random.default_rng(0), n_resamples=4000)
    np.testing.assert_allclose(res["se"], c.std(ddof=0) / np.sqrt(c.size), rtol=0.08)
    assert res["ci_low"] < c.mean() < res["ci_high"]


@pytest.mark.parametrize("method", ["trial_permutation", "stratum_permutation", "mixedlm", "bootstrap", "rows"])
def test_compare_moments_methods_on_planted_response(method):
    df = planted_table(0, null=False)
    out = compare_moments(df, ["ECG_Rate_Slope_apex", "ECG_Rate_apex"], rng=np.random.default_rng(0),
                          method=method, n_permutations=500, n_resamples=500)
    row = out.set_index("feature").loc["ECG_Rate_Slope_apex"]
    assert row["method"] == method and row["p"] < 0.01 and row["estimate"] > 0 and row["reject"]
    assert row["n_subjects"] == 4 and row["n_trials"] == 8 and row["n_me"] == 24
    assert 0 < row["n_eff"] <= (72 if method == "rows" else 24)
    assert isinstance(row["n_eff_basis"], str)


def test_compare_moments_default_is_calibrated_on_null_seeds():
    """20 null datasets (those of test_me_ecg): the default test rejects the HR slope at p < 0.05 in at most 3
    (if calibrated, binomial(20, 0.05): P(<= 3) = 0.98)."""
    p = [compare_moments(planted_table(1000 + seed, null=True), ["ECG_Rate_Slope_apex"], rng=np.random.default_rng(seed),
                         n_permutations=500, effect_size=False)["p"].item() for seed in range(20)]
    assert sum(x < 0.05 for x in p) <= 3, p


def test_compare_moments_hand_table_and_nan_features():
    df = _hand_table().assign(ECG_x=lambda d: d["x"], RSP_const=15.0)
    df["EDA_nan"] = np.where(df["moment"] == "me", np.nan, 1.0)
    out = compare_moments(df, rng=np.random.default_rng(0), method="stratum_permutation", effect_size=False)
    assert list(out["feature"]) == ["ECG_x", "RSP_const", "EDA_nan"]
    first = out.iloc[0]
    np.testing.assert_allclose([first["estimate"], first["p"]], [0.75, 18 / 256])
    assert out.iloc[1]["p"] == 1.0  # constant: every relabelling ties (contrasts all 0)
    assert np.isnan(out.iloc[2]["p"]) and out.iloc[2]["n_me"] == 0
    np.testing.assert_allclose(out["q"], multipletests(out["p"].fillna(1.0), method="fdr_bh")[1])


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda df: moment_contrasts(df, "nope"), ValueError, "missing \\['nope'\\]"),
        (lambda df: moment_contrasts(df.drop(columns="event"), "x"), ValueError, "method='rows'"),
        (lambda df: moment_contrasts(df.values, "x"), TypeError, "Invalid value for 'df'"),
        (lambda df: moment_contrasts(df, 3), TypeError, "Invalid value for 'feature'"),
        (lambda df: moment_contrast_mixedlm(df.iloc[:2], "x"), ValueError, "expected >= 2 strata"),
        (lambda df: moment_contrast_mixedlm(df.assign(x=1.0), "x"), ValueError, "contrasts to vary"),
        (lambda df: moment_contrast_permutation(df, "x", rng=0), TypeError, "Invalid value for 'rng'"),
        (lambda df: moment_contrast_permutation(df, "x", rng=np.random.default_rng(0), unit="row"), ValueError,
         "Invalid value for 'unit'"),
        (lambda df: moment_contrast_permutation(df, "x", rng=np.random.default_rng(0), n_permutations=0), ValueError,
         "Invalid value for 'n_permutations'"),
        (lambda df: moment_contrast_permutation(df, "x", rng=np.random.default_rng(0), alternative="up"), ValueError,
         "Invalid value for 'alternative'"),
        (lambda df: moment_contrast_bootstrap(df, "x", rng=np.random.default_rng(0), confidence_level=1.5),
         ValueError, "Invalid value for 'confidence_level'"),
        (lambda df: compare_moments(df, ["x"], rng=np.random.default_rng(0), method="anova"), ValueError,
         "Invalid value for 'method'"),
        (lambda df: compare_moments(df.drop(columns="trial"), ["x"], rng=np.random.default_rng(0)), ValueError,
         "missing \\['trial'\\]"),
        (lambda df: compare_moments(df, ["x"], rng=None), TypeError, "Invalid value for 'rng'"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call(_hand_table())


def test_all_relabellings_enumerated_once():
    """The mixed-radix enumeration visits each of the prod(k_i + 1) relabellings exactly once."""
    df = pd.DataFrame({"subject": "s", "trial": 1, "event": [0, 0, 1, 1, 1, 2, 2, 2, 2],
                       "moment": ["me", "non_me", "me", "non_me", "non_me", "me", "non_me", "non_me", "non_me"],
                       "x": [1.0, 0.0, 5.0, 1.0, 2.0, 9.0, 3.0, 4.0, 1.0]})
    res = moment_contrast_permutation(df, "x", rng=np.random.default_rng(0), unit="stratum")
    s = moment_contrasts(df, "x")
    null = []
    for codes in itertools.product(*(range(v.size) for v in s["values"])):
        null.append(np.mean([((v.size) * v[j] - v.sum()) / (v.size - 1) for v, j in zip(s["values"], codes)]))
    null = np.asarray(null)
    assert res["n_permutations"] == 2 * 3 * 4 == null.size
    np.testing.assert_allclose(res["p"], np.mean(np.abs(null) >= abs(s["contrast"].mean()) - 1e-12))
