"""Cohen's kappa (mmme_analysis.stats.agreement) against scikit-learn, and its bad inputs.

Kept next to the coding tests: kind_agreement compares the coding sheets' labelled kind
with the duration rule.
"""
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from mmme_analysis.stats import cohen_kappa, kind_agreement


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_labels", [2, 3, 5])
def test_cohen_kappa_matches_sklearn(seed, n_labels):
    rng = np.random.default_rng(seed)
    levels = [f"c{i}" for i in range(n_labels)]
    a = rng.choice(levels, size=200)
    b = np.where(rng.random(200) < 0.6, a, rng.choice(levels, size=200))  # partial agreement
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    sub = levels[:2]
    assert cohen_kappa(a, b, labels=sub) == pytest.approx(
        cohen_kappa_score(a, b, labels=sub), abs=1e-12)


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (["micro", "micro", "macro", "macro"], ["micro", "micro", "macro", "macro"], 1.0),
        (["micro", "macro", "micro", "macro"], ["macro", "micro", "macro", "micro"], -1.0),
        # by hand: p_o = 0.75, p_e = 0.5 * 0.75 + 0.5 * 0.25 = 0.5 -> kappa = 0.5
        (["micro", "micro", "macro", "macro"], ["micro", "micro", "micro", "macro"], 0.5),
    ],
)
def test_cohen_kappa_by_hand(a, b, expected):
    assert cohen_kappa(a, b) == pytest.approx(expected)
    assert cohen_kappa_score(a, b) == pytest.approx(expected)


def test_cohen_kappa_single_label_is_nan():
    assert math.isnan(cohen_kappa(["a", "a", "a"], ["a", "a", "a"]))


@pytest.mark.parametrize(
    "a, b, kwargs, match",
    [
        (["a", "b"], ["a"], {}, r"Invalid value for 'y2': expected 2 labels"),
        (["a", "b"], ["a", "b"], {"labels": []}, r"Invalid value for 'labels': expected at least"),
        (["a", "b"], ["a", "b"], {"labels": ["c"]}, r"Invalid value for 'y1': expected at least one"),
    ],
)
def test_cohen_kappa_bad(a, b, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cohen_kappa(a, b, **kwargs)


def _table(kind, rule, source="column"):
    return pd.DataFrame({"kind": kind, "kind_rule": rule, "kind_source": source})


def test_kind_agreement_kappa_is_sklearn():
    df = _table(["micro"] * 5 + ["macro"] * 7, ["micro"] * 3 + ["macro"] * 6 + ["micro"] * 3)
    table = kind_agreement(df)
    assert table.attrs["n"] == 12
    assert table.attrs["agreement"] == pytest.approx(7 / 12)
    assert table.attrs["kappa"] == pytest.approx(
        cohen_kappa_score(df["kind"], df["kind_rule"], labels=["micro", "macro"]))
    assert table.loc["micro", "micro"] == 3 and table.loc["macro", "micro"] == 3
    assert table.loc["micro", "macro"] == 2 and table.loc["macro", "macro"] == 4


@pytest.mark.parametrize(
    "df, exc, match",
    [
        ([1, 2], TypeError, r"Invalid value for 'df': expected an instance of pandas\.DataFrame"),
        (pd.DataFrame({"kind": ["micro"]}), ValueError,
         r"Invalid value for 'df': expected an annotation table with columns kind, kind_rule, "
         r"kind_source, got one without kind_rule, kind_source"),
        (_table(["micro"], ["micro"], "duration_rule"), ValueError,
         r"Invalid value for 'df': expected rows with a labelled kind"),
    ],
)
def test_kind_agreement_bad(df, exc, match):
    with pytest.raises(exc, match=match):
        kind_agreement(df)
