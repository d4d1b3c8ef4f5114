"""Losses of the fusion networks: focal, triplet and three multi-stream embedding losses.

Notation: a batch of ``N`` samples, logits ``z_i`` with softmax ``p_i``, labels ``y_i``;
stream embeddings ``e^s_i`` (one ``(N, D)`` tensor per stream ``s``), ``ê = e / ||e||``;
``P`` the set of stream pairs ``s < t``.

====================================  ================================================================
loss                                  formula
====================================  ================================================================
:func:`focal_loss`                    ``sum_i a_{y_i} (1 - p_{i,y_i})^g (-log p_{i,y_i}) / sum_i a_{y_i}``
                                      (Lin et al. 2017, doi:10.1109/ICCV.2017.324); ``a`` the class
                                      weights (1 when None). ``g = 0`` is the (weighted) cross-entropy
                                      with the reduction of :func:`torch.nn.functional.cross_entropy`.
:func:`triplet_loss`                  ``mean_i max(d(a_i, p_i) - d(a_i, n_i) + m, 0)``,
                                      ``d(x, y) = ||x - y + eps||_2`` -- as
                                      :class:`torch.nn.TripletMarginLoss` (Schroff et al. 2015).
:func:`batch_hard_triplet_loss`       ``mean_{i in V} max(max_{j: y_j = y_i, j != i} d_ij
                                      - min_{k: y_k != y_i} d_ik + m, 0)`` over the anchors ``V`` that
                                      have a positive and a negative in the batch (batch-hard mining,
                                      Hermans, Beyer & Leibe 2017, arXiv:1703.07737); 0 if ``V`` is
                                      empty. ``d_ij = ||e_i - e_j||_2``.
:func:`diversity_loss`                ``mean_{(s,t) in P} mean_i cos(e^s_i, e^t_i)^2``: squared cosine
                                      between the streams' embeddings of one sample, 0 when they are
                                      orthogonal (after MISA's difference loss, Hazarika et al. 2020,
                                      doi:10.1145/3394171.3413678, applied per sample).
:func:`consistency_loss`              ``mean_{(s,t) in P} mean_i ||ê^s_i - ê^t_i||^2`` (= ``2 - 2 cos``):
                                      the streams' embeddings of one sample agree.
:func:`contrastive_loss`              sample-level InfoNCE (van den Oord et al. 2018; CLIP-style
                                      symmetric): for every ordered pair ``s != t``,
                                      ``-1/N sum_i log( exp(ê^s_i . ê^t_i / T) / sum_j exp(ê^s_i . ê^t_j / T) )``,
                                      averaged over the ordered pairs: the same sample seen by
                                      another stream is the positive, the batch's other samples
                                      the negatives.
====================================  ================================================================

The three multi-stream losses return 0 (a tensor in the graph) for fewer than two streams,
so a single-stream ablation can keep the same total-loss formula.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations, permutations

import torch
import torch.nn.functional as F

from .._validate import check_positive

__all__ = ["focal_loss", "triplet_loss", "batch_hard_triplet_loss", "diversity_loss",
           "consistency_loss", "contrastive_loss"]


def _check_logits(logits, target):
    if logits.dim() != 2 or target.dim() != 1 or target.shape[0] != logits.shape[0]:
        raise ValueError("Invalid value for 'target': expected shape (N,) with logits (N, n_classes), "
                         f"got {tuple(target.shape)} with {tuple(logits.shape)}")


def focal_loss(logits: torch.Tensor, target: torch.Tensor, *, gamma: float = 2.0,
               weight: torch.Tensor | None = None) -> torch.Tensor:
    """Focal loss, weighted mean over the batch (formula in the module docstring).

    Parameters
    ----------
    logits : torch.Tensor, shape (N, n_classes)
    target : torch.Tensor of int, shape (N,)
    gamma : float
        Focusing parameter (>= 0); 0 gives the cross-entropy.
    weight : torch.Tensor, shape (n_classes,), optional
        Class weights ``a`` (as ``weight=`` of :func:`torch.nn.functional.cross_entropy`).

    Returns
    -------
    torch.Tensor, scalar.

    Examples
    --------
    >>> import torch
    >>> z, y = torch.tensor([[2.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])
    >>> bool(torch.isclose(focal_loss(z, y, gamma=0.0), torch.nn.functional.cross_entropy(z, y)))
    True
    """
    gamma = check_positive("gamma", gamma, allow_zero=True)
    _check_logits(logits, target)
    logp = F.log_softmax(logits, dim=1).gather(1, target[:, None])[:, 0]
    a = torch.ones_like(logp) if weight is None else weight.to(logp)[target]
    mod = (1.0 - logp.exp()).clamp_min(0.0).pow(gamma) if gamma > 0 else 1.0
    return (a * mod * -logp).sum() / a.sum()


def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, *,
                 margin: float = 1.0, eps: float = 1e-6) -> torch.Tensor:
    """Triplet margin loss on given triplets, as :class:`torch.nn.TripletMarginLoss` (p=2).

    Parameters
    ----------
    anchor, positive, negative : torch.Tensor, shape (N, D)
    margin : float
        Margin ``m`` (> 0).
    eps : float
        Added to the differences before the norm (PyTorch's convention).

    Returns
    -------
    torch.Tensor, scalar (mean over the triplets).

    Examples
    --------
    >>> import torch
    >>> a, p, n = torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.5]])
    >>> round(float(triplet_loss(a, p, n, margin=1.0, eps=0.0)), 3)
    0.5
    """
    margin = check_positive("margin", margin)
    if not (anchor.shape == positive.shape == negative.shape) or anchor.dim() != 2:
        raise ValueError("Invalid value for 'anchor': expected anchor, positive and negative of one shape (N, D), "
                         f"got {tuple(anchor.shape)}, {tuple(positive.shape)}, {tuple(negative.shape)}")
    d_ap = (anchor - positive + eps).norm(dim=1)
    d_an = (anchor - negative + eps).norm(dim=1)
    return (d_ap - d_an + margin).clamp_min(0.0).mean()


def _pairwise_distance(e: torch.Tensor) -> torch.Tensor:
    sq = (e[:, None, :] - e[None, :, :]).pow(2).sum(-1)
    return sq.clamp_min(1e-12).sqrt()  # clamp: no infinite gradient at d = 0 (the diagonal)


def batch_hard_triplet_loss(embeddings: torch.Tensor, labels: torch.Tensor, *,
                            margin: float = 1.0) -> torch.Tensor:
    """Triplet loss with batch-hard mining (hardest positive, hardest negative per anchor).

    Parameters
    ----------
    embeddings : torch.Tensor, shape (N, D)
    labels : torch.Tensor of int, shape (N,)
    margin : float
        Margin ``m`` (> 0).

    Returns
    -------
    torch.Tensor, scalar; 0 when no anchor has both a positive and a negative in the batch.

    Examples
    --------
    >>> import torch
    >>> e = torch.tensor([[0.0], [1.0], [3.0]])
    >>> float(batch_hard_triplet_loss(e, torch.tensor([0, 0, 1]), margin=1.0))  # anchors 0, 1: 0 and 0
    0.0
    """
    margin = check_positive("margin", margin)
    if embeddings.dim() != 2 or labels.shape != (embeddings.shape[0],):
        raise ValueError("Invalid value for 'labels': expected shape (N,) with embeddings (N, D), "
                         f"got {tuple(labels.shape)} with {tuple(embeddings.shape)}")
    d = _pairwise_distance(embeddings)
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    pos, neg = same & ~eye, ~same
    valid = pos.any(1) & neg.any(1)
    if not bool(valid.any()):
        return embeddings.sum() * 0.0
    hardest_pos = torch.where(pos, d, torch.zeros_like(d)).amax(1)
    hardest_neg = torch.where(neg, d, torch.full_like(d, float("inf"))).amin(1)
    return (hardest_pos - hardest_neg + margin).clamp_min(0.0)[valid].mean()


def _check_streams(embeddings) -> list[torch.Tensor]:
    embs = list(embeddings.values()) if isinstance(embeddings, dict) else list(embeddings)
    shapes = {tuple(e.shape) for e in embs}
    if len(shapes) > 1 or any(e.dim() != 2 for e in embs):
        raise ValueError("Invalid value for 'embeddings': expected one (N, D) tensor per stream, all of one shape, "
                         f"got shapes {sorted(shapes)}")
    return embs


def _zero(embs):
    return embs[0].sum() * 0.0 if embs else torch.zeros(())


def diversity_loss(embeddings: Sequence[torch.Tensor] | dict) -> torch.Tensor:
    """Mean squared cosine similarity between streams, per sample (0: orthogonal streams).

    Parameters
    ----------
    embeddings : sequence or dict of torch.Tensor, each (N, D)
        One embedding per stream.

    Returns
    -------
    torch.Tensor, scalar in [0, 1].

    Examples
    --------
    >>> import torch
    >>> round(float(diversity_loss([torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]])])), 4)  # cos^2 = 1/2
    0.5
    """
    embs = _check_streams(embeddings)
    if len(embs) < 2:
        return _zero(embs)
    terms = [F.cosine_similarity(a, b, dim=1).pow(2).mean() for a, b in combinations(embs, 2)]
    return torch.stack(terms).mean()


def consistency_loss(embeddings: Sequence[torch.Tensor] | dict) -> torch.Tensor:
    """Mean squared distance between the unit-normalised embeddings of one sample across streams.

    Parameters
    ----------
    embeddings : sequence or dict of torch.Tensor, each (N, D)

    Returns
    -------
    torch.Tensor, scalar in [0, 4].

    Examples
    --------
    >>> import torch
    >>> float(consistency_loss([torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 3.0]])]))  # 2 - 2 cos 90
    2.0
    """
    embs = _check_streams(embeddings)
    if len(embs) < 2:
        return _zero(embs)
    unit = [F.normalize(e, dim=1) for e in embs]
    terms = [(a - b).pow(2).sum(1).mean() for a, b in combinations(unit, 2)]
    return torch.stack(terms).mean()


def contrastive_loss(embeddings: Sequence[torch.Tensor] | dict, *, temperature: float = 0.1) -> torch.Tensor:
    """Sample-level InfoNCE between streams: the same sample in another stream is the positive.

    Parameters
    ----------
    embeddings : sequence or dict of torch.Tensor, each (N, D)
    temperature : float
        Softmax temperature ``T`` (> 0) on the cosine similarities.

    Returns
    -------
    torch.Tensor, scalar.

    Examples
    --------
    >>> import torch
    >>> e = torch.eye(2)
    >>> round(float(contrastive_loss([e, e], temperature=1.0)), 4)  # -log(e / (e + 1))
    0.3133
    """
    temperature = check_positive("temperature", temperature)
    embs = _check_streams(embeddings)
    if len(embs) < 2:
        return _zero(embs)
    unit = [F.normalize(e, dim=1) for e in embs]
    idx = torch.arange(unit[0].shape[0], device=unit[0].device)
    terms = [F.cross_entropy(a @ b.T / temperature, idx) for a, b in permutations(unit, 2)]
    return torch.stack(terms).mean()
