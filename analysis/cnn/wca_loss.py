"""The network's input scaling and the weighted coherent average loss (seed 003, Eqs. 1-2)."""

from __future__ import annotations

import torch


def log_normalised(intensity: torch.Tensor) -> torch.Tensor:
    """log(1 + I) scaled to [0, 1] per sample; ``intensity`` is (B, 1, Z, Y, X) counts >= 0."""
    logged = torch.log1p(intensity.clamp_min(0))
    peak = logged.amax(dim=(1, 2, 3, 4), keepdim=True)
    return logged / peak.clamp_min(torch.finfo(logged.dtype).tiny)


def wca_loss(predicted: torch.Tensor, truth: torch.Tensor, log_input: torch.Tensor) -> torch.Tensor:
    """Per-sample WCA: min over the sign of 1 - |sum_k w_k exp(i(+-phi_true - phi_pred))|.

    The weights w are the log-scaled input normalised to sum to one, so the loss is 0 for a
    perfect prediction and does not change with a constant phase offset, with 2 pi wraps of
    either phase, or with the sign of the true phase (the twin).

    Args:
        predicted: (B, 1, Z, Y, X) predicted phase (rad, unbounded).
        truth: the true phase (rad), same shape.
        log_input: the network's input (log-scaled intensity in [0, 1]), same shape.
    """
    weights = log_input.float()
    weights = weights / weights.sum(dim=(1, 2, 3, 4), keepdim=True).clamp_min(1e-30)
    predicted = predicted.float()
    truth = truth.float()
    dims = (1, 2, 3, 4)
    losses = []
    for sign in (1.0, -1.0):
        difference = sign * truth - predicted
        real = (weights * torch.cos(difference)).sum(dim=dims)
        imaginary = (weights * torch.sin(difference)).sum(dim=dims)
        losses.append(1 - torch.sqrt(real**2 + imaginary**2 + 1e-12))
    return torch.minimum(losses[0], losses[1])
