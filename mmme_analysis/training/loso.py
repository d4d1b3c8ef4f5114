"""One leave-one-subject-out (LOSO) validator for every recognition model.

Guarantees, whatever the model:

* **fresh weights each fold**: the model is built anew for every fold from its name (or a
  factory), seeded with ``config.seed + fold``; passing a model *instance* is refused,
  since its weights would carry over from fold to fold;
* the test subject's samples are never seen in training (no normalisation or class
  weights are fitted on them: class weights come from the training fold's labels);
* metrics are computed once, MEGC-style, on the predictions **pooled over all folds**
  (:func:`~mmme_analysis.training.megc_metrics`);
* a shuffled-label control: ``shuffle_labels=True`` permutes the labels of **all** samples
  once (seeded) before the folds are made, which breaks any link between inputs and
  labels while keeping the class counts; a leak-free pipeline must then score at chance
  (UF1 ~ 1 / n_classes). Permuting only the training labels would also give chance, but
  permuting everything tests the whole chain including the scoring;
* per-fold progress is logged with :mod:`logging` (logger ``mmme_analysis.training``).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .._validate import check_option, check_type
from .config import TrainConfig, resolve_device
from .metrics import megc_metrics

__all__ = ["LOSOResult", "class_weights", "loso_validate", "train_model", "predict",
           "results_table"]

logger = logging.getLogger("mmme_analysis.training")


@dataclass(frozen=True)
class LOSOResult:
    """Outcome of :func:`loso_validate`.

    Attributes
    ----------
    model : str
        Model name.
    labels : tuple
        Class labels, in the order of the logits and of the confusion matrix.
    predictions : pandas.DataFrame
        One row per sample: ``sample, subject, fold, y_true, y_pred`` and ``prob_<label>``.
    folds : pandas.DataFrame
        One row per fold: ``fold, subject, n_train, n_test, train_loss, test_accuracy,
        seconds``.
    metrics : dict
        :func:`~mmme_analysis.training.megc_metrics` of the pooled predictions.
    shuffled : bool
        Whether this is the shuffled-label control.
    config : TrainConfig
    device : str
        Device actually used.
    """

    model: str
    labels: tuple
    predictions: pd.DataFrame
    folds: pd.DataFrame
    metrics: dict
    shuffled: bool
    config: TrainConfig
    device: str

    def table(self, task: str = "") -> pd.DataFrame:
        """Tidy results: one row per (metric, class) with ``model, task, shuffled,
        n_samples, n_subjects, metric, class, value``. ``class`` is ``"all"`` for UF1,
        UAR and accuracy.
        """
        m = self.metrics
        base = dict(model=self.model, task=task, shuffled=self.shuffled, n_samples=m["n"],
                    n_subjects=int(self.predictions["subject"].nunique()))
        rows = [dict(base, metric=k, **{"class": "all"}, value=m[k]) for k in ("uf1", "uar", "accuracy")]
        for k in ("f1", "recall"):
            rows += [dict(base, metric=k, **{"class": str(c)}, value=v) for c, v in m[k].items()]
        return pd.DataFrame(rows)


def results_table(results: Sequence[LOSOResult], tasks: Sequence[str] | None = None) -> pd.DataFrame:
    """Concatenate the tidy tables of several runs (``tasks`` names each run's task)."""
    tasks = list(tasks) if tasks is not None else [""] * len(results)
    if len(tasks) != len(results):
        raise ValueError(
            f"Invalid value for 'tasks': expected {len(results)} task names, got {len(tasks)}"
        )
    return pd.concat([r.table(t) for r, t in zip(results, tasks)], ignore_index=True)


def _as_array(X) -> np.ndarray:
    if isinstance(X, xr.Dataset):
        X = X["flow_inputs"]
    a = np.asarray(X, dtype=np.float32)
    if a.ndim != 4:
        raise ValueError(
            f"Invalid value for 'X': expected model inputs of shape (sample, channel, y, x), got shape {a.shape}"
        )
    if not np.isfinite(a).all():
        raise ValueError("Invalid value for 'X': expected finite values, got NaN or inf")
    return a


def _factory(model, n_classes: int, model_kwargs: dict | None) -> tuple[str, Callable[[], Any]]:
    import torch

    from ..models import MODELS, get_model

    kw = dict(model_kwargs or {})
    if isinstance(model, torch.nn.Module):
        raise TypeError(
            "Invalid value for 'model': expected a model name or a factory callable "
            "(n_classes -> torch.nn.Module), got a model instance, whose weights would be "
            "shared between folds"
        )
    if isinstance(model, str):
        check_option("model", model, MODELS)
        return model, lambda: get_model(model, n_classes, **kw)
    if callable(model):
        return getattr(model, "__name__", type(model).__name__), lambda: model(n_classes, **kw)
    raise TypeError(f"Invalid value for 'model': expected a model name or a callable, got {model!r}")


def class_weights(y, n_classes: int, mode: str = "balanced"):
    """Cross-entropy class weights of integer labels (:attr:`TrainConfig.class_weight`).

    Parameters
    ----------
    y : array-like of int, shape (sample,)
        Class codes ``0 .. n_classes - 1`` (of a training fold only).
    n_classes : int
        Number of classes.
    mode : {"balanced", "none"}
        ``"balanced"``: ``n / (n_classes * count_c)`` (scikit-learn's convention), 0 for a
        class absent from ``y``; ``"none"``: no weighting.

    Returns
    -------
    torch.Tensor, shape (n_classes,), float32, or None
        None when ``mode="none"``.

    Examples
    --------
    >>> class_weights([0, 0, 1], 3).tolist()
    [0.5, 1.0, 0.0]
    >>> class_weights([0, 1], 2, "none") is None
    True
    """
    import torch

    check_option("mode", mode, ("balanced", "none"))
    y = np.asarray(y, dtype=np.int64)
    if mode == "none":
        return None
    counts = np.bincount(y, minlength=n_classes).astype(float)
    w = np.divide(len(y), n_classes * counts, out=np.zeros(n_classes), where=counts > 0)
    return torch.tensor(w, dtype=torch.float32)


def _fit(net, X: np.ndarray, y: np.ndarray, n_classes: int, config: TrainConfig, device: str,
         seed: int) -> float:
    import torch

    gen = np.random.default_rng(seed)
    weights = class_weights(y, n_classes, config.class_weight)
    loss_fn = torch.nn.CrossEntropyLoss(weight=None if weights is None else weights.to(device))
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    Xt = torch.from_numpy(X).to(device)
    yt = torch.from_numpy(y.astype(np.int64)).to(device)
    net.to(device).train()
    last = float("nan")
    for _ in range(config.epochs):
        order = gen.permutation(len(y))
        total, count = 0.0, 0
        for start in range(0, len(order), config.batch_size):
            idx = order[start:start + config.batch_size]
            if len(idx) < 2 and len(order) > 1:  # batch norm needs 2 samples
                continue
            idx_t = torch.from_numpy(idx).to(device)
            opt.zero_grad()
            loss = loss_fn(net(Xt[idx_t]), yt[idx_t])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            count += len(idx)
        last = total / max(count, 1)
    return last


def predict(net, X, *, device: str = "auto", batch_size: int = 256) -> np.ndarray:
    """Class probabilities ``(sample, n_classes)`` of a trained model (softmax of logits)."""
    import torch

    device = resolve_device(device)
    a = _as_array(X)
    net.to(device).eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(a), batch_size):
            xb = torch.from_numpy(a[start:start + batch_size]).to(device)
            out.append(torch.softmax(net(xb), dim=1).cpu().numpy())
    return np.concatenate(out)


def _encode(y, labels) -> tuple[np.ndarray, tuple]:
    yv = np.asarray(y, dtype=object)
    if labels is None:
        labels = tuple(sorted(set(yv.tolist()), key=str))
    labels = tuple(labels)
    index = {c: i for i, c in enumerate(labels)}
    bad = [v for v in yv.tolist() if v not in index]
    if bad:
        raise ValueError(f"Invalid value for 'y': expected labels in {labels!r}, got {bad[0]!r}")
    if len(labels) < 2:
        raise ValueError(f"Invalid value for 'labels': expected at least 2 classes, got {labels!r}")
    return np.array([index[v] for v in yv.tolist()], dtype=np.int64), labels


def train_model(X, y, model="ststnet", *, config: TrainConfig | None = None,
                labels: Sequence | None = None, model_kwargs: dict | None = None):
    """Train one model on all samples (e.g. the final model for
    :func:`~mmme_analysis.training.infer_clip`).

    Parameters are those of :func:`loso_validate`.

    Returns
    -------
    (torch.nn.Module, tuple)
        The trained model (in eval mode, on CPU) and its class labels.
    """
    import torch

    config = check_type("config", TrainConfig() if config is None else config, TrainConfig)
    a = _as_array(X)
    codes, labels = _encode(y, labels)
    if len(codes) != len(a):
        raise ValueError(f"Invalid value for 'y': expected {len(a)} labels, got {len(codes)}")
    _, make = _factory(model, len(labels), model_kwargs)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    net = make()
    _fit(net, a, codes, len(labels), config, device, config.seed)
    return net.cpu().eval(), labels


def loso_validate(X, y, subjects, model="ststnet", *, config: TrainConfig | None = None,
                  labels: Sequence | None = None, shuffle_labels: bool = False,
                  model_kwargs: dict | None = None, progress: bool = False) -> LOSOResult:
    """Leave-one-subject-out validation of one model.

    Parameters
    ----------
    X : array-like or xarray, shape (sample, channel, y, x)
        Model inputs (e.g. ``compute_flow_features(...)["flow_inputs"]``).
    y : array-like, shape (sample,)
        Class labels (strings or ints).
    subjects : array-like, shape (sample,)
        Subject of each sample; one fold per subject.
    model : str or callable
        A name of :data:`mmme_analysis.models.MODELS` or a factory ``f(n_classes,
        **model_kwargs) -> torch.nn.Module``. Never an instance (see module docstring).
    config : TrainConfig, optional
        Epochs, learning rate, batch size, seed, class weighting, device (default
        ``TrainConfig()``).
    labels : sequence, optional
        Class order (default: sorted unique ``y``).
    shuffle_labels : bool
        Shuffled-label control: permute all labels (seeded by ``config.seed``) before LOSO.
    model_kwargs : dict, optional
        Extra arguments of the model constructor.
    progress : bool
        Show a tqdm bar over folds.

    Returns
    -------
    LOSOResult

    Examples
    --------
    Four subjects of random inputs, one epoch (the labels carry no signal, so the scores
    are those of chance; use ``compute_flow_features(...)["flow_inputs"]`` for real ones):

    >>> import numpy as np
    >>> from mmme_analysis.training import TrainConfig, loso_validate
    >>> X = np.random.default_rng(0).standard_normal((12, 3, 28, 28)).astype("float32")
    >>> y = ["negative", "positive", "surprise"] * 4
    >>> subjects = np.repeat(["sub-01", "sub-02", "sub-03", "sub-04"], 3)
    >>> config = TrainConfig(epochs=1, device="cpu", num_threads=1)
    >>> res = loso_validate(X, y, subjects, "ststnet", config=config)
    >>> res.labels
    ('negative', 'positive', 'surprise')
    >>> res.folds[["subject", "n_train", "n_test"]].values.tolist()
    [['sub-01', 9, 3], ['sub-02', 9, 3], ['sub-03', 9, 3], ['sub-04', 9, 3]]
    >>> res.predictions.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['sample', 'subject', 'fold', 'y_true', 'y_pred',
     'prob_negative', 'prob_positive', 'prob_surprise']
    >>> 0.0 <= res.metrics["uf1"] <= 1.0  # pooled over the 4 folds
    True
    """
    import torch
    from tqdm import tqdm

    a = _as_array(X)
    codes, labels = _encode(y, labels)
    subj = np.asarray(subjects).astype(str)
    if not (len(a) == len(codes) == len(subj)):
        raise ValueError(
            "Invalid value for 'subjects': expected X, y and subjects of the same length, "
            f"got {len(a)}, {len(codes)}, {len(subj)}"
        )
    folds_subjects = list(dict.fromkeys(subj.tolist()))
    if len(folds_subjects) < 2:
        raise ValueError(
            f"Invalid value for 'subjects': expected at least 2 subjects, got {folds_subjects!r}"
        )
    config = check_type("config", TrainConfig() if config is None else config, TrainConfig)
    name, make = _factory(model, len(labels), model_kwargs)
    if shuffle_labels:
        codes = np.random.default_rng(config.seed).permutation(codes)
    device = resolve_device(config.device)
    old_threads = torch.get_num_threads()
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    n_classes = len(labels)
    y_pred = np.full(len(codes), -1, dtype=np.int64)
    probs = np.zeros((len(codes), n_classes), dtype=np.float32)
    fold_of = np.zeros(len(codes), dtype=np.int64)
    rows = []
    try:
        for k, s in enumerate(tqdm(folds_subjects, desc=f"LOSO {name}", disable=not progress)):
            t0 = time.perf_counter()
            test = subj == s
            train = ~test
            seed = config.seed + k
            torch.manual_seed(seed)
            net = make()  # fresh weights every fold
            loss = _fit(net, a[train], codes[train], n_classes, config, device, seed)
            p = predict(net, a[test], device=device)
            probs[test] = p
            y_pred[test] = p.argmax(axis=1)
            fold_of[test] = k
            acc = float(np.mean(y_pred[test] == codes[test]))
            dt = time.perf_counter() - t0
            rows.append(dict(fold=k, subject=s, n_train=int(train.sum()), n_test=int(test.sum()),
                             train_loss=loss, test_accuracy=acc, seconds=dt))
            logger.info("LOSO %s fold %d/%d (%s): n_train=%d n_test=%d train_loss=%.4f "
                        "test_acc=%.3f %.2f s%s", name, k + 1, len(folds_subjects), s,
                        train.sum(), test.sum(), loss, acc, dt,
                        " [shuffled labels]" if shuffle_labels else "")
            del net
    finally:
        torch.set_num_threads(old_threads)
    lab = np.array(labels, dtype=object)
    pred = pd.DataFrame({"sample": np.arange(len(codes)), "subject": subj, "fold": fold_of,
                         "y_true": lab[codes], "y_pred": lab[y_pred]})
    for i, c in enumerate(labels):
        pred[f"prob_{c}"] = probs[:, i]
    metrics = megc_metrics(pred["y_true"].to_numpy(), pred["y_pred"].to_numpy(), labels=list(labels))
    logger.info("LOSO %s pooled over %d folds: UF1=%.4f UAR=%.4f acc=%.4f%s", name,
                len(folds_subjects), metrics["uf1"], metrics["uar"], metrics["accuracy"],
                " [shuffled labels]" if shuffle_labels else "")
    return LOSOResult(model=name, labels=labels, predictions=pred, folds=pd.DataFrame(rows),
                      metrics=metrics, shuffled=bool(shuffle_labels), config=config, device=device)
