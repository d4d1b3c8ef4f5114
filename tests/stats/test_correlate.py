"""correlate(): tidy correlation table with FDR."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from mmme_analysis.stats import correlate


@pytest.fixture()
def df():
    rng = np.random.default_rng(0)
    n = 60
    a = rng.normal(size=n)
    return pd.DataFrame({
        "ECG_a": a,
        "ECG_b": 2 * a + 0.1 * rng.normal(size=n),
        "EDA_c": rng.normal(size=n),
        "moment": np.where(a > 0, "me", "non_me"),
        "score": a + rng.normal(size=n),
    })


def test_table(df):
    out = correlate(df, labels=["moment", "score"])
    ff = out[out.kind == "feature-feature"]
    assert len(ff) == 3  # pairs of ECG_a, ECG_b, EDA_c
    row = ff[(ff.x == "ECG_a") & (ff.y == "ECG_b")].iloc[0]
    ref = stats.spearmanr(df.ECG_a, df.ECG_b)
    np.testing.assert_allclose([row.r, row.p], [ref.statistic, ref.pvalue])
    fl = out[out.kind == "feature-label"].set_index(["x", "y"])
    assert fl.loc[("ECG_a", "moment=me"), "r"] > 0.8
    assert fl.loc[("ECG_a", "moment=me"), "r"] == pytest.approx(-fl.loc[("ECG_a", "moment=non_me"), "r"])
    assert ("EDA_c", "score") in fl.index
    np.testing.assert_allclose(out.q, multipletests(out.p, method="fdr_bh")[1])
    assert out.set_index(["x", "y"]).loc[("ECG_a", "ECG_b"), "reject"]


def test_pearson_and_missing(df):
    d = df.copy()
    d.loc[:4, "EDA_c"] = np.nan
    out = correlate(d, ["ECG_a", "EDA_c"], method="pearson")
    row = out.iloc[0]
    assert row.n == 55
    ref = stats.pearsonr(d.ECG_a[5:], d.EDA_c[5:])
    np.testing.assert_allclose(row.r, ref.statistic)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [({"method": "distance"}, ValueError, "Invalid value for 'method'"),
     ({"labels": ["nope"]}, ValueError, "Invalid value for 'labels'"),
     ({"features": ["moment"]}, ValueError, "Invalid value for 'features'"),
     ({"min_n": 1}, ValueError, "Invalid value for 'min_n'")],
)
def test_bad_args(df, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        correlate(df, **kwargs)
