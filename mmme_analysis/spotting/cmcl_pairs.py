"""CMCL-Net samples: ME / non-ME sample tables, and the ME-ME / ME-non-ME pairs and triplets.

Each sample is a face clip and the ECG window aligned with it on the trial axis, cut by
:class:`~.cmcl_signals.TrialSignals` as :class:`~.cmcl_signals.CMCLSampleConfig` sets.

Samples of a trial (:func:`cmcl_samples`): ``positives`` clips per micro-expression centred
on its apex (+- ``jitter`` s, uniform), label 1; ``negatives`` per ME (and per trial without
ME) at random times whose centre is at least ``min_gap`` s from every ME interval (an
uncoded offset mirrored about the apex), plus one at each macro-expression apex
(``macro_negatives``: macro-expressions are the hardest non-ME moments), label 0.
:func:`cmcl_triplets` / :func:`cmcl_pairs` draw (anchor ME, other ME, non-ME) triplets,
the ME-ME (positive) and ME-non-ME (negative) pairs of the triplet pre-training.

Choices where the paper is silent: the sampling ratios above (3 positives and 6 negatives
per ME, macro-expression apexes as negatives) and positives of another ME event.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._validate import check_int, check_type
from .cmcl_signals import CMCLSampleConfig, TrialSignals

__all__ = ["CMCLSamples", "cmcl_samples", "cmcl_triplets", "cmcl_pairs"]

_ANN_COLUMNS = ("trial", "kind", "onset", "apex", "offset")


@dataclass(frozen=True)
class CMCLSamples:
    """Samples of :func:`cmcl_samples`: arrays and a ``meta`` table, one row per sample.

    Attributes
    ----------
    video : numpy.ndarray, (sample, *video_shape), float32
    ecg : numpy.ndarray, (sample, *ecg_shape), float32
    label : numpy.ndarray, (sample,), int64
        1 for ME, 0 for non-ME.
    meta : pandas.DataFrame
        ``trial``, ``subject``, ``time`` (centre, s), ``label``, ``event`` (the ME's row in
        the annotations, -1 for non-ME) and ``source`` (``"me"``, ``"random"``, ``"macro"``).
    """

    video: np.ndarray
    ecg: np.ndarray
    label: np.ndarray
    meta: pd.DataFrame

    def __len__(self) -> int:
        return len(self.label)

    @classmethod
    def concat(cls, parts, config: CMCLSampleConfig | None = None) -> CMCLSamples:
        """Samples of several :func:`cmcl_samples` calls, in order (``config`` gives the empty shapes)."""
        parts = list(parts)
        if not parts:
            cfg = CMCLSampleConfig() if config is None else config
            return cls(np.zeros((0, *cfg.video_shape), np.float32), np.zeros((0, *cfg.ecg_shape), np.float32),
                       np.zeros(0, np.int64), pd.DataFrame(columns=["trial", "subject", "time", "label", "event",
                                                                    "source"]))
        return cls(np.concatenate([p.video for p in parts]), np.concatenate([p.ecg for p in parts]),
                   np.concatenate([p.label for p in parts]), pd.concat([p.meta for p in parts], ignore_index=True))

    def subset(self, mask) -> CMCLSamples:
        """The samples where ``mask`` (bool array or indices) selects."""
        m = np.asarray(mask)
        return CMCLSamples(self.video[m], self.ecg[m], self.label[m], self.meta.iloc[m].reset_index(drop=True))


def _trial_times(ann: pd.DataFrame, span, cfg: CMCLSampleConfig, rng) -> list[tuple[float, int, int, str]]:
    """(centre, label, event, source) of one trial's samples."""
    me = ann[ann["kind"] == "micro"]
    onset, apex, offset = (me[c].to_numpy(float) for c in ("onset", "apex", "offset"))
    offset = np.maximum(offset, apex + (apex - onset))  # uncoded offsets (offset == apex) mirrored
    out = []
    for ev, a in zip(me.index, apex):
        out += [(float(a + rng.uniform(-cfg.jitter, cfg.jitter)), 1, int(ev), "me") for _ in range(cfg.positives)]

    def far(t):
        return bool(np.all((t < onset - cfg.min_gap) | (t > offset + cfg.min_gap)))

    lo, hi = span[0] + cfg.duration / 2, span[1] - cfg.duration / 2
    for _ in range(cfg.negatives * max(len(me), 1)):
        for _try in range(50):
            t = float(rng.uniform(lo, hi)) if hi > lo else float(np.mean(span))
            if far(t):
                out.append((t, 0, -1, "random"))
                break
    if cfg.macro_negatives:
        out += [(float(t), 0, -1, "macro") for t in ann.loc[ann["kind"] == "macro", "apex"].to_numpy(float)
                if np.isfinite(t) and far(t)]
    return out


def cmcl_samples(dataset, annotations: pd.DataFrame | None = None, trials=None, *,
                 config: CMCLSampleConfig | None = None, seed: int = 0, signals: dict | None = None,
                 progress: bool = False) -> CMCLSamples:
    """ME and non-ME samples (clip + aligned ECG window) of the trials of a dataset.

    Parameters
    ----------
    dataset : Dataset
        From :func:`mmme_analysis.open_dataset` (any backend with video).
    annotations : pandas.DataFrame, optional
        ``trial``, ``kind``, ``onset``, ``apex``, ``offset`` (s, trial axis); default
        ``dataset.annotations``. Only the rows of ``trials`` are used.
    trials : iterable of str, optional
        Trials to sample (default: all with video).
    config : CMCLSampleConfig, optional
    seed : int
        Seed of the jitter and of the negatives' times.
    signals : dict, optional
        ``{trial: TrialSignals}`` already loaded (filled in with the trials loaded here).
    progress : bool
        tqdm bar over trials.

    Returns
    -------
    CMCLSamples

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> s = cmcl_samples(ds, trials=["sub-01_101"], config=CMCLSampleConfig(face_method="frame"))
    >>> s.video.shape[1:], sorted(set(s.label.tolist()))
    ((2, 8, 16, 16), [0, 1])
    """
    from tqdm import tqdm

    cfg = CMCLSampleConfig() if config is None else check_type("config", config, CMCLSampleConfig)
    seed = check_int("seed", seed, min_value=0)
    ann = dataset.annotations if annotations is None else annotations
    check_type("annotations", ann, pd.DataFrame, "a pandas DataFrame")
    missing = [c for c in _ANN_COLUMNS if c not in ann]
    if missing:
        raise ValueError(f"Invalid value for 'annotations': expected columns {', '.join(_ANN_COLUMNS)}, "
                         f"missing {missing!r}")
    t = dataset.trials
    if trials is None:
        trials = t.loc[t["has_video"].astype(bool), "trial"] if "has_video" in t else t["trial"]
    trials = [str(x) for x in trials]
    subject = dict(zip(t["trial"].astype(str), t["subject"].astype(str)))
    unknown = [x for x in trials if x not in subject]
    if unknown:
        raise ValueError(f"Invalid value for 'trials': expected trials of the dataset, got {unknown[0]!r}")
    signals = {} if signals is None else signals
    rng = np.random.default_rng(seed)
    videos, ecgs, rows = [], [], []
    for trial in tqdm(trials, desc="cmcl samples", unit="trial", disable=not progress):
        if trial not in signals:
            signals[trial] = TrialSignals.from_tree(dataset.trial(trial), cfg)
        sig = signals[trial]
        times = _trial_times(ann[ann["trial"].astype(str) == trial], sig.span, cfg, rng)
        v, e = sig.inputs([x[0] for x in times])
        videos.append(v)
        ecgs.append(e)
        rows += [dict(trial=trial, subject=subject[trial], time=c, label=lab, event=ev, source=src)
                 for c, lab, ev, src in times]
    meta = pd.DataFrame(rows, columns=["trial", "subject", "time", "label", "event", "source"])
    video = np.concatenate(videos) if videos else np.zeros((0, *cfg.video_shape), np.float32)
    ecg = np.concatenate(ecgs) if ecgs else np.zeros((0, *cfg.ecg_shape), np.float32)
    return CMCLSamples(video, ecg, meta["label"].to_numpy(np.int64), meta)


def cmcl_triplets(labels, events=None, *, n: int | None = None, seed: int = 0) -> np.ndarray:
    """Index triplets ``(anchor ME, positive ME, negative non-ME)`` for the triplet loss.

    Parameters
    ----------
    labels : array-like of int
        1 ME, 0 non-ME, per sample.
    events : array-like of int, optional
        ME event of each sample: the positive is an ME sample of another event when there
        is one (jittered copies of one ME are too easy a positive), else another sample.
    n : int, optional
        Triplets (default: one per ME sample, each ME sample an anchor once).
    seed : int

    Returns
    -------
    numpy.ndarray, shape (n, 3), int

    Examples
    --------
    >>> tri = cmcl_triplets([1, 1, 0, 0], [5, 6, -1, -1])  # each ME an anchor once, the other ME its positive
    >>> sorted(tuple(t[:2]) for t in tri.tolist()), set(tri[:, 2].tolist()) <= {2, 3}
    ([(0, 1), (1, 0)], True)
    """
    y = np.asarray(labels).astype(int).reshape(-1)
    ev = np.arange(len(y)) if events is None else np.asarray(events).astype(int).reshape(-1)
    if len(ev) != len(y):
        raise ValueError(f"Invalid value for 'events': expected {len(y)} values (one per label), got {len(ev)}")
    me, non = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(me) < 2 or len(non) < 1:
        raise ValueError(f"Invalid value for 'labels': expected at least 2 ME (1) and 1 non-ME (0) samples, got "
                         f"{len(me)} and {len(non)}")
    rng = np.random.default_rng(check_int("seed", seed, min_value=0))
    n = len(me) if n is None else check_int("n", n, min_value=1)
    anchors = np.resize(rng.permutation(me), n)
    out = np.empty((n, 3), int)
    for i, a in enumerate(anchors):
        pool = me[ev[me] != ev[a]]
        pool = pool if len(pool) else me[me != a]
        out[i] = (a, rng.choice(pool), rng.choice(non))
    return out


def cmcl_pairs(labels, events=None, *, n: int | None = None, seed: int = 0) -> pd.DataFrame:
    """ME-ME (``"positive"``) and ME-non-ME (``"negative"``) pairs: both pairs of each triplet.

    Returns a DataFrame ``first``, ``second`` (sample indices) and ``pair``; see
    :func:`cmcl_triplets` for the arguments.

    Examples
    --------
    >>> cmcl_pairs([1, 1, 0], n=1)["pair"].tolist()
    ['positive', 'negative']
    """
    tri = cmcl_triplets(labels, events, n=n, seed=seed)
    first = np.repeat(tri[:, 0], 2)
    second = np.stack([tri[:, 1], tri[:, 2]], axis=1).reshape(-1)
    return pd.DataFrame({"first": first, "second": second, "pair": np.tile(["positive", "negative"], len(tri))})
