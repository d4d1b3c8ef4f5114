"""CMCL-Net ablation under leave-one-subject-out: video, ECG, video + ECG, + HRS filter, baseline.

:func:`spot_ablation` keeps the guarantees of the LOSO validator
(:mod:`mmme_analysis.training.loso`) for spotting:

* one fold per subject; the network of every setting is built anew in every fold, seeded
  ``seed + fold``;
* only the training subjects' samples train the network and give its input normalisation,
  and only their annotations give ``k`` (the interval half-length) of the CMCL spotters and
  of the baseline; the peak threshold ``p``, ``min_score``, epochs and ``eta`` are fixed in
  the configuration, so nothing is chosen on the test subject;
* a shuffled-label control: the ME / non-ME labels of the training samples are permuted
  (seeded) in every fold before pre-training and fine-tuning; the test subject's ground
  truth is untouched, so a leak-free pipeline spots at chance there;
* predictions are pooled over all folds and scored once by
  :func:`~.metrics.spot_metrics` (micro-expressions, IoU >= ``iou``); in every row
  ``tp + fn`` is the number of ground-truth MEs (asserted).

Rows: ``video``, ``ECG``, ``video + ECG``, ``video + ECG + filter`` (the video + ECG
candidates kept by :func:`~.hrs_filter.hrs_filter` at ``eta``), ``baseline`` (the
optical-flow spotter, :class:`~.baseline.BaselineSpotter`; deterministic, so one row with
``seed`` NA) and ``shuffled labels`` (video + ECG). Samples and sliding windows are cut once
per trial (frames are released afterwards, so memory holds one trial's frames at a time);
the seeds vary the weights, triplets and batches. :data:`PUBLISHED` holds the paper's
table (MECG), labelled ``published``, to show beside the computed one.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, replace

import pandas as pd

from .._validate import check_int, check_positive, check_type
from .baseline import BaselineSpotter, SpotConfig
from .cmcl_pairs import CMCLSamples, cmcl_samples
from .cmcl_signals import TrialSignals
from .cmcl_train import CMCLSpotConfig, CMCLSpotter, _prediction_table, cmcl_windows
from .hrs_filter import hrs_filter
from .metrics import spot_metrics
from .truth import spot_truth

__all__ = ["ABLATION_SETTINGS", "PUBLISHED", "AblationResult", "spot_ablation"]

#: Rows of the ablation table, in order.
ABLATION_SETTINGS: tuple[str, ...] = ("video", "ECG", "video + ECG", "video + ECG + filter", "baseline",
                                      "shuffled labels")
_MODALITIES = {"video": ("video",), "ECG": ("ecg",), "video + ECG": ("video", "ecg"),
               "shuffled labels": ("video", "ecg")}
_COLUMNS = ["setting", "seed", "tp", "fp", "fn", "n_truth", "precision", "recall", "f1", "source"]

#: The published CMCL-Net ablation (MECG, IoU >= 0.5), reference values only. Its tp + fn
#: differs between rows (2061, 1999, 2132, 2132), unlike any computed table.
PUBLISHED = pd.DataFrame(
    [("video", 538, 1836, 1523, 0.2266, 0.2610, 0.2426),
     ("ECG", 173, 2924, 1826, 0.0559, 0.0865, 0.0679),
     ("video + ECG", 744, 2427, 1388, 0.2346, 0.3490, 0.2806),
     ("video + ECG + filter", 709, 1893, 1423, 0.2725, 0.3326, 0.2995)],
    columns=["setting", "tp", "fp", "fn", "precision", "recall", "f1"],
).assign(source="published (CMCL-Net paper, MECG)")


@dataclass(frozen=True)
class AblationResult:
    """Outcome of :func:`spot_ablation`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per setting and seed: ``setting``, ``seed`` (NA for the baseline), ``tp``,
        ``fp``, ``fn``, ``n_truth``, ``precision``, ``recall``, ``f1``, ``source``
        (``"computed"``).
    published : pandas.DataFrame
        :data:`PUBLISHED`.
    folds : pandas.DataFrame
        One row per seed, fold and setting: ``test_subject``, ``train_subjects`` (of the
        samples / annotations actually fitted), ``n_train`` samples, ``n_pred``,
        ``seconds`` (wall time of fitting and predicting).
    predictions : dict
        ``{(setting, seed): DataFrame}`` pooled predictions; the filter row's table keeps
        the dropped candidates (``kept`` False) with their ``hrs``.
    truth : pandas.DataFrame
        The ground truth scored against (:func:`~.truth.spot_truth`).
    """

    table: pd.DataFrame
    published: pd.DataFrame
    folds: pd.DataFrame
    predictions: dict
    truth: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation over seeds per setting, with the published rows below."""
        t = self.table
        agg = t.groupby("setting", sort=False)[["precision", "recall", "f1"]].agg(["mean", "std"])
        agg.columns = [f"{a}_{b}" for a, b in agg.columns]
        agg = agg.assign(n_seeds=t.groupby("setting", sort=False).size(), source="computed").reset_index()
        pub = self.published.rename(columns={"precision": "precision_mean", "recall": "recall_mean", "f1": "f1_mean"})
        return pd.concat([agg, pub[["setting", "precision_mean", "recall_mean", "f1_mean", "source"]]],
                         ignore_index=True)


def _row(setting: str, seed, pred: pd.DataFrame, truth: pd.DataFrame, n_truth: int, iou: float) -> dict:
    table, _ = spot_metrics(pred, truth, iou=iou)
    m = table.loc["micro"]
    assert int(m["tp"]) + int(m["fn"]) == n_truth, f"{setting}: tp + fn != number of ground-truth MEs"
    return dict(setting=setting, seed=seed, tp=int(m["tp"]), fp=int(m["fp"]), fn=int(m["fn"]), n_truth=n_truth,
                precision=float(m["precision"]), recall=float(m["recall"]), f1=float(m["f1"]), source="computed")


def _prepare(dataset, ann, trials, cfg: CMCLSpotConfig, seed: int, progress: bool):
    """Samples of every trial and the sliding windows of every trial, one trial's frames at a time."""
    from tqdm import tqdm

    parts, windows = [], {}
    for i, trial in enumerate(tqdm(trials, desc="cmcl samples + windows", unit="trial", disable=not progress)):
        sig = TrialSignals.from_tree(dataset.trial(trial), cfg.samples)
        parts.append(cmcl_samples(dataset, ann, [trial], config=cfg.samples, seed=seed * 100003 + i,
                                  signals={trial: sig}))
        windows[trial] = (sig, *cmcl_windows(sig, cfg.window_step))
        sig.release()
    return CMCLSamples.concat(parts, cfg.samples), windows


def spot_ablation(dataset, annotations: pd.DataFrame | None = None, *, config: CMCLSpotConfig | None = None,
                  baseline: SpotConfig | None = None, seeds=(0,), eta: float = 2.0, iou: float = 0.5,
                  shuffled: bool = True, trials=None, n_workers: int | None = None, settings=None,
                  progress: bool = False) -> AblationResult:
    """Leave-one-subject-out ablation of CMCL-Net spotting (module docstring).

    Parameters
    ----------
    dataset : Dataset
        Trials with video and ECG (:func:`mmme_analysis.open_dataset`).
    annotations : pandas.DataFrame, optional
        Default ``dataset.annotations``.
    config : CMCLSpotConfig, optional
        Shared by every CMCL row (its ``modalities`` and ``seed`` are set per row and fold).
    baseline : SpotConfig, optional
        Baseline spotter settings (its ``kinds`` set to micro).
    seeds : iterable of int
        One LOSO run of the CMCL rows per seed (fold ``k`` seeded ``seed + k``).
    eta : float
        HRS filter factor.
    iou : float
        Match threshold.
    shuffled : bool
        Add the shuffled-label control row.
    trials : iterable of str, optional
        Trials to use (default: all with video).
    n_workers : int, optional
        Threads of the baseline's flow.
    settings : iterable of str, optional
        Rows to compute, a subset of :data:`ABLATION_SETTINGS` (default all; the
        ``"shuffled labels"`` row only when ``shuffled``). ``"video + ECG + filter"``
        trains the video + ECG network whether or not its own row is asked for.
    progress : bool

    Returns
    -------
    AblationResult

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> from mmme_analysis.spotting import CMCLSampleConfig, CMCLSpotConfig
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> cfg = CMCLSpotConfig.fast(samples=CMCLSampleConfig(face_method="frame", n_frames=6, width=48, size=12,
    ...                                                    ecg_sfreq=20.0), epochs=1, pretrain_epochs=0)
    >>> res = spot_ablation(ds, config=cfg, shuffled=False)  # doctest: +SKIP
    >>> res.table["setting"].tolist()  # doctest: +SKIP
    ['video', 'ECG', 'video + ECG', 'video + ECG + filter', 'baseline']
    """
    cfg = CMCLSpotConfig() if config is None else check_type("config", config, CMCLSpotConfig)
    base_cfg = replace(SpotConfig() if baseline is None else check_type("baseline", baseline, SpotConfig),
                       kinds=("micro",))
    seeds = [check_int("seeds", s, min_value=0) for s in seeds]
    if not seeds:
        raise ValueError("Invalid value for 'seeds': expected at least one seed, got none")
    eta, iou = check_positive("eta", eta), check_positive("iou", iou)
    wanted = list(ABLATION_SETTINGS) if settings is None else list(check_type("settings", settings, (list, tuple)))
    bad = [x for x in wanted if x not in ABLATION_SETTINGS]
    if bad or not wanted:
        raise ValueError(f"Invalid value for 'settings': expected a non-empty subset of {ABLATION_SETTINGS!r}, "
                         f"got {bad[0] if bad else wanted!r}")
    wanted = [x for x in ABLATION_SETTINGS if x in wanted and (x != "shuffled labels" or shuffled)]
    filtered_row = "video + ECG + filter" in wanted
    ann = dataset.annotations if annotations is None else check_type("annotations", annotations, pd.DataFrame,
                                                                     "a pandas DataFrame")
    t = dataset.trials
    if trials is None:
        trials = t.loc[t["has_video"].astype(bool), "trial"] if "has_video" in t else t["trial"]
    trials = [str(x) for x in trials]
    subject_of = dict(zip(t["trial"].astype(str), t["subject"].astype(str)))
    subjects = list(dict.fromkeys(subject_of[x] for x in trials))
    if len(subjects) < 2:
        raise ValueError(f"Invalid value for 'trials': expected trials of at least 2 subjects, got {subjects!r}")
    ann = ann[ann["trial"].astype(str).isin(trials)].copy()
    ann["subject"] = ann["trial"].astype(str).map(subject_of)  # the dataset's subjects, whatever the table says
    truth = spot_truth(ann, trials)
    n_truth = int(((truth["kind"] == "micro") & truth["onset"].notna()).sum())

    settings = [x for x in _MODALITIES if x in wanted or (x == "video + ECG" and filtered_row)]
    samples, windows = _prepare(dataset, ann, trials, cfg, seeds[0], progress) if settings else (None, {})
    preds: dict = {}
    fold_rows, rows = [], []
    for seed in seeds:
        out = {s: [] for s in settings}
        for k, test in enumerate(subjects):
            train_ann = ann[ann["subject"] != test]
            train = samples.subset(samples.meta["subject"].to_numpy() != test)
            test_trials = [x for x in trials if subject_of[x] == test]
            for setting in settings:
                t0 = time.perf_counter()
                spotter = CMCLSpotter(replace(cfg, modalities=_MODALITIES[setting], seed=seed + k))
                spotter.fit_samples(train, train_ann, shuffle_labels=setting == "shuffled labels")
                for trial in test_trials:
                    sig, centres, video, ecg = windows[trial]
                    out[setting].append(spotter.spot(sig, centres, spotter.score_windows(video, ecg)))
                fold_rows.append(dict(seed=seed, fold=k, test_subject=test, setting=setting,
                                      train_subjects=spotter.train_subjects_,
                                      k_subjects=tuple(sorted(train_ann["subject"].unique())), n_train=len(train),
                                      n_pred=int(sum(len(p) for p in out[setting][-len(test_trials):])),
                                      seconds=time.perf_counter() - t0))
        for setting in settings:
            preds[(setting, seed)] = _prediction_table(out[setting])
        if filtered_row:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                filtered = hrs_filter(preds[("video + ECG", seed)], dataset, eta=eta)
            preds[("video + ECG + filter", seed)] = filtered
        for setting in wanted:
            if setting == "video + ECG + filter":
                rows.append(_row(setting, seed, filtered[filtered["kept"]], truth, n_truth, iou))
            elif setting != "baseline":
                rows.append(_row(setting, seed, preds[(setting, seed)], truth, n_truth, iou))

    if "baseline" in wanted:
        _baseline(dataset, ann, trials, subjects, subject_of, base_cfg, n_workers, preds, fold_rows)
        rows.append(_row("baseline", pd.NA, preds[("baseline", None)], truth, n_truth, iou))

    order = {s: i for i, s in enumerate(ABLATION_SETTINGS)}
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table = table.sort_values("setting", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    table["seed"] = table["seed"].astype("Int64")
    folds = pd.DataFrame(fold_rows)
    if "seed" in folds:
        folds["seed"] = folds["seed"].astype("Int64")
    return AblationResult(table=table, published=PUBLISHED.copy(), folds=folds, predictions=preds, truth=truth)


def _baseline(dataset, ann, trials, subjects, subject_of, base_cfg, n_workers, preds, fold_rows) -> None:
    """The baseline spotter under LOSO: ``preds[("baseline", None)]`` and its fold rows."""
    base = []
    for k, test in enumerate(subjects):
        t0 = time.perf_counter()
        train_ann = ann[ann["subject"] != test]
        spotter = BaselineSpotter(base_cfg).fit(train_ann)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            base.append(spotter.predict(dataset, [x for x in trials if subject_of[x] == test], n_workers=n_workers,
                                        progress=False))
        fold_rows.append(dict(seed=pd.NA, fold=k, test_subject=test, setting="baseline", train_subjects=(),
                              k_subjects=tuple(sorted(train_ann["subject"].unique())), n_train=0,
                              n_pred=len(base[-1]), seconds=time.perf_counter() - t0))
    preds[("baseline", None)] = _prediction_table(base)
