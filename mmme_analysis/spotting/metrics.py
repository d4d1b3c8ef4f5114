"""Interval metrics for ME spotting (MEGC convention) and the spot-then-recognise score.

Intervals are inclusive frame ranges ``[onset, offset]`` of one video. Their overlap is
``IoU = |A & B| / |A | B|`` with ``|A & B| = min(offsets) - max(onsets) + 1`` (0 when
negative) and ``|A | B| = |A| + |B| - |A & B|``, ``|A| = offset - onset + 1``.

Matching
--------
Predictions are matched to ground truth of the same video and the same ``kind`` (micro
with micro, macro with macro): a pair can match when its IoU is at least the threshold,
each ground truth and each prediction at most once. Among all such one-to-one matchings
the one with the most pairs is taken (ties: the largest total IoU), by
:func:`scipy.optimize.linear_sum_assignment`; the greedy "first prediction takes the
first unmatched ground truth" of the public MEGC scripts can give fewer true positives
when intervals overlap, never more. Unmatched predictions are false positives, unmatched
ground truths false negatives, and every video counts, with or without ground truth: a
prediction on a video without any ground truth is a false positive. Counts are pooled over
videos; ``overall`` pools micro and macro, so that ``tp + fn`` equals the number of ground
truths in every row.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._validate import check_positive, check_type
from .._warnings import MMMEWarning

__all__ = ["interval_iou", "spot_match", "spot_metrics", "strs", "KINDS"]

#: expression kinds scored separately (and pooled as ``overall``)
KINDS = ("micro", "macro")
_COLUMNS = ("video", "onset", "offset", "kind")


def interval_iou(a_onset, a_offset, b_onset, b_offset) -> np.ndarray:
    """IoU of inclusive frame intervals; broadcasts like NumPy.

    Examples
    --------
    >>> float(interval_iou(10, 19, 15, 24))  # 5 shared frames of 15
    0.3333333333333333
    """
    a0, a1, b0, b1 = (np.asarray(v, float) for v in (a_onset, a_offset, b_onset, b_offset))
    inter = np.clip(np.minimum(a1, b1) - np.maximum(a0, b0) + 1, 0, None)
    union = (a1 - a0 + 1) + (b1 - b0 + 1) - inter
    return inter / union


def _table(df, name: str, *, truth: bool) -> pd.DataFrame:
    """Validated copy of an interval table; ``truth`` rows may have NaN onset/offset (a video without ME)."""
    check_type(name, df, pd.DataFrame, "a pandas DataFrame")
    missing = [c for c in _COLUMNS if c not in df]
    if missing:
        raise ValueError(f"Invalid value for {name!r}: expected columns {', '.join(_COLUMNS)}, missing {missing!r}")
    d = df.reset_index(drop=True).copy()
    d["video"] = d["video"].astype(str)
    on, off = (pd.to_numeric(d[c], errors="coerce") for c in ("onset", "offset"))
    empty = on.isna() & off.isna()
    if not truth and empty.any():
        raise ValueError(f"Invalid value for {name!r}: expected an onset and offset frame in every row, "
                         f"got none in row {int(np.flatnonzero(empty)[0])}")
    bad = (on.isna() | off.isna()) & ~empty
    bad |= ~empty & ((on % 1 != 0) | (off % 1 != 0) | (on < 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"Invalid value for {name!r}: expected whole non-negative frame numbers in onset and "
                         f"offset, got {d.at[i, 'onset']!r}, {d.at[i, 'offset']!r} in row {i} (video {d.at[i, 'video']!r})")
    rev = ~empty & (off < on)
    if rev.any():
        i = int(np.flatnonzero(rev)[0])
        raise ValueError(f"Invalid value for {name!r}: expected offset >= onset (inclusive frames), got "
                         f"{int(on[i])}..{int(off[i])} in row {i} (video {d.at[i, 'video']!r})")
    kinds = d.loc[~empty, "kind"]
    wrong = ~kinds.isin(KINDS)
    if wrong.any():
        i = int(kinds.index[wrong][0])
        raise ValueError(f"Invalid value for {name!r}: expected kind in {KINDS!r}, got {d.at[i, 'kind']!r} in row {i}")
    d["onset"], d["offset"], d["empty"] = on, off, empty
    return d


def spot_match(predictions: pd.DataFrame, truth: pd.DataFrame, *, iou: float = 0.5) -> pd.DataFrame:
    """One row per prediction and per ground truth, matched as the module describes.

    Returns
    -------
    pandas.DataFrame
        ``video``, ``kind``, ``pred`` / ``truth`` (row positions in the inputs; ``<NA>`` for
        an unmatched side), ``iou`` (of the pair, NaN when unmatched) and ``outcome``
        (``"TP"``, ``"FP"`` or ``"FN"``).

    Examples
    --------
    >>> import pandas as pd
    >>> truth = pd.DataFrame({"video": ["v1"], "onset": [10], "offset": [19], "kind": ["micro"]})
    >>> pred = pd.DataFrame({"video": ["v1", "v1"], "onset": [10, 40], "offset": [18, 45], "kind": ["micro"] * 2})
    >>> spot_match(pred, truth)["outcome"].tolist()
    ['TP', 'FP']
    """
    from scipy.optimize import linear_sum_assignment

    thr = check_positive("iou", iou)
    if thr > 1:
        raise ValueError(f"Invalid value for 'iou': expected a threshold in (0, 1], got {iou!r}")
    p = _table(predictions, "predictions", truth=False)
    t = _table(truth, "truth", truth=True)
    listed = set(t["video"])
    unknown = sorted(set(p["video"]) - listed)
    if unknown:
        warnings.warn(f"spot_match: predictions on {len(unknown)} video(s) not listed in 'truth' "
                      f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}); counted as false positives",
                      MMMEWarning, stacklevel=2)
    t = t[~t["empty"]]
    rows = []
    keys = sorted(set(zip(p["video"], p["kind"])) | set(zip(t["video"], t["kind"])))
    for video, kind in keys:
        pi = p.index[(p["video"] == video) & (p["kind"] == kind)].to_numpy()
        ti = t.index[(t["video"] == video) & (t["kind"] == kind)].to_numpy()
        matched_p, matched_t = {}, set()
        if pi.size and ti.size:
            m = interval_iou(p.loc[pi, "onset"].to_numpy()[:, None], p.loc[pi, "offset"].to_numpy()[:, None],
                             t.loc[ti, "onset"].to_numpy()[None, :], t.loc[ti, "offset"].to_numpy()[None, :])
            ok = m >= thr - 1e-12  # IoU exactly at the threshold counts (rounding of e.g. 1/2)
            # a pair is worth more than any gain in IoU: the most pairs, then the largest IoU
            weight = np.where(ok, (min(pi.size, ti.size) + 1) + m, 0.0)
            r, c = linear_sum_assignment(weight, maximize=True)
            for a, b in zip(r, c):
                if ok[a, b]:
                    matched_p[a] = (b, float(m[a, b]))
                    matched_t.add(b)
        for a, label in enumerate(pi):
            if a in matched_p:
                b, v = matched_p[a]
                rows.append((video, kind, label, ti[b], v, "TP"))
            else:
                rows.append((video, kind, label, pd.NA, np.nan, "FP"))
        rows += [(video, kind, pd.NA, label, np.nan, "FN") for b, label in enumerate(ti) if b not in matched_t]
    out = pd.DataFrame(rows, columns=["video", "kind", "pred", "truth", "iou", "outcome"])
    return out.astype({"pred": "Int64", "truth": "Int64", "iou": float})


def _scores(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else np.nan
    recall = tp / (tp + fn) if tp + fn else np.nan
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan
    return {"tp": tp, "fp": fp, "fn": fn, "n_truth": tp + fn, "n_pred": tp + fp,
            "precision": precision, "recall": recall, "f1": f1}


def spot_metrics(predictions: pd.DataFrame, truth: pd.DataFrame, *, iou: float = 0.5):
    """TP / FP / FN, precision, recall and F1 of spotted intervals, micro, macro and overall.

    Parameters
    ----------
    predictions, truth : pandas.DataFrame
        Columns ``video``, ``onset``, ``offset`` (frames, inclusive) and ``kind``
        (``"micro"`` / ``"macro"``). ``truth`` lists every evaluated video: a video without
        any expression is a row with NaN ``onset`` and ``offset`` (its ``kind`` ignored), so
        that predictions on it count as false positives.
    iou : float
        Match threshold in (0, 1]; a pair with IoU equal to it matches.

    Returns
    -------
    table : pandas.DataFrame
        Index ``kind`` (``micro``, ``macro``, ``overall``); columns ``tp``, ``fp``, ``fn``,
        ``n_truth`` (= tp + fn), ``n_pred`` (= tp + fp), ``precision``, ``recall``, ``f1``
        (NaN where undefined: no predictions for precision, no ground truth for recall),
        ``n_videos``.
    pairs : pandas.DataFrame
        :func:`spot_match`'s table.

    Examples
    --------
    >>> import pandas as pd
    >>> truth = pd.DataFrame({"video": ["v1", "v2"], "onset": [10, None], "offset": [19, None],
    ...                       "kind": ["micro", None]})
    >>> pred = pd.DataFrame({"video": ["v1", "v2"], "onset": [11, 5], "offset": [20, 9], "kind": ["micro"] * 2})
    >>> table, pairs = spot_metrics(pred, truth)
    >>> table[["tp", "fp", "fn"]].loc["overall"].tolist()
    [1, 1, 0]
    """
    pairs = spot_match(predictions, truth, iou=iou)
    n_videos = int(pd.Index(truth["video"].astype(str)).append(pd.Index(predictions["video"].astype(str))).nunique())
    rows = {}
    for kind in (*KINDS, "overall"):
        sub = pairs if kind == "overall" else pairs[pairs["kind"] == kind]
        counts = sub["outcome"].value_counts()
        rows[kind] = {**_scores(*(int(counts.get(o, 0)) for o in ("TP", "FP", "FN"))), "n_videos": n_videos}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "kind"
    return table, pairs


def strs(predictions: pd.DataFrame, truth: pd.DataFrame, *, iou: float = 0.5, label: str = "emotion",
         classes=None) -> dict:
    """Spot-then-recognise score: spotting F1 x recognition UF1 of the correctly spotted intervals.

    Recognition is scored on the true-positive pairs only, comparing the predicted
    ``label`` with the ground truth's: ``uf1`` is the unweighted mean of per-class F1 and
    ``uar`` the unweighted mean of per-class recall (true recall, as MEGC defines it; not
    mean precision), over ``classes`` (default: the ground-truth classes of the matched
    pairs), by scikit-learn with ``zero_division=0``.

    Returns
    -------
    dict
        ``spot_f1`` (overall), ``n_tp``, ``uf1``, ``uar``, ``strs`` (``spot_f1 * uf1``),
        ``classes``.

    Examples
    --------
    >>> import pandas as pd
    >>> truth = pd.DataFrame({"video": ["v1"] * 2, "onset": [10, 50], "offset": [19, 59],
    ...                       "kind": ["micro"] * 2, "emotion": ["negative", "positive"]})
    >>> pred = truth.assign(emotion=["negative", "negative"])
    >>> strs(pred, truth)["uar"]
    0.5
    """
    from sklearn.metrics import f1_score, recall_score

    for name, df in (("predictions", predictions), ("truth", truth)):
        if label not in df:
            raise ValueError(f"Invalid value for {name!r}: expected a {label!r} column, missing")
    table, pairs = spot_metrics(predictions, truth, iou=iou)
    tp = pairs[pairs["outcome"] == "TP"]
    y_true = truth[label].reset_index(drop=True).to_numpy()[tp["truth"].to_numpy(int)] if len(tp) else np.array([])
    y_pred = predictions[label].reset_index(drop=True).to_numpy()[tp["pred"].to_numpy(int)] if len(tp) else np.array([])
    labels = sorted(pd.unique(y_true)) if classes is None else list(classes)
    if len(tp) and labels:
        uf1 = float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
        uar = float(recall_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))
    else:
        uf1 = uar = 0.0
    spot_f1 = float(table.loc["overall", "f1"]) if np.isfinite(table.loc["overall", "f1"]) else 0.0
    return {"spot_f1": spot_f1, "n_tp": int(len(tp)), "uf1": uf1, "uar": uar, "strs": spot_f1 * uf1,
            "classes": labels}
