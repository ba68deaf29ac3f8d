"""Score a reconstruction against a known truth (simulations): support Dice and phase error."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from .align import align


@dataclass(frozen=True)
class Comparison:
    """How a reconstruction matches the truth after alignment.

    Attributes:
        dice: 2 |A & B| / (|A| + |B|) of the reconstructed and true supports.
        phase_rms_rad: RMS of the wrapped phase difference inside the true support (its surface
            layer excluded, where the modulus falls and the phase is undefined).
        twin: whether the twin matched.
        correlation: normalised complex correlation with the truth.
    """

    dice: float
    phase_rms_rad: float
    twin: bool
    correlation: float

    def success(self, dice_min: float = 0.9, phase_rms_max: float = 0.15) -> bool:
        """The CDI engine's definition of success (Dice >= 0.9, phase RMS <= 0.15 rad)."""
        return self.dice >= dice_min and self.phase_rms_rad <= phase_rms_max


def reconstructed_support(obj: npt.NDArray, fraction: float = 0.5) -> npt.NDArray[np.bool_]:
    """Voxels whose modulus exceeds ``fraction`` of the median modulus of the object's bright part."""
    modulus = np.abs(obj)
    bright = modulus[modulus > 0.2 * modulus.max()]
    return modulus > fraction * float(np.median(bright))


def compare(obj: npt.NDArray, truth: npt.NDArray, truth_support: npt.NDArray[np.bool_]) -> Comparison:
    """Align ``obj`` to ``truth`` (translation, twin, phase offset) and score it."""
    result = align(truth, obj)
    support = reconstructed_support(result.aligned)
    dice = 2 * float(np.sum(support & truth_support)) / float(support.sum() + truth_support.sum())
    interior = np.asarray(ndimage.binary_erosion(truth_support), dtype=bool)
    difference = np.angle(result.aligned[interior] * np.conj(truth[interior]))
    # Remove the mean phase over the interior (the global offset was fitted with modulus weights).
    difference = np.angle(np.exp(1j * (difference - np.angle(np.mean(np.exp(1j * difference))))))
    return Comparison(dice, float(np.sqrt(np.mean(difference**2))), result.twin, result.correlation)


def classify(comparison: Comparison, dice_min: float = 0.9, phase_rms_max: float = 0.2) -> str:
    """``correct``, ``conjugated`` (the twin matches) or ``incorrect``, as seed 001 counts runs."""
    if not comparison.success(dice_min, phase_rms_max):
        return "incorrect"
    return "conjugated" if comparison.twin else "correct"
