"""Seed 002's quality filters for diffraction patterns summed in XEDM.

1. Total intensity: a pattern ten times weaker than typical (the beam hit the silicon frame) is
   rejected.
2. Streaks (edge scattering from the frame or dust): the dispersion statistic of Eq. 4 over a ring
   D of pixels next to the beamstop, chi^2 = sum over D of (I(k) - mean)^2 / mean. Without streaks
   the ring's pixels differ by Poisson noise and the pattern's own speckle, and chi^2 stays near
   a typical value (seed 002: about 500, rejected above 800, i.e. 1.6 times typical). Eq. 4 as
   printed has lost the square, without which the sum is identically zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Seed 002's threshold over its typical chi^2 (800 / 500).
CHI2_THRESHOLD_RATIO = 1.6
#: Seed 002: rejected when the total is this many times below typical.
WEAK_FACTOR = 10.0


def ring_region(
    shape: tuple[int, int], inner_radius_px: float, width_px: float, centre: tuple[float, float] | None = None
) -> npt.NDArray[np.bool_]:
    """Pixels with inner_radius <= distance to ``centre`` < inner_radius + width (D of Eq. 4)."""
    if inner_radius_px < 0 or width_px <= 0:
        raise ValueError(f"inner_radius_px={inner_radius_px} must be >= 0 and width_px={width_px} > 0 px")
    cy, cx = centre if centre is not None else ((shape[0] - 1) / 2, (shape[1] - 1) / 2)
    y, x = np.ogrid[: shape[0], : shape[1]]
    r = np.hypot(y - cy, x - cx)
    region = (r >= inner_radius_px) & (r < inner_radius_px + width_px)
    if not region.any():
        raise ValueError("the ring holds no pixel of the pattern")
    return region


def dispersion_chi2(pattern: npt.NDArray, region: npt.NDArray[np.bool_]) -> float:
    """chi^2 = sum over ``region`` of (I - mean)^2 / mean (seed 002, Eq. 4)."""
    values = np.asarray(pattern, dtype=np.float64)[region]
    mean = values.mean()
    if mean <= 0:
        return 0.0
    return float(np.sum((values - mean) ** 2) / mean)


@dataclass(frozen=True)
class Verdict:
    """Whether a pattern is kept, and why not.

    Attributes:
        kept: the pattern goes into the sum.
        reason: ``""``, ``"weak"`` or ``"streak"``.
        total: its total counts.
        chi2: its Eq. 4 statistic over the ring.
    """

    kept: bool
    reason: str
    total: float
    chi2: float


def judge_pattern(
    pattern: npt.NDArray,
    region: npt.NDArray[np.bool_],
    typical_total: float | None,
    chi2_threshold: float | None,
) -> Verdict:
    """Seed 002's two filters; a None typical total or threshold (none known yet) skips that test."""
    total = float(np.sum(pattern, dtype=np.float64))
    chi2 = dispersion_chi2(pattern, region)
    if typical_total is not None and total * WEAK_FACTOR < typical_total:
        return Verdict(False, "weak", total, chi2)
    if chi2_threshold is not None and chi2 > chi2_threshold:
        return Verdict(False, "streak", total, chi2)
    return Verdict(True, "", total, chi2)
