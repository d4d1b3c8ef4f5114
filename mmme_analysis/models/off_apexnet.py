"""OFF-ApexNet: optical-flow features from onset and apex, two CNN streams.

Gan, Y. S., Liong, S.-T., Yau, W.-C., Huang, Y.-C. & Tan, L.-K. (2019). OFF-ApexNet on
micro-expression recognition system. *Signal Processing: Image Communication* 74, 129-139,
doi:10.1016/j.image.2019.02.005.

Input ``(batch, 3, 28, 28)`` (u, v, strain, as for STSTNet); as in the paper only the
horizontal (u) and vertical (v) flow are used, each by its own stream: conv 5x5 (6) ->
max-pool 2 -> conv 5x5 (16) -> max-pool 2, then the two streams are concatenated and go
through fully connected layers (1024 -> ``n_classes``, dropout 0.5 between).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["OffApexNet"]


def _stream() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    )


class OffApexNet(nn.Module):
    """OFF-ApexNet (Gan et al. 2019). Returns logits ``(batch, n_classes)``.

    Parameters
    ----------
    n_classes : int
        Number of output classes.
    input_size : int
        Side of the square input (28).
    hidden : int
        Width of the fully connected layer (1024 in the paper).
    """

    input_size = 28

    def __init__(self, n_classes: int, input_size: int = 28, hidden: int = 1024):
        super().__init__()
        self.input_size = input_size  # the fc layer is sized for it (read by infer_clip)
        self.stream_u, self.stream_v = _stream(), _stream()
        side = input_size // 4
        self.head = nn.Sequential(
            nn.Linear(2 * 16 * side * side, hidden), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        fu = torch.flatten(self.stream_u(x[:, 0:1]), 1)
        fv = torch.flatten(self.stream_v(x[:, 1:2]), 1)
        return self.head(torch.cat([fu, fv], dim=1))
