"""Propagation between the BCMI planes: angular spectrum (near field) and Fourier transform (far field).

The near field object -> modulator uses the band-limited angular spectrum (Matsushima & Shimobaba,
Opt. Express 17, 19662 (2009)): the transfer function exp(2 pi i z sqrt(1/lambda^2 - f^2)) is kept
only where its chirp is sampled finely enough on the N x N grid, so that long distances do not
alias. The constant phase exp(2 pi i z / lambda) is left out (it is not measurable).

The far field modulator -> detector is the orthonormal 2-D FFT (power conserved); the quadratic
phase of Fraunhofer propagation does not change the intensity. Detector frames are centred (zero
frequency at N // 2); arrays in the loops stay in FFT order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.fft


def angular_spectrum_transfer(
    shape: tuple[int, int], pixel_m: float, wavelength_m: float, distance_m: float
) -> npt.NDArray[np.complex64]:
    """H(f) in FFT order for ``distance_m`` (negative: back-propagation), band-limited."""
    if not pixel_m > 0 or not wavelength_m > 0:
        raise ValueError(f"pixel_m={pixel_m} and wavelength_m={wavelength_m} must be > 0 m")
    fy = np.fft.fftfreq(shape[0], d=pixel_m)[:, None]
    fx = np.fft.fftfreq(shape[1], d=pixel_m)[None, :]
    f2 = fx * fx + fy * fy
    inv_l2 = 1.0 / (wavelength_m * wavelength_m)
    propagating = f2 < inv_l2
    # sqrt(1/l^2 - f^2) - 1/l, written to keep its precision when f << 1/l.
    kz = -f2 / (np.sqrt(np.where(propagating, inv_l2 - f2, 0.0)) + 1.0 / wavelength_m)
    transfer = np.exp(2j * np.pi * distance_m * kz) * propagating
    # The band limit of Matsushima & Shimobaba, per axis.
    for axis_f, n in ((fx, shape[1]), (fy, shape[0])):
        df = 1.0 / (n * pixel_m)
        limit = 1.0 / (wavelength_m * np.sqrt((2.0 * df * abs(distance_m)) ** 2 + 1.0))
        transfer = transfer * (np.abs(axis_f) <= limit)
    return transfer.astype(np.complex64)


def propagate(field: npt.NDArray, transfer: npt.NDArray) -> npt.NDArray[np.complex64]:
    """Near-field propagation of ``field`` (..., Y, X) with a transfer function in FFT order."""
    spectrum = scipy.fft.fft2(field, axes=(-2, -1), workers=-1) * transfer
    return np.asarray(scipy.fft.ifft2(spectrum, axes=(-2, -1), workers=-1), dtype=np.complex64)


def far_field(field: npt.NDArray) -> npt.NDArray[np.complex64]:
    """Detector amplitude of ``field`` (..., Y, X), centred, orthonormal (sum |.|^2 conserved)."""
    spectrum = np.asarray(scipy.fft.fft2(field, axes=(-2, -1), norm="ortho", workers=-1))
    return np.asarray(np.fft.fftshift(spectrum, axes=(-2, -1)), dtype=np.complex64)
