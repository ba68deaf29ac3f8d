"""Rocking curve: integrated intensity against the rocking angle, its centre and width."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class RockingCurve:
    """Centre (intensity-weighted, deg), FWHM (deg, linear interpolation) and peak of a curve."""

    centre_deg: float
    fwhm_deg: float
    peak_deg: float
    peak_intensity: float


def rocking_curve(angles_deg: npt.ArrayLike, integrated_intensity: npt.ArrayLike) -> RockingCurve:
    """Characterise integrated intensity (counts) sampled at rocking angles (deg)."""
    angles = np.asarray(angles_deg, dtype=float)
    counts = np.asarray(integrated_intensity, dtype=float)
    if angles.ndim != 1 or angles.shape != counts.shape or angles.size < 3:
        raise ValueError("angles_deg and integrated_intensity must be 1-D of equal length >= 3")
    if np.any(counts < 0) or not np.any(counts > 0):
        raise ValueError("integrated_intensity must be >= 0 and not all zero")
    order = np.argsort(angles)
    angles, counts = angles[order], counts[order]
    top = int(np.argmax(counts))
    half = counts[top] / 2.0
    left = np.flatnonzero(counts[:top] < half)
    right = np.flatnonzero(counts[top:] < half)
    fwhm = float("nan")
    if left.size and right.size:
        i, j = left[-1], top + right[0]
        lo = np.interp(half, [counts[i], counts[i + 1]], [angles[i], angles[i + 1]])
        hi = np.interp(half, [counts[j], counts[j - 1]], [angles[j], angles[j - 1]])
        fwhm = float(hi - lo)
    centre = float(np.sum(angles * counts) / np.sum(counts))
    return RockingCurve(centre, fwhm, float(angles[top]), float(counts[top]))
