"""Tests of the fusion LOSO validator and the modality-ablation runner."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from mmme_analysis.synth import fusion_samples
from mmme_analysis.training import fusion as tf
from mmme_analysis.training.fusion import FAST_FUSION, FusionConfig, fusion_loso, fusion_splits, modality_ablation

torch.set_num_threads(1)  # FAST_FUSION asks for 2: test_bad_input checks that a refused call leaves this alone


def test_splits_disjoint_and_val_from_training():
    subj = np.repeat(["s1", "s2", "s3", "s4"], 3)
    for s in np.unique(subj):
        fit, val, test = fusion_splits(subj, s, 1, 0)
        assert set(subj[test]) == {s}
        assert not set(subj[fit]) & set(subj[test]) and not set(subj[val]) & set(subj[test])
        assert not set(subj[fit]) & set(subj[val]) and len(set(subj[val])) == 1
        assert (fit | val | test).all()


def test_normalisation_never_sees_test_subject(monkeypatch):
    """Fails if the fold's z-scoring or training touches a test-subject sample."""
    ds = fusion_samples(3, 1, seed=0, size=8, n_frames=2)
    seen = []
    orig = tf._fold

    def spy(model, x, codes, n_classes, mods, fit, val, config, device, seed):
        seen.append((fit.copy(), val.copy()))
        return orig(model, x, codes, n_classes, mods, fit, val, config, device, seed)

    monkeypatch.setattr(tf, "_fold", spy)
    pred, folds, _ = fusion_loso(ds, "mes_eeg", ("eeg",), config=FusionConfig(epochs=1, device="cpu"))
    subj = ds["subject"].values
    for (fit, val), s in zip(seen, folds["subject"]):
        assert s not in set(subj[fit]) | set(subj[val])
    # poisoning the test subject's inputs must leave its fold's trained weights unchanged
    nets = []

    def keep(*args):
        out = orig(*args)
        nets.append({k: v.clone() for k, v in out[0].state_dict().items()})
        return out

    monkeypatch.setattr(tf, "_fold", keep)
    ds2 = ds.copy(deep=True)
    ds2["eeg"].values[subj == "sub-01"] += 1e3
    cfg = FusionConfig(epochs=2, device="cpu", val_subjects=0)
    fusion_loso(ds, "mes_eeg", ("eeg",), config=cfg)
    fusion_loso(ds2, "mes_eeg", ("eeg",), config=cfg)
    first, second = nets[:3], nets[3:]
    for k in first[0]:  # fold 0 tests sub-01: identical weights
        torch.testing.assert_close(first[0][k], second[0][k])
    assert any(not torch.equal(first[1][k], second[1][k]) for k in first[1])  # sub-01 trains fold 1


def test_public_names_and_table_columns():
    import mmme_analysis.training as tr

    assert tr.modality_ablation is modality_ablation and tr.fusion_loso is fusion_loso
    assert tr.FusionConfig is FusionConfig and tr.FAST_FUSION is FAST_FUSION
    ds = fusion_samples(3, 1, seed=0, size=8, n_frames=2)
    t = tr.modality_ablation(ds, "me_ps", config=FusionConfig(epochs=1, device="cpu", num_threads=1))
    assert t["modalities"].tolist() == ["video", "eeg", "peri", "video+eeg", "video+peri", "eeg+peri",
                                        "video+eeg+peri", "video+eeg+peri"]
    assert t["shuffled"].tolist() == [False] * 7 + [True]
    for c in ("uf1", "uar", "accuracy", "acc_negative", "acc_positive", "acc_surprise"):
        assert t[c].between(0, 1).all(), c
    assert (t["n_subjects"] == 3).all() and (t["seed"] == 0).all()


def test_loso_predicts_every_sample_once_from_its_own_fold():
    ds = fusion_samples(4, 1, seed=1, size=8, n_frames=2)
    pred, folds, met = fusion_loso(ds, "me_ps", "peri", config=FusionConfig(epochs=1, device="cpu"))
    assert folds["subject"].tolist() == ["sub-01", "sub-02", "sub-03", "sub-04"]
    assert (folds["n_test"] == 3).all() and (folds["n_val"] == 3).all() and (folds["n_fit"] == 6).all()
    assert pred["sample"].tolist() == list(range(12))
    assert (pred["fold"].to_numpy() == folds.set_index("subject").loc[pred["subject"], "fold"].to_numpy()).all()
    probs = pred[[f"prob_{c}" for c in ("negative", "positive", "surprise")]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert 0 <= met["uf1"] <= 1


def test_test_subjects_runs_the_same_folds_only():
    ds = fusion_samples(3, 1, seed=2, size=8, n_frames=2)
    cfg = FusionConfig(epochs=2, device="cpu")
    full, folds, _ = fusion_loso(ds, "mes_eeg", "eeg", config=cfg)
    one, folds1, _ = fusion_loso(ds, "mes_eeg", "eeg", config=cfg, test_subjects="sub-02")
    assert folds1["subject"].tolist() == ["sub-02"] and folds1["fold"].tolist() == [1]
    assert one["subject"].eq("sub-02").all() and len(one) == 3
    want = full[full["subject"] == "sub-02"].reset_index(drop=True)
    np.testing.assert_allclose(one.filter(like="prob_").to_numpy(), want.filter(like="prob_").to_numpy(), rtol=1e-5)


def test_shuffled_labels_keep_label_counts():
    ds = fusion_samples(3, 2, seed=0, size=8, n_frames=2)
    pred, _, _ = fusion_loso(ds, "mes_eeg", "eeg", config=FusionConfig(epochs=1, device="cpu"), shuffle_labels=True)
    assert sorted(pred["y_true"]) == sorted(ds["label"].values)
    assert (pred["y_true"].to_numpy() != ds["label"].values).any()


@pytest.mark.slow
def test_complementary_fusion_beats_each_modality_one_seed():
    """Direction of the headline claim (the figure over seeds is benchmarks/bench_fusion.py)."""
    ds = fusion_samples(5, 4, seed=0, size=16, n_frames=2)
    t = modality_ablation(ds, "mes_eeg", config=FusionConfig(epochs=25, device="cpu", num_threads=1, seed=0))
    u = dict(zip(t.loc[~t.shuffled, "modalities"], t.loc[~t.shuffled, "uf1"]))
    assert u["video+eeg"] > u["video"] + 0.05 and u["video+eeg"] > u["eeg"] + 0.05, u


_DS = fusion_samples(2, 1, seed=0, size=8, n_frames=2)
_NAN = _DS.copy(deep=True)
_NAN["eeg"].values[0, 0, 0, 0] = np.nan


@pytest.mark.parametrize("call, exc, match", [
    (lambda: fusion_loso("x", "mes_eeg"), TypeError, "'samples'"),
    (lambda: fusion_loso(_DS, "resnet"), ValueError, "'model'"),
    (lambda: fusion_loso(_DS, "mes_eeg", ("peri",)), ValueError, "'modalities'"),
    (lambda: fusion_loso(_DS, "mes_eeg", ()), ValueError, "'modalities'"),
    (lambda: fusion_loso(_DS, "mes_eeg", ("eeg", "eeg")), ValueError, "'modalities'"),
    (lambda: fusion_loso(_DS.drop_vars("peri"), "me_ps", ("peri",)), ValueError, "'samples'.*'peri'"),
    (lambda: fusion_loso(_NAN, "mes_eeg", ("eeg",)), ValueError, "'samples'.*finite"),
    (lambda: fusion_loso(_DS, "mes_eeg", config="fast"), TypeError, "'config'"),
    (lambda: fusion_loso(_DS, "mes_eeg", test_subjects="sub-09"), ValueError, "'test_subjects'"),
    (lambda: fusion_loso(_DS, "mes_eeg", test_subjects=[]), ValueError, "'test_subjects'"),
    (lambda: modality_ablation(_DS, "resnet"), ValueError, "'model'"),
    (lambda: modality_ablation(_DS, "mes_eeg", modalities=[]), ValueError, "'modalities'"),
    (lambda: modality_ablation(_DS, "mes_eeg", modalities=[("video", "peri")]), ValueError, "'modalities'"),
    (lambda: FusionConfig(epochs=0), ValueError, "'epochs'"),
    (lambda: FusionConfig(lr=-1.0), ValueError, "'lr'"),
    (lambda: FusionConfig(batch_size=1), ValueError, "'batch_size'"),
    (lambda: FusionConfig(device="tpu"), ValueError, "'device'"),
    (lambda: FusionConfig(class_weight="inverse"), ValueError, "'class_weight'"),
    (lambda: FusionConfig(val_subjects=-1), ValueError, "'val_subjects'"),
])
def test_bad_input(call, exc, match):
    threads = torch.get_num_threads()
    with pytest.raises(exc, match=match):
        call()
    assert torch.get_num_threads() == threads  # a refused call leaves torch's thread count alone


@pytest.mark.parametrize("model", ["mes_eeg", "me_ps"])
def test_forward_backward_cpu(model):
    ds = fusion_samples(2, 1, seed=0, size=16, n_frames=2)
    x = tf._inputs(ds, model, tf._MODEL_MODALITIES[model])
    net = tf._make(model, 3, x, FAST_FUSION)
    out = net({m: torch.from_numpy(v) for m, v in x.items()})
    tf._loss(net, out, torch.tensor([0, 1, 2] * 2), None).backward()
    assert out["logits"].shape == (6, 3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_fusion_loso_on_cuda():
    ds = fusion_samples(3, 1, seed=0, size=8, n_frames=2)
    _, folds, met = fusion_loso(ds, "me_ps", config=FusionConfig(epochs=1, device="cuda"))
    assert len(folds) == 3 and 0 <= met["uf1"] <= 1
