"""Optical-flow ME spotting baseline (MDMD / SoftNet family) over whole trials of any dataset.

Steps, per trial and expression kind:

1. frames: the tracked face crops (node ``face``) or the full frames (``video``) of the
   trial (:func:`~.features.trial_frames`); regions of interest from a face detection on
   its first frame (:func:`~.features.face_rois`);
2. ``k``, the frame distance, is half the mean ground-truth length of that kind over the
   **training** annotations (:meth:`BaselineSpotter.fit`; in seconds, converted with each
   video's fps): an expression ``2k`` long has its apex about ``k`` frames after its onset;
3. motion ``m[i, cell]``: mean flow magnitude from frame ``i - k`` to ``i`` in each cell
   (:func:`~.features.region_motion`), computed in chunks of consecutive frames, one dask
   task each, with a tqdm progress bar;
4. feature difference ``c[i, cell]`` (:func:`~.features.feature_difference`); the score of
   frame ``i`` is the mean of its ``top`` largest cells outside ``exclude``, smoothed over
   ``smooth`` seconds;
5. blink frames (the eye region moving more than ``blink`` times the others) and the
   ``k`` frames around them are set to 0; peaks of the score above
   ``mean + p * (max - mean)`` (per trial), at least ``distance`` seconds apart
   (:func:`scipy.signal.find_peaks`);
6. intervals ``[peak - k, peak + k]`` (inclusive frames, clipped to the video).

Choices where the papers leave room (stated here, set in :class:`SpotConfig`): Farneback
flow on faces resized to 128 pixels wide instead of TV-L1 (a hundred times slower on
whole 150 fps trials); the eyes out of the score and blinks removed (SoftNet masks the
eyes); ``p``, ``blink`` and ``top`` were chosen on one synthetic dataset (seed 0); the mean length of the training ground truth counted over
expressions with a coded offset only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from .._validate import check_int, check_option, check_positive, check_type
from ..flow.optical import FLOW_METHODS
from .features import ROI_METHODS, face_rois, feature_difference, region_motion, roi_regions, trial_frames
from .metrics import KINDS

__all__ = ["SpotConfig", "BaselineSpotter", "spot_baseline", "spot_peaks", "PREDICTION_COLUMNS"]

#: Columns of a prediction table.
PREDICTION_COLUMNS = ("video", "onset", "offset", "kind", "score", "apex")


@dataclass(frozen=True)
class SpotConfig:
    """Parameters of the baseline spotter (times in seconds, converted with each video's fps).

    Attributes
    ----------
    kinds : tuple of str
        Kinds spotted, each with its own ``k`` (``"micro"``, ``"macro"``).
    method : {"farneback", "dis", "tvl1"}
        Optical flow (:func:`~mmme_analysis.flow.flow_compute`). Default Farneback
        (``winsize=9, iterations=3``): DIS underestimates 2-pixel motions of the face badly
        (its coarsest-first patches), TV-L1 is a hundred times slower.
    flow_params : dict
        Extra keywords of :func:`~mmme_analysis.flow.flow_compute`.
    width : int or None
        Faces resized to this width before the flow (None: as they are).
    rois, cells, grid, face_method :
        Regions of interest (:func:`~.features.face_rois`).
    exclude : tuple of str
        Regions left out of the score (default the eyes: blinks).
    top : int
        Cells averaged into the score of a frame (the most moving ones).
    smooth : float
        Moving-average window of the score (s; 0: none).
    p : float
        Peak threshold ``mean + p * (max - mean)`` of the trial's score, ``0 <= p < 1``.
    distance : float
        Shortest time between two peaks (s).
    blink : float or None
        Frames where the eye region's feature exceeds ``blink`` times the other regions'
        are taken for a blink, and the score within ``k`` frames of them set to 0 before
        thresholding (so that a blink neither becomes a candidate nor sets the trial's
        maximum); None: off. Needs an ``eyes`` region.
    chunk : float
        Seconds of video per dask task.
    """

    kinds: tuple = ("micro",)
    method: str = "farneback"
    flow_params: dict = field(default_factory=lambda: {"winsize": 9, "iterations": 3})
    width: int | None = 128
    rois: str = "regions"
    cells: tuple = (2, 4)
    grid: int = 4
    face_method: str = "auto"
    exclude: tuple = ("eyes",)
    top: int = 3
    smooth: float = 0.02
    p: float = 0.3
    distance: float = 0.5
    blink: float | None = 1.5
    chunk: float = 2.0

    def __post_init__(self):
        check_type("kinds", self.kinds, tuple)
        if not self.kinds or any(k not in KINDS for k in self.kinds):
            raise ValueError(f"Invalid value for 'kinds': expected a tuple of {KINDS!r}, got {self.kinds!r}")
        check_option("method", self.method, FLOW_METHODS)
        check_type("flow_params", self.flow_params, dict)
        if self.width is not None:
            check_int("width", self.width, min_value=16)
        check_option("rois", self.rois, ROI_METHODS)
        check_int("top", self.top, min_value=1)
        check_positive("smooth", self.smooth, allow_zero=True)
        check_positive("p", self.p, allow_zero=True)
        if self.p >= 1:
            raise ValueError(f"Invalid value for 'p': expected a number in [0, 1), got {self.p!r}")
        check_positive("distance", self.distance)
        if self.blink is not None:
            check_positive("blink", self.blink)
        check_positive("chunk", self.chunk)


def spot_peaks(score, fps: float, k: int, *, p: float = 0.25, distance: float = 0.5) -> pd.DataFrame:
    """Peaks of a spotting score and their intervals ``[peak - k, peak + k]`` (inclusive frames).

    Parameters
    ----------
    score : array-like, shape (n,)
        One value per frame.
    fps : float
        Frame rate (frames/s) of the video; ``distance`` is converted with it.
    k : int
        Half-length of the intervals in frames.
    p : float
        Threshold ``mean + p * (max - mean)`` of ``score``.
    distance : float
        Shortest time between peaks (s).

    Returns
    -------
    pandas.DataFrame
        ``onset``, ``offset``, ``apex`` (frames) and ``score``, by apex.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.zeros(300); s[100] = 1.0; s[110] = 0.8; s[250] = 0.9
    >>> spot_peaks(s, 150.0, 10, p=0.5, distance=0.2)[["onset", "apex", "offset"]].values.tolist()
    [[90, 100, 110], [240, 250, 260]]
    """
    from scipy.signal import find_peaks

    fps = check_positive("fps", fps)
    k = check_int("k", k, min_value=0)
    x = np.asarray(score, float)
    if x.ndim != 1:
        raise ValueError(f"Invalid value for 'score': expected a 1-D array, got shape {x.shape}")
    cols = ["onset", "offset", "apex", "score"]
    if x.size == 0 or not np.isfinite(x).all() or x.max() <= x.min():
        return pd.DataFrame({c: pd.Series(dtype=float if c == "score" else int) for c in cols})
    thr = x.mean() + p * (x.max() - x.mean())
    peaks, _ = find_peaks(x, height=thr, distance=max(1, int(round(distance * fps))))
    return pd.DataFrame({"onset": np.maximum(peaks - k, 0), "offset": np.minimum(peaks + k, x.size - 1),
                         "apex": peaks, "score": x[peaks]})[cols]


def _moving_average(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1:
        return x
    from scipy.ndimage import uniform_filter1d

    return uniform_filter1d(x, n, mode="nearest")


class _Part:
    """Frames ``i0 .. i1`` of one pass (with ``k`` head frames); dask passes it through unopened."""

    def __init__(self, key, frames, i0: int, i1: int, k: int, boxes: dict):
        self.key, self.frames, self.i0, self.i1, self.k, self.boxes = key, frames, i0, i1, k, boxes


def _part_task(part: _Part, cfg: SpotConfig, bar=None) -> np.ndarray:
    import dask

    lo = max(part.i0 - part.k, 0)
    with dask.config.set(scheduler="synchronous"):  # the frames' own dask graph, inside this task
        frames = np.asarray(part.frames[lo:part.i1].values)
    out = region_motion(frames, part.k, part.boxes, method=cfg.method, width=cfg.width, start=part.i0 - lo,
                        **cfg.flow_params)
    if part.i0 < part.k:  # frames without a head frame (region_motion's i < k) are 0 already
        out[: part.k - part.i0] = 0.0
    if bar is not None:
        bar.update(part.i1 - part.i0)
    return out


class BaselineSpotter:
    """Optical-flow ME spotter of the module docstring: ``fit`` on training annotations, then ``predict``.

    Parameters
    ----------
    config : SpotConfig, optional

    Attributes
    ----------
    half_length_ : dict
        ``{kind: k in seconds}`` after :meth:`fit`.
    scores_ : dict
        ``{(trial, kind): pandas.Series}`` the score of every frame (index: time in s) of
        the last :meth:`predict`, for the Explorer's score track.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> test = "sub-02"
    >>> train = ds.annotations[ds.annotations["subject"] != test]
    >>> spotter = BaselineSpotter().fit(train)
    >>> pred = spotter.predict(ds, ds.trials.query("subject == @test")["trial"][:1], progress=False)
    >>> list(pred.columns)
    ['video', 'onset', 'offset', 'kind', 'score', 'apex']
    """

    def __init__(self, config: SpotConfig | None = None):
        self.config = SpotConfig() if config is None else check_type("config", config, SpotConfig)
        self.half_length_: dict = {}
        self.scores_: dict = {}

    def fit(self, annotations: pd.DataFrame) -> BaselineSpotter:
        """Set ``k`` per kind: half the mean length (s) of the training expressions of that kind.

        Only expressions with a coded offset count (``offset_coded``, when the column is
        there); lengths are ``offset - onset`` in seconds, so that datasets of other frame
        rates can be combined. Pass the training subjects' annotations only.
        """
        check_type("annotations", annotations, pd.DataFrame, "a pandas DataFrame")
        for col in ("kind", "onset", "offset"):
            if col not in annotations:
                raise ValueError(f"Invalid value for 'annotations': expected a {col!r} column, missing")
        a = annotations
        if "offset_coded" in a:
            a = a[a["offset_coded"].astype(bool)]
        half = {}
        for kind in self.config.kinds:
            length = (a.loc[a["kind"] == kind, "offset"] - a.loc[a["kind"] == kind, "onset"]).astype(float)
            length = length[np.isfinite(length) & (length > 0)]
            if length.empty:
                raise ValueError(f"Invalid value for 'annotations': expected {kind} expressions with a coded "
                                 f"offset to set k, got none")
            half[kind] = float(length.mean()) / 2.0
        self.half_length_ = half
        return self

    def frame_distance(self, kind: str, fps: float) -> int:
        """``k`` in frames for a video of ``fps``: the fitted half length of ``kind``, at least 1.

        Examples
        --------
        >>> import pandas as pd
        >>> ann = pd.DataFrame({"kind": ["micro"], "onset": [0.0], "offset": [0.3]})
        >>> BaselineSpotter().fit(ann).frame_distance("micro", 150.0)
        22
        """
        if not self.half_length_:
            raise RuntimeError("BaselineSpotter: call fit(training annotations) before predict")
        check_option("kind", kind, tuple(self.half_length_))
        return max(1, int(round(self.half_length_[kind] * check_positive("fps", fps))))

    def predict(self, dataset, trials=None, *, n_workers: int | None = None, progress: bool = True) -> pd.DataFrame:
        """Spot expressions in whole trials of ``dataset`` (any backend).

        Parameters
        ----------
        dataset : Dataset
            From :func:`mmme_analysis.open_dataset`.
        trials : iterable of str, optional
            Trials to spot (default all with video).
        n_workers : int, optional
            Threads of dask's local scheduler (default: CPU count).
        progress : bool
            Show a tqdm progress bar (frames).

        Returns
        -------
        pandas.DataFrame
            :data:`PREDICTION_COLUMNS`: ``video`` (trial id), ``onset``, ``offset``,
            ``apex`` (frames, inclusive), ``kind``, ``score``.
        """
        import cv2
        import dask.threaded
        from tqdm import tqdm

        cfg = self.config
        if trials is None:
            t = dataset.trials
            trials = t.loc[t["has_video"].astype(bool), "trial"] if "has_video" in t else t["trial"]
        trials = [str(t) for t in trials]
        if n_workers is not None:
            n_workers = check_int("n_workers", n_workers, min_value=1)
        passes, parts = {}, []
        for trial in trials:
            frames, fps, _ = trial_frames(dataset.trial(trial))
            n = int(frames.sizes["time"])
            if n == 0:
                continue
            boxes = face_rois(np.asarray(frames[0].values), rois=cfg.rois, grid=cfg.grid, cells=cfg.cells,
                              face_method=cfg.face_method)
            step = max(1, int(round(cfg.chunk * fps)))
            for kind in cfg.kinds:
                k = self.frame_distance(kind, fps)
                passes[(trial, kind)] = (fps, k, boxes, frames["time"].values)
                parts += [_Part((trial, kind), frames, i0, min(i0 + step, n), k, boxes) for i0 in range(0, n, step)]
        bar = tqdm(total=sum(p.i1 - p.i0 for p in parts), desc=f"spotting ({cfg.method})", unit="frame",
                   disable=not progress)
        run = partial(_part_task, cfg=cfg, bar=bar)
        graph = {("spot", i): (run, p) for i, p in enumerate(parts)}
        old = cv2.getNumThreads()
        try:
            cv2.setNumThreads(1)
            results = dask.threaded.get(graph, list(graph), num_workers=n_workers or os.cpu_count()) if graph else []
        finally:
            cv2.setNumThreads(old)
            bar.close()
        motion: dict = {}
        for p, r in zip(parts, results):
            motion.setdefault(p.key, []).append(r)
        rows, self.scores_ = [], {}
        for (trial, kind), (fps, k, boxes, time) in passes.items():
            peaks = self._peaks(np.concatenate(motion[(trial, kind)]), fps, k, boxes, (trial, kind), time)
            rows.append(peaks.assign(video=trial, kind=kind))
        out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(PREDICTION_COLUMNS))
        out = out[list(PREDICTION_COLUMNS)].astype({"onset": int, "offset": int, "apex": int, "score": float})
        return out.sort_values(["video", "onset", "kind"], kind="stable").reset_index(drop=True)

    def _peaks(self, motion: np.ndarray, fps: float, k: int, boxes: dict, key, time) -> pd.DataFrame:
        cfg = self.config
        c = feature_difference(motion, k)
        region = roi_regions(boxes)
        use = ~np.isin(region, cfg.exclude)
        if not use.any():
            raise ValueError(f"Invalid value for 'exclude': expected to leave at least one region, got {cfg.exclude!r}")
        top = min(cfg.top, int(use.sum()))
        n_avg = int(round(cfg.smooth * fps))
        score = _moving_average(np.sort(c[:, use], axis=1)[:, -top:].mean(axis=1), n_avg)
        eyes = region == "eyes"
        if cfg.blink is not None and eyes.any() and (~eyes).any():
            from scipy.ndimage import binary_dilation

            def top_mean(x):
                return _moving_average(np.sort(x, axis=1)[:, -min(cfg.top, x.shape[1]):].mean(axis=1), n_avg)

            blink = top_mean(c[:, eyes]) > cfg.blink * top_mean(c[:, ~eyes])
            score = np.where(binary_dilation(blink, np.ones(2 * k + 1, bool)), 0.0, score)
        self.scores_[key] = pd.Series(score, index=pd.Index(time, name="time"), name="score")
        peaks = spot_peaks(score, fps, k, p=cfg.p, distance=cfg.distance)
        return peaks


def spot_baseline(dataset, annotations: pd.DataFrame, trials=None, *, config: SpotConfig | None = None,
                  n_workers: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Fit the baseline spotter on training ``annotations`` and spot ``trials`` of ``dataset``.

    Shorthand for ``BaselineSpotter(config).fit(annotations).predict(dataset, trials)``;
    ``annotations`` must hold the training subjects only (``k`` comes from them).

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> ann = ds.annotations
    >>> pred = spot_baseline(ds, ann[ann["subject"] != "sub-01"], ["sub-01_101"], progress=False)
    >>> set(pred["video"]) <= {"sub-01_101"}
    True
    """
    return BaselineSpotter(config).fit(annotations).predict(dataset, trials, n_workers=n_workers, progress=progress)
