"""MEs-EEG: a cross-transformer fusing micro-expression flow with EEG band features.

A re-implementation from the published description (the public code does not run): an EEG
branch (band features -> temporal convolutional network), an ME branch (onset->apex flow ->
transformer over key facial regions), cross-transformer fusion (cross-modal attention in
both directions), a focal loss and unimodal heads for the ablation.

Inputs (``forward(inputs)`` takes a mapping modality -> tensor):

=========  ===================================  =============================================
modality   tensor                               content
=========  ===================================  =============================================
``video``  ``(batch, 3, s, s)``, s = 28         u, v, strain onset->apex (:mod:`..flow.inputs`)
``eeg``    ``(batch, n_channels, n_bands, T)``  band power or differential entropy per channel,
                                                band and 1-s step (five bands by default)
=========  ===================================  =============================================

Architecture (sizes in :class:`MEsEEGConfig`):

* **ME branch**: the flow map is cut into fixed facial regions (:data:`FACE_REGIONS`, boxes
  in fractions of the face crop), each region average-pooled to ``region_pool x region_pool``
  and embedded linearly into one token (plus a learned region embedding); self-attention
  layers over the region tokens (the "spatial transformer"). Its attention weights are the
  region map returned as ``attention["regions"]``.
* **EEG branch**: channels x bands are the input channels of a causal TCN over the 1-s steps
  (:class:`.blocks.TCN`); a linear layer turns every step into one token.
* **Cross-transformer**: per layer, EEG tokens attend to region tokens and region tokens to
  EEG tokens (both from the previous layer's tokens); weights returned as
  ``attention["eeg_to_video"]`` ``(batch, T, R)`` and ``attention["video_to_eeg"]``
  ``(batch, R, T)``.
* **Heads**: the fused head reads the concatenated token means of both branches after the
  cross-transformer; each branch also has a unimodal head on its own token mean before the
  fusion. With one modality (``modalities=("eeg",)``) only that branch runs and its
  unimodal head gives ``logits``; the other branch is not computed.

Choices where the description is silent: fixed region boxes instead of landmark-driven
regions (pass your own ``regions`` for another crop), the region and token widths, one
region layer and one cross layer, pre-norm layers, token means as pooling, focal
``gamma = 2`` (Lin et al.'s default), and an auxiliary focal loss on the unimodal heads
(``aux_weight``) when both branches run. Inputs should be normalised by the caller with
statistics of the training subjects (z-scored log band power, for example).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from .._validate import check_int, check_positive
from .blocks import TCN, AttentionBlock, check_inputs, check_modalities
from .fusion_losses import focal_loss

__all__ = ["FACE_REGIONS", "MEsEEGConfig", "MEsEEG"]

#: Key facial regions (name -> (y0, y1, x0, x1) as fractions of an aligned face crop, image
#: left/right): brows, eyes, nose, mouth corners, chin -- the regions of the AUs of
#: micro-expressions (AU1/2/4 brows, AU6/7 eyes, AU9/10 nose, AU12/14/15 mouth, AU17 chin).
FACE_REGIONS: dict[str, tuple[float, float, float, float]] = {
    "brow_left": (0.10, 0.35, 0.05, 0.50),
    "brow_right": (0.10, 0.35, 0.50, 0.95),
    "eye_left": (0.30, 0.50, 0.05, 0.50),
    "eye_right": (0.30, 0.50, 0.50, 0.95),
    "nose": (0.45, 0.70, 0.30, 0.70),
    "mouth_left": (0.65, 0.90, 0.10, 0.50),
    "mouth_right": (0.65, 0.90, 0.50, 0.90),
    "chin": (0.82, 1.00, 0.25, 0.75),
}


@dataclass(frozen=True)
class MEsEEGConfig:
    """Sizes and loss settings of :class:`MEsEEG` (defaults: 79,625 parameters for 3 classes).

    Parameters
    ----------
    n_eeg_channels : int
        EEG channels of the band-feature input (64: the Quik-Cap of MMME).
    n_bands : int
        Frequency bands per channel.
    flow_channels : int
        Channels of the flow map (u, v, strain).
    input_size : int
        Side of the flow map (any side works as long as each region covers >= 1 pixel).
    regions : tuple of (y0, y1, x0, x1)
        Facial region boxes in fractions of the crop (:data:`FACE_REGIONS`).
    region_pool : int
        Each region is average-pooled to ``region_pool x region_pool`` before its embedding.
    d_model, n_heads : int
        Token width and attention heads (``d_model % n_heads == 0``).
    n_region_layers, n_cross_layers : int
        Self-attention layers over the regions; cross-attention layers (each both ways).
    tcn_channels : tuple of int
        Widths of the TCN blocks (dilations 1, 2, 4, ...).
    tcn_kernel : int
        TCN kernel size.
    dropout : float
        Dropout in attention, feed-forward, TCN and before the heads.
    focal_gamma : float
        Focusing parameter of the focal loss.
    aux_weight : float
        Weight of the unimodal heads' focal losses added when both modalities run.
    modalities : tuple of str
        Modalities used when ``forward`` gets ``modalities=None``.
    """

    n_eeg_channels: int = 64
    n_bands: int = 5
    flow_channels: int = 3
    input_size: int = 28
    regions: tuple[tuple[float, float, float, float], ...] = tuple(FACE_REGIONS.values())
    region_pool: int = 4
    d_model: int = 32
    n_heads: int = 4
    n_region_layers: int = 1
    n_cross_layers: int = 1
    tcn_channels: tuple[int, ...] = (32, 32)
    tcn_kernel: int = 3
    dropout: float = 0.1
    focal_gamma: float = 2.0
    aux_weight: float = 0.3
    modalities: tuple[str, ...] = ("video", "eeg")

    def __post_init__(self):
        for name in ("n_eeg_channels", "n_bands", "flow_channels", "input_size", "region_pool", "d_model",
                     "n_heads", "n_region_layers", "tcn_kernel"):
            check_int(name, getattr(self, name), min_value=1)
        check_int("n_cross_layers", self.n_cross_layers, min_value=0)
        if self.d_model % self.n_heads:
            raise ValueError(f"Invalid value for 'n_heads': expected a divisor of d_model={self.d_model}, got {self.n_heads}")
        if not self.tcn_channels:
            raise ValueError("Invalid value for 'tcn_channels': expected a non-empty tuple of ints, got ()")
        for c in self.tcn_channels:
            check_int("tcn_channels", c, min_value=1)
        for box in self.regions:
            y0, y1, x0, x1 = box
            if not (0 <= y0 < y1 <= 1 and 0 <= x0 < x1 <= 1):
                raise ValueError(f"Invalid value for 'regions': expected boxes 0 <= y0 < y1 <= 1, 0 <= x0 < x1 <= 1, got {box!r}")
        if not self.regions:
            raise ValueError("Invalid value for 'regions': expected at least one box, got ()")
        check_positive("dropout", self.dropout, allow_zero=True)
        check_positive("focal_gamma", self.focal_gamma, allow_zero=True)
        check_positive("aux_weight", self.aux_weight, allow_zero=True)
        object.__setattr__(self, "modalities", check_modalities(self.modalities, MEsEEG.modality_names))


def _boxes(regions, h: int, w: int) -> list[tuple[int, int, int, int]]:
    out = []
    for y0, y1, x0, x1 in regions:
        a, c = int(y0 * h), int(x0 * w)
        out.append((a, max(a + 1, round(y1 * h)), c, max(c + 1, round(x1 * w))))
    return out


class MEsEEG(nn.Module):
    """MEs-EEG cross-transformer (ME flow + EEG band features). See the module docstring.

    Parameters
    ----------
    n_classes : int
        Number of classes (>= 2).
    config : MEsEEGConfig, optional
        Sizes and loss settings (defaults when None).

    ``forward(inputs, modalities=None)`` returns a dict: ``logits`` ``(batch, n_classes)``,
    ``modalities`` (the tuple used), ``unimodal_logits`` and ``embeddings`` (per used
    modality, ``(batch, d_model)`` token means before fusion; ``embeddings["fused"]``
    ``(batch, 2 d_model)`` when both run) and ``attention`` (``regions`` ``(batch, R, R)``;
    ``eeg_to_video`` / ``video_to_eeg`` when both run).

    Examples
    --------
    >>> import torch
    >>> net = MEsEEG(3, MEsEEGConfig(n_eeg_channels=4)).eval()
    >>> x = {"video": torch.zeros(2, 3, 28, 28), "eeg": torch.zeros(2, 4, 5, 3)}
    >>> out = net(x)
    >>> tuple(out["logits"].shape), tuple(out["attention"]["eeg_to_video"].shape)
    ((2, 3), (2, 3, 8))
    >>> net(x, modalities=("eeg",))["modalities"]
    ('eeg',)
    """

    #: Modality names, in the order of the fused embedding.
    modality_names: tuple[str, ...] = ("video", "eeg")
    input_size = 28

    def __init__(self, n_classes: int, config: MEsEEGConfig | None = None):
        super().__init__()
        cfg = MEsEEGConfig() if config is None else config
        if not isinstance(cfg, MEsEEGConfig):
            raise TypeError(f"Invalid value for 'config': expected an instance of MEsEEGConfig, got {cfg!r}")
        self.n_classes = check_int("n_classes", n_classes, min_value=2)
        self.config = cfg
        self.input_size = cfg.input_size
        d, p = cfg.d_model, cfg.region_pool
        # ME branch
        self.region_embed = nn.Linear(cfg.flow_channels * p * p, d)
        self.region_pos = nn.Parameter(torch.randn(len(cfg.regions), d) * 0.02)
        self.region_layers = nn.ModuleList(AttentionBlock(d, cfg.n_heads, cfg.dropout) for _ in range(cfg.n_region_layers))
        self.video_head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(d, n_classes))
        # EEG branch
        self.tcn = TCN(cfg.n_eeg_channels * cfg.n_bands, cfg.tcn_channels, cfg.tcn_kernel, cfg.dropout)
        self.eeg_embed = nn.Linear(self.tcn.out_channels, d)
        self.eeg_head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(d, n_classes))
        # fusion
        self.cross_eeg = nn.ModuleList(AttentionBlock(d, cfg.n_heads, cfg.dropout, cross=True)
                                       for _ in range(cfg.n_cross_layers))
        self.cross_video = nn.ModuleList(AttentionBlock(d, cfg.n_heads, cfg.dropout, cross=True)
                                         for _ in range(cfg.n_cross_layers))
        self.fused_head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(2 * d, n_classes))

    def branch_parameters(self, modality: str) -> list[nn.Parameter]:
        """Parameters that only ``modality`` uses (its branch and unimodal head)."""
        check_modalities(modality, self.modality_names, "modality")
        mods = ((self.region_embed, self.region_layers, self.video_head) if modality == "video"
                else (self.tcn, self.eeg_embed, self.eeg_head))
        params = [q for m in mods for q in m.parameters()]
        return params + [self.region_pos] if modality == "video" else params

    def _input_specs(self) -> dict:
        cfg = self.config
        return {"video": (4, {1: cfg.flow_channels}, f"(batch, {cfg.flow_channels}, s, s)"),
                "eeg": (4, {1: cfg.n_eeg_channels, 2: cfg.n_bands}, f"(batch, {cfg.n_eeg_channels}, {cfg.n_bands}, T)")}

    def _video_tokens(self, x):
        cfg = self.config
        boxes = _boxes(cfg.regions, x.shape[2], x.shape[3])
        pooled = [nn.functional.adaptive_avg_pool2d(x[:, :, a:b, c:e], cfg.region_pool).flatten(1) for a, b, c, e in boxes]
        tok = self.region_embed(torch.stack(pooled, dim=1)) + self.region_pos
        w = None
        for layer in self.region_layers:
            tok, w = layer(tok)
        return tok, w

    def _eeg_tokens(self, x):
        h = self.tcn(x.flatten(1, 2))  # (B, C*F, T) -> (B, tcn, T)
        return self.eeg_embed(h.transpose(1, 2))

    def forward(self, inputs: Mapping[str, torch.Tensor], modalities=None) -> dict:
        mods = check_inputs(inputs, modalities, self.config.modalities, self._input_specs())
        out = {"modalities": mods, "embeddings": {}, "unimodal_logits": {}, "attention": {}}
        tokens = {}
        if "video" in mods:
            tokens["video"], out["attention"]["regions"] = self._video_tokens(inputs["video"])
        if "eeg" in mods:
            tokens["eeg"] = self._eeg_tokens(inputs["eeg"])
        for m, tok in tokens.items():
            out["embeddings"][m] = tok.mean(1)
            out["unimodal_logits"][m] = (self.video_head if m == "video" else self.eeg_head)(out["embeddings"][m])
        if len(mods) == 1:
            out["logits"] = out["unimodal_logits"][mods[0]]
            return out
        e, v = tokens["eeg"], tokens["video"]
        for blk_e, blk_v in zip(self.cross_eeg, self.cross_video):
            (e, w_ev), (v, w_ve) = blk_e(e, v), blk_v(v, e)
            out["attention"]["eeg_to_video"], out["attention"]["video_to_eeg"] = w_ev, w_ve
        fused = torch.cat([v.mean(1), e.mean(1)], dim=1)
        out["embeddings"]["fused"] = fused
        out["logits"] = self.fused_head(fused)
        return out

    def loss(self, out: dict, target: torch.Tensor, weight: torch.Tensor | None = None):
        """Training loss of one forward pass: focal on ``logits`` (+ ``aux_weight`` x unimodal heads).

        Parameters
        ----------
        out : dict
            Output of :meth:`forward`.
        target : torch.Tensor of int, shape (batch,)
        weight : torch.Tensor, shape (n_classes,), optional
            Class weights (fitted on the training subjects).

        Returns
        -------
        total : torch.Tensor
            Scalar to back-propagate.
        parts : dict of str -> float
            ``focal`` and, with both modalities, ``aux`` (mean focal loss of the unimodal heads).
        """
        g = self.config.focal_gamma
        main = focal_loss(out["logits"], target, gamma=g, weight=weight)
        parts = {"focal": float(main.detach())}
        if len(out["modalities"]) > 1 and self.config.aux_weight > 0:
            aux = torch.stack([focal_loss(z, target, gamma=g, weight=weight) for z in out["unimodal_logits"].values()]).mean()
            parts["aux"] = float(aux.detach())
            main = main + self.config.aux_weight * aux
        return main, parts
