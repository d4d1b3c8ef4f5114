"""Outcome of each predicted interval of a trial against its annotations: TP, FP, missed.

The Explorer colours spotted intervals by :func:`spot_outcomes`, which scores them as
:func:`mmme_analysis.spotting.spot_metrics` does (MEGC convention, IoU >= 0.5 on inclusive
frames, each ground truth matched at most once, by :func:`~mmme_analysis.spotting.spot_match`):

- **seconds to frames**: an interval file holds times on the trial axis (the times of the
  interval's first and last frames); they become frame positions of the trial video by
  ``round((t - t0) * fps)``, ``t0`` the time of its first frame and ``fps`` its frame rate
  (clipped at 0). The annotations (onset, apex, offset in s) are converted the same way, and
  an expression whose offset was not coded gets ``offset = apex + (apex - onset)``
  (:func:`~mmme_analysis.spotting.spot_truth`, ``uncoded="mirror"``);
- **kinds**: intervals labelled ``micro`` / ``macro`` are matched with annotated expressions
  of that kind only, and only the kinds the file spots are scored (a micro-expression
  spotter's missed macro-expressions are not shown); when a label is anything else
  (``disgust``, ``ME``, ...) the match ignores kinds and every annotated expression counts;
- **filtered candidates**: rows with ``kept`` false (dropped by the heart-rate-slope filter)
  are not scored, as :func:`~mmme_analysis.spotting.hrs_filter` asks (score the kept ones):
  their outcome is ``dropped``;
- **apex**: clicking an interval seeks to its ``apex`` column, else to its midpoint
  (``target``); a missed expression's target is its annotated apex, else its midpoint.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_positive, check_type

__all__ = ["IOU", "OUTCOMES", "OUTCOME_COLORS", "OUTCOME_LABELS", "scored_kinds", "spot_outcomes"]

#: IoU threshold of a true positive (inclusive frames), as MEGC and the source papers.
IOU = 0.5
#: Outcomes of a predicted interval (``missed`` is a ground truth no kept interval matched;
#: ``unscored``: the trial has no video, so no frames to score on).
OUTCOMES = ("TP", "FP", "dropped", "missed", "unscored")
#: Colour of each outcome in the Explorer.
OUTCOME_COLORS = {"TP": "#2ca02c", "FP": "#d62728", "dropped": "#b0b0b0", "missed": "#7b3294",
                  "unscored": "#6b8cce"}
#: Legend text of each outcome.
OUTCOME_LABELS = {"TP": "TP", "FP": "FP", "dropped": "dropped by HR-slope filter", "missed": "missed (ground truth)",
                  "unscored": "not scored (no video)"}
_KINDS = ("micro", "macro")  # spotting.KINDS (imported lazily with the rest of spotting)


def scored_kinds(labels) -> tuple[tuple, bool]:
    """The kinds a file of interval ``labels`` is scored on, and whether matching is by kind.

    Examples
    --------
    >>> scored_kinds(["micro", "micro"]), scored_kinds(["disgust", "micro"])
    ((('micro',), True), (('micro', 'macro'), False))
    """
    names = {str(v).strip().lower() for v in labels}
    if names and names <= set(_KINDS):
        return tuple(k for k in _KINDS if k in names), True
    return _KINDS, False


def _frames(t, fps: float, t0: float) -> np.ndarray:
    return np.maximum(np.round((np.asarray(t, float) - t0) * fps), 0)


def spot_outcomes(intervals: pd.DataFrame, events: pd.DataFrame, *, fps: float | None, t0: float = 0.0,
                  iou: float = IOU, kinds=None, by_kind: bool | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcome of each predicted interval of one trial and the annotated expressions missed.

    Parameters
    ----------
    intervals : pandas.DataFrame
        The trial's rows of an interval file (:func:`~mmme_analysis.dashboard.read_predictions`):
        ``onset``, ``offset`` (s), ``label`` and, optionally, ``apex``, ``kept``, ``hrs``.
    events : pandas.DataFrame
        The trial's annotations (:meth:`TrialState.events`): ``onset``, ``apex``, ``offset``
        (s), ``kind`` and, optionally, ``offset_coded``.
    fps : float or None
        Frame rate of the trial video (frames/s); None (no video): every interval
        ``unscored``, nothing missed.
    t0 : float
        Time of the video's first frame on the trial axis (s).
    iou : float
        Match threshold in (0, 1] (default :data:`IOU`).
    kinds : tuple of str, optional
        Kinds scored; with ``by_kind``, default :func:`scored_kinds` of ``intervals["label"]``
        (pass those of the whole file, so that every trial is scored alike).
    by_kind : bool, optional
        Match micro with micro and macro with macro (True) or ignore kinds (False).

    Returns
    -------
    predicted : pandas.DataFrame
        ``intervals`` (index reset) with ``onset_frame``, ``offset_frame``, ``target`` (s,
        where a click seeks: apex, else midpoint), ``outcome`` (TP, FP, dropped, unscored)
        ``iou`` (of the matched pair, NaN otherwise) and ``unfiltered`` (the outcome had
        every candidate been kept: TP or FP for a dropped one).
    missed : pandas.DataFrame
        The annotated expressions no kept interval matched: ``onset``, ``apex``, ``offset``,
        ``target`` (s, back from frames), ``kind``, ``onset_frame``, ``offset_frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"onset": [1.0, 5.0], "apex": [1.2, 5.1], "offset": [1.4, 5.3],
    ...                        "kind": ["micro", "micro"]})
    >>> pred = pd.DataFrame({"onset": [1.02, 3.0], "offset": [1.38, 3.3], "label": ["micro", "micro"]})
    >>> predicted, missed = spot_outcomes(pred, events, fps=100.0)
    >>> predicted["outcome"].tolist(), missed["onset_frame"].tolist()
    (['TP', 'FP'], [500])
    """
    check_type("intervals", intervals, pd.DataFrame, "a pandas DataFrame")
    check_type("events", events, pd.DataFrame, "a pandas DataFrame")
    for name, df, cols in (("intervals", intervals, ("onset", "offset", "label")),
                           ("events", events, ("onset", "apex", "offset", "kind"))):
        missing = [c for c in cols if c not in df]
        if missing:
            raise ValueError(f"Invalid value for {name!r}: expected columns {', '.join(cols)}, missing {missing!r}")
    pred = intervals.reset_index(drop=True).copy()
    for col, default in (("apex", np.nan), ("kept", True), ("hrs", np.nan)):
        if col not in pred:
            pred[col] = default
    pred["kept"] = pred["kept"].astype(bool)
    apex = pred["apex"].to_numpy(float)
    mid = (pred["onset"].to_numpy(float) + pred["offset"].to_numpy(float)) / 2
    pred["target"] = np.where(np.isfinite(apex), apex, mid)
    pred["outcome"] = np.where(pred["kept"], "unscored", "dropped").astype(object)
    pred["iou"] = np.nan
    pred["unfiltered"] = pred["outcome"]
    missed_cols = ["onset", "apex", "offset", "target", "kind", "onset_frame", "offset_frame"]
    if fps is None:
        pred["onset_frame"] = pred["offset_frame"] = pd.array([pd.NA] * len(pred), dtype="Int64")
        return pred, pd.DataFrame(columns=missed_cols)
    from ..spotting import spot_match, spot_truth

    fps = check_positive("fps", fps)
    t0 = float(t0)
    pred["onset_frame"] = _frames(pred["onset"], fps, t0).astype(int)
    pred["offset_frame"] = np.maximum(_frames(pred["offset"], fps, t0), pred["onset_frame"]).astype(int)
    if kinds is None or by_kind is None:
        k, b = scored_kinds(pred["label"])
        kinds = k if kinds is None else tuple(kinds)
        by_kind = b if by_kind is None else bool(by_kind)
    kinds = tuple(kinds)
    ev = events[events["kind"].astype(str).isin(kinds)].reset_index(drop=True)
    coded = ev["offset_coded"].to_numpy(bool) if "offset_coded" in ev else np.ones(len(ev), bool)
    ann = pd.DataFrame({"trial": "trial", "kind": ev["kind"].astype(str) if by_kind else "micro",
                        "onset_frame": _frames(ev["onset"], fps, t0), "apex_frame": _frames(ev["apex"], fps, t0),
                        "offset_frame": _frames(ev["offset"], fps, t0), "offset_coded": coded})
    truth = spot_truth(ann, ["trial"], uncoded="mirror")
    kinds_of = np.array([_kind(v, by_kind) for v in pred["label"]], dtype=object)
    scored = np.isin(kinds_of, kinds)  # by kind: a label of a kind not scored stays unscored

    def match(rows):
        table = pd.DataFrame({"video": "trial", "onset": pred["onset_frame"].to_numpy()[rows],
                              "offset": pred["offset_frame"].to_numpy()[rows], "kind": kinds_of[rows]})
        return spot_match(table, truth, iou=iou)

    kept = np.flatnonzero(pred["kept"].to_numpy() & scored)
    pairs = match(kept)
    for p in pairs[pairs["pred"].notna()].itertuples():
        pred.loc[kept[int(p.pred)], ["outcome", "iou"]] = (p.outcome, p.iou)
    pred["unfiltered"] = pred["outcome"]
    if (~pred["kept"] & scored).any():  # what the dropped ones would have been without the filter
        every = np.flatnonzero(scored)
        m = match(every)
        for p in m[m["pred"].notna()].itertuples():
            if not pred.at[every[int(p.pred)], "kept"]:
                pred.loc[every[int(p.pred)], "unfiltered"] = p.outcome
    fn = truth.loc[pairs.loc[pairs["outcome"] == "FN", "truth"].astype(int).to_numpy()]
    on, off, ap = (fn[c].astype("Float64").to_numpy(float, na_value=np.nan) for c in ("onset", "offset", "apex"))
    missed = pd.DataFrame({"onset": t0 + on / fps, "apex": t0 + ap / fps, "offset": t0 + off / fps,
                           "target": t0 + np.where(np.isfinite(ap), ap, (on + off) / 2) / fps,
                           "kind": fn["kind"].to_numpy(object), "onset_frame": on.astype(int),
                           "offset_frame": off.astype(int)})
    return pred, missed.sort_values("onset", kind="stable").reset_index(drop=True)[missed_cols]


def _kind(label, by_kind: bool) -> str:
    return str(label).strip().lower() if by_kind else "micro"
