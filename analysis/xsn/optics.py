"""The XSN microscope as the reconstruction sees it: pupil, knife edge and illumination modes.

Frequencies are in cycles per metre at the sample (u = 1 / period). The detection pupil passes
|u| <= NA / lambda; the knife edge in the pupil plane passes u_x >= ``cutoff_frequency_per_m``. The
partially coherent illumination is a set of plane waves exp(2 pi i f x) along x with weights I_k
(seed 004: coherence only across the knife edge, about 100 modes for a 20 um field).

A projection at theta + 180 deg is the projection at theta mirrored in x. Once the recorded image is
mirrored back, it is the theta = 0 object seen through the mirrored microscope: pupil P(-u) and
illumination I_{-k}. Both orientations are therefore modelled in the theta = 0 frame.

On a grid of N_x pixels of size p, each mode is placed on the nearest grid frequency m / (N_x p),
so that the model is periodic; modes falling on the same frequency add their weights. The weights are
normalised so that an empty field images to 1: sum over modes of I_k P(k) = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

ORIENTATIONS = (0, 180)


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return value


@dataclass(frozen=True)
class XsnOptics:
    """Imaging parameters of one XSN measurement.

    Attributes:
        pixel_size_m: image pixel at the sample plane (m).
        wavelength_m: X-ray wavelength (m).
        pupil_na: detection numerical aperture (zone plate: lambda / (2 dr_n)).
        cutoff_frequency_per_m: the knife edge passes u_x >= this (1/m); inside the pupil.
        illumination_frequency_per_m: (N,) spatial frequency f of each illumination plane wave (1/m).
        illumination_weight: (N,) relative power I_k of each mode (>= 0, not all zero).
    """

    pixel_size_m: float
    wavelength_m: float
    pupil_na: float
    cutoff_frequency_per_m: float
    illumination_frequency_per_m: npt.NDArray[np.float64]
    illumination_weight: npt.NDArray[np.float64]

    def __post_init__(self) -> None:
        _positive("pixel_size_m", self.pixel_size_m)
        _positive("wavelength_m", self.wavelength_m)
        na = _positive("pupil_na", self.pupil_na)
        if na >= 1:
            raise ValueError(f"pupil_na must be < 1, got {na}")
        radius = self.pupil_radius_per_m
        cutoff = float(self.cutoff_frequency_per_m)
        if not (math.isfinite(cutoff) and -radius < cutoff < radius):
            raise ValueError(
                f"cutoff_frequency_per_m={cutoff:.6g} 1/m is outside the pupil: it must lie in "
                f"(-{radius:.6g}, {radius:.6g}) 1/m (NA / lambda)"
            )
        frequency = np.atleast_1d(np.asarray(self.illumination_frequency_per_m, dtype=np.float64))
        weight = np.atleast_1d(np.asarray(self.illumination_weight, dtype=np.float64))
        if frequency.ndim != 1 or frequency.shape != weight.shape or frequency.size == 0:
            raise ValueError(
                "illumination_frequency_per_m and illumination_weight must be 1-D of the same "
                f"non-zero length, got shapes {frequency.shape} and {weight.shape}"
            )
        if not (np.all(np.isfinite(frequency)) and np.all(np.isfinite(weight))):
            raise ValueError("illumination_frequency_per_m and illumination_weight must be finite")
        if np.any(weight < 0):
            raise ValueError(
                f"illumination_weight must be >= 0; {int(np.sum(weight < 0))} of {weight.size} are "
                f"negative (smallest {weight.min():.3g})"
            )
        if not np.any(weight > 0):
            raise ValueError("illumination_weight is all zero: the sample would be dark")
        object.__setattr__(self, "cutoff_frequency_per_m", cutoff)
        object.__setattr__(self, "illumination_frequency_per_m", frequency)
        object.__setattr__(self, "illumination_weight", weight)

    @property
    def pupil_radius_per_m(self) -> float:
        """NA / lambda: the largest spatial frequency the detection pupil passes (1/m)."""
        return self.pupil_na / self.wavelength_m

    def passed_weight(self) -> float:
        """Fraction of the illumination power whose mode the knife edge and pupil pass."""
        passes = self._passes(
            self.illumination_frequency_per_m, np.zeros_like(self.illumination_frequency_per_m)
        )
        return float(np.sum(self.illumination_weight * passes) / np.sum(self.illumination_weight))

    def _passes(self, u_x: npt.NDArray, u_y: npt.NDArray, mirrored: bool = False) -> npt.NDArray[np.bool_]:
        x = -u_x if mirrored else u_x
        return (x * x + u_y * u_y <= self.pupil_radius_per_m**2) & (x >= self.cutoff_frequency_per_m)


@dataclass(frozen=True)
class GridModel:
    """The optics sampled on an image grid, for one orientation (0 or 180 deg, theta = 0 frame).

    Attributes:
        shape: (rows, columns).
        pupil: P(u) on the FFT grid (unshifted order), 0 or 1.
        mode_index: (M,) grid column m of each illumination mode, f = m / (N_x p).
        mode_weight: (M,) its weight, normalised so that sum(mode_weight * P(k)) = 1.
        mode_passes: (M,) P(k) for each mode: whether its undiffracted light reaches the image.
    """

    shape: tuple[int, int]
    pupil: npt.NDArray[np.float64]
    mode_index: npt.NDArray[np.int64]
    mode_weight: npt.NDArray[np.float64]
    mode_passes: npt.NDArray[np.bool_]


def frequency_grid(shape: tuple[int, int], pixel_size_m: float) -> tuple[npt.NDArray, npt.NDArray]:
    """(u_y, u_x) of the FFT grid as broadcastable (rows, 1) and (1, columns) arrays (1/m)."""
    u_y = np.fft.fftfreq(shape[0], pixel_size_m)[:, None]
    u_x = np.fft.fftfreq(shape[1], pixel_size_m)[None, :]
    return u_y, u_x


def grid_model(optics: XsnOptics, shape: tuple[int, int], orientation: int = 0) -> GridModel:
    """Pupil and binned illumination modes on a (rows, columns) grid for ``orientation`` 0 or 180."""
    if orientation not in ORIENTATIONS:
        raise ValueError(f"orientation must be 0 or 180 (deg), got {orientation}")
    rows, columns = shape
    if rows < 4 or columns < 4:
        raise ValueError(f"images must be at least 4 x 4 pixels, got {shape}")
    mirrored = orientation == 180
    u_y, u_x = frequency_grid(shape, optics.pixel_size_m)
    pupil = optics._passes(u_x, u_y, mirrored).astype(np.float64)
    nyquist = 0.5 / optics.pixel_size_m
    frequency = optics.illumination_frequency_per_m
    if np.any(np.abs(frequency) >= nyquist):
        raise ValueError(
            f"illumination frequencies reach {np.abs(frequency).max():.6g} 1/m, beyond the image's "
            f"Nyquist frequency {nyquist:.6g} 1/m (pixel_size_m={optics.pixel_size_m})"
        )
    if mirrored:
        frequency = -frequency
    index = np.rint(frequency * columns * optics.pixel_size_m).astype(np.int64)
    unique, inverse = np.unique(index, return_inverse=True)
    weight = np.bincount(inverse, weights=optics.illumination_weight)
    passes = optics._passes(unique / (columns * optics.pixel_size_m), np.zeros(unique.shape), mirrored)
    passed = float(np.sum(weight * passes))
    if passed <= 0:
        raise ValueError(
            "no illumination mode passes the knife edge: the background would be dark "
            f"(cutoff_frequency_per_m={optics.cutoff_frequency_per_m:.6g} 1/m)"
        )
    return GridModel(shape, pupil, unique, weight / passed, passes)


def shifted_pupils(model: GridModel) -> npt.NDArray[np.float64]:
    """(M, rows, columns) P(u + k_m) for every mode: the pupil seen by mode m's diffracted light."""
    return np.stack([np.roll(model.pupil, -int(m), axis=1) for m in model.mode_index])


def transfer_functions(model: GridModel) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.complex128]]:
    """Linear absorption and phase transfer functions (H_alpha, H_phi) on the FFT grid.

    Linearising Eq. 1 about an empty field (seed 004, Eqs. 8-10) gives, for real alpha and phi,
    FT{I - I_tot} = H_alpha A + H_phi Phi with

        H_alpha(u) = sum_k I_k P(k) [P(k + u) + P(k - u)]
        H_phi(u)   = i sum_k I_k P(k) [P(k + u) - P(k - u)],

    the Fourier transforms of PSF_alpha and PSF_phi. With unit background, H_alpha(0) = 2.
    """
    plus = np.zeros(model.shape)
    minus = np.zeros(model.shape)
    # P(-u) on the FFT grid; P(k - u) is it shifted by k.
    reflected = np.roll(np.roll(model.pupil[:, ::-1], 1, axis=1)[::-1, :], 1, axis=0)
    for m, weight, passes in zip(model.mode_index, model.mode_weight, model.mode_passes, strict=True):
        if not passes or weight == 0:
            continue
        plus += weight * np.roll(model.pupil, -int(m), axis=1)
        minus += weight * np.roll(reflected, int(m), axis=1)
    return plus + minus, (1j * (plus - minus)).astype(np.complex128)


def point_spread_functions(model: GridModel) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(PSF_alpha, PSF_phi) in real space (Eq. 3), centred at pixel (0, 0) of the FFT grid."""
    h_alpha, h_phi = transfer_functions(model)
    return np.fft.ifft2(h_alpha).real, np.fft.ifft2(h_phi).real
