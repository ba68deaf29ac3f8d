"""Ptychographic calibration of the modulator in the Bragg-diffracted beam (seed 001, Appendix A).

The modulator is the ptychographic object, the crystal's diffracted beam at the modulator plane is
the probe. Each frame is |F{P(r) O(r + s_k)}|^2 for the modulator position s_k. The engine is
rPIE (Maiden, Johnson & Li, Optica 4, 736 (2017)) with a joint probe update, and gradient position
correction (as in Odstrcil et al., Opt. Express 26, 3108 (2018)): the least-squares shift that
best explains the change the modulus constraint asks for, from the object's gradient.

Positions are in pixels of the object plane inside the engine (metres at the API). A sub-pixel
position is applied by shifting the probe by the fractional part: P(r - f) O(r + n) is the exit wave
shifted by f, whose far-field intensity is the same.

With ``upsample`` u > 1 the modulator is reconstructed on a grid u times finer than the frames'
conjugate pixel (:mod:`.fine_grid`): the probe, band-limited to the frames, is kept as its N x N
spectrum and interpolated onto the fine grid; the exit wave's spectrum there is constrained on the
N x N band that the detector records and left free beyond it. A real modulator's edges fall inside
the conjugate pixel, which the coarse grid can only average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..backend import Backend, get_backend
from ..cdi.engine import ProgressCallback
from .fine_grid import FineGrid, check_upsample


@dataclass(frozen=True)
class PtychoSettings:
    """Parameters of the rPIE run.

    Attributes:
        epochs: passes over all positions (random order each).
        object_alpha: rPIE regularisation of the object update (0: ePIE-like step, 1: small step).
        probe_beta: the same for the probe update.
        probe_start_epoch: first epoch that updates the probe (the object settles first).
        position_start_epoch: first epoch that corrects the positions (-1: never).
        max_position_step_px: largest correction of one position in one epoch (pixels).
        upsample: modulator pixels per frame-conjugate pixel: 2 represents the modulator exactly
            in the band the detector sees; 1, the conjugate pixel, only its per-pixel average (an
            epoch costs about 3x less on 2 CPU cores: 22 s against 57-70 s for 80 epochs of 145
            positions).
    """

    epochs: int = 150
    object_alpha: float = 0.1
    probe_beta: float = 0.5
    probe_start_epoch: int = 2
    position_start_epoch: int = 40
    max_position_step_px: float = 0.3
    upsample: int = 2

    def __post_init__(self) -> None:
        check_upsample(self.upsample)


@dataclass(frozen=True)
class PtychoResult:
    """A ptychographic reconstruction.

    Attributes:
        modulator: the object (the modulator's transmission), (Y, X) at ``modulator_pixel_m``.
        probe: the beam at the modulator plane, N x N at ``pixel_m``.
        positions_m: the refined positions (K, 2) as (y, x) in metres, their mean kept as given.
        origin_px: where position (0, 0) falls in ``modulator``: (y, x) pixel of ``modulator``
            under the probe's top-left corner.
        pixel_m: the frames' conjugate pixel, the probe's (m).
        illumination: sum over positions of the probe's intensity on the modulator's grid: where
            it is small the modulator is not known.
        error_history: per epoch, sum (|Psi| - sqrt(I))^2 / sum I over all frames.
        upsample: modulator pixels per ``pixel_m``.
    """

    modulator: npt.NDArray[np.complex64]
    probe: npt.NDArray[np.complex64]
    positions_m: npt.NDArray[np.float64]
    origin_px: tuple[float, float]
    pixel_m: float
    illumination: npt.NDArray[np.float32]
    error_history: tuple[float, ...]
    upsample: int = 1

    @property
    def modulator_pixel_m(self) -> float:
        """The pixel of ``modulator`` and ``illumination`` (m)."""
        return self.pixel_m / self.upsample


def check_frames_and_positions(frames: npt.NDArray, positions_m: npt.NDArray) -> None:
    """Frames (K, N, N) and positions (K, 2): finite, one position per frame."""
    if frames.ndim != 3 or frames.shape[1] != frames.shape[2]:
        raise ValueError(f"frames must be (K, N, N), got shape {frames.shape}")
    if positions_m.ndim != 2 or positions_m.shape[1] != 2:
        raise ValueError(f"positions must be (K, 2) as (y, x) in m, got shape {positions_m.shape}")
    if positions_m.shape[0] != frames.shape[0]:
        raise ValueError(
            f"the positions list {positions_m.shape[0]} points but there are {frames.shape[0]} frames"
        )
    if not np.all(np.isfinite(positions_m)):
        raise ValueError("positions must be finite")
    if np.any(frames < 0) or not np.all(np.isfinite(frames)):
        raise ValueError("frames must be finite counts >= 0")


def initial_probe(frames: npt.NDArray) -> npt.NDArray[np.complex64]:
    """A start for the probe: the inverse transform of the mean frame's amplitude.

    Without the modulator the frame would be |F(P)|^2; the mean over positions averages the
    modulator's speckle out, so its square root, flat in phase, gives a compact beam of the right
    power and about the right extent.
    """
    amplitude = np.sqrt(np.mean(frames, axis=0))
    probe = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(amplitude), norm="ortho"))
    return probe.astype(np.complex64)


class _ShiftedProbe:
    """The probe, kept as its N x N spectrum, shifted by a sub-pixel amount onto the fine grid."""

    def __init__(self, be: Backend, grid: FineGrid) -> None:
        self.be = be
        self.grid = grid
        self.k = be.asarray(np.fft.fftfreq(grid.n).astype(np.float32))

    def ramp(self, shift_px: tuple[float, float]):
        """exp(-2 pi i k.s) on the N x N spectrum: shifts by ``shift_px`` frame-conjugate pixels."""
        xp = self.be.xp
        # Separable: two 1-D exponentials and their outer product.
        ramp_y = xp.exp((-2j * np.pi * shift_px[0]) * self.k).astype(np.complex64)
        ramp_x = xp.exp((-2j * np.pi * shift_px[1]) * self.k).astype(np.complex64)
        return xp.outer(ramp_y, ramp_x)

    def on_fine_grid(self, spectrum, ramp):
        """P(r - s) on the fine grid (divided by u: see :mod:`.fine_grid`)."""
        return self.be.ifftn(self.grid.pad(spectrum * ramp))

    def step_back(self, fine_step, ramp):
        """A fine-grid probe update, shifted back and projected on the probe's N x N spectrum."""
        return self.grid.crop(self.be.fftn(fine_step)) * self.be.xp.conj(ramp)


def reconstruct_ptycho(
    frames: npt.NDArray,
    positions_m: npt.ArrayLike,
    pixel_m: float,
    probe: npt.NDArray | None = None,
    modulator: npt.NDArray | None = None,
    settings: PtychoSettings | None = None,
    seed: int = 0,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> PtychoResult:
    """Reconstruct the modulator and the probe from a ptychographic scan.

    Args:
        frames: counts (K, N, N), centred on the direct beam.
        positions_m: the modulator positions (K, 2) as (y, x) in metres, as commanded.
        pixel_m: pixel of the object plane, lambda d2 / (N p) (m).
        probe: the start for the probe (N, N); default :func:`initial_probe`.
        modulator: the start for the object; default a flat transmission of 1.
        settings: rPIE parameters.
        seed: seed of the position order.
        backend: ``numpy``, ``cupy`` or ``auto``.
        progress: called with (epochs done, epochs).
    """
    settings = settings or PtychoSettings()
    frames = np.asarray(frames, dtype=np.float32)
    positions = np.asarray(positions_m, dtype=np.float64)
    check_frames_and_positions(frames, positions)
    if not pixel_m > 0:
        raise ValueError(f"pixel_m must be > 0 m, got {pixel_m}")
    if settings.epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {settings.epochs}")
    n = frames.shape[1]
    if probe is None:
        probe = initial_probe(frames)
    if probe.shape != (n, n):
        raise ValueError(f"the probe's shape {probe.shape} does not match the frames' ({n}, {n})")
    be = get_backend(backend) if isinstance(backend, str) else backend
    xp = be.xp

    u = settings.upsample
    grid = FineGrid(n, u, xp)
    m = grid.side
    positions_px = positions / pixel_m
    # The object's pixel (0, 0) sits so that every patch fits with a margin of 2 frame pixels.
    low = positions_px.min(axis=0)
    origin = (2.0 - low) * u  # in object pixels
    object_shape = tuple(u * (int(np.ceil(s)) + n + 4) for s in positions_px.max(axis=0) - low)
    if modulator is None:
        obj = xp.ones(object_shape, dtype=np.complex64)
    else:
        if modulator.shape != object_shape:
            raise ValueError(
                f"the modulator's shape {modulator.shape} does not match the sampling of this scan: "
                f"it must be {object_shape} at pixel_m={pixel_m:.4g} m / upsample={u}"
            )
        obj = be.asarray(modulator, dtype=np.complex64)
    probe_spectrum = be.fftn(be.asarray(probe, dtype=np.complex64))
    amplitude = be.asarray(np.fft.ifftshift(np.sqrt(frames), axes=(-2, -1)), dtype=np.float32)
    shifted = _ShiftedProbe(be, grid)
    rng = np.random.default_rng(seed)
    total_power = float(np.sum(frames))
    history: list[float] = []
    where = positions_px * u + origin  # top-left corner of each patch, in object pixels

    for epoch in range(settings.epochs):
        error = 0.0
        correct = 0 <= settings.position_start_epoch <= epoch
        update_probe = epoch >= settings.probe_start_epoch
        steps = np.zeros_like(where)
        for k in rng.permutation(len(frames)):
            corner = np.floor(where[k]).astype(int)
            ramp = shifted.ramp(((where[k][0] - corner[0]) / u, (where[k][1] - corner[1]) / u))
            window = (slice(corner[0], corner[0] + m), slice(corner[1], corner[1] + m))
            fine_probe = shifted.on_fine_grid(probe_spectrum, ramp)
            patch = obj[window]
            exit_wave = fine_probe * patch
            spectrum = be.fftn(exit_wave)
            band = grid.crop(spectrum)
            modulus = xp.abs(band)
            error += float(xp.sum((modulus - amplitude[k]) ** 2))
            # The detector's band gets the measured modulus; frequencies beyond it stay free.
            grid.put(spectrum, band * (amplitude[k] / xp.maximum(modulus, np.float32(1e-12))))
            difference = be.ifftn(spectrum) - exit_wave
            if correct:
                limit = u * settings.max_position_step_px
                steps[k] = _position_step(xp, patch, fine_probe, difference, limit)
            probe_power = xp.abs(fine_probe) ** 2
            obj[window] = patch + xp.conj(fine_probe) * difference / (
                (1 - settings.object_alpha) * probe_power + settings.object_alpha * xp.max(probe_power)
            )
            if update_probe:
                patch_power = xp.abs(patch) ** 2
                probe_step = (
                    xp.conj(patch)
                    * difference
                    / ((1 - settings.probe_beta) * patch_power + settings.probe_beta * xp.max(patch_power))
                )
                probe_spectrum = probe_spectrum + shifted.step_back(probe_step, ramp)
        if correct:
            # A common shift of all positions only moves the object: keep the mean as commanded.
            where += steps - steps.mean(axis=0)
        history.append(error / total_power)
        if progress is not None:
            progress(epoch + 1, settings.epochs)

    probe_host = be.asnumpy(be.ifftn(probe_spectrum))
    fine_power = np.abs(be.asnumpy(shifted.on_fine_grid(probe_spectrum, shifted.ramp((0.0, 0.0))))) ** 2
    illumination = np.zeros(object_shape, dtype=np.float32)
    for corner in np.floor(where).astype(int):
        illumination[corner[0] : corner[0] + m, corner[1] : corner[1] + m] += fine_power
    return PtychoResult(
        modulator=be.asnumpy(obj).astype(np.complex64),
        probe=probe_host.astype(np.complex64),
        positions_m=(where - origin) / u * pixel_m,
        origin_px=(float(origin[0]), float(origin[1])),
        pixel_m=pixel_m,
        illumination=illumination,
        error_history=tuple(history),
        upsample=u,
    )


def _position_step(xp, patch, probe, difference, limit_px: float) -> npt.NDArray[np.float64]:
    """The least-squares shift (y, x) in pixels that moves P O(r + s) towards the projected wave."""
    step = np.zeros(2)
    for axis in (0, 1):
        gradient = (xp.roll(patch, -1, axis=axis) - xp.roll(patch, 1, axis=axis)) * np.float32(0.5)
        derivative = probe * gradient
        norm = float(xp.sum(xp.abs(derivative) ** 2))
        if norm > 0:
            step[axis] = float(xp.sum(xp.real(xp.conj(derivative) * difference))) / norm
    return np.clip(step, -limit_px, limit_px)
