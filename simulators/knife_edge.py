"""Pupil-plane knife edge under partially coherent illumination (seed 004, Methods, Eq. 6).

Each illumination plane wave of transverse wave number k_x at the sample focuses to the point
x = k_x * lambda * f_ZP / (2 pi) of the zone plate's back focal plane, where the cutoff filter sits.
The knife edge passes the part of the pupil with x >= x_cut, so the mean transmitted background is

    <I(x_cut)>_bg = I_0 * integral_{max(x_cut, -R)}^{R} I(x) dx,

with I(x) the angular power spectral density (per metre of pupil coordinate, unit integral) and R
the pupil half-width. Its derivative with respect to x_cut is -I_0 * I(x_cut): Eq. 6 of seed 004.

Defocus of the filter along the beam (Foucault test) moves the effective cut for a field point
x_s by (z - z_focus) * x_s / f_ZP, so an out-of-focus edge darkens the image with a gradient
instead of uniformly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.integrate import cumulative_trapezoid
from scipy.ndimage import gaussian_filter1d


@dataclass(frozen=True)
class PupilIllumination:
    """Angular power spectral density of the illumination, sampled in the pupil plane.

    Attributes:
        positions_m: increasing pupil coordinates x (m) across the cutoff-filter plane.
        density_per_m: I(x) >= 0 at those positions; normalised here to unit integral.
        pupil_half_width_m: R, the half-width of the detection pupil (m); light outside is lost.
    """

    positions_m: npt.NDArray[np.float64]
    density_per_m: npt.NDArray[np.float64]
    pupil_half_width_m: float
    _cumulative: npt.NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        x = np.asarray(self.positions_m, dtype=float)
        d = np.asarray(self.density_per_m, dtype=float)
        if x.ndim != 1 or x.shape != d.shape or x.size < 3:
            raise ValueError("positions_m and density_per_m must be 1-D of the same length >= 3")
        if np.any(np.diff(x) <= 0):
            raise ValueError("positions_m must be strictly increasing")
        if np.any(d < 0) or not np.all(np.isfinite(d)):
            raise ValueError("density_per_m must be finite and >= 0")
        total = np.trapezoid(d, x)
        if total <= 0:
            raise ValueError("density_per_m must not be all zero")
        object.__setattr__(self, "positions_m", x)
        object.__setattr__(self, "density_per_m", d / total)
        object.__setattr__(self, "_cumulative", cumulative_trapezoid(d / total, x, initial=0.0))

    def density_at(self, x_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """I(x) in 1/m, zero outside the sampled range."""
        return np.interp(
            np.asarray(x_m, dtype=float), self.positions_m, self.density_per_m, left=0.0, right=0.0
        )

    def plane_waves(
        self, to_frequency_per_m: float
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(spatial frequency at the sample in 1/m, weight) of each sampled pupil position carrying
        light: f = x / (lambda f_ZP), with ``to_frequency_per_m`` = 1 / (lambda f_ZP)."""
        weight = self.density_per_m * np.gradient(self.positions_m)
        used = weight > 1e-6 * weight.max()
        return self.positions_m[used] * to_frequency_per_m, weight[used]

    def passed_fraction(self, x_cut_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Fraction of the illumination power passed by an edge at ``x_cut_m`` (passes x >= x_cut)."""
        lo = np.clip(np.asarray(x_cut_m, dtype=float), -self.pupil_half_width_m, self.pupil_half_width_m)
        cdf = lambda x: np.interp(x, self.positions_m, self._cumulative)  # noqa: E731
        return np.clip(cdf(self.pupil_half_width_m) - cdf(lo), 0.0, None)


def projected_disc_illumination(
    radius_m: float,
    pupil_half_width_m: float,
    centre_m: float = 0.0,
    blur_m: float = 0.0,
    tilt: float = 0.0,
    samples: int = 4001,
) -> PupilIllumination:
    """A uniformly filled circular illumination pupil projected onto x, blurred by a diffuser.

    ``tilt`` (dimensionless, |tilt| < 1) multiplies the density by (1 + tilt * (x - centre) / radius)
    to model an uneven illumination, so that a calibration cannot pass by assuming symmetry.
    """
    if not 0 < radius_m <= pupil_half_width_m:
        raise ValueError(f"radius_m={radius_m} must be in (0, pupil_half_width_m={pupil_half_width_m}] m")
    if not -1 < tilt < 1:
        raise ValueError(f"tilt={tilt} must be in (-1, 1)")
    x = np.linspace(-pupil_half_width_m, pupil_half_width_m, samples)
    u = (x - centre_m) / radius_m
    density = np.sqrt(np.clip(1.0 - u * u, 0.0, None)) * (1.0 + tilt * u)
    if blur_m > 0:
        density = gaussian_filter1d(density, blur_m / (x[1] - x[0]), mode="constant")
    return PupilIllumination(x, density, pupil_half_width_m)


def angular_wavenumber_per_m(x_cut_m: npt.ArrayLike, wavelength_m: float, zone_plate_focal_m: float):
    """k_x = 2 pi x_cut / (lambda f_ZP): the illumination wave number that focuses at x_cut."""
    return 2.0 * math.pi * np.asarray(x_cut_m, dtype=float) / (wavelength_m * zone_plate_focal_m)


def knife_edge_background(
    illumination: PupilIllumination,
    edge_m: float,
    edge_inserted: bool,
    filter_defocus_m: float,
    zone_plate_focal_m: float,
    field_x_m: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Transmitted fraction for each field position ``field_x_m`` (sample plane, m)."""
    if not edge_inserted:
        return np.full(field_x_m.shape, float(illumination.passed_fraction(-math.inf)))
    effective_cut = edge_m + filter_defocus_m * field_x_m / zone_plate_focal_m
    return illumination.passed_fraction(effective_cut)
