"""The BCMI wavefront modulator (seed 001): a random binary pattern in a thin layer of metal.

The seed's modulator is 1.5 um of sputtered W on a Si3N4 membrane, patterned at random with about
50% fill and morphologically filtered so that no isolated bits remain. Its phase shift is
2 pi delta t / lambda: 2.4 rad at 9 keV in the text, 2.45 rad from the ptychographic calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xraydb
from scipy import ndimage
from skimage.morphology import remove_small_holes, remove_small_objects

from ..materials import refractive_index
from ..optics import wavelength_m


def element_density_g_cm3(material: str) -> float:
    """Tabulated density (g/cm^3) of an element, from xraydb."""
    try:
        return float(xraydb.atomic_density(material))
    except Exception as exc:  # xraydb raises several types for an unknown symbol
        raise ValueError(f"material {material!r} is not an element xraydb knows: {exc}") from exc


def modulator_phase_shift(
    material: str, thickness_m: float, energy_ev: float, density_g_cm3: float | None = None
) -> float:
    """Phase shift 2 pi delta t / lambda (rad) of ``thickness_m`` of ``material`` at ``energy_ev``.

    ``density_g_cm3`` defaults to the element's tabulated density.
    """
    if not thickness_m > 0:
        raise ValueError(f"thickness_m must be > 0, got {thickness_m}")
    density = element_density_g_cm3(material) if density_g_cm3 is None else density_g_cm3
    delta, _ = refractive_index(material, density, energy_ev)
    return 2.0 * math.pi * delta * thickness_m / float(wavelength_m(energy_ev))


def random_binary_pattern(
    shape: tuple[int, int], feature_px: int = 3, fill: float = 0.5, seed: int = 0
) -> npt.NDArray[np.bool_]:
    """A random binary pattern of about ``fill`` area fraction with no isolated bits.

    White noise smoothed over ``feature_px`` pixels is thresholded at its ``fill`` quantile; then
    islands and holes (4-connected) smaller than a feature_px x feature_px square are removed, as
    the seed's morphological filtering does against disconnected bits.
    """
    if len(shape) != 2 or min(shape) < 4 * feature_px:
        raise ValueError(f"shape {shape} must be 2-D with sides >= 4 * feature_px = {4 * feature_px}")
    if not 0.1 <= fill <= 0.9:
        raise ValueError(f"fill must be in [0.1, 0.9], got {fill}")
    if feature_px < 1:
        raise ValueError(f"feature_px must be >= 1, got {feature_px}")
    noise = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal(shape), feature_px / 2)
    pattern = noise > np.quantile(noise, 1.0 - fill)
    smallest = feature_px * feature_px
    pattern = remove_small_objects(pattern, max_size=smallest - 1, connectivity=1)
    return remove_small_holes(pattern, max_size=smallest - 1, connectivity=1)


@dataclass(frozen=True)
class Modulator:
    """A patterned layer: ``pattern`` (Y, X) True where the material is, sampled at ``pixel_m``."""

    pattern: npt.NDArray[np.bool_]
    pixel_m: float
    material: str = "W"
    thickness_m: float = 1.5e-6

    def transmission(self, energy_ev: float) -> npt.NDArray[np.complex128]:
        """exp(-(2 pi / lambda)(beta + i delta) t) where the material is, 1 elsewhere."""
        density = element_density_g_cm3(self.material)
        delta, beta = refractive_index(self.material, density, energy_ev)
        k = 2.0 * math.pi / float(wavelength_m(energy_ev))
        layer = np.exp(-k * (beta + 1j * delta) * self.thickness_m)
        return np.where(self.pattern, layer, 1.0 + 0.0j).astype(np.complex128)
