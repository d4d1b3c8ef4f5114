"""RCN-A: recurrent convolutional network with attention-style shrinking.

Xia, Z., Peng, W., Khor, H.-Q., Feng, X. & Zhao, G. (2020). Revealing the invisible with
model and data shrinking for composite-database micro-expression recognition. *IEEE
Transactions on Image Processing* 29, 8590-8605, doi:10.1109/TIP.2020.3018222.

A compact re-implementation: input ``(batch, 3, 60, 60)`` (u, v, strain at a reduced size,
the paper's "data shrinking"), a convolutional stem, recurrent convolutional layers (RCL:
one convolution unrolled ``n_iter`` times with shared weights, Liang & Hu 2015) each
followed by a channel-attention gate (the "A" variant's attention unit, squeeze and
excitation style) and max pooling, global average pooling and a linear classifier. Works
on any input size >= 16.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["RCNA"]


class _RCL(nn.Module):
    """Recurrent convolutional layer: x_{t+1} = relu(bn(ff(x0) + rec(x_t)))."""

    def __init__(self, channels: int, n_iter: int):
        super().__init__()
        self.ff = nn.Conv2d(channels, channels, 3, padding=1)
        self.rec = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bns = nn.ModuleList(nn.BatchNorm2d(channels) for _ in range(n_iter + 1))
        self.n_iter = n_iter

    def forward(self, x):  # noqa: D102
        f = self.ff(x)
        h = torch.relu(self.bns[0](f))
        for t in range(self.n_iter):
            h = torch.relu(self.bns[t + 1](f + self.rec(h)))
        return h


class _Attention(nn.Module):
    def __init__(self, channels: int, reduction: int = 4):
        super().__init__()
        mid = max(1, channels // reduction)
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, mid), nn.ReLU(),
            nn.Linear(mid, channels), nn.Sigmoid(),
        )

    def forward(self, x):  # noqa: D102
        return x * self.gate(x)[:, :, None, None]


class RCNA(nn.Module):
    """RCN-A (Xia et al. 2020), compact. Returns logits ``(batch, n_classes)``.

    Parameters
    ----------
    n_classes : int
        Number of output classes.
    in_channels : int
        Input channels (3: u, v, strain).
    width : int
        Feature maps per layer (small on purpose: "model shrinking").
    n_blocks : int
        Number of RCL + attention + pooling blocks.
    n_iter : int
        Recurrent iterations per RCL.
    """

    input_size = 60

    def __init__(self, n_classes: int, in_channels: int = 3, width: int = 16,
                 n_blocks: int = 2, n_iter: int = 2):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 5, padding=2), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.blocks = nn.Sequential(*[
            nn.Sequential(_RCL(width, n_iter), _Attention(width), nn.MaxPool2d(2))
            for _ in range(n_blocks)
        ])
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3),
                                  nn.Linear(width, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.head(self.blocks(self.stem(x)))
