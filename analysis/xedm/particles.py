"""Radially layered nanoparticles: form factor, projected density and Eq. 1 of seed 002.

A particle is concentric spheres, inside out, each of a material from xraydb, in a medium (vacuum
by default, water for particles in solution). The complex electron density of a material follows
from its refractive index, rho_e = 2 pi (delta + i beta) / (r_e lambda^2), so the scattering
factors (f1 + i f2) are xraydb's. In the small-angle (thin object) limit the scattering amplitude
is the 2-D Fourier transform of the projected density, and for layers

    F(q) = sum_k (rho_k - rho_{k+1}) V_k Phi(q R_k),   Phi(x) = 3 (sin x - x cos x) / x^3,

with rho_{n+1} the medium. Seed 002, Eq. 1 gives the counts in a pixel of solid angle Omega:
I(q) = I_0 Omega r_e^2 |F(q)|^2 dt for one particle (F in electrons).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import constants

from ..materials import refractive_index
from ..optics import wavelength_m

#: Classical electron radius (m), CODATA.
ELECTRON_RADIUS_M: float = constants.physical_constants["classical electron radius"][0]


@dataclass(frozen=True)
class Layer:
    """A homogeneous sphere of ``outer_radius_m``, filling out to the next layer's inner surface."""

    outer_radius_m: float
    formula: str
    density_g_cm3: float


@dataclass(frozen=True)
class RadialParticle:
    """Concentric layers, inside out (radii increasing), in a medium (``None``: vacuum).

    Raises:
        ValueError: radii not positive and increasing, no layer, or a density <= 0.
    """

    layers: tuple[Layer, ...]
    medium_formula: str | None = None
    medium_density_g_cm3: float = 0.0

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("a particle needs at least one layer")
        radii = [layer.outer_radius_m for layer in self.layers]
        if radii[0] <= 0 or any(b <= a for a, b in itertools.pairwise(radii)):
            raise ValueError(f"layer radii must be > 0 m and increasing, got {radii}")
        for layer in self.layers:
            if not layer.density_g_cm3 > 0:
                raise ValueError(f"{layer.formula}: density_g_cm3 must be > 0, got {layer.density_g_cm3}")

    @property
    def radii_m(self) -> npt.NDArray[np.float64]:
        return np.array([layer.outer_radius_m for layer in self.layers])

    @property
    def diameter_m(self) -> float:
        return 2.0 * self.layers[-1].outer_radius_m

    def electron_densities(self, energy_ev: float) -> npt.NDArray[np.complex128]:
        """Complex electron density (electrons / m^3) of each layer, then of the medium."""
        lam = float(wavelength_m(energy_ev))
        scale = 2.0 * math.pi / (ELECTRON_RADIUS_M * lam**2)
        values = []
        for formula, density in [(layer.formula, layer.density_g_cm3) for layer in self.layers] + [
            (self.medium_formula, self.medium_density_g_cm3)
        ]:
            if formula is None:
                values.append(0j)
                continue
            delta, beta = refractive_index(formula, density, round(energy_ev, 3))
            values.append(scale * complex(delta, beta))
        return np.array(values)

    def contrasts(self, energy_ev: float) -> npt.NDArray[np.complex128]:
        """rho_k - rho_{k+1} (electrons / m^3): the step in density at each layer's surface."""
        rho = self.electron_densities(energy_ev)
        return rho[:-1] - rho[1:]


def core_shell(
    core_diameter_m: float = 19e-9,
    outer_diameter_m: float = 54e-9,
    core: tuple[str, float] = ("Au", 19.3),
    shell: tuple[str, float] = ("SiO2", 2.2),
) -> RadialParticle:
    """Seed 002's silica-gold particle: an Au core in a silica shell (diameters in m)."""
    return RadialParticle(
        (Layer(core_diameter_m / 2, *core), Layer(outer_diameter_m / 2, *shell)),
    )


#: An average protein (C, H, N, O, S per residue as in crystallography) at 1.35 g/cm^3.
PROTEIN = ("H50C30N9O10S", 1.35)


def hollow_shell(
    outer_diameter_m: float = 19e-9,
    thickness_m: float = 2.6e-9,
    wall: tuple[str, float] = PROTEIN,
    medium: tuple[str, float] = ("H2O", 1.0),
) -> RadialParticle:
    """Seed 002's NV-LP-like capsid: a protein shell around solvent, in solution."""
    if not 0 < thickness_m < outer_diameter_m / 2:
        raise ValueError(f"thickness_m must be in (0, {outer_diameter_m / 2}) m, got {thickness_m}")
    inner = outer_diameter_m / 2 - thickness_m
    return RadialParticle(
        (Layer(inner, *medium), Layer(outer_diameter_m / 2, *wall)),
        medium_formula=medium[0],
        medium_density_g_cm3=medium[1],
    )


def sphere_function(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Phi(x) = 3 (sin x - x cos x) / x^3, 1 at x = 0 (series below 1e-3)."""
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x) < 1e-3
    safe = np.where(small, 1.0, x)
    exact = 3.0 * (np.sin(safe) - safe * np.cos(safe)) / safe**3
    return np.where(small, 1.0 - x**2 / 10.0, exact)


def form_factor(particle: RadialParticle, q_per_m: npt.ArrayLike, energy_ev: float) -> npt.NDArray:
    """Scattering amplitude F(q) in electrons (complex), at momentum transfers ``q_per_m`` (1/m)."""
    q = np.asarray(q_per_m, dtype=np.float64)
    amplitude = np.zeros(q.shape, dtype=np.complex128)
    for contrast, radius in zip(particle.contrasts(energy_ev), particle.radii_m, strict=True):
        volume = 4.0 / 3.0 * math.pi * radius**3
        amplitude += contrast * volume * sphere_function(q * radius)
    return amplitude


def pixel_q_per_m(
    shape: tuple[int, int],
    pixel_m: float,
    distance_m: float,
    energy_ev: float,
    centre_px: tuple[float, float],
) -> npt.NDArray[np.float64]:
    """|q| = 4 pi sin(theta / 2) / lambda at each pixel of a flat detector normal to the beam."""
    y, x = np.ogrid[: shape[0], : shape[1]]
    r = np.hypot((y - centre_px[0]) * pixel_m, (x - centre_px[1]) * pixel_m)
    theta = np.arctan2(r, distance_m)
    return 4.0 * math.pi * np.sin(theta / 2.0) / float(wavelength_m(energy_ev))


def pixel_solid_angle_sr(
    shape: tuple[int, int], pixel_m: float, distance_m: float, centre_px: tuple[float, float]
) -> npt.NDArray[np.float64]:
    """Omega = p^2 D / (D^2 + r^2)^(3/2): a square pixel seen from the sample (obliquity included)."""
    y, x = np.ogrid[: shape[0], : shape[1]]
    r2 = ((y - centre_px[0]) * pixel_m) ** 2 + ((x - centre_px[1]) * pixel_m) ** 2
    return pixel_m**2 * distance_m / (distance_m**2 + r2) ** 1.5


def particle_counts(
    particle: RadialParticle,
    q_per_m: npt.ArrayLike,
    solid_angle_sr: npt.ArrayLike,
    energy_ev: float,
    fluence_per_m2: float,
) -> npt.NDArray[np.float64]:
    """Expected photons per pixel scattered by one particle (seed 002, Eq. 1).

    ``fluence_per_m2`` is I_0 dt: photons per unit area on the particle during the exposure.
    """
    if not fluence_per_m2 >= 0:
        raise ValueError(f"fluence_per_m2 must be >= 0, got {fluence_per_m2}")
    amplitude = form_factor(particle, q_per_m, energy_ev)
    return fluence_per_m2 * np.asarray(solid_angle_sr) * ELECTRON_RADIUS_M**2 * np.abs(amplitude) ** 2


def projected_density(
    particle: RadialParticle, shape: tuple[int, int], pixel_m: float, energy_ev: float, oversample: int = 5
) -> npt.NDArray[np.float64]:
    """Projected electron density contrast (real part, electrons per pixel) centred at N // 2.

    Each pixel averages ``oversample`` x ``oversample`` sub-pixels, as a detector-limited image
    would integrate over its pixel.
    """
    sub = pixel_m / oversample
    axes = [(np.arange(n * oversample) - (n // 2) * oversample - (oversample - 1) / 2) * sub for n in shape]
    r2 = axes[0][:, None] ** 2 + axes[1][None, :] ** 2
    fine = np.zeros(r2.shape)
    for contrast, radius in zip(particle.contrasts(energy_ev).real, particle.radii_m, strict=True):
        fine += contrast * 2.0 * np.sqrt(np.clip(radius**2 - r2, 0.0, None))
    binned = fine.reshape(shape[0], oversample, shape[1], oversample).mean(axis=(1, 3))
    return binned * pixel_m**2
