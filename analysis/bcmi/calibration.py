"""What a ptychographic calibration tells: the modulator's phase shift and the distance d1.

The phase shift is read off the reconstructed transmission where the beam lit it well: the
transmission has two levels (metal and open), so after removing the linear phase ramp that the
probe and the object can trade between them, the phases form two clusters; the step between their
centres is 2 pi delta t / lambda. d1 is the distance over which the reconstructed probe,
back-propagated, is most compact: the beam leaves a crystal, and is zero around it there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.optimize import minimize_scalar

from ..backend import Backend
from ..cdi.engine import ProgressCallback
from .fine_grid import check_upsample
from .propagation import angular_spectrum_transfer, propagate
from .ptychography import PtychoResult, PtychoSettings, reconstruct_ptycho


@dataclass(frozen=True)
class ModulatorLevels:
    """The two levels of a reconstructed binary modulator.

    Attributes:
        phase_shift_rad: phase of the open level minus that of the metal (rad), in (0, 2 pi).
        amplitude_ratio: |T_metal| / |T_open|.
        metal_fraction: share of the well-lit pixels assigned to the metal.
        pixels: how many well-lit pixels were used.
        open_level: the open level itself, a complex value of the transmission once its phase ramp
            is removed (:func:`remove_phase_ramp`): what divides it to make the open parts 1.
    """

    phase_shift_rad: float
    amplitude_ratio: float
    metal_fraction: float
    pixels: int
    open_level: complex


def well_lit(illumination: npt.NDArray, fraction: float = 0.3) -> npt.NDArray[np.bool_]:
    """Pixels whose summed probe intensity exceeds ``fraction`` of its maximum."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    return illumination >= fraction * float(illumination.max())


def remove_phase_ramp(transmission: npt.NDArray, region: npt.NDArray[np.bool_]) -> npt.NDArray:
    """``transmission`` times exp(-i g.r), g its mean phase gradient over ``region``.

    Neighbouring pixels of a binary pattern mostly share a level, so the phase of
    sum O(r + e) O*(r) over neighbour pairs in the region is the ramp's step along e. The pairs
    that straddle an edge bias that sum a little (they need not come in balanced pairs); a second
    pass keeps only the pairs within 0.5 rad of the first estimate, which are the same-level ones.
    """
    products = (
        (transmission[1:, :] * np.conj(transmission[:-1, :]))[region[1:, :] & region[:-1, :]],
        (transmission[:, 1:] * np.conj(transmission[:, :-1]))[region[:, 1:] & region[:, :-1]],
    )
    steps = []
    for p in products:
        first = float(np.angle(np.sum(p)))
        same_level = np.abs(np.angle(p * np.exp(-1j * first))) < 0.5
        steps.append(float(np.angle(np.sum(p[same_level]))) if same_level.any() else first)
    y, x = np.indices(transmission.shape)
    return transmission * np.exp(-1j * (steps[0] * y + steps[1] * x))


def modulator_levels(
    transmission: npt.NDArray, illumination: npt.NDArray, lit_fraction: float = 0.3
) -> ModulatorLevels:
    """Two-level fit of a reconstructed transmission where ``illumination`` is high.

    Pixels are split in two by the phase (2-means on the unit circle); each level is the mode of
    its pixels in the complex plane (mean shift), which the pixels straddling an edge, whose
    values lie between the levels, do not pull.
    """
    if transmission.shape != illumination.shape:
        raise ValueError(
            f"transmission {transmission.shape} and illumination {illumination.shape} differ in shape"
        )
    region = well_lit(illumination, lit_fraction)
    if region.sum() < 16:
        raise ValueError("fewer than 16 well-lit pixels: the scan did not cover the modulator")
    values = remove_phase_ramp(transmission, region)[region]
    phases = np.angle(values)
    centres = np.array([np.quantile(phases, 0.25), np.quantile(phases, 0.75)])
    labels = np.zeros(values.shape, dtype=bool)
    for _ in range(20):
        distance = np.abs(np.angle(np.exp(1j * (phases[:, None] - centres[None, :]))))
        labels = distance[:, 1] < distance[:, 0]
        if labels.all() or not labels.any():
            raise ValueError("the reconstructed modulator shows one level only")
        new = np.array(
            [np.angle(np.mean(np.exp(1j * phases[~labels]))), np.angle(np.mean(np.exp(1j * phases[labels])))]
        )
        if np.allclose(new, centres):
            break
        centres = new
    levels = [_mode(values[~labels]), _mode(values[labels])]
    # The metal absorbs: the level of lower modulus.
    metal, open_ = sorted(levels, key=abs)
    metal_is_second = abs(levels[1]) < abs(levels[0])
    shift = float(np.angle(open_ / metal)) % (2 * np.pi)
    return ModulatorLevels(
        phase_shift_rad=shift,
        amplitude_ratio=float(abs(metal) / abs(open_)),
        metal_fraction=float(np.mean(labels if metal_is_second else ~labels)),
        pixels=int(region.sum()),
        open_level=complex(open_),
    )


def window_corner_px(
    position_m: npt.ArrayLike, origin_px: npt.ArrayLike, pixel_m: float
) -> tuple[float, float]:
    """Where the frames' top-left pixel falls on a ptychographic reconstruction of the modulator.

    Args:
        position_m: the modulator's (y, x) position (m) during the rocking scan, in the frame of the
            ptychographic scan's positions (the same motors).
        origin_px: the reconstruction's pixel under position (0, 0) (``PtychoResult.origin_px``).
        pixel_m: the reconstruction's pixel (m): ``PtychoResult.modulator_pixel_m``.
    """
    position = np.asarray(position_m, dtype=float)
    origin = np.asarray(origin_px, dtype=float)
    if position.shape != (2,) or origin.shape != (2,) or not np.all(np.isfinite(position)):
        raise ValueError(f"position_m must be a finite (y, x) pair in m, got {position_m}")
    if not pixel_m > 0:
        raise ValueError(f"pixel_m must be > 0 m, got {pixel_m}")
    corner = position / pixel_m + origin
    return float(corner[0]), float(corner[1])


#: The modulus a calibrated modulator window is held to. A passive modulator transmits at most 1
#: and, band-limited to what the detector sees, overshoots at its edges (1.34 at most for 1.5 um of
#: W at 9 keV on the 2x grid) and dips where the phase steps (0.29 at least). A calibrated window
#: holds noisy pixels far outside that (0.014 and 1.9, the latter where the calibration scan left
#: the modulator unlit), and the BCMI back-projection divides by it: HIO diverged (NaN) on such
#: a window, and with the modulus held to [0.3, 1.2] the support guess found the crystal.
AMPLITUDE_RANGE = (0.3, 1.2)


def modulator_window(
    transmission: npt.NDArray,
    illumination: npt.NDArray,
    corner_px: tuple[float, float],
    frame_px: int,
    lit_fraction: float = 0.3,
    upsample: int = 1,
    amplitude_range: tuple[float, float] = AMPLITUDE_RANGE,
) -> npt.NDArray[np.complex64]:
    """The calibrated modulator as a BCMI reconstruction needs it: N x N, open parts 1, no ramp.

    The ptychographic transmission is known up to a phase ramp and a complex factor that the probe
    takes back; both are removed (:func:`modulator_levels`), so that the open parts transmit 1 and
    the crystal's beam is not tilted. The window starts at ``corner_px`` of the reconstruction
    (any real value: the fraction is a Fourier shift). The translation the probe and the modulator
    can trade between them stays: it moves the reconstructed crystal in its window, nothing more.

    Args:
        transmission: the reconstructed modulator (Y, X).
        illumination: the scan's summed probe intensity on the same grid.
        corner_px: (y, x) pixel of ``transmission`` under the frames' top-left pixel.
        frame_px: the frames' side N.
        lit_fraction: the share of the peak illumination above which a pixel counts as measured.
        upsample: ``transmission``'s pixels per frame-conjugate pixel (``PtychoResult.upsample``):
            the window is u N pixels wide.
        amplitude_range: the transmission's modulus is clipped to this range (its phase kept):
            see :data:`AMPLITUDE_RANGE`.
    """
    low_amplitude, high_amplitude = amplitude_range
    if not 0 < low_amplitude < 1 < high_amplitude:
        raise ValueError(f"amplitude_range must satisfy 0 < low < 1 < high, got {amplitude_range}")
    check_upsample(upsample)
    side = frame_px * upsample
    levels = modulator_levels(transmission, illumination, lit_fraction)
    flat = remove_phase_ramp(transmission, well_lit(illumination, lit_fraction)) / levels.open_level
    corner = np.asarray(corner_px, dtype=float)
    whole = np.floor(corner).astype(int)
    if np.any(whole < 0) or np.any(whole + side > np.asarray(transmission.shape)):
        raise ValueError(
            f"corner_px ({corner[0]:.2f}, {corner[1]:.2f}) puts the {side} x {side} window ({frame_px} frame "
            f"pixels of {upsample} x {upsample} modulator pixels) outside "
            f"the reconstructed modulator {transmission.shape}: it must lie in "
            f"[0, {transmission.shape[0] - side}] x [0, {transmission.shape[1] - side}]"
        )
    fraction = corner - whole
    # Shift the array by -fraction, so that its pixel ``whole`` holds the value at ``corner``.
    spectrum = ndimage.fourier_shift(np.fft.fft2(flat), -fraction)
    window = np.fft.ifft2(spectrum)[whole[0] : whole[0] + side, whole[1] : whole[1] + side]
    modulus = np.abs(window)
    bounded = np.clip(modulus, low_amplitude, high_amplitude)
    return (window * (bounded / np.maximum(modulus, 1e-30))).astype(np.complex64)


def _mode(values: npt.NDArray[np.complexfloating], iterations: int = 30) -> complex:
    """The densest point of complex ``values``: mean shift with a flat kernel of a tenth of their spread."""
    centre = complex(np.median(values.real), np.median(values.imag))
    radius = 0.1 * float(np.sqrt(np.mean(np.abs(values - np.mean(values)) ** 2))) + 1e-12
    for _ in range(iterations):
        near = values[np.abs(values - centre) <= radius]
        if near.size == 0:
            break
        new = complex(np.mean(near))
        if abs(new - centre) < 1e-6 * radius:
            break
        centre = new
    return centre


@dataclass(frozen=True)
class DistanceFit:
    """d1 from the reconstructed probe.

    Attributes:
        d1_m: the distance that makes the back-propagated probe most compact (m).
        effective_area_px: (sum |p|)^2 / sum |p|^2 there: about the number of pixels it fills.
    """

    d1_m: float
    effective_area_px: float


def effective_area_px(probe: npt.NDArray, pixel_m: float, wavelength_m: float, distance_m: float) -> float:
    """(sum |p|)^2 / sum |p|^2 of ``probe`` propagated back by ``distance_m``.

    The amplitude's L1 / L2 ratio weighs the faint Fresnel fringes of a defocused wave: it has a
    sharp minimum where the wave is the crystal's exit wave (zero outside the crystal). The peak
    intensity (sum |p|^4) does not: a strained crystal's phase focuses its beam like a weak lens,
    away from the crystal.
    """
    transfer = angular_spectrum_transfer(probe.shape, pixel_m, wavelength_m, -distance_m)
    amplitude = np.abs(propagate(probe, transfer)).astype(np.float64)
    return float(np.sum(amplitude) ** 2 / np.sum(amplitude**2))


def retrieve_d1(
    probe: npt.NDArray, pixel_m: float, wavelength_m: float, low_m: float, high_m: float, grid: int = 41
) -> DistanceFit:
    """The d1 in [low_m, high_m] at which the back-propagated probe is most compact.

    A grid of ``grid`` distances finds the basin, a bounded Brent search its bottom.
    """
    if not 0 < low_m < high_m:
        raise ValueError(f"the d1 search range must satisfy 0 < low_m < high_m, got [{low_m}, {high_m}] m")
    if grid < 3:
        raise ValueError(f"grid must be >= 3, got {grid}")
    distances = np.linspace(low_m, high_m, grid)
    areas = [effective_area_px(probe, pixel_m, wavelength_m, d) for d in distances]
    best = int(np.argmin(areas))
    step = distances[1] - distances[0]
    found = minimize_scalar(
        lambda d: effective_area_px(probe, pixel_m, wavelength_m, d),
        bounds=(max(low_m, distances[best] - step), min(high_m, distances[best] + step)),
        method="bounded",
        options={"xatol": 1e-7},
    )
    return DistanceFit(float(found.x), float(found.fun))


@dataclass(frozen=True)
class ModulatorCalibration:
    """The ptychographic calibration of a modulator: what a BCMI reconstruction needs of it.

    Attributes:
        ptycho: the ptychographic reconstruction (modulator, probe, corrected positions...).
        levels: the modulator's two levels (its phase shift).
        d1: the sample-to-modulator distance retrieved from the probe.
    """

    ptycho: PtychoResult
    levels: ModulatorLevels
    d1: DistanceFit


def calibrate_modulator(
    frames: npt.NDArray,
    positions_m: npt.ArrayLike,
    pixel_m: float,
    wavelength_m: float,
    d1_range_m: tuple[float, float] = (0.5e-3, 5e-3),
    settings: PtychoSettings | None = None,
    seed: int = 0,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> ModulatorCalibration:
    """rPIE of the scan, then the modulator's levels and d1 in ``d1_range_m`` (seed 001, Appendix A)."""
    low, high = d1_range_m
    if not 0 < low < high:
        raise ValueError(f"d1_range_m must be two increasing distances > 0 m, got {d1_range_m}")
    result = reconstruct_ptycho(
        frames, positions_m, pixel_m, settings=settings, seed=seed, backend=backend, progress=progress
    )
    levels = modulator_levels(result.modulator, result.illumination)
    return ModulatorCalibration(result, levels, retrieve_d1(result.probe, pixel_m, wavelength_m, low, high))
