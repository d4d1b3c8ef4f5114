"""Building blocks shared by the fusion networks (:mod:`.me_eeg`, :mod:`.me_ps`).

* :class:`TCN` -- temporal convolutional network (Bai, Kolter & Koltun 2018, *An empirical
  evaluation of generic convolutional and recurrent networks for sequence modeling*,
  arXiv:1803.01271): residual blocks of two causal dilated 1-D convolutions (dilation
  ``2**i`` in block ``i``), each followed by batch norm, ReLU and dropout, with a 1x1
  convolution on the skip path when the width changes. Input and output ``(batch, channels,
  time)``; any length >= 1 (causal left padding keeps the length). Batch norm stands in for
  the paper's weight normalisation (a choice: it trains faster on small batches of
  z-scored band features).
* :class:`CoordAttention` -- coordinate attention (Hou, Zhou & Feng 2021, *Coordinate
  attention for efficient mobile network design*, CVPR, doi:10.1109/CVPR46437.2021.01350) for
  2-D ``(batch, C, H, W)`` or 3-D ``(batch, C, T, H, W)`` maps. The map is average-pooled
  along every axis but one, for each axis, the pooled profiles are concatenated, reduced by a
  shared 1x1 convolution (batch norm, hard-swish) and split back; one 1x1 convolution per axis
  and a sigmoid give a gate per position along that axis; the output is ``x`` times the
  product of the gates. For clips the temporal axis is a third "coordinate" (the 3-D
  extension is a choice: CA-I3D describes coordinate attention inside an I3D backbone without
  fixing how the time axis enters).
* :class:`NAM` -- normalisation-based attention (Liu et al. 2021, *NAM: Normalization-based
  attention module*, arXiv:2111.12419), channel branch: ``out = sigmoid(w * BN(x)) * x`` with
  ``w_c = |gamma_c| / sum_j |gamma_j|`` from the batch norm's own scale factors; the input is
  the residual that the gate multiplies. Works on ``(batch, C, ...)`` of any rank. Unlike the
  reference code the weights ``w`` are not detached (a choice; gradients reach ``gamma``
  through both paths).
* :class:`AttentionBlock` -- pre-norm transformer layer (multi-head attention then a
  feed-forward layer, both residual) whose queries and keys may come from different token
  sets (cross-modal attention) and which returns its attention weights.

:func:`check_modalities` validates the ``modalities=`` subset both networks take, and
:func:`check_inputs` the mapping of modality tensors their ``forward`` takes (the one check
of both networks).
"""
from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

__all__ = ["TCN", "CoordAttention", "NAM", "AttentionBlock", "check_modalities", "check_inputs"]


def check_modalities(modalities, allowed: tuple[str, ...], name: str = "modalities") -> tuple[str, ...]:
    """Return a non-empty subset of ``allowed`` in ``allowed``'s order (a str is one modality).

    Examples
    --------
    >>> check_modalities(["eeg", "video"], ("video", "eeg", "peri"))
    ('video', 'eeg')
    """
    if isinstance(modalities, str):
        modalities = (modalities,)
    try:
        given = list(modalities)
    except TypeError:
        raise TypeError(f"Invalid value for {name!r}: expected a sequence of modality names, got {modalities!r}") from None
    bad = [m for m in given if m not in allowed]
    if bad or not given or len(set(given)) != len(given):
        raise ValueError(f"Invalid value for {name!r}: expected a non-empty subset (no repeats) of "
                         f"{', '.join(map(repr, allowed))}, got {tuple(given)!r}")
    return tuple(m for m in allowed if m in given)


def check_inputs(inputs, modalities, default: tuple[str, ...],
                 specs: Mapping[str, tuple[int, Mapping[int, int], str]]) -> tuple[str, ...]:
    """Validate a fusion network's ``forward(inputs, modalities)`` and return the modalities used.

    Parameters
    ----------
    inputs : Mapping[str, torch.Tensor]
        Modality -> input tensor; only the used modalities need one.
    modalities : sequence of str or None
        Requested subset (:func:`check_modalities` over the keys of ``specs``); None uses
        ``default``.
    default : tuple of str
        Modalities of the network's configuration.
    specs : Mapping[str, (int, Mapping[int, int], str)]
        Per modality (in the network's order): the number of dimensions, the fixed sizes
        ``{axis: size}`` and the expected shape as text for the message.

    Returns
    -------
    tuple of str
        The modalities used, in the order of ``specs``.

    Examples
    --------
    >>> import torch
    >>> specs = {"video": (4, {1: 3}, "(batch, 3, s, s)"), "eeg": (4, {1: 2, 2: 5}, "(batch, 2, 5, T)")}
    >>> check_inputs({"eeg": torch.zeros(1, 2, 5, 3)}, ["eeg"], ("video", "eeg"), specs)
    ('eeg',)
    >>> check_inputs({"video": torch.zeros(1, 1, 8, 8)}, None, ("video",), specs)
    Traceback (most recent call last):
    ...
    ValueError: Invalid value for 'inputs['video']': expected (batch, 3, s, s), got (1, 1, 8, 8)
    """
    mods = tuple(default) if modalities is None else check_modalities(modalities, tuple(specs))
    if not isinstance(inputs, Mapping):
        raise TypeError(f"Invalid value for 'inputs': expected a mapping modality -> tensor, got {type(inputs).__name__}")
    missing = [m for m in mods if m not in inputs]
    if missing:
        raise KeyError(f"Invalid value for 'inputs': expected tensors for {mods!r}, missing {missing!r}")
    for m in mods:
        x, (ndim, fixed, text) = inputs[m], specs[m]
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"Invalid value for 'inputs[{m!r}]': expected a torch.Tensor, got {type(x).__name__}")
        if x.dim() != ndim or any(x.shape[a] != size for a, size in fixed.items()):
            raise ValueError(f"Invalid value for 'inputs[{m!r}]': expected {text}, got {tuple(x.shape)}")
    return mods


class _TemporalBlock(nn.Module):
    def __init__(self, n_in: int, n_out: int, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(n_in, n_out, kernel_size, dilation=dilation)
        self.bn1 = nn.BatchNorm1d(n_out)
        self.conv2 = nn.Conv1d(n_out, n_out, kernel_size, dilation=dilation)
        self.bn2 = nn.BatchNorm1d(n_out)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv1d(n_in, n_out, 1) if n_in != n_out else nn.Identity()

    def _causal(self, conv, x):
        return conv(nn.functional.pad(x, (self.pad, 0)))

    def forward(self, x):
        h = self.drop(torch.relu(self.bn1(self._causal(self.conv1, x))))
        h = self.drop(torch.relu(self.bn2(self._causal(self.conv2, h))))
        return torch.relu(h + self.skip(x))


class TCN(nn.Module):
    """Temporal convolutional network ``(batch, n_in, time) -> (batch, channels[-1], time)``.

    Parameters
    ----------
    n_in : int
        Input channels (for band features: EEG channels x bands).
    channels : tuple of int
        Width of each residual block; block ``i`` uses dilation ``2**i``.
    kernel_size : int
        Temporal kernel of every convolution.
    dropout : float
        Dropout after each convolution.

    Examples
    --------
    >>> import torch
    >>> TCN(10, (16, 16))(torch.zeros(2, 10, 5)).shape
    torch.Size([2, 16, 5])
    """

    def __init__(self, n_in: int, channels: tuple[int, ...] = (32, 32), kernel_size: int = 3,
                 dropout: float = 0.1):
        super().__init__()
        widths = (n_in, *channels)
        self.blocks = nn.Sequential(*[
            _TemporalBlock(widths[i], widths[i + 1], kernel_size, 2 ** i, dropout)
            for i in range(len(channels))
        ])
        self.out_channels = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class CoordAttention(nn.Module):
    """Coordinate attention on ``(batch, C, *axes)`` maps with 2 or 3 spatial/temporal axes.

    Parameters
    ----------
    channels : int
        Channels ``C`` of the map.
    n_axes : {2, 3}
        2 for images ``(H, W)``, 3 for clips ``(T, H, W)``.
    reduction : int
        Channel reduction of the shared 1x1 convolution (at least 8 channels are kept, as
        in Hou et al.).

    Examples
    --------
    >>> import torch
    >>> CoordAttention(8, n_axes=3)(torch.zeros(2, 8, 4, 6, 6)).shape
    torch.Size([2, 8, 4, 6, 6])
    """

    def __init__(self, channels: int, n_axes: int = 2, reduction: int = 4):
        super().__init__()
        if n_axes not in (2, 3):
            raise ValueError(f"Invalid value for 'n_axes': expected 2 or 3, got {n_axes!r}")
        mid = max(8, channels // reduction)
        self.n_axes = n_axes
        self.reduce = nn.Sequential(nn.Conv1d(channels, mid, 1), nn.BatchNorm1d(mid), nn.Hardswish())
        self.expand = nn.ModuleList(nn.Conv1d(mid, channels, 1) for _ in range(n_axes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 + self.n_axes:
            raise ValueError(f"Invalid value for 'x': expected {2 + self.n_axes} dimensions, got shape {tuple(x.shape)}")
        axes = list(range(2, x.dim()))
        profiles = [x.mean(dim=[a for a in axes if a != keep]) for keep in axes]  # (B, C, L_axis)
        lengths = [p.shape[-1] for p in profiles]
        y = self.reduce(torch.cat(profiles, dim=-1))
        out = x
        for i, part in enumerate(torch.split(y, lengths, dim=-1)):
            gate = torch.sigmoid(self.expand[i](part))  # (B, C, L_i)
            shape = [gate.shape[0], gate.shape[1]] + [1] * self.n_axes
            shape[2 + i] = lengths[i]
            out = out * gate.reshape(shape)
        return out


class NAM(nn.Module):
    """Normalisation-based (channel) attention with the input as residual: ``sigmoid(w * BN(x)) * x``.

    Parameters
    ----------
    channels : int
        Channels (dimension 1 of the input).

    Examples
    --------
    >>> import torch
    >>> NAM(4)(torch.randn(3, 4, 7)).shape
    torch.Size([3, 4, 7])
    """

    def __init__(self, channels: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        h = self.bn(x.reshape(shape[0], shape[1], -1))
        gamma = self.bn.weight.abs()
        w = gamma / gamma.sum().clamp_min(1e-12)
        return torch.sigmoid(h * w[None, :, None]).reshape(shape) * x


class AttentionBlock(nn.Module):
    """Pre-norm attention layer: ``q + MHA(LN(q), LN(kv))`` then ``+ FFN(LN(.))``.

    Parameters
    ----------
    d_model : int
        Token width.
    n_heads : int
        Attention heads (``d_model`` must be divisible by it).
    dropout : float
        Dropout on the attention weights and in the feed-forward layer.
    ff_mult : int
        Hidden width of the feed-forward layer in multiples of ``d_model``.
    cross : bool
        True: ``forward(q, kv)`` attends from ``q`` to another token set ``kv`` (own layer
        norm); False: self-attention, ``forward(q)``.

    Returns from ``forward(q, kv=None)`` a pair ``(tokens, weights)``: tokens like ``q``
    ``(batch, n_q, d_model)`` and the head-averaged attention weights ``(batch, n_q, n_kv)``
    (self-attention when ``kv`` is None).

    Examples
    --------
    >>> import torch
    >>> out, w = AttentionBlock(8, 2, cross=True)(torch.zeros(2, 3, 8), torch.zeros(2, 5, 8))
    >>> tuple(out.shape), tuple(w.shape)
    ((2, 3, 8), (2, 3, 5))
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.1, ff_mult: int = 2,
                 cross: bool = False):
        super().__init__()
        self.norm_q = nn.LayerNorm(d_model)
        self.norm_kv = nn.LayerNorm(d_model) if cross else None
        self.attn = nn.MultiheadAttention(d_model, n_heads, dropout=dropout, batch_first=True)
        self.norm_ff = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, ff_mult * d_model), nn.GELU(), nn.Dropout(dropout),
                                nn.Linear(ff_mult * d_model, d_model))

    def forward(self, q: torch.Tensor, kv: torch.Tensor | None = None):
        if (kv is None) != (self.norm_kv is None):
            raise ValueError("Invalid value for 'kv': expected a token set for a cross-attention block "
                             f"and None for self-attention, got {'None' if kv is None else 'a tensor'}")
        qn = self.norm_q(q)
        kvn = qn if kv is None else self.norm_kv(kv)
        a, w = self.attn(qn, kvn, kvn, need_weights=True, average_attn_weights=True)
        h = q + a
        return h + self.ff(self.norm_ff(h)), w
