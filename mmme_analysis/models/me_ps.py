"""ME-PS: a three-stream contrastive network (video, EEG, peripheral physiology).

A re-implementation from the description (no code or numbers are published): a video stream
(small 3-D CNN with coordinate attention over an onset->apex clip, as in the lab's CA-I3D),
an EEG stream (TCN over band features), a peripheral stream (LSTM over PPG, RSP, SKT, EDA,
ECG), NAM residual attention per stream, multi-head mutual attention between the streams,
and a loss of cross-entropy, a triplet loss on the fused embedding and diversity,
consistency and sample-level contrastive terms (:mod:`.fusion_losses`).

Inputs (``forward(inputs)`` takes a mapping modality -> tensor):

=========  ==================================  ==============================================
modality   tensor                              content
=========  ==================================  ==============================================
``video``  ``(batch, C, T, s, s)``             onset->apex clip resampled to ``clip_frames``
                                               frames of ``s x s`` (C = 3; T = 8, s = 32 by
                                               default; other T, s work)
``eeg``    ``(batch, n_channels, n_bands, T)``  band features per 1-s step, as :mod:`.me_eeg`
``peri``   ``(batch, 5, L)``                   PPG, RSP, SKT, EDA, ECG resampled to one rate
=========  ==================================  ==============================================

Per stream ``s``: encoder -> NAM gate (:class:`.blocks.NAM`) on its channels -> tokens
``(batch, n_s, d_model)``; the token mean is the *private* embedding ``p_s``. Each stream's
tokens then attend to the tokens of all other used streams (one pre-norm multi-head
attention layer per stream, "mutual attention"; weights in ``attention[s]``, keys in the
order of :attr:`MEPS.modality_names`), and a linear projection of their mean is the
*shared* embedding ``z_s``. The fused embedding ``f`` is a linear map + GELU of the shared
embeddings concatenated in the order of ``modality_names``, zeros standing for the streams
not used (so one fused head serves every subset; train and evaluate with one subset).

Loss (:meth:`MEPS.loss`, weights in :class:`MEPSConfig`)::

    L = w_ce CE(logits, y) + w_triplet batch_hard_triplet(f / ||f||, y)
        + w_diversity diversity({p_s}) + w_consistency consistency({z_s})
        + w_contrastive InfoNCE({z_s}, temperature)

Choices where the description is silent: the 3-D CNN widths and pooling (time kept in the
first block, as I3D), coordinate attention with time as a third axis, the token grids
(``video_tokens``, ``peri_tokens``), one mutual-attention layer, diversity on the private
and consistency / contrastive terms on the shared embeddings (MISA-style split), batch-hard
mining on unit-normalised fused embeddings (margin 0.3, as FaceNet's 0.2 order), and all
loss weights (1 for CE, 0.1 for the rest).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import check_int, check_positive
from .blocks import NAM, TCN, AttentionBlock, CoordAttention, check_inputs, check_modalities
from .fusion_losses import batch_hard_triplet_loss, consistency_loss, contrastive_loss, diversity_loss

__all__ = ["PERI_CHANNELS", "MEPSConfig", "MEPS"]

#: Peripheral channels of the ``peri`` input, in order.
PERI_CHANNELS: tuple[str, ...] = ("ppg", "rsp", "skt", "eda", "ecg")


@dataclass(frozen=True)
class MEPSConfig:
    """Sizes and loss weights of :class:`MEPS` (defaults: 111,267 parameters for 3 classes).

    Parameters
    ----------
    video_channels, clip_frames, input_size : int
        Clip channels, frames and side (the latter two document the expected input).
    video_widths : tuple of int
        Width of each 3-D convolution block (3x3x3 conv, batch norm, ReLU, coordinate
        attention, max pool 1x2x2 in the first block and 2x2x2 after).
    video_tokens : (int, int, int)
        The last video map is average-pooled to this (T, H, W) grid, one token per cell.
    n_eeg_channels, n_bands : int
        EEG band-feature input (as :class:`.MEsEEGConfig`).
    tcn_channels, tcn_kernel :
        EEG TCN widths and kernel.
    n_peri_channels : int
        Peripheral channels (5: :data:`PERI_CHANNELS`).
    lstm_hidden, lstm_layers : int
        Peripheral LSTM size.
    peri_centre : bool
        Subtract each sequence's own mean (per sample and channel) before the LSTM, so the
        stream reads the changes within the window (phasic responses) rather than a
        subject's tonic level; without it the LSTM learns the level first and generalises
        poorly to unseen subjects on small sets (LOSO on :func:`~mmme_analysis.synth.fusion_samples`).
    peri_tokens : int
        The LSTM outputs are average-pooled to this many tokens.
    d_model, n_heads : int
        Token width and heads of the mutual attention.
    embed_dim : int
        Width of the fused embedding.
    dropout : float
        Dropout in attention, TCN and before the head.
    w_ce, w_triplet, w_diversity, w_consistency, w_contrastive : float
        Loss weights (>= 0).
    triplet_margin : float
        Margin of the batch-hard triplet loss on unit-normalised fused embeddings.
    temperature : float
        Temperature of the sample-level contrastive loss.
    modalities : tuple of str
        Streams used when ``forward`` gets ``modalities=None``.
    """

    video_channels: int = 3
    clip_frames: int = 8
    input_size: int = 32
    video_widths: tuple[int, ...] = (8, 16, 32)
    video_tokens: tuple[int, int, int] = (2, 2, 2)
    n_eeg_channels: int = 64
    n_bands: int = 5
    tcn_channels: tuple[int, ...] = (32, 32)
    tcn_kernel: int = 3
    n_peri_channels: int = 5
    lstm_hidden: int = 32
    lstm_layers: int = 1
    peri_centre: bool = True
    peri_tokens: int = 8
    d_model: int = 32
    n_heads: int = 4
    embed_dim: int = 32
    dropout: float = 0.1
    w_ce: float = 1.0
    w_triplet: float = 0.1
    w_diversity: float = 0.1
    w_consistency: float = 0.1
    w_contrastive: float = 0.1
    triplet_margin: float = 0.3
    temperature: float = 0.1
    modalities: tuple[str, ...] = ("video", "eeg", "peri")

    def __post_init__(self):
        for name in ("video_channels", "clip_frames", "input_size", "n_eeg_channels", "n_bands", "tcn_kernel",
                     "n_peri_channels", "lstm_hidden", "lstm_layers", "peri_tokens", "d_model", "n_heads", "embed_dim"):
            check_int(name, getattr(self, name), min_value=1)
        for name in ("video_widths", "tcn_channels", "video_tokens"):
            seq = getattr(self, name)
            if not seq or (name == "video_tokens" and len(seq) != 3):
                raise ValueError(f"Invalid value for {name!r}: expected a non-empty tuple of ints"
                                 f"{' (3 of them)' if name == 'video_tokens' else ''}, got {seq!r}")
            for c in seq:
                check_int(name, c, min_value=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"Invalid value for 'n_heads': expected a divisor of d_model={self.d_model}, got {self.n_heads}")
        for name in ("dropout", "w_ce", "w_triplet", "w_diversity", "w_consistency", "w_contrastive"):
            check_positive(name, getattr(self, name), allow_zero=True)
        check_positive("triplet_margin", self.triplet_margin)
        check_positive("temperature", self.temperature)
        if not isinstance(self.peri_centre, bool):
            raise TypeError(f"Invalid value for 'peri_centre': expected a bool, got {self.peri_centre!r}")
        object.__setattr__(self, "modalities", check_modalities(self.modalities, MEPS.modality_names))


class _VideoStream(nn.Module):
    def __init__(self, cfg: MEPSConfig):
        super().__init__()
        widths = (cfg.video_channels, *cfg.video_widths)
        self.blocks = nn.ModuleList(
            nn.ModuleDict({"conv": nn.Sequential(nn.Conv3d(widths[i], widths[i + 1], 3, padding=1),
                                                 nn.BatchNorm3d(widths[i + 1]), nn.ReLU()),
                           "ca": CoordAttention(widths[i + 1], n_axes=3)})
            for i in range(len(cfg.video_widths))
        )
        self.nam = NAM(widths[-1])
        self.grid = tuple(cfg.video_tokens)
        self.embed = nn.Linear(widths[-1], cfg.d_model)

    def forward(self, x):
        for i, blk in enumerate(self.blocks):
            x = blk["ca"](blk["conv"](x))
            t, h, w = x.shape[2:]
            k = (min(2, t) if i else 1, min(2, h), min(2, w))
            x = F.max_pool3d(x, k)
        x = F.adaptive_avg_pool3d(self.nam(x), self.grid)
        return self.embed(x.flatten(2).transpose(1, 2))  # (B, cells, d)


class _EEGStream(nn.Module):
    def __init__(self, cfg: MEPSConfig):
        super().__init__()
        self.tcn = TCN(cfg.n_eeg_channels * cfg.n_bands, cfg.tcn_channels, cfg.tcn_kernel, cfg.dropout)
        self.nam = NAM(self.tcn.out_channels)
        self.embed = nn.Linear(self.tcn.out_channels, cfg.d_model)

    def forward(self, x):
        return self.embed(self.nam(self.tcn(x.flatten(1, 2))).transpose(1, 2))  # (B, T, d)


class _PeriStream(nn.Module):
    def __init__(self, cfg: MEPSConfig):
        super().__init__()
        self.lstm = nn.LSTM(cfg.n_peri_channels, cfg.lstm_hidden, cfg.lstm_layers, batch_first=True)
        self.nam = NAM(cfg.lstm_hidden)
        self.n_tokens = cfg.peri_tokens
        self.centre = cfg.peri_centre
        self.embed = nn.Linear(cfg.lstm_hidden, cfg.d_model)

    def forward(self, x):
        if self.centre:
            x = x - x.mean(-1, keepdim=True)
        h, _ = self.lstm(x.transpose(1, 2))  # (B, L, H)
        h = F.adaptive_avg_pool1d(self.nam(h.transpose(1, 2)), self.n_tokens)  # (B, H, n_tokens)
        return self.embed(h.transpose(1, 2))


class MEPS(nn.Module):
    """ME-PS three-stream network (video clip, EEG, peripheral signals). See the module docstring.

    Parameters
    ----------
    n_classes : int
        Number of classes (>= 2).
    config : MEPSConfig, optional
        Sizes and loss weights (defaults when None).

    ``forward(inputs, modalities=None)`` returns a dict: ``logits`` ``(batch, n_classes)``,
    ``modalities`` (the tuple used), ``embeddings`` with ``private`` and ``shared`` (dicts
    stream -> ``(batch, d_model)``) and ``fused`` ``(batch, embed_dim)``, and ``attention``
    (stream -> mutual-attention weights ``(batch, n_s, n_others)``, only with >= 2 streams).
    Streams not in ``modalities`` are not computed and need no input.

    Examples
    --------
    >>> import torch
    >>> cfg = MEPSConfig(n_eeg_channels=4)
    >>> net = MEPS(3, cfg).eval()
    >>> x = {"video": torch.zeros(2, 3, 8, 32, 32), "eeg": torch.zeros(2, 4, 5, 3), "peri": torch.zeros(2, 5, 64)}
    >>> out = net(x)
    >>> tuple(out["logits"].shape), tuple(out["attention"]["eeg"].shape)  # 3 EEG tokens -> 8 video + 8 peri
    ((2, 3), (2, 3, 16))
    >>> sorted(net({"peri": x["peri"]}, modalities=["peri"])["embeddings"]["shared"])
    ['peri']
    """

    #: Stream names, in the order of the fused embedding and of the attention keys.
    modality_names: tuple[str, ...] = ("video", "eeg", "peri")
    input_size = 32

    def __init__(self, n_classes: int, config: MEPSConfig | None = None):
        super().__init__()
        cfg = MEPSConfig() if config is None else config
        if not isinstance(cfg, MEPSConfig):
            raise TypeError(f"Invalid value for 'config': expected an instance of MEPSConfig, got {cfg!r}")
        self.n_classes = check_int("n_classes", n_classes, min_value=2)
        self.config = cfg
        self.input_size = cfg.input_size
        d = cfg.d_model
        self.streams = nn.ModuleDict({"video": _VideoStream(cfg), "eeg": _EEGStream(cfg), "peri": _PeriStream(cfg)})
        self.shared_proj = nn.ModuleDict({m: nn.Linear(d, d) for m in self.modality_names})
        self.mutual = nn.ModuleDict({m: AttentionBlock(d, cfg.n_heads, cfg.dropout, cross=True) for m in self.modality_names})
        self.fuse = nn.Sequential(nn.Linear(len(self.modality_names) * d, cfg.embed_dim), nn.GELU())
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.embed_dim, n_classes))

    def stream_parameters(self, modality: str) -> list[nn.Parameter]:
        """Parameters only ``modality`` uses: its encoder, NAM, token and shared projections.

        Its mutual-attention layer (``mutual[modality]``, used only with >= 2 streams) is not
        included.
        """
        (m,) = check_modalities(modality, self.modality_names, "modality")
        return [*self.streams[m].parameters(), *self.shared_proj[m].parameters()]

    def _input_specs(self) -> dict:
        cfg = self.config
        return {"video": (5, {1: cfg.video_channels}, f"(batch, {cfg.video_channels}, T, H, W)"),
                "eeg": (4, {1: cfg.n_eeg_channels, 2: cfg.n_bands}, f"(batch, {cfg.n_eeg_channels}, {cfg.n_bands}, T)"),
                "peri": (3, {1: cfg.n_peri_channels}, f"(batch, {cfg.n_peri_channels}, L)")}

    def forward(self, inputs: Mapping[str, torch.Tensor], modalities=None) -> dict:
        mods = check_inputs(inputs, modalities, self.config.modalities, self._input_specs())
        tokens = {}
        for m in mods:
            tokens[m] = self.streams[m](inputs[m])
        private = {m: t.mean(1) for m, t in tokens.items()}
        attention = {}
        if len(mods) > 1:
            mixed = {}
            for m in mods:
                others = torch.cat([tokens[o] for o in mods if o != m], dim=1)
                mixed[m], attention[m] = self.mutual[m](tokens[m], others)
            tokens = mixed
        shared = {m: self.shared_proj[m](t.mean(1)) for m, t in tokens.items()}
        ref = next(iter(shared.values()))
        parts = [shared[m] if m in shared else ref.new_zeros(ref.shape) for m in self.modality_names]
        fused = self.fuse(torch.cat(parts, dim=1))
        return {"logits": self.head(fused), "modalities": mods, "attention": attention,
                "embeddings": {"private": private, "shared": shared, "fused": fused}}

    def loss(self, out: dict, target: torch.Tensor, weight: torch.Tensor | None = None):
        """Weighted sum of the five terms (module docstring) for one forward pass.

        Parameters
        ----------
        out : dict
            Output of :meth:`forward`.
        target : torch.Tensor of int, shape (batch,)
        weight : torch.Tensor, shape (n_classes,), optional
            Class weights of the cross-entropy (fitted on the training subjects).

        Returns
        -------
        total : torch.Tensor
            Scalar to back-propagate.
        parts : dict of str -> float
            The unweighted terms ``ce, triplet, diversity, consistency, contrastive`` (the
            last three are 0 with one stream).
        """
        cfg, emb = self.config, out["embeddings"]
        terms = {
            "ce": F.cross_entropy(out["logits"], target, weight=weight),
            "triplet": batch_hard_triplet_loss(F.normalize(emb["fused"], dim=1), target, margin=cfg.triplet_margin),
            "diversity": diversity_loss(emb["private"]),
            "consistency": consistency_loss(emb["shared"]),
            "contrastive": contrastive_loss(emb["shared"], temperature=cfg.temperature),
        }
        total = sum(getattr(cfg, f"w_{k}") * v for k, v in terms.items())
        return total, {k: float(v.detach()) for k, v in terms.items()}
