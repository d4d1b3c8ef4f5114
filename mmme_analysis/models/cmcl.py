"""CMCL-Net: a dual-stream (video clip + ECG window) transformer encoder for ME spotting.

A re-implementation from the published description (CMCL-Net, "a cross-modal contrastive
learning network for micro-expression spotting enhanced by electrocardiogram signals"; its
public repository holds no model code). Each sample is a short clip of the face and the ECG
window aligned with it on the trial axis (:mod:`mmme_analysis.spotting.cmcl_signals`); the
encoder is pre-trained with a triplet loss on :meth:`CMCLNet.embed` and fine-tuned as an
ME / non-ME classifier (:mod:`mmme_analysis.spotting.cmcl_train`).

Inputs (``forward(inputs)`` takes a mapping modality -> tensor):

=========  ===========================================  ===================================
modality   tensor                                       content
=========  ===========================================  ===================================
``video``  ``(batch, video_channels, n_frames, s, s)``  a clip: grey frames or (u, v) flow
``ecg``    ``(batch, ecg_channels, ecg_length)``        the aligned ECG window (e.g. heart
                                                        rate and cleaned ECG)
=========  ===========================================  ===================================

Architecture (sizes in :class:`CMCLConfig`):

* **patch embedding**: the clip is cut into tubelets of ``tubelet`` frames x ``patch`` x
  ``patch`` pixels, each embedded linearly (a strided 3-D convolution, as ViViT's tubelet
  embedding); the ECG window into non-overlapping segments of ``ecg_patch`` samples (a
  strided 1-D convolution); learned position embeddings are added to both token sets;
* **per-stream encoder**: ``n_layers`` self-attention layers per stream;
* **cross-attention** (``n_cross_layers``, both ways): video tokens attend to ECG tokens
  and ECG tokens to video tokens, both from the previous layer's tokens;
  :class:`~.blocks.AttentionBlock` is a pre-norm layer (LayerNorm before the attention and
  before its MLP, both with residual connections);
* **embedding**: a final LayerNorm on each stream, token means, concatenated, and a
  projection MLP (LayerNorm, Linear, GELU, dropout, Linear) to ``embed_dim``;
  :meth:`CMCLNet.embed` returns it L2-normalised (for the triplet loss);
* **classifier head**: dropout and a linear layer on the (unnormalised) projection.

``modalities=("video",)`` or ``("ecg",)`` builds and runs one stream only (no cross
layers; the projection reads that stream's token mean): the video-only and ECG-only rows
of the ablation use this same class.

Choices where the description is silent: tubelet / segment patch embedding and learned
positions, one self-attention and one cross-attention layer per stream by default, token
means as pooling, the projection MLP, L2-normalised embeddings for the triplet loss, and
small widths (``d_model=32``) that train on a CPU. Inputs should be normalised by the
caller with statistics of the training subjects (the spotter does).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from .._validate import check_int, check_positive
from .blocks import AttentionBlock, check_modalities

__all__ = ["CMCLConfig", "CMCLNet", "CMCL_MODALITIES"]

#: Modality names of :class:`CMCLNet`, in the order of the fused embedding.
CMCL_MODALITIES: tuple[str, ...] = ("video", "ecg")


@dataclass(frozen=True)
class CMCLConfig:
    """Sizes of :class:`CMCLNet` (defaults: small enough to train on a CPU in seconds).

    Parameters
    ----------
    video_channels : int
        Channels of a clip frame (1 grey, 2 flow u and v).
    n_frames : int
        Frames (time steps) of a clip; a multiple of ``tubelet``.
    clip_size : int
        Side (pixels) of the square clip frames; a multiple of ``patch``.
    tubelet, patch : int
        Frames and pixels per side of a video patch.
    ecg_channels : int
        Channels of the ECG window.
    ecg_length : int
        Samples of the ECG window; a multiple of ``ecg_patch``.
    ecg_patch : int
        Samples per ECG patch.
    d_model, n_heads : int
        Token width and attention heads (``d_model % n_heads == 0``).
    n_layers : int
        Self-attention layers per stream (>= 0).
    n_cross_layers : int
        Cross-attention layers (each both ways; >= 0), used when both modalities run.
    hidden : int
        Hidden width of the projection MLP.
    embed_dim : int
        Width of the embedding (:meth:`CMCLNet.embed`).
    dropout : float
        Dropout in attention, MLPs and before the head.
    n_classes : int
        Outputs of the classifier head (2: non-ME, ME).
    modalities : tuple of str
        Streams built and run: a non-empty subset of :data:`CMCL_MODALITIES`.
    """

    video_channels: int = 2
    n_frames: int = 8
    clip_size: int = 16
    tubelet: int = 2
    patch: int = 4
    ecg_channels: int = 2
    ecg_length: int = 150
    ecg_patch: int = 10
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 1
    n_cross_layers: int = 1
    hidden: int = 64
    embed_dim: int = 32
    dropout: float = 0.1
    n_classes: int = 2
    modalities: tuple[str, ...] = CMCL_MODALITIES

    def __post_init__(self):
        for name in ("video_channels", "n_frames", "clip_size", "tubelet", "patch", "ecg_channels", "ecg_length",
                     "ecg_patch", "d_model", "n_heads", "hidden", "embed_dim"):
            check_int(name, getattr(self, name), min_value=1)
        check_int("n_layers", self.n_layers, min_value=0)
        check_int("n_cross_layers", self.n_cross_layers, min_value=0)
        check_int("n_classes", self.n_classes, min_value=2)
        for whole, part in (("n_frames", "tubelet"), ("clip_size", "patch"), ("ecg_length", "ecg_patch"),
                            ("d_model", "n_heads")):
            if getattr(self, whole) % getattr(self, part):
                raise ValueError(f"Invalid value for {part!r}: expected a divisor of {whole}={getattr(self, whole)}, "
                                 f"got {getattr(self, part)}")
        dropout = check_positive("dropout", self.dropout, allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"Invalid value for 'dropout': expected a number in [0, 1), got {self.dropout!r}")
        object.__setattr__(self, "modalities", check_modalities(self.modalities, CMCL_MODALITIES))

    @property
    def video_shape(self) -> tuple[int, int, int, int]:
        """``(channels, n_frames, clip_size, clip_size)`` of one clip."""
        return (self.video_channels, self.n_frames, self.clip_size, self.clip_size)

    @property
    def ecg_shape(self) -> tuple[int, int]:
        """``(ecg_channels, ecg_length)`` of one ECG window."""
        return (self.ecg_channels, self.ecg_length)


class _Stream(nn.Module):
    """Patch embedding + position embedding + self-attention layers of one modality."""

    def __init__(self, embed: nn.Module, n_tokens: int, cfg: CMCLConfig):
        super().__init__()
        self.embed = embed
        self.pos = nn.Parameter(torch.randn(n_tokens, cfg.d_model) * 0.02)
        self.layers = nn.ModuleList(AttentionBlock(cfg.d_model, cfg.n_heads, cfg.dropout) for _ in range(cfg.n_layers))
        self.norm = nn.LayerNorm(cfg.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tok = self.embed(x).flatten(2).transpose(1, 2) + self.pos  # (B, N, d)
        for layer in self.layers:
            tok, _ = layer(tok)
        return tok


class CMCLNet(nn.Module):
    """CMCL-Net dual-stream encoder with an embedding and a classifier head (module docstring).

    Parameters
    ----------
    config : CMCLConfig, optional
        Sizes and modalities (defaults when None).

    ``forward(inputs)`` returns the logits ``(batch, n_classes)``; :meth:`embed` the
    L2-normalised embedding ``(batch, embed_dim)``; :meth:`features` the projection before
    normalisation. ``inputs`` maps each modality of ``config.modalities`` to its tensor
    (other keys are ignored).

    Examples
    --------
    >>> import torch
    >>> net = CMCLNet(CMCLConfig()).eval()
    >>> x = {"video": torch.zeros(3, 2, 8, 16, 16), "ecg": torch.zeros(3, 2, 150)}
    >>> tuple(net(x).shape), tuple(net.embed(x).shape)
    ((3, 2), (3, 32))
    >>> CMCLNet(CMCLConfig(modalities=("ecg",)))({"ecg": torch.zeros(2, 2, 150)}).shape
    torch.Size([2, 2])
    """

    def __init__(self, config: CMCLConfig | None = None):
        super().__init__()
        cfg = CMCLConfig() if config is None else config
        if not isinstance(cfg, CMCLConfig):
            raise TypeError(f"Invalid value for 'config': expected an instance of CMCLConfig, got {cfg!r}")
        self.config = cfg
        d = cfg.d_model
        self.streams = nn.ModuleDict()
        if "video" in cfg.modalities:
            n_tok = (cfg.n_frames // cfg.tubelet) * (cfg.clip_size // cfg.patch) ** 2
            conv = nn.Conv3d(cfg.video_channels, d, (cfg.tubelet, cfg.patch, cfg.patch),
                             stride=(cfg.tubelet, cfg.patch, cfg.patch))
            self.streams["video"] = _Stream(conv, n_tok, cfg)
        if "ecg" in cfg.modalities:
            conv = nn.Conv1d(cfg.ecg_channels, d, cfg.ecg_patch, stride=cfg.ecg_patch)
            self.streams["ecg"] = _Stream(conv, cfg.ecg_length // cfg.ecg_patch, cfg)
        both = len(cfg.modalities) == 2
        n_cross = cfg.n_cross_layers if both else 0
        self.cross_video = nn.ModuleList(AttentionBlock(d, cfg.n_heads, cfg.dropout, cross=True) for _ in range(n_cross))
        self.cross_ecg = nn.ModuleList(AttentionBlock(d, cfg.n_heads, cfg.dropout, cross=True) for _ in range(n_cross))
        width = d * len(cfg.modalities)
        self.project = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, cfg.hidden), nn.GELU(),
                                     nn.Dropout(cfg.dropout), nn.Linear(cfg.hidden, cfg.embed_dim))
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.embed_dim, cfg.n_classes))

    def _check(self, inputs) -> dict:
        cfg = self.config
        if not isinstance(inputs, Mapping):
            raise TypeError(f"Invalid value for 'inputs': expected a mapping modality -> tensor, got {type(inputs).__name__}")
        missing = [m for m in cfg.modalities if m not in inputs]
        if missing:
            raise KeyError(f"Invalid value for 'inputs': expected tensors for {cfg.modalities!r}, missing {missing!r}")
        shapes = {"video": cfg.video_shape, "ecg": cfg.ecg_shape}
        out = {}
        for m in cfg.modalities:
            x = inputs[m]
            if not isinstance(x, torch.Tensor) or tuple(x.shape[1:]) != shapes[m]:
                got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError(f"Invalid value for 'inputs[{m!r}]': expected a tensor (batch, "
                                 f"{', '.join(map(str, shapes[m]))}), got {got}")
            out[m] = x
        return out

    def features(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The projection ``(batch, embed_dim)`` before normalisation (input of the head)."""
        x = self._check(inputs)
        tokens = {m: self.streams[m](x[m]) for m in self.config.modalities}
        if len(tokens) == 2:
            v, e = tokens["video"], tokens["ecg"]
            for blk_v, blk_e in zip(self.cross_video, self.cross_ecg):
                (v, _), (e, _) = blk_v(v, e), blk_e(e, v)
            tokens = {"video": v, "ecg": e}
        pooled = [self.streams[m].norm(tok).mean(1) for m, tok in tokens.items()]
        return self.project(torch.cat(pooled, dim=1))

    def embed(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """L2-normalised embedding ``(batch, embed_dim)`` for triplet pre-training."""
        return nn.functional.normalize(self.features(inputs), dim=1)

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.head(self.features(inputs))
