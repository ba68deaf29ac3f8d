"""Scintillator blur and its Wiener deconvolution (seed 004, Methods).

The visible light emitted at depth z inside a scintillator of thickness t and index n is imaged by an
objective of numerical aperture NA; the pupil at depth z is

    P_sc(k, z) = circ(|k| <= NA / lambda_vis) exp(2 pi i z sqrt((n / lambda_vis)^2 - |k|^2)),

(the seed writes the square root with a plus sign; a propagating wave needs the minus), the OTF at
that depth is the autocorrelation of P_sc, and the detector's OTF is its average over
z in [-t/2, t/2]. Raw images are deconvolved with a Wiener filter before field reconstruction.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def _frequencies(shape: tuple[int, int], pixel_size_m: float) -> npt.NDArray[np.float64]:
    u_y = np.fft.fftfreq(shape[0], pixel_size_m)[:, None]
    u_x = np.fft.fftfreq(shape[1], pixel_size_m)[None, :]
    return u_y**2 + u_x**2


def scintillator_otf(
    shape: tuple[int, int],
    pixel_size_m: float,
    thickness_m: float = 20e-6,
    refractive_index: float = 1.9,
    numerical_aperture: float = 0.4,
    emission_wavelength_m: float = 530e-9,
    depth_samples: int = 41,
) -> npt.NDArray[np.float64]:
    """Depth-averaged OTF (FFT grid order, OTF(0) = 1) of a scintillator seen by an objective.

    Defaults: seed 004's 20 um Ce:GAGG (n about 1.9, emission about 530 nm) and a 0.4 NA objective.
    ``pixel_size_m`` is the camera pixel in the scintillator plane.
    """
    for name, value in (
        ("pixel_size_m", pixel_size_m),
        ("thickness_m", thickness_m),
        ("emission_wavelength_m", emission_wavelength_m),
    ):
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
    if not 0 < numerical_aperture < refractive_index:
        raise ValueError(f"numerical_aperture must be in (0, n={refractive_index}), got {numerical_aperture}")
    # Sample the pupil on a grid twice as large as the image so that its autocorrelation does not wrap.
    big = (2 * shape[0], 2 * shape[1])
    k2 = _frequencies(big, pixel_size_m)
    inside = k2 <= (numerical_aperture / emission_wavelength_m) ** 2
    kz = np.sqrt(np.clip((refractive_index / emission_wavelength_m) ** 2 - k2, 0.0, None))
    otf = np.zeros(big)
    for z in np.linspace(-thickness_m / 2, thickness_m / 2, depth_samples):
        pupil = inside * np.exp(2j * math.pi * z * kz)
        psf = np.abs(np.fft.ifft2(pupil)) ** 2
        otf += np.fft.fft2(psf).real
    otf /= otf[0, 0]
    # Resample to the image grid: frequencies of the big grid at even indices are the image's.
    return otf[::2, ::2]


def gaussian_otf(shape: tuple[int, int], pixel_size_m: float, fwhm_m: float) -> npt.NDArray[np.float64]:
    """OTF of a Gaussian PSF of full width at half maximum ``fwhm_m`` (FFT grid order)."""
    if not fwhm_m > 0:
        raise ValueError(f"fwhm_m must be > 0, got {fwhm_m}")
    sigma = fwhm_m / FWHM_PER_SIGMA
    return np.exp(-2.0 * math.pi**2 * sigma**2 * _frequencies(shape, pixel_size_m))


def psf_fwhm_m(otf: npt.NDArray[np.float64], pixel_size_m: float, upsample: int = 8) -> float:
    """Full width at half maximum (m) of the PSF of an OTF, along x through its peak."""
    rows, columns = otf.shape
    padded = np.zeros((rows, columns * upsample), dtype=complex)
    half = columns // 2
    padded[:, :half] = otf[:, :half]
    padded[:, -half:] = otf[:, -half:]
    profile = np.fft.fftshift(np.fft.ifft2(padded).real[0])
    profile /= profile.max()
    above = np.nonzero(profile >= 0.5)[0]
    lo, hi = above[0], above[-1]
    # Linear interpolation of both half-maximum crossings.
    left = lo - (profile[lo] - 0.5) / (profile[lo] - profile[lo - 1])
    right = hi + (profile[hi] - 0.5) / (profile[hi] - profile[hi + 1])
    return float((right - left) * pixel_size_m / upsample)


def wiener_deconvolve(
    image: npt.ArrayLike, otf: npt.NDArray[np.float64], noise_to_signal: float = 1e-2
) -> npt.NDArray[np.float64]:
    """F^-1{ F{image} OTF* / (|OTF|^2 + noise_to_signal) }: the mean is kept (OTF(0) = 1)."""
    data = np.asarray(image, dtype=np.float64)
    if data.shape != otf.shape:
        raise ValueError(f"image {data.shape} and otf {otf.shape} must have the same shape")
    if not noise_to_signal > 0:
        raise ValueError(f"noise_to_signal must be > 0, got {noise_to_signal}")
    spectrum = np.fft.fft2(data)
    gain = np.conj(otf) / (np.abs(otf) ** 2 + noise_to_signal)
    gain[0, 0] = 1.0 / otf[0, 0]
    return np.fft.ifft2(spectrum * gain).real
