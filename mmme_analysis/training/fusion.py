"""LOSO training of the fusion models (MEs-EEG, ME-PS) and the modality-ablation runner.

Same guarantees as :func:`~mmme_analysis.training.loso_validate`, for dict (multi-input)
samples: fresh weights every fold (seed ``config.seed + fold``); class weights
(:func:`~mmme_analysis.training.class_weights`) and per-feature z-scoring computed on the
fold's *fit* subjects only; the epoch kept is the one with the best UF1 on a validation split
of *training* subjects (``val_subjects`` of them, never the test subject).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_int, check_option, check_type
from .config import TrainConfig, resolve_device
from .loso import class_weights
from .metrics import megc_metrics

__all__ = ["FAST_FUSION", "FusionConfig", "fusion_loso", "fusion_splits", "modality_ablation"]

_MODEL_MODALITIES = {"mes_eeg": ("video", "eeg"), "me_ps": ("video", "eeg", "peri")}


@dataclass(frozen=True)
class FusionConfig(TrainConfig):
    """Hyper-parameters of one fusion LOSO run: a :class:`~mmme_analysis.training.TrainConfig`
    (``epochs``, ``lr``, ``batch_size``, ``weight_decay``, ``seed``, ``class_weight``,
    ``device``, ``num_threads``, with ``lr = 3e-3`` and ``batch_size = 16`` by default) and:

    Parameters
    ----------
    val_subjects : int
        Training subjects held out of each fold for model selection (best validation UF1).
    model_kwargs : tuple of (str, value)
        Extra fields of the model's config (e.g. ``(("d_model", 16),)``).

    Examples
    --------
    >>> FusionConfig(epochs=5).val_subjects
    1
    """

    lr: float = 3e-3
    batch_size: int = 16
    val_subjects: int = 1
    model_kwargs: tuple = ()

    def __post_init__(self):
        super().__post_init__()
        check_int("batch_size", self.batch_size, min_value=2)
        check_int("val_subjects", self.val_subjects, min_value=0)


#: Fast preset for tests and notebooks' fast mode (CPU-friendly).
FAST_FUSION = FusionConfig(epochs=25, lr=3e-3, batch_size=16, device="auto", num_threads=2)


def fusion_splits(subjects, test_subject, val_subjects: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean masks (fit, val, test) of one LOSO fold; val subjects drawn from training subjects.

    Parameters
    ----------
    subjects : array-like of str
        Subject of every sample.
    test_subject : str
        The fold's held-out subject (``test``).
    val_subjects : int
        Subjects drawn from the others for model selection (``val``); at most all but one.
    seed : int
        Seed of the draw.

    Returns
    -------
    (fit, val, test) : tuple of numpy.ndarray of bool
        Disjoint masks covering every sample; no subject in two of them.

    Examples
    --------
    >>> fit, val, test = fusion_splits(["a", "a", "b", "c"], "a", 1, 0)
    >>> test.tolist(), (fit | val).tolist()
    ([True, True, False, False], [False, False, True, True])
    """
    subj = np.asarray(subjects).astype(str)
    test = subj == str(test_subject)
    others = sorted(set(subj[~test].tolist()))
    n_val = min(val_subjects, len(others) - 1)
    val_s = list(np.random.default_rng(seed).choice(others, n_val, replace=False)) if n_val > 0 else []
    val = np.isin(subj, val_s) & ~test
    return ~test & ~val, val, test


def _check_set(model: str, mods) -> tuple[str, ...]:
    mods = (mods,) if isinstance(mods, str) else tuple(mods)
    if not mods or len(set(mods)) != len(mods):
        raise ValueError(f"Invalid value for 'modalities': expected distinct names among {_MODEL_MODALITIES[model]!r}, got {mods!r}")
    for m in mods:
        check_option("modalities", m, _MODEL_MODALITIES[model])
    return mods


def _inputs(samples: xr.Dataset, model: str, mods) -> dict[str, np.ndarray]:
    out = {}
    for m in mods:
        if m not in samples:
            raise ValueError(f"Invalid value for 'samples': expected a {m!r} variable for modalities {mods!r}, "
                             f"got {list(samples.data_vars)}")
        a = np.asarray(samples[m].values, dtype=np.float32)
        if model == "mes_eeg" and m == "video" and a.ndim == 5:
            a = a[:, :, -1]  # onset->apex flow map
        if not np.isfinite(a).all():
            raise ValueError(f"Invalid value for 'samples': expected finite values in {m!r}, got NaN or inf")
        out[m] = a
    return out


def _make(model: str, n_classes: int, x: dict, config: FusionConfig):
    from ..models import MEPS, MEPSConfig, MEsEEG, MEsEEGConfig

    kw = dict(config.model_kwargs)
    eeg = x.get("eeg")
    if eeg is not None:
        kw.setdefault("n_eeg_channels", eeg.shape[1])
        kw.setdefault("n_bands", eeg.shape[2])
    if model == "mes_eeg":
        return MEsEEG(n_classes, MEsEEGConfig(**kw))
    return MEPS(n_classes, MEPSConfig(**kw))


def _loss(net, out, target, weight):
    loss = net.loss(out, target, weight)
    return loss[0] if isinstance(loss, tuple) else loss


def _predict(net, z: dict, mods, idx: np.ndarray, device: str, batch: int = 256) -> np.ndarray:
    import torch

    net.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(idx), batch):
            i = idx[s:s + batch]
            xb = {m: torch.from_numpy(z[m][i]).to(device) for m in mods}
            out.append(torch.softmax(net(xb, modalities=mods)["logits"], 1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def _fold(model, x, codes, n_classes, mods, fit, val, config, device, seed):
    import torch

    from .metrics import uf1

    # normalisation statistics from the fit subjects only
    z = {}
    for m in mods:
        mu = x[m][fit].mean(0, keepdims=True)
        sd = x[m][fit].std(0, keepdims=True) + 1e-6
        z[m] = ((x[m] - mu) / sd).astype(np.float32)
    torch.manual_seed(seed)
    net = _make(model, n_classes, x, config).to(device)
    w = class_weights(codes[fit], n_classes, config.class_weight)
    w = None if w is None else w.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    gen = np.random.default_rng(seed)
    fit_idx, val_idx = np.flatnonzero(fit), np.flatnonzero(val)
    yt = torch.from_numpy(codes).to(device)
    best, best_state, best_epoch = -1.0, None, config.epochs - 1
    for epoch in range(config.epochs):
        net.train()
        order = gen.permutation(fit_idx)
        for s in range(0, len(order), config.batch_size):
            i = order[s:s + config.batch_size]
            if len(i) < 2:
                continue
            xb = {m: torch.from_numpy(z[m][i]).to(device) for m in mods}
            opt.zero_grad()
            _loss(net, net(xb, modalities=mods), yt[torch.from_numpy(i).to(device)], w).backward()
            opt.step()
        if len(val_idx):
            score = uf1(codes[val_idx], _predict(net, z, mods, val_idx, device).argmax(1))
            if score > best:
                best, best_epoch = score, epoch
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    if best_state is not None:
        net.load_state_dict(best_state)
    return net, z, best_epoch, best


def fusion_loso(samples: xr.Dataset, model: str, modalities=None, *, config: FusionConfig | None = None,
                shuffle_labels: bool = False, test_subjects=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """LOSO of one fusion model on one modality set.

    Parameters
    ----------
    samples : xarray.Dataset
        Fusion samples (layout of :mod:`mmme_analysis.synth.fusion`: ``video``, ``eeg``,
        ``peri`` variables on dim ``sample``, ``label`` and ``subject`` coordinates).
    model : {"mes_eeg", "me_ps"}
        :class:`~mmme_analysis.models.MEsEEG` (video, eeg) or :class:`~mmme_analysis.models.MEPS`
        (video, eeg, peri).
    modalities : str or sequence of str, optional
        Modalities used (default all of ``model``'s); a single one trains its unimodal path.
    config : FusionConfig, optional
        Default :data:`FAST_FUSION`.
    shuffle_labels : bool
        Permute the labels across samples first (seed ``config.seed``): the chance control.
    test_subjects : str or sequence of str, optional
        Run only the folds that test these subjects (default every subject); a fold is the
        same (splits, seed) as in the full run, and only its samples are predicted and scored
        (to time one fold at full size, for example).

    Returns
    -------
    (predictions, folds, metrics)
        Tidy predictions (``sample, subject, fold, y_true, y_pred, prob_<class>``), one row per
        fold (``subject, n_fit, n_val, n_test, best_epoch, val_uf1, seconds``) and
        :func:`~mmme_analysis.training.megc_metrics` pooled over folds.

    Examples
    --------
    >>> from mmme_analysis.synth import fusion_samples
    >>> ds = fusion_samples(3, 1, seed=0, size=8, n_frames=2)
    >>> pred, folds, met = fusion_loso(ds, "mes_eeg", ("eeg",), config=FusionConfig(epochs=1, device="cpu"))
    >>> folds["n_test"].tolist()
    [3, 3, 3]
    """
    import torch

    check_type("samples", samples, xr.Dataset)
    check_option("model", model, tuple(_MODEL_MODALITIES))
    config = check_type("config", FAST_FUSION if config is None else config, FusionConfig)
    mods = _check_set(model, _MODEL_MODALITIES[model] if modalities is None else modalities)
    x = _inputs(samples, model, mods)
    labels = tuple(sorted(set(samples["label"].values.tolist())))
    codes = np.array([labels.index(v) for v in samples["label"].values.tolist()], dtype=np.int64)
    subj = np.asarray(samples["subject"].values).astype(str)
    if shuffle_labels:
        codes = np.random.default_rng(config.seed).permutation(codes)
    order = list(dict.fromkeys(subj.tolist()))
    run = set(order)
    if test_subjects is not None:
        want = [str(v) for v in ([test_subjects] if isinstance(test_subjects, str) else test_subjects)]
        if not want or any(v not in run for v in want):
            raise ValueError(f"Invalid value for 'test_subjects': expected subjects of 'samples' ({order[:5]} ...), got {want!r}")
        run = set(want)
    device = resolve_device(config.device)
    probs = np.zeros((len(codes), len(labels)), np.float32)
    fold_of = np.full(len(codes), -1, np.int64)
    rows = []
    old = torch.get_num_threads()
    try:
        if config.num_threads is not None:
            torch.set_num_threads(config.num_threads)
        for k, s in enumerate(order):
            if s not in run:
                continue
            t0 = time.perf_counter()
            fit, val, test = fusion_splits(subj, s, config.val_subjects, config.seed + k)
            net, z, best_epoch, val_uf1 = _fold(model, x, codes, len(labels), mods, fit, val, config, device, config.seed + k)
            probs[test] = _predict(net, z, mods, np.flatnonzero(test), device)
            fold_of[test] = k
            rows.append(dict(fold=k, subject=s, n_fit=int(fit.sum()), n_val=int(val.sum()), n_test=int(test.sum()),
                             best_epoch=best_epoch, val_uf1=val_uf1, seconds=time.perf_counter() - t0))
    finally:
        torch.set_num_threads(old)
    lab = np.array(labels, dtype=object)
    pred = pd.DataFrame({"sample": np.arange(len(codes)), "subject": subj, "fold": fold_of,
                         "y_true": lab[codes], "y_pred": lab[probs.argmax(1)]})
    for i, c in enumerate(labels):
        pred[f"prob_{c}"] = probs[:, i]
    pred = pred[fold_of >= 0].reset_index(drop=True)
    return pred, pd.DataFrame(rows), megc_metrics(pred["y_true"].to_numpy(), pred["y_pred"].to_numpy(), labels=list(labels))


def modality_ablation(samples: xr.Dataset, model: str, *, modalities=None, config: FusionConfig | None = None) -> pd.DataFrame:
    """LOSO for every modality set of ``model`` plus the shuffled-label control.

    Parameters
    ----------
    samples : xarray.Dataset
        Fusion samples (see :func:`fusion_loso`).
    model : {"mes_eeg", "me_ps"}
        Fusion network.
    modalities : sequence of (str or sequence of str), optional
        Modality sets to run; default each modality alone, each pair and all. The
        shuffled-label control runs on the largest set (the first of them if tied).
    config : FusionConfig, optional
        Default :data:`FAST_FUSION` (the fast preset).

    Returns
    -------
    pandas.DataFrame
        One row per set: ``modalities`` ("video+eeg" ...), ``uf1, uar, accuracy``,
        ``acc_<class>`` (per-class accuracy = recall), ``n_subjects``, ``seed``, ``shuffled``.

    Examples
    --------
    >>> from mmme_analysis.synth import fusion_samples
    >>> ds = fusion_samples(3, 1, seed=0, size=8, n_frames=2)
    >>> t = modality_ablation(ds, "mes_eeg", modalities=[("eeg",)], config=FusionConfig(epochs=1, device="cpu"))
    >>> t["modalities"].tolist(), t["shuffled"].tolist()
    (['eeg', 'eeg'], [False, True])
    """
    config = check_type("config", FAST_FUSION if config is None else config, FusionConfig)
    check_option("model", model, tuple(_MODEL_MODALITIES))
    allm = _MODEL_MODALITIES[model]
    if modalities is None:
        modalities = [c for r in range(1, len(allm) + 1) for c in itertools.combinations(allm, r)]
    if isinstance(modalities, str):
        modalities = [modalities]
    sets = [_check_set(model, m) for m in modalities]
    if not sets:
        raise ValueError("Invalid value for 'modalities': expected at least one modality set, got []")
    rows = []
    for mods, shuffled in [(m, False) for m in sets] + [(max(sets, key=len), True)]:
        _, _, met = fusion_loso(samples, model, mods, config=config, shuffle_labels=shuffled)
        row = {"modalities": "+".join(mods), "uf1": met["uf1"], "uar": met["uar"], "accuracy": met["accuracy"]}
        for c, r in met.get("recall", {}).items():
            row[f"acc_{c}"] = r
        row.update(n_subjects=int(samples["subject"].to_series().nunique()), seed=config.seed, shuffled=shuffled)
        rows.append(row)
    return pd.DataFrame(rows)

