"""The phase network: a small 3-D U-Net after seed 003, Fig. 2.

The first two encoder levels combine convolutions of several dilation rates (a wider receptive
field for the fringes' long-range order); every encoder level feeds the decoder through a
convolution of its own (the seed's skip blocks); transposed convolutions upsample; the last layer
has no activation, so the predicted phase is unbounded (unwrapped).
"""

from __future__ import annotations

import torch
from torch import nn

GRID = 64
"""Voxels per side of the network's input and output."""


def _conv(cin: int, cout: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm3d(cout),
        nn.LeakyReLU(0.1, inplace=True),
    )


class DilatedBlock(nn.Module):
    """Convolutions at dilations 1, 2 and 4 side by side, merged by a 1x1x1 convolution."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.branches = nn.ModuleList([_conv(cin, cout, d) for d in (1, 2, 4)])
        self.merge = _conv(3 * cout, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.merge(torch.cat([branch(x) for branch in self.branches], dim=1))


class PhaseUNet(nn.Module):
    """Log-scaled intensity (B, 1, 64, 64, 64) in [0, 1] -> reciprocal-space phase (B, 1, ...), rad.

    Args:
        base_channels: channels of the first level; each level down doubles them.
        levels: encoder levels above the bottleneck (the grid halves at each).
    """

    def __init__(self, base_channels: int = 16, levels: int = 4) -> None:
        super().__init__()
        self.base_channels = base_channels
        self.levels = levels
        widths = [base_channels * 2**i for i in range(levels + 1)]
        self.encoder = nn.ModuleList()
        for i in range(levels):
            cin = 1 if i == 0 else widths[i - 1]
            if i < 2:
                self.encoder.append(DilatedBlock(cin, widths[i]))
            else:
                self.encoder.append(nn.Sequential(_conv(cin, widths[i]), _conv(widths[i], widths[i])))
        self.skips = nn.ModuleList([_conv(w, w) for w in widths[:levels]])
        self.bottleneck = nn.Sequential(
            _conv(widths[levels - 1], widths[levels]), _conv(widths[levels], widths[levels])
        )
        self.up = nn.ModuleList()
        self.decoder = nn.ModuleList()
        for i in reversed(range(levels)):
            self.up.append(nn.ConvTranspose3d(widths[i + 1], widths[i], 2, stride=2))
            self.decoder.append(nn.Sequential(_conv(2 * widths[i], widths[i]), _conv(widths[i], widths[i])))
        self.head = nn.Conv3d(widths[0], 1, 1)
        self.pool = nn.MaxPool3d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skipped = []
        for block, skip in zip(self.encoder, self.skips, strict=True):
            x = block(x)
            skipped.append(skip(x))
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, block, skip in zip(self.up, self.decoder, reversed(skipped), strict=True):
            x = block(torch.cat([up(x), skip], dim=1))
        return self.head(x)


def parameter_count(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())
