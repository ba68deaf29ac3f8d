"""BCMI frames (seed 001): a strained crystal's Bragg beam through a random W modulator to the detector.

The crystal and its exit waves live on the computational grid (pixel lambda d2 / (N p)). The
modulator does not: its binary pattern is drawn ``upsample`` times finer, and every wave is
interpolated onto that grid (by zero-padding its spectrum, exact for a wave band-limited by the
detector) before it crosses the modulator. The detector then records the N x N lowest spatial
frequencies of the finely sampled exit wave. So the reconstructions, which model the modulator on
the coarse grid, meet a modulator with sharp edges and positions that are not on any grid, as a
real one is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft

from phasebeam.analysis.bcmi.geometry import BcmiGeometry
from phasebeam.analysis.bcmi.modulator import Modulator, random_binary_pattern
from phasebeam.analysis.bcmi.propagation import angular_spectrum_transfer, far_field, propagate
from phasebeam.analysis.bcmi.reconstruction import rocking_projections

from .strained_crystals import crystal_shape, strain_phase


@dataclass(frozen=True)
class FineModulator:
    """A modulator's transmission sampled ``upsample`` times finer than ``pixel_m``.

    Attributes:
        transmission: (Y, X) complex transmission on the fine grid.
        upsample: fine pixels per computational pixel.
        pixel_m: the computational pixel (m).
        pattern: True where the metal is (fine grid).
    """

    transmission: npt.NDArray[np.complex128]
    upsample: int
    pixel_m: float
    pattern: npt.NDArray[np.bool_]

    def coarse(self) -> npt.NDArray[np.complex64]:
        """The transmission averaged over each computational pixel (what a reconstruction aims at)."""
        u = self.upsample
        ny, nx = (s // u for s in self.transmission.shape)
        blocks = self.transmission[: ny * u, : nx * u].reshape(ny, u, nx, u)
        return blocks.mean(axis=(1, 3)).astype(np.complex64)

    def band_limited(
        self, corner_px: tuple[float, float], n: int, factor: int = 2
    ) -> npt.NDArray[np.complex64]:
        """The n x n window at ``corner_px`` (computational pixels, to the nearest fine pixel),
        sampled ``factor`` times per computational pixel and band-limited to that grid: what a model
        on it can hold. With factor 2 it is exact for a wave band-limited to the n-pixel detector.
        """
        u = self.upsample
        if factor < 1 or u % factor:
            raise ValueError(f"factor must divide the upsample {u}, got {factor}")
        y, x = (round(c * u) for c in corner_px)
        patch = self.transmission[y : y + n * u, x : x + n * u]
        if patch.shape != (n * u, n * u):
            raise ValueError(f"corner_px {corner_px} puts the {n}-pixel window off the modulator")
        spectrum = np.fft.fftshift(np.asarray(scipy.fft.fft2(patch, norm="ortho", workers=-1)))
        side = n * factor
        low = (n * u - side) // 2
        band = np.fft.ifftshift(spectrum[low : low + side, low : low + side])
        window = np.asarray(scipy.fft.ifft2(band, norm="ortho", workers=-1)) * (factor / u)
        return window.astype(np.complex64)


def make_modulator(
    shape_px: tuple[int, int],
    pixel_m: float,
    energy_ev: float,
    feature_m: float = 200e-9,
    upsample: int = 4,
    material: str = "W",
    thickness_m: float = 1.5e-6,
    seed: int = 0,
) -> FineModulator:
    """A random binary modulator covering ``shape_px`` computational pixels.

    Args:
        shape_px: (Y, X) extent in computational pixels.
        pixel_m: computational pixel (m).
        energy_ev: photon energy (eV), for the transmission.
        feature_m: smallest feature of the pattern (m).
        upsample: fine pixels per computational pixel.
        material: the modulator's element.
        thickness_m: its thickness (m).
        seed: seed of the pattern.
    """
    if upsample < 1:
        raise ValueError(f"upsample must be >= 1, got {upsample}")
    fine_pixel = pixel_m / upsample
    feature_px = max(1, round(feature_m / fine_pixel))
    pattern = random_binary_pattern((shape_px[0] * upsample, shape_px[1] * upsample), feature_px, seed=seed)
    transmission = Modulator(pattern, fine_pixel, material, thickness_m).transmission(energy_ev)
    return FineModulator(transmission, upsample, pixel_m, pattern)


def _upsample(field: npt.NDArray, factor: int) -> npt.NDArray[np.complex128]:
    """Band-limited interpolation of (..., N, N) onto a grid ``factor`` times finer."""
    if factor == 1:
        return np.asarray(field, dtype=np.complex128)
    n = field.shape[-1]
    spectrum = np.fft.fftshift(
        np.asarray(scipy.fft.fft2(field, axes=(-2, -1), norm="ortho", workers=-1)), axes=(-2, -1)
    )
    big = n * factor
    start = (big - n) // 2
    padded = np.zeros((*field.shape[:-2], big, big), dtype=np.complex128)
    padded[..., start : start + n, start : start + n] = spectrum
    fine = scipy.fft.ifft2(np.fft.ifftshift(padded, axes=(-2, -1)), axes=(-2, -1), norm="ortho", workers=-1)
    return np.asarray(fine) * factor


def _detected(fine_field: npt.NDArray, n: int, factor: int) -> npt.NDArray[np.complex64]:
    """The centred N x N lowest frequencies of a finely sampled field, on the coarse grid's scale."""
    spectrum = far_field(fine_field)
    big = fine_field.shape[-1]
    start = big // 2 - n // 2
    return (spectrum[..., start : start + n, start : start + n] / factor).astype(np.complex64)


def _fourier_shift(field: npt.NDArray, shift_yx: npt.ArrayLike) -> npt.NDArray[np.complex128]:
    """field(r - s) for a (..., N, N) field, periodic."""
    shift = np.asarray(shift_yx, dtype=float)
    ky = np.fft.fftfreq(field.shape[-2])[:, None]
    kx = np.fft.fftfreq(field.shape[-1])[None, :]
    ramp = np.exp(-2j * np.pi * (ky * shift[0] + kx * shift[1]))
    spectrum = np.asarray(scipy.fft.fft2(field, axes=(-2, -1), workers=-1))
    return np.asarray(scipy.fft.ifft2(spectrum * ramp, axes=(-2, -1), workers=-1))


def through_modulator(
    wave: npt.NDArray, modulator: FineModulator, corner_px: tuple[float, float]
) -> npt.NDArray[np.complex64]:
    """Detector amplitude of ``wave`` (N x N at the modulator plane) crossing the modulator there.

    The wave's top-left pixel meets the modulator's point ``corner_px`` (computational pixels, any
    real value): wave(r) T(r + corner).
    """
    u = modulator.upsample
    n = wave.shape[-1]
    fine_corner = np.asarray(corner_px, dtype=float) * u
    whole = np.floor(fine_corner).astype(int)
    fraction = fine_corner - whole
    low_y, low_x = whole
    if (
        low_y < 0
        or low_x < 0
        or low_y + n * u > modulator.transmission.shape[0]
        or (low_x + n * u > modulator.transmission.shape[1])
    ):
        raise ValueError(f"corner_px {tuple(corner_px)} puts the window off the modulator")
    # w(r) T(r + whole + f) is, shifted by f, w(r - f) T(r + whole): same intensity.
    fine_wave = _fourier_shift(_upsample(wave, u), fraction)
    patch = modulator.transmission[low_y : low_y + n * u, low_x : low_x + n * u]
    return _detected(fine_wave * patch, n, u)


def bragg_beam_at_modulator(crystal: npt.NDArray, geometry: BcmiGeometry) -> npt.NDArray[np.complex64]:
    """The crystal's beam at the Bragg peak (angle J // 2, the most intense), at the modulator plane.

    It is the probe of the ptychographic calibration: the exit wave of ``crystal`` (J, N, N)
    propagated d1.
    """
    n = crystal.shape[-1]
    transfer = angular_spectrum_transfer((n, n), geometry.pixel_m, geometry.wavelength_m, geometry.d1_m)
    return propagate(rocking_projections(crystal.astype(np.complex64))[crystal.shape[0] // 2], transfer)


def _counts(amplitude: npt.NDArray, photons: float, power: float, rng: np.random.Generator) -> npt.NDArray:
    expected = np.abs(amplitude) ** 2 * (photons / power)
    return rng.poisson(expected).astype(np.float32)


def ptycho_frames(
    probe: npt.NDArray,
    modulator: FineModulator,
    corners_px: npt.ArrayLike,
    photons_per_frame: float,
    seed: int = 0,
) -> npt.NDArray[np.float32]:
    """Frames (K, N, N) of a ptychographic scan of the modulator in the beam ``probe``.

    Args:
        probe: the beam at the modulator plane (N, N), computational grid.
        modulator: the fine modulator.
        corners_px: (K, 2) true (y, x) positions of the probe's top-left corner on the modulator,
            in computational pixels.
        photons_per_frame: photons in the beam before the modulator, per frame.
        seed: seed of the Poisson noise.
    """
    rng = np.random.default_rng(seed)
    power = float(np.sum(np.abs(probe) ** 2))
    corners = np.asarray(corners_px, dtype=float)
    return np.stack(
        [
            _counts(through_modulator(probe, modulator, tuple(c)), photons_per_frame, power, rng)
            for c in corners
        ]
    )


@dataclass(frozen=True)
class BcmiCrystal:
    """A strained crystal on the BCMI grid (J rocking angles, N x N window).

    Attributes:
        obj: complex object (J, N, N): modulus 1 inside, phase the strain field.
        support: the crystal's shape, (J, N, N).
        offset_px: (y, x) of the crystal's centre from the window's centre (pixels).
    """

    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    offset_px: tuple[int, int]


def bcmi_crystal(
    n_window: int,
    size_px: float = 10.0,
    rocking_steps: int = 24,
    phase_range: float = 1.0,
    shape: str = "wulff",
    strain: str = "two_gaussians",
    offset_px: tuple[int, int] = (0, 0),
    seed: int = 0,
) -> BcmiCrystal:
    """A crystal from the CDI engine's simulator, put in the BCMI window.

    ``rocking_steps`` is the number of rocking angles J: the z' axis has J voxels, and the crystal
    must be at most J / 2 thick for the rocking curve to be sampled twice over.
    """
    if size_px > rocking_steps / 2:
        raise ValueError(f"size_px={size_px} must be <= rocking_steps / 2 = {rocking_steps / 2}")
    rng = np.random.default_rng(seed)
    cube = crystal_shape(shape, rocking_steps, size_px, rng)
    phase = strain_phase(strain, cube, phase_range, rng)
    obj = np.zeros((rocking_steps, n_window, n_window), dtype=np.complex64)
    support = np.zeros(obj.shape, dtype=bool)
    half = rocking_steps // 2
    cy, cx = n_window // 2 + offset_px[0], n_window // 2 + offset_px[1]
    if not (half <= cy <= n_window - half and half <= cx <= n_window - half):
        raise ValueError(f"offset_px {offset_px} puts the crystal outside the {n_window}-pixel window")
    window = (
        slice(None),
        slice(cy - half, cy - half + rocking_steps),
        slice(cx - half, cx - half + rocking_steps),
    )
    obj[window] = cube * np.exp(1j * phase)
    support[window] = cube
    return BcmiCrystal(obj, support, offset_px)


@dataclass(frozen=True)
class BcmiFrames:
    """Simulated rocking scans of one crystal, with and without the modulator.

    Attributes:
        bcmi: frames (J, N, N) with the modulator in.
        bcdi: frames (J, N, N) of the same crystal and exposure with the modulator out.
        drift_px: the sample's drift (J, 2) as (y, x) pixels, imposed on the BCMI scan.
    """

    bcmi: npt.NDArray[np.float32]
    bcdi: npt.NDArray[np.float32]
    drift_px: npt.NDArray[np.float64]


def bcmi_frames(
    crystal: npt.NDArray,
    geometry: BcmiGeometry,
    modulator: FineModulator,
    modulator_corner_px: tuple[float, float],
    drift_px: npt.ArrayLike | None = None,
    max_count: float = 1e5,
    seed: int = 0,
) -> BcmiFrames:
    """Rocking-scan frames of ``crystal`` (J, N, N): psi_j = F M P_d1 {T_j R Q_j rho}.

    The BCDI frames (modulator out) are scaled so that their brightest pixel holds ``max_count``;
    the BCMI frames get the same photons per angle (less what the modulator absorbs).

    Args:
        crystal: the complex object (J, N, N) on the computational grid.
        geometry: the BCMI geometry (d1, pixel).
        modulator: the fine modulator.
        modulator_corner_px: the modulator point under the window's top-left pixel (pixels).
        drift_px: the sample's drift per angle (J, 2), (y, x) pixels; default none.
        max_count: counts in the brightest BCDI pixel before noise.
        seed: seed of the Poisson noise.
    """
    rng = np.random.default_rng(seed)
    n = crystal.shape[-1]
    if crystal.ndim != 3 or crystal.shape[1] != n or n != geometry.frame_px:
        raise ValueError(
            f"crystal must be (J, {geometry.frame_px}, {geometry.frame_px}), got {crystal.shape}"
        )
    projections = rocking_projections(crystal.astype(np.complex64))
    drift = np.zeros((crystal.shape[0], 2)) if drift_px is None else np.asarray(drift_px, dtype=float)
    if drift.shape != (crystal.shape[0], 2):
        raise ValueError(f"drift_px must be ({crystal.shape[0]}, 2), got {drift.shape}")
    waves = np.stack([_fourier_shift(p, d) for p, d in zip(projections, drift, strict=True)])
    bcdi_amplitude = far_field(waves)
    scale = max_count / float(np.max(np.abs(bcdi_amplitude) ** 2))
    transfer = angular_spectrum_transfer((n, n), geometry.pixel_m, geometry.wavelength_m, geometry.d1_m)
    at_modulator = propagate(waves, transfer)
    bcmi_amplitude = np.stack([through_modulator(w, modulator, modulator_corner_px) for w in at_modulator])
    bcmi = rng.poisson(np.abs(bcmi_amplitude) ** 2 * scale).astype(np.float32)
    bcdi = rng.poisson(np.abs(bcdi_amplitude) ** 2 * scale).astype(np.float32)
    return BcmiFrames(bcmi, bcdi, drift)
