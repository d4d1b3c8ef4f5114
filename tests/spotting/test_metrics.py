"""Spotting metrics against hand-worked cases (inclusive frame intervals, IoU >= 0.5)."""
import numpy as np
import pandas as pd
import pytest

from mmme_analysis._warnings import MMMEWarning
from mmme_analysis.spotting import interval_iou, spot_match, spot_metrics, strs


def _df(rows, **extra):
    d = pd.DataFrame(rows, columns=["video", "onset", "offset", "kind"])
    return d.assign(**extra)


def _counts(table, kind="overall"):
    return tuple(int(table.loc[kind, c]) for c in ("tp", "fp", "fn"))


def test_iou_inclusive_frames():
    # [0, 9] and [5, 14]: 5 shared frames, 15 in the union
    assert interval_iou(0, 9, 5, 14) == pytest.approx(5 / 15)
    assert interval_iou(0, 9, 0, 9) == 1.0
    assert interval_iou(0, 9, 10, 19) == 0.0  # touching, no shared frame
    assert interval_iou(3, 3, 3, 3) == 1.0  # one-frame intervals


def test_iou_exactly_at_threshold_matches():
    # [0, 9] vs [0, 19]: 10 / 20 = 0.5 exactly -> TP; [0, 9] vs [0, 20]: 10 / 21 < 0.5 -> FP + FN
    truth = _df([("v", 0, 19, "micro")])
    assert _counts(spot_metrics(_df([("v", 0, 9, "micro")]), truth)[0]) == (1, 0, 0)
    truth = _df([("v", 0, 20, "micro")])
    assert _counts(spot_metrics(_df([("v", 0, 9, "micro")]), truth)[0]) == (0, 1, 1)


def test_one_truth_two_predictions():
    # both predictions reach IoU >= 0.5 with the one ground truth: one TP, one FP
    truth = _df([("v", 10, 29, "micro")])
    pred = _df([("v", 10, 27, "micro"), ("v", 12, 29, "micro")])
    table, pairs = spot_metrics(pred, truth)
    assert _counts(table) == (1, 1, 0)
    tp = pairs[pairs["outcome"] == "TP"].iloc[0]
    assert tp["iou"] == pytest.approx(18 / 20)  # the better-overlapping one (tie on count, larger IoU)


def test_false_positives_on_video_without_truth():
    truth = _df([("v1", 10, 19, "micro"), ("v2", np.nan, np.nan, None)])
    pred = _df([("v1", 10, 19, "micro"), ("v2", 0, 9, "micro"), ("v2", 50, 60, "macro")])
    table, _ = spot_metrics(pred, truth)
    assert _counts(table) == (1, 2, 0)
    assert _counts(table, "micro") == (1, 1, 0)
    assert _counts(table, "macro") == (0, 1, 0)
    assert table.loc["macro", "n_truth"] == 0 and np.isnan(table.loc["macro", "recall"])
    assert table.loc["overall", "precision"] == pytest.approx(1 / 3)


def test_predictions_on_unlisted_video_warn_and_count():
    truth = _df([("v1", 10, 19, "micro")])
    pred = _df([("v1", 10, 19, "micro"), ("v9", 0, 9, "micro")])
    with pytest.warns(MMMEWarning, match="not listed in 'truth'.*v9"):
        table, _ = spot_metrics(pred, truth)
    assert _counts(table) == (1, 1, 0)


def test_empty_predictions():
    truth = _df([("v1", 10, 19, "micro"), ("v1", 40, 99, "macro")])
    table, pairs = spot_metrics(_df([]), truth)
    assert _counts(table) == (0, 0, 2)
    assert table.loc["overall", "recall"] == 0 and table.loc["overall", "f1"] == 0
    assert np.isnan(table.loc["overall", "precision"])
    assert (pairs["outcome"] == "FN").all()


def test_prediction_spanning_two_truths():
    # [0, 40] against [0, 19] (IoU 20/41) and [21, 40] (20/41): matches neither, 1 FP + 2 FN
    truth = _df([("v", 0, 19, "micro"), ("v", 21, 40, "micro")])
    table, _ = spot_metrics(_df([("v", 0, 40, "micro")]), truth)
    assert _counts(table) == (0, 1, 2)
    # [0, 30] against [0, 19] (20/31 >= 0.5) and [21, 40] (10/41): one TP, one FN
    table, _ = spot_metrics(_df([("v", 0, 30, "micro")]), truth)
    assert _counts(table) == (1, 0, 1)


def test_matching_finds_the_most_pairs():
    # greedy by best IoU gives p0 -> t1 (9/11 > 7/13) and leaves p1 (only t1: 8/12) without a
    # match; the one-to-one matching with the most pairs is p0 -> t0, p1 -> t1
    truth = _df([("v", 0, 9, "micro"), ("v", 4, 13, "micro")])
    pred = _df([("v", 3, 12, "micro"), ("v", 6, 15, "micro")])
    iou = interval_iou(pred["onset"].to_numpy()[:, None], pred["offset"].to_numpy()[:, None],
                       truth["onset"].to_numpy()[None], truth["offset"].to_numpy()[None])
    assert (iou >= 0.5).tolist() == [[True, True], [False, True]]
    table, pairs = spot_metrics(pred, truth)
    assert _counts(table) == (2, 0, 0)
    assert dict(zip(pairs["pred"].dropna(), pairs["truth"].dropna())) == {0: 0, 1: 1}


def test_match_table_lists_both_sides():
    truth = _df([("v", 0, 9, "micro"), ("v", 50, 59, "micro")])
    pairs = spot_match(_df([("v", 1, 9, "micro"), ("v", 30, 35, "micro")]), truth)
    assert pairs[["pred", "truth", "outcome"]].astype(object).where(pairs.notna(), None).values.tolist() == [
        [0, 0, "TP"], [1, None, "FP"], [None, 1, "FN"]]
    assert pairs["iou"].iloc[0] == pytest.approx(9 / 10) and pairs["iou"].iloc[1:].isna().all()


def test_kinds_match_only_their_own_kind():
    truth = _df([("v", 0, 9, "micro")])
    table, _ = spot_metrics(_df([("v", 0, 9, "macro")]), truth)
    assert _counts(table) == (0, 1, 1)


@pytest.mark.parametrize("seed", range(20))
def test_tp_plus_fn_is_the_truth_count(seed):
    rng = np.random.default_rng(seed)
    videos = [f"v{i}" for i in range(4)]

    def intervals(n):
        on = rng.integers(0, 500, n)
        return _df([(rng.choice(videos), o, o + rng.integers(0, 60), rng.choice(["micro", "macro"])) for o in on])

    truth, pred = intervals(rng.integers(0, 15)), intervals(rng.integers(0, 30))
    truth = pd.concat([truth, _df([(v, np.nan, np.nan, None) for v in videos])], ignore_index=True)
    table, pairs = spot_metrics(pred, truth, iou=float(rng.uniform(0.1, 1.0)))
    n_truth = int(truth["onset"].notna().sum())
    assert table.loc["overall", "tp"] + table.loc["overall", "fn"] == n_truth
    assert table.loc["overall", "tp"] + table.loc["overall", "fp"] == len(pred)
    assert (table.loc[["micro", "macro"], ["tp", "fp", "fn"]].sum() == table.loc["overall", ["tp", "fp", "fn"]]).all()
    assert pairs["truth"].dropna().is_unique and pairs["pred"].dropna().is_unique


def test_strs_uses_true_recall():
    # 3 TPs: negative->negative, negative->negative, positive->negative; 1 FN
    truth = _df([("v", 0, 9, "micro"), ("v", 20, 29, "micro"), ("v", 40, 49, "micro"), ("v", 60, 69, "micro")],
                emotion=["negative", "negative", "positive", "surprise"])
    pred = _df([("v", 0, 9, "micro"), ("v", 20, 29, "micro"), ("v", 40, 49, "micro")],
               emotion=["negative", "negative", "negative"])
    out = strs(pred, truth)
    assert out["n_tp"] == 3 and out["classes"] == ["negative", "positive"]
    # recall: negative 2/2, positive 0/1 -> UAR 0.5 (mean precision would be (2/3 + 0) / 2)
    assert out["uar"] == pytest.approx(0.5)
    # F1: negative 2*2/(2*2+1+0) = 0.8, positive 0 -> UF1 0.4
    assert out["uf1"] == pytest.approx(0.4)
    spot_f1 = 2 * 3 / (2 * 3 + 0 + 1)
    assert out["spot_f1"] == pytest.approx(spot_f1) and out["strs"] == pytest.approx(spot_f1 * 0.4)


@pytest.mark.parametrize(("pred", "truth", "exc", "match"), [
    ([("v", 5, 3, "micro")], [("v", 0, 9, "micro")], ValueError, r"offset >= onset.*5\.\.3 in row 0"),
    ([("v", 1.5, 3, "micro")], [("v", 0, 9, "micro")], ValueError, "whole non-negative frame numbers"),
    ([("v", 1, 3, "apex")], [("v", 0, 9, "micro")], ValueError, r"kind in \('micro', 'macro'\), got 'apex'"),
    ([("v", np.nan, np.nan, "micro")], [("v", 0, 9, "micro")], ValueError, "an onset and offset frame in every row"),
    ([("v", 1, 3, "micro")], [("v", 0, np.nan, "micro")], ValueError, "'truth'.*whole non-negative"),
])
def test_bad_tables(pred, truth, exc, match):
    with pytest.raises(exc, match=match):
        spot_metrics(_df(pred), _df(truth))


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"iou": 0}, ValueError, "Invalid value for 'iou'"),
    ({"iou": 1.5}, ValueError, r"threshold in \(0, 1\]"),
])
def test_bad_threshold(kwargs, exc, match):
    truth = _df([("v", 0, 9, "micro")])
    with pytest.raises(exc, match=match):
        spot_metrics(truth, truth, **kwargs)


def test_missing_columns():
    with pytest.raises(ValueError, match="missing \\['kind'\\]"):
        spot_metrics(pd.DataFrame({"video": [], "onset": [], "offset": []}), _df([]))
    with pytest.raises(TypeError, match="Invalid value for 'predictions'"):
        spot_metrics([1, 2], _df([]))
