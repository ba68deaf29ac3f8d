"""Angular power spectral density I_k from a knife-edge scan of the mean background (seed 004, Eq. 6).

The mean background <I(x_cut)> falls as the cutoff edge moves across the illuminated pupil; its
derivative with respect to the edge position is the illumination's angular power spectral density
at k_x = 2 pi x_cut / (lambda f_ZP).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class AngularSpectrum:
    """I_k sampled between consecutive edge positions.

    Attributes:
        edge_m: pupil coordinate x_cut (m) of each sample (mid-points of the scan steps).
        k_x_per_m: transverse wave number of the illumination at the sample, 2 pi x / (lambda f).
        density_per_m: -d<I>/dx_cut normalised to unit integral over ``edge_m`` (1/m).
        total_intensity: the background with the edge fully out (the scan's maximum), counts.
    """

    edge_m: npt.NDArray[np.float64]
    k_x_per_m: npt.NDArray[np.float64]
    density_per_m: npt.NDArray[np.float64]
    total_intensity: float


def angular_spectrum_from_knife_edge(
    edge_m: npt.ArrayLike,
    mean_background: npt.ArrayLike,
    wavelength_m: float,
    zone_plate_focal_m: float,
) -> AngularSpectrum:
    """I_k = -d<I>/dx_cut by central finite differences between scan points (Eq. 6 of seed 004).

    Args:
        edge_m: edge positions across the pupil (m), monotonic (either direction).
        mean_background: spatial mean of the background image at each position (counts).
        wavelength_m: X-ray wavelength (m).
        zone_plate_focal_m: distance f_ZP from the zone plate to the cutoff filter (m).
    """
    x = np.asarray(edge_m, dtype=float)
    mean = np.asarray(mean_background, dtype=float)
    if x.ndim != 1 or x.shape != mean.shape or x.size < 3:
        raise ValueError(
            f"edge_m and mean_background must be 1-D of equal length >= 3, got {x.shape} and {mean.shape}"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(mean))):
        raise ValueError("edge_m and mean_background must be finite")
    if not wavelength_m > 0 or not zone_plate_focal_m > 0:
        raise ValueError(
            f"wavelength_m={wavelength_m} and zone_plate_focal_m={zone_plate_focal_m} must be > 0"
        )
    order = np.argsort(x)
    x, mean = x[order], mean[order]
    if np.any(np.diff(x) <= 0):
        raise ValueError("edge_m must not repeat a position")
    mid = 0.5 * (x[1:] + x[:-1])
    density = -np.diff(mean) / np.diff(x)
    area = float(np.sum(density * np.diff(x)))
    if area <= 0:
        raise ValueError("the mean background does not fall as the edge closes: is the filter in the beam?")
    k_x = 2.0 * math.pi * mid / (wavelength_m * zone_plate_focal_m)
    return AngularSpectrum(mid, k_x, density / area, float(mean.max()))
