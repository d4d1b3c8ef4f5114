"""Fusion losses against hand-computed values (NumPy or arithmetic, never the same code)."""
import math
from itertools import combinations, permutations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmme_analysis.models.fusion_losses import (
    batch_hard_triplet_loss,
    consistency_loss,
    contrastive_loss,
    diversity_loss,
    focal_loss,
    triplet_loss,
)

torch.set_num_threads(1)


def _np_softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _unit(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# --- focal -----------------------------------------------------------------------------------

def test_focal_hand_value():
    z = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    y = np.array([0, 2])
    p = _np_softmax(z)[[0, 1], y]
    # p = [e^2 / (e^2 + 1 + e^-1), 1 / (2 e^0.5 + 1)]
    assert p[0] == pytest.approx(math.exp(2) / (math.exp(2) + 1 + math.exp(-1)))
    assert p[1] == pytest.approx(1 / (2 * math.exp(0.5) + 1))
    expected = np.mean(-(1 - p) ** 2 * np.log(p))
    got = focal_loss(torch.tensor(z), torch.tensor(y), gamma=2.0)
    assert float(got) == pytest.approx(expected, rel=1e-10)
    # class weights: weighted mean, normalised by the weights of the targets
    a = np.array([0.5, 1.0, 3.0])
    expected_w = np.sum(a[y] * (1 - p) ** 2 * -np.log(p)) / a[y].sum()
    got_w = focal_loss(torch.tensor(z), torch.tensor(y), gamma=2.0, weight=torch.tensor(a))
    assert float(got_w) == pytest.approx(expected_w, rel=1e-10)


def test_focal_down_weights_easy_samples():
    z = torch.tensor([[5.0, 0.0], [0.2, 0.0]])
    y = torch.tensor([0, 0])
    ce = F.cross_entropy(z, y, reduction="none")
    fl = torch.stack([focal_loss(z[i:i + 1], y[i:i + 1], gamma=2.0) for i in range(2)])
    ratio = fl / ce  # (1 - p)^2: tiny for the easy sample, larger for the hard one
    assert ratio[0] < 1e-3 < 0.1 < ratio[1] < 1


@pytest.mark.parametrize("use_weight", [False, True])
def test_focal_gamma0_is_cross_entropy(use_weight):
    g = torch.Generator().manual_seed(0)
    z = torch.randn(17, 4, generator=g)
    y = torch.randint(0, 4, (17,), generator=g)
    w = torch.tensor([0.2, 1.0, 2.5, 0.7]) if use_weight else None
    torch.testing.assert_close(focal_loss(z, y, gamma=0.0, weight=w), F.cross_entropy(z, y, weight=w))


# --- triplet ---------------------------------------------------------------------------------

def test_triplet_hand_value():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    p = torch.tensor([[3.0, 4.0], [1.0, 2.0]])   # d_ap = 5, 1
    n = torch.tensor([[0.0, 2.0], [4.0, 5.0]])   # d_an = 2, 5
    # max(5 - 2 + 1, 0) = 4 ; max(1 - 5 + 1, 0) = 0 -> mean 2
    assert float(triplet_loss(a, p, n, margin=1.0, eps=0.0)) == pytest.approx(2.0)


@pytest.mark.parametrize("margin", [0.2, 1.0, 2.5])
def test_triplet_matches_torch(margin):
    g = torch.Generator().manual_seed(1)
    a, p, n = (torch.randn(9, 5, generator=g) for _ in range(3))
    ref = torch.nn.TripletMarginLoss(margin=margin, p=2)(a, p, n)
    torch.testing.assert_close(triplet_loss(a, p, n, margin=margin), ref)


def test_batch_hard_hand_value():
    e = torch.tensor([[0.0], [1.0], [3.0], [4.5]])
    y = torch.tensor([0, 0, 1, 1])
    # anchor 0: hardest pos 1, hardest neg 3 -> max(1 - 3 + 1, 0) = 0
    # anchor 1: pos 1, neg 2 -> 0 ; anchor 2: pos 1.5, neg 2 -> 0.5 ; anchor 3: pos 1.5, neg 3.5 -> 0
    assert float(batch_hard_triplet_loss(e, y, margin=1.0)) == pytest.approx(0.125, abs=1e-6)


def test_batch_hard_matches_brute_force():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(12, 4))
    y = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 4])  # classes 3 and 4 have no positive
    d = np.sqrt(((e[:, None] - e[None]) ** 2).sum(-1))
    losses = []
    for i in range(len(y)):
        pos = [d[i, j] for j in range(len(y)) if j != i and y[j] == y[i]]
        neg = [d[i, k] for k in range(len(y)) if y[k] != y[i]]
        if pos and neg:
            losses.append(max(max(pos) - min(neg) + 0.5, 0.0))
    got = batch_hard_triplet_loss(torch.tensor(e), torch.tensor(y), margin=0.5)
    assert float(got) == pytest.approx(np.mean(losses), rel=1e-9)


def test_batch_hard_equals_torch_when_triplets_are_unique():
    # labels (0, 0, 1): anchors 0 and 1 each have one positive and one negative; anchor 2 none
    g = torch.Generator().manual_seed(2)
    e = torch.randn(3, 6, generator=g) * 0.3
    y = torch.tensor([0, 0, 1])
    ref = torch.nn.TripletMarginLoss(margin=1.0, p=2)(e[[0, 1]], e[[1, 0]], e[[2, 2]])
    torch.testing.assert_close(batch_hard_triplet_loss(e, y, margin=1.0), ref, atol=1e-5, rtol=1e-5)


def test_batch_hard_without_valid_anchor_is_zero_and_differentiable():
    e = torch.randn(3, 2, requires_grad=True)
    loss = batch_hard_triplet_loss(e, torch.tensor([0, 1, 2]))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.all(e.grad == 0)


def test_batch_hard_gradient_finite_with_duplicate_points():
    e = torch.tensor([[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]], requires_grad=True)
    batch_hard_triplet_loss(e, torch.tensor([0, 0, 1]), margin=2.0).backward()
    assert torch.isfinite(e.grad).all()


# --- diversity, consistency, contrastive -----------------------------------------------------

E1 = [[1.0, 0.0], [1.0, 1.0]]
E2 = [[0.0, 1.0], [1.0, 0.0]]


def test_diversity_hand_value():
    # cos = 0 and 1/sqrt(2) -> cos^2 = 0, 1/2 -> mean 1/4
    assert float(diversity_loss([torch.tensor(E1), torch.tensor(E2)])) == pytest.approx(0.25, abs=1e-7)


def test_consistency_hand_value():
    # unit vectors (1,0) vs (0,1): |d|^2 = 2; (1,1)/sqrt2 vs (1,0): 2 - 2/sqrt2 -> mean 2 - 1/sqrt2
    got = consistency_loss({"a": torch.tensor(E1), "b": torch.tensor(E2)})
    assert float(got) == pytest.approx(2 - 1 / math.sqrt(2), abs=1e-6)


def test_contrastive_hand_value():
    # two samples, two streams, T = 1; cosine matrix S = [[0, 1], [1/sqrt2, 1/sqrt2]] (rows E1, cols E2)
    c = 1 / math.sqrt(2)
    s = np.array([[0.0, 1.0], [c, c]])
    l_ab = -(np.log(np.exp(0) / (np.exp(0) + np.exp(1))) + np.log(np.exp(c) / (2 * np.exp(c)))) / 2
    l_ba = -(np.log(np.exp(s[0, 0]) / (np.exp(s[0, 0]) + np.exp(s[1, 0])))
             + np.log(np.exp(s[1, 1]) / (np.exp(s[0, 1]) + np.exp(s[1, 1])))) / 2
    got = contrastive_loss([torch.tensor(E1), torch.tensor(E2)], temperature=1.0)
    assert float(got) == pytest.approx((l_ab + l_ba) / 2, abs=1e-6)


def test_three_stream_losses_against_numpy():
    rng = np.random.default_rng(5)
    embs = [rng.normal(size=(6, 3)) for _ in range(3)]
    u = [_unit(e) for e in embs]
    div = np.mean([np.mean(np.sum(a * b, 1) ** 2) for a, b in combinations(u, 2)])
    con = np.mean([np.mean(np.sum((a - b) ** 2, 1)) for a, b in combinations(u, 2)])
    tau = 0.3
    nce = []
    for a, b in permutations(u, 2):
        s = a @ b.T / tau
        nce.append(np.mean(-np.diag(s) + np.log(np.exp(s).sum(1))))
    t = [torch.tensor(e) for e in embs]
    assert float(diversity_loss(t)) == pytest.approx(div, rel=1e-9)
    assert float(consistency_loss(t)) == pytest.approx(con, rel=1e-9)
    assert float(contrastive_loss(t, temperature=tau)) == pytest.approx(np.mean(nce), rel=1e-9)


def test_contrastive_low_when_streams_agree():
    g = torch.Generator().manual_seed(0)
    e = torch.randn(8, 16, generator=g)
    same = contrastive_loss([e, e + 0.01 * torch.randn(8, 16, generator=g)], temperature=0.1)
    other = contrastive_loss([e, torch.randn(8, 16, generator=g)], temperature=0.1)
    assert float(same) < 0.05 < math.log(8) / 2 < float(other)


@pytest.mark.parametrize("fn", [diversity_loss, consistency_loss, contrastive_loss])
def test_one_stream_gives_zero(fn):
    e = torch.randn(4, 3, requires_grad=True)
    out = fn([e])
    assert out.item() == 0.0
    out.backward()
    assert torch.all(e.grad == 0)


# --- bad input -------------------------------------------------------------------------------

Z, Y = torch.zeros(3, 2), torch.tensor([0, 1, 0])
A = torch.zeros(3, 2)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: focal_loss(Z, Y, gamma=-1.0), ValueError, "'gamma'"),
    (lambda: focal_loss(Z, Y, gamma="x"), TypeError, "'gamma'"),
    (lambda: focal_loss(Z, Y[:2]), ValueError, "'target'"),
    (lambda: triplet_loss(A, A, A, margin=0.0), ValueError, "'margin'"),
    (lambda: triplet_loss(A, A, A[:2]), ValueError, "'anchor'"),
    (lambda: batch_hard_triplet_loss(A, Y[:2]), ValueError, "'labels'"),
    (lambda: diversity_loss([A, A[:2]]), ValueError, "'embeddings'"),
    (lambda: consistency_loss([A, A[0]]), ValueError, "'embeddings'"),
    (lambda: contrastive_loss([A, A], temperature=0), ValueError, "'temperature'"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
