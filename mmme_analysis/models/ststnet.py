"""STSTNet: Shallow Triple Stream Three-dimensional CNN.

Liong, S.-T., Gan, Y. S., See, J., Khor, H.-Q. & Huang, Y.-C. (2019). Shallow Triple Stream
Three-dimensional CNN (STSTNet) for micro-expression recognition. *IEEE FG 2019*,
doi:10.1109/FG.2019.8756567.

Input ``(batch, 3, 28, 28)``: u, v and optical strain between onset and apex. Three
parallel 3x3 convolutions with 3, 5 and 8 filters (ReLU, batch norm, 3x3 max-pool stride 3),
concatenated (16 maps of 10x10), 2x2 average pool, then one fully connected layer
(400 -> ``n_classes``). About 1.7 k parameters for 3 classes.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["STSTNet"]


class STSTNet(nn.Module):
    """STSTNet (Liong et al. 2019). Returns logits ``(batch, n_classes)``.

    Parameters
    ----------
    n_classes : int
        Number of output classes.
    in_channels : int
        Input channels (3: u, v, strain).
    input_size : int
        Side of the square input (28 in the paper).
    """

    input_size = 28

    def __init__(self, n_classes: int, in_channels: int = 3, input_size: int = 28):
        super().__init__()
        self.input_size = input_size  # the fc layer is sized for it (read by infer_clip)
        self.streams = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(in_channels, k, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.BatchNorm2d(k),
                nn.MaxPool2d(kernel_size=3, stride=3, padding=1),
            )
            for k in (3, 5, 8)
        )
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)
        side = ((input_size + 2 - 3) // 3 + 1) // 2
        self.fc = nn.Linear(16 * side * side, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = torch.cat([s(x) for s in self.streams], dim=1)
        return self.fc(torch.flatten(self.pool(x), 1))
