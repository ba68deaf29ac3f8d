"""Small-angle far-field (Fraunhofer) patterns of a thin sample under a focused beam.

The beam, a Gaussian probe P of a given FWHM, hits the sample where the sample stage puts it: a
stage at (x, y) shifts the sample by (x, y), so the beam sees sample coordinates (-x, -y). The
exit wave P * T, with T = exp(-k t (beta + i delta)) of the projected thickness t, propagates to
the far field; on a detector of N x N pixels of size p at distance D the sample plane is sampled
at dx = lambda D / (N p), and with an orthonormal FFT

    sum over pixels of the pattern = flux * sum |P T|^2    (Parseval: the transmitted power).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft


@dataclass(frozen=True)
class SphereParticles:
    """Identical homogeneous spheres lying on a membrane (positions in the sample frame, m)."""

    centres_m: npt.NDArray[np.float64]  # (n, 2) as (y, x)
    radius_m: float
    formula: str = "Au"
    density_g_cm3: float = 19.3

    def __post_init__(self) -> None:
        if self.centres_m.ndim != 2 or self.centres_m.shape[1] != 2:
            raise ValueError(f"centres_m must have shape (n, 2), got {self.centres_m.shape}")
        if not self.radius_m > 0:
            raise ValueError(f"radius_m must be > 0 m, got {self.radius_m}")


def transmission_window(
    particles: SphereParticles,
    delta: float,
    beta: float,
    centre_yx_m: tuple[float, float],
    shape: tuple[int, int],
    pixel_m: float,
    wavelength_m: float,
) -> npt.NDArray[np.complex128]:
    """Complex transmission T on a window of ``shape`` pixels centred at ``centre_yx_m``.

    ``delta`` and ``beta`` are the refractive-index decrements of the particles' material at the
    wavelength (n = 1 - delta + i beta).
    """
    ny, nx = shape
    y = centre_yx_m[0] + (np.arange(ny) - ny // 2) * pixel_m
    x = centre_yx_m[1] + (np.arange(nx) - nx // 2) * pixel_m
    thickness = np.zeros(shape)
    reach = particles.radius_m + pixel_m
    near = (
        (particles.centres_m[:, 0] > y[0] - reach)
        & (particles.centres_m[:, 0] < y[-1] + reach)
        & (particles.centres_m[:, 1] > x[0] - reach)
        & (particles.centres_m[:, 1] < x[-1] + reach)
    )
    for cy, cx in particles.centres_m[near]:
        r2 = (y[:, None] - cy) ** 2 + (x[None, :] - cx) ** 2
        thickness += 2.0 * np.sqrt(np.clip(particles.radius_m**2 - r2, 0.0, None))
    k = 2.0 * math.pi / wavelength_m
    return np.exp(-k * thickness * (beta + 1j * delta))


def gaussian_probe(shape: tuple[int, int], pixel_m: float, fwhm_m: float) -> npt.NDArray[np.complex128]:
    """A flat-phase Gaussian beam with intensity FWHM ``fwhm_m``, normalised to sum |P|^2 = 1."""
    if not fwhm_m > 0:
        raise ValueError(f"fwhm_m must be > 0 m, got {fwhm_m}")
    ny, nx = shape
    y = (np.arange(ny) - ny // 2) * pixel_m
    x = (np.arange(nx) - nx // 2) * pixel_m
    sigma_intensity = fwhm_m / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    intensity = np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2.0 * sigma_intensity**2))
    probe = np.sqrt(intensity).astype(np.complex128)
    return probe / math.sqrt(float(np.sum(intensity)))


def far_field_intensity(exit_wave: npt.NDArray[np.complex128]) -> npt.NDArray[np.float64]:
    """|FFT(exit wave)|^2 with the zero frequency at pixel (H // 2, W // 2), power conserving."""
    field = scipy.fft.fftshift(scipy.fft.fft2(scipy.fft.ifftshift(exit_wave), norm="ortho", workers=-1))
    return field.real**2 + field.imag**2


def beamstop_mask(shape: tuple[int, int], radius_px: float) -> npt.NDArray[np.bool_]:
    """True where a round beamstop of ``radius_px`` pixels at the pattern centre blocks the beam."""
    ny, nx = shape
    yy, xx = np.ogrid[:ny, :nx]
    return (yy - ny // 2) ** 2 + (xx - nx // 2) ** 2 <= radius_px**2
