"""Bragg rocking-curve frames: detector slices of |FT|^2 of a 3-D complex crystal.

Rocking the diffractometer by d_eta from the Bragg angle moves the reciprocal-lattice point through
the Ewald sphere by q_z = |G| * d_eta (radians). Near the peak the detector then records the plane
q_z = const of the crystal's 3-D Fourier transform, with in-plane sampling
dq = 2 pi * pixel / (lambda * distance):

    I(q_y, q_x; q_z) = | sum_r rho(r) exp(-i (q_z z + q_y y + q_x x)) |^2.

This is the small-angle (flat Ewald sphere) approximation with the rocking direction along the
grid's Z axis; the shear between the detector frame and the crystal frame of a real Bragg
geometry is left to the BCDI/BCMI geometry code. The transform is evaluated exactly at the
detector's q points as separable matrix products, so the crystal's voxel size need not be
conjugate to the detector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from phasebeam.analysis.optics import scattering_vector_magnitude_per_m


@dataclass(frozen=True)
class BraggCrystal:
    """A crystal's complex density rho (Z, Y, X) and the reflection it diffracts into.

    Attributes:
        density: complex shape function times exp(i * phase); the phase is G . u(r).
        voxel_m: voxel edge length (m), the same on the three axes.
        d_spacing_m: lattice-plane spacing of the reflection (m), e.g. Pt(111) = 2.2655e-10.
    """

    density: npt.NDArray[np.complex128]
    voxel_m: float
    d_spacing_m: float

    def __post_init__(self) -> None:
        if self.density.ndim != 3:
            raise ValueError(f"density must be 3-D (Z, Y, X), got shape {self.density.shape}")
        if not self.voxel_m > 0 or not self.d_spacing_m > 0:
            raise ValueError("voxel_m and d_spacing_m must be > 0 m")

    @property
    def volume_voxels(self) -> float:
        return float(np.sum(np.abs(self.density) ** 2))

    def bragg_angle_rad(self, wavelength_m: float) -> float:
        s = wavelength_m / (2.0 * self.d_spacing_m)
        if s >= 1:
            raise ValueError(f"wavelength {wavelength_m:.4g} m is too long for d = {self.d_spacing_m:.4g} m")
        return math.asin(s)


def _centred_coordinates(n: int, step: float) -> npt.NDArray[np.float64]:
    return (np.arange(n, dtype=np.float64) - n // 2) * step


def detector_q_axes(
    shape: tuple[int, int], pixel_m: float, distance_m: float, wavelength_m: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """q_y, q_x (1/m) of the detector rows and columns, zero at pixel (H // 2, W // 2)."""
    dq = 2.0 * math.pi * pixel_m / (wavelength_m * distance_m)
    return _centred_coordinates(shape[0], dq), _centred_coordinates(shape[1], dq)


def rocking_amplitude(
    crystal: BraggCrystal,
    q_z: float,
    q_y: npt.NDArray[np.float64],
    q_x: npt.NDArray[np.float64],
) -> npt.NDArray[np.complex128]:
    """F(q_y, q_x; q_z), the un-normalised sum over voxels (dimensionless)."""
    nz, ny, nx = crystal.density.shape
    z = _centred_coordinates(nz, crystal.voxel_m)
    y = _centred_coordinates(ny, crystal.voxel_m)
    x = _centred_coordinates(nx, crystal.voxel_m)
    collapsed = np.tensordot(np.exp(-1j * q_z * z), crystal.density, axes=(0, 0))
    e_y = np.exp(-1j * np.outer(q_y, y))
    e_x = np.exp(-1j * np.outer(x, q_x))
    return np.asarray(e_y @ collapsed @ e_x, dtype=np.complex128)


def rocking_slice(
    crystal: BraggCrystal,
    q_z: float,
    q_y: npt.NDArray[np.float64],
    q_x: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """|F(q_y, q_x; q_z)|^2 with F the un-normalised sum over voxels (dimensionless)."""
    amplitude = rocking_amplitude(crystal, q_z, q_y, q_x)
    return amplitude.real**2 + amplitude.imag**2


def rocking_q_z(eta_deg: float, crystal: BraggCrystal, wavelength_m: float) -> float:
    """q_z = |G| * (eta - theta_B) for a diffractometer angle eta (deg)."""
    d_eta = math.radians(eta_deg) - crystal.bragg_angle_rad(wavelength_m)
    return scattering_vector_magnitude_per_m(crystal.d_spacing_m) * d_eta
