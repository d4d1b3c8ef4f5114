import dataclasses
import logging

import numpy as np
import pytest
import torch

from mmme_analysis.flow import compute_flow_features
from mmme_analysis.models import STSTNet
from mmme_analysis.synth import synthetic_samples
from mmme_analysis.training import (
    TrainConfig,
    class_weights,
    loso_validate,
    megc_metrics,
    resolve_device,
    results_table,
    train_model,
)

FAST = TrainConfig(epochs=8, lr=5e-3, batch_size=32, seed=0, num_threads=1)


@pytest.fixture(scope="module")
def features():
    samples = synthetic_samples(n_subjects=6, n_per_subject=9, task="3class", seed=1)
    return compute_flow_features(samples, method="dis", size=28, progress=False)


def test_ststnet_3class_loso_learns_and_shuffled_is_chance(features, caplog):
    X, y, subj = features["flow_inputs"], features["label"].values, features["subject"].values
    with caplog.at_level(logging.INFO, logger="mmme_analysis.training"):
        res = loso_validate(X, y, subj, "ststnet", config=FAST)
    assert res.metrics["uf1"] >= 0.8
    assert len(res.folds) == 6 and set(res.folds["subject"]) == set(subj)
    assert sum(" fold " in r.getMessage() for r in caplog.records) == 6
    # metrics are those of the pooled predictions
    pooled = megc_metrics(res.predictions["y_true"], res.predictions["y_pred"], labels=list(res.labels))
    assert pooled["uf1"] == res.metrics["uf1"]
    # each sample is predicted exactly once, in the fold of its own subject
    assert (res.predictions.groupby("subject")["fold"].nunique() == 1).all()
    ctrl = loso_validate(X, y, subj, "ststnet", config=FAST, shuffle_labels=True)
    assert ctrl.shuffled and ctrl.metrics["uf1"] <= 0.45
    # the control permutes the labels: same class counts, different assignment
    assert sorted(ctrl.predictions["y_true"]) == sorted(y)
    assert (ctrl.predictions["y_true"].to_numpy() != y).any()
    table = results_table([res, ctrl], tasks=["3class", "3class"])
    assert set(table.columns) >= {"model", "task", "shuffled", "metric", "class", "value"}
    assert table.query("metric == 'uf1' and not shuffled")["value"].item() == res.metrics["uf1"]


def test_fresh_weights_every_fold(features):
    made = []

    def factory(n_classes):
        net = STSTNet(n_classes)
        made.append((net, [p.detach().clone() for p in net.parameters()]))
        return net

    X = features["flow_inputs"].values[:18]
    y = features["label"].values[:18]
    subj = features["subject"].values[:18]
    cfg = TrainConfig(epochs=1, batch_size=8, seed=3, num_threads=1)
    loso_validate(X, y, subj, factory, config=cfg)
    assert len(made) == len(set(subj)) == 2
    assert made[0][0] is not made[1][0]
    for k, (_, init) in enumerate(made):  # fold k starts from the weights seeded by seed + k
        torch.manual_seed(cfg.seed + k)
        ref = STSTNet(3)
        for p, q in zip(init, ref.parameters()):
            torch.testing.assert_close(p, q)
    # and not from the trained weights of the fold before
    trained_first = [p.detach() for p in made[0][0].parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(trained_first, made[1][1]))


def test_train_model_returns_eval_model(features):
    net, labels = train_model(features["flow_inputs"], features["label"].values, "ststnet",
                              config=TrainConfig(epochs=1, num_threads=1))
    assert labels == ("negative", "positive", "surprise") and not net.training


def test_balanced_class_weights():
    w = class_weights(np.array([0, 0, 1]), 3, "balanced")
    np.testing.assert_allclose(w.numpy(), [3 / (3 * 2), 3 / (3 * 1), 0.0])  # absent class: 0
    assert class_weights(np.array([0, 1]), 2, "none") is None
    with pytest.raises(ValueError, match="'mode'"):
        class_weights(np.array([0, 1]), 2, "auto")


def test_device_and_config():
    assert resolve_device("auto") in ("cpu", "cuda")
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(dataclasses.FrozenInstanceError):
        FAST.epochs = 3  # frozen


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(epochs=0), ValueError, "'epochs'"),
    (dict(lr=-1), ValueError, "'lr'"),
    (dict(class_weight="auto"), ValueError, "'class_weight'"),
    (dict(device="tpu"), ValueError, "'device'"),
    (dict(batch_size=2.5), TypeError, "'batch_size'"),
])
def test_bad_config(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("change, exc, match", [
    (dict(model=STSTNet(3)), TypeError, "model instance"),
    (dict(model="vgg"), ValueError, "'model'"),
    (dict(X=np.zeros((4, 28, 28))), ValueError, "'X'"),
    (dict(subjects=["a"] * 4), ValueError, "at least 2 subjects"),
    (dict(subjects=["a", "b"]), ValueError, "same length"),
    (dict(y=["x", "x", "x", "x"]), ValueError, "at least 2 classes"),
    (dict(labels=("x",  "q")), ValueError, "'y'"),
    (dict(config={"epochs": 1}), TypeError, "'config'"),
])
def test_bad_input(change, exc, match):
    args = dict(X=np.zeros((4, 3, 28, 28)), y=["x", "y", "x", "y"], subjects=["a", "a", "b", "b"],
                model="ststnet")
    kwargs = {k: change.pop(k) for k in list(change) if k in ("labels", "config")}
    args.update(change)
    with pytest.raises(exc, match=match):
        loso_validate(args["X"], args["y"], args["subjects"], args["model"], **kwargs)
