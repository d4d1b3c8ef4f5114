"""FR: feature refinement with expression-specific feature learning and fusion.

Zhou, L., Mao, Q., Huang, X., Zhang, F. & Zhang, Z. (2022). Feature refinement: an
expression-specific feature learning and fusion method for micro-expression recognition.
*Pattern Recognition* 122, 108275, doi:10.1016/j.patcog.2021.108275.

A compact re-implementation with the paper's three parts: (1) expression-shared features
from a two-branch inception-style CNN on the flow (u, v, strain at 28 x 28); (2) an
expression-specific module: one attention map per class refines the shared maps into
``n_classes`` class-specific feature vectors; (3) fusion: the class-specific vectors are
concatenated and classified. The paper's auxiliary separation losses are not included.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["FR"]


class _Inception(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        b = cout // 4
        self.b1 = nn.Conv2d(cin, b, 1)
        self.b3 = nn.Sequential(nn.Conv2d(cin, b, 1), nn.ReLU(), nn.Conv2d(b, b, 3, padding=1))
        self.b5 = nn.Sequential(nn.Conv2d(cin, b, 1), nn.ReLU(), nn.Conv2d(b, b, 5, padding=2))
        self.bp = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(cin, cout - 3 * b, 1))
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):  # noqa: D102
        y = torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)
        return torch.relu(self.bn(y))


class FR(nn.Module):
    """Feature refinement network (Zhou et al. 2022), compact. Logits ``(batch, n_classes)``.

    Parameters
    ----------
    n_classes : int
        Number of output classes (and of expression-specific branches).
    in_channels : int
        Input channels (3: u, v, strain).
    width : int
        Channels of the shared feature maps.
    dim : int
        Size of each expression-specific feature vector.
    """

    input_size = 28

    def __init__(self, n_classes: int, in_channels: int = 3, width: int = 32, dim: int = 16):
        super().__init__()
        self.shared = nn.Sequential(
            _Inception(in_channels, width), nn.MaxPool2d(2),
            _Inception(width, width), nn.MaxPool2d(2),
        )
        self.attention = nn.Conv2d(width, n_classes, 1)
        self.project = nn.Linear(width, dim)
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(n_classes * dim, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        f = self.shared(x)                                    # (b, c, h, w)
        att = torch.softmax(self.attention(f).flatten(2), dim=-1)   # (b, k, hw)
        specific = torch.einsum("bkn,bcn->bkc", att, f.flatten(2))  # (b, k, c)
        z = torch.relu(self.project(specific))                # (b, k, dim)
        return self.classifier(z.flatten(1))
