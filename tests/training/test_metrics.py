import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

from mmme_analysis.training import megc_metrics, save_results, uar, uf1


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_classes", [3, 7])
def test_agrees_with_sklearn(seed, n_classes):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, 120)
    y_pred = np.where(rng.random(120) < 0.5, y_true, rng.integers(0, n_classes, 120))
    labels = list(range(n_classes))
    m = megc_metrics(y_true, y_pred, labels=labels)
    assert m["uf1"] == pytest.approx(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
    assert m["uar"] == pytest.approx(recall_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    np.testing.assert_array_equal(m["confusion"], confusion_matrix(y_true, y_pred, labels=labels))


def test_hand_worked_megc_example():
    # class 0: TP 2 FP 0 FN 1 -> F1 4/5, recall 2/3
    # class 1: TP 1 FP 1 FN 1 -> F1 2/4, recall 1/2
    # class 2: TP 1 FP 1 FN 0 -> F1 2/3, recall 1
    y_true = ["neg", "neg", "neg", "pos", "pos", "sur"]
    y_pred = ["neg", "neg", "pos", "pos", "sur", "sur"]
    m = megc_metrics(y_true, y_pred, labels=["neg", "pos", "sur"])
    assert m["uf1"] == pytest.approx((4 / 5 + 1 / 2 + 2 / 3) / 3)
    assert m["uar"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["f1"] == pytest.approx({"neg": 0.8, "pos": 0.5, "sur": 2 / 3})
    assert m["confusion"].tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_pooled_differs_from_mean_of_folds():
    # fold A: one class only, all right; fold B: two classes, one wrong. Pooled UF1 is the
    # MEGC definition; the mean of per-fold macro F1 is not.
    ta, pa = ["a", "a"], ["a", "a"]
    tb, pb = ["a", "b"], ["b", "b"]
    pooled = uf1(ta + tb, pa + pb, labels=["a", "b"])
    assert pooled == pytest.approx((2 * 2 / (2 * 2 + 0 + 1) + 2 / (2 + 1 + 0)) / 2)
    per_fold = np.mean([uf1(ta, pa, labels=["a", "b"]), uf1(tb, pb, labels=["a", "b"])])
    assert pooled != pytest.approx(per_fold)


def test_default_labels_and_uar():
    assert uar([0, 1, 1, 2], [0, 1, 0, 2]) == pytest.approx((1 + 0.5 + 1) / 3)
    assert megc_metrics([1, 1], [1, 2])["labels"] == [1, 2]


@pytest.mark.parametrize("y_true, y_pred, labels, match", [
    ([0, 1], [0], None, "'y_pred'"),
    ([], [], None, "'y_true'"),
    ([0, 1], [0, 1], [0, 0], "'labels'"),
])
def test_bad_input(y_true, y_pred, labels, match):
    with pytest.raises(ValueError, match=match):
        megc_metrics(y_true, y_pred, labels=labels)


def test_save_results_csv_json(tmp_path):
    df = pd.DataFrame({"model": ["ststnet"], "metric": ["uf1"], "value": [0.5]})
    p = save_results(df, tmp_path / "r.csv")
    pd.testing.assert_frame_equal(pd.read_csv(p), df)
    p = save_results(df, tmp_path / "r.json")
    assert json.loads(p.read_text()) == [{"model": "ststnet", "metric": "uf1", "value": 0.5}]
    assert sorted(x.name for x in tmp_path.iterdir()) == ["r.csv", "r.json"]


@pytest.mark.parametrize("table, name, exc, match", [
    (pd.DataFrame(), "r.txt", ValueError, "'path'"),
    ([1], "r.csv", TypeError, "'table'"),
    (pd.DataFrame(), "missing/r.csv", FileNotFoundError, "'path'"),
])
def test_save_results_bad(tmp_path, table, name, exc, match):
    with pytest.raises(exc, match=match):
        save_results(table, tmp_path / name)
