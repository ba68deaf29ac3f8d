"""BCMI phase retrieval (seed 001, Appendix B): the slice-by-slice model and its inverse.

    psi_j = F_{m->D} M P_{o->m} { T_j R Q_j rho },   rho = sum_j Q_j* R^dagger T_j^-1 P^-1 M^-1 F^-1 {psi_j}

R Q_j rho, the projection along z' of the object times the rocking angle's phase ramp
exp(-2 pi i j z' / J), is for all J angles at once the Fourier transform of rho along z' (the
Fourier slice theorem); its back-projection sum_j Q_j* R^dagger is the inverse transform.

M may be sampled u times finer than the frames' conjugate pixel (:mod:`.fine_grid`): the wave at
the modulator is then interpolated onto M's grid, and the detector's N x N band of the product is
what meets the data; the frequencies beyond it are left free by the modulus constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.fft

from ..backend import Backend, get_backend
from ..cdi.data import DiffractionData
from ..cdi.engine import PhasingSettings, ProgressCallback
from ..cdi.likelihood import poisson_llk
from ..cdi.recipe import parse_recipe
from ..cdi.support import shrink_wrap
from .fine_grid import FineGrid
from .geometry import BcmiGeometry
from .propagation import angular_spectrum_transfer


def rocking_projections(rho: npt.NDArray) -> npt.NDArray[np.complex64]:
    """R Q_j rho for every angle j: (J, Y, X), angle J // 2 at the Bragg peak (orthonormal)."""
    spectrum = np.asarray(scipy.fft.fft(rho, axis=0, norm="ortho", workers=-1))
    return np.fft.fftshift(spectrum, axes=0).astype(np.complex64)


def back_projection(projections: npt.NDArray) -> npt.NDArray[np.complex64]:
    """sum_j Q_j* R^dagger of (J, Y, X) projections: the inverse of :func:`rocking_projections`."""
    spectrum = np.fft.ifftshift(projections, axes=0)
    return np.asarray(scipy.fft.ifft(spectrum, axis=0, norm="ortho", workers=-1), dtype=np.complex64)


@dataclass(frozen=True)
class BcmiSettings:
    """Parameters of a BCMI run (the support and free-LLK ones are the CDI engine's).

    Attributes:
        phasing: shrink-wrap, HIO/RAAR feedback and free-pixel fraction.
        drift_start: first iteration that may correct the sample drift, in ER steps only
            (-1: never).
        drift_period: iterations between drift corrections (each moves a drift <= 1.94 px).
    """

    phasing: PhasingSettings = field(default_factory=lambda: PhasingSettings(support_threshold=0.25))
    drift_start: int = 0
    drift_period: int = 5


@dataclass(frozen=True)
class BcmiReconstruction:
    """One BCMI run (Z, Y, X arrays, detector-conjugate frame).

    Attributes:
        obj: the complex object rho (J, N, N).
        support: its support at the end.
        drift_px: the retrieved sample drift per angle (J, 2) as (y, x) pixels, zero mean.
        llk: Poisson log-likelihood on the fitted pixels.
        free_llk: the same on the held-out pixels (rank runs by it: lower is better).
        recipe: the recipe run.
        seed: the random seed of the start.
    """

    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    drift_px: npt.NDArray[np.float64]
    llk: float
    free_llk: float
    recipe: str
    seed: int


class BcmiModel:
    """The forward and backward BCMI operators for one geometry and modulator window, on a backend.

    Args:
        modulator: the modulator's transmission under the window, (N, N) on the computational
            grid or (u N, u N) on a grid u times finer.
        geometry: the BCMI geometry (frame size, pixel, d1).
        backend: the array backend.
    """

    def __init__(self, modulator: npt.NDArray, geometry: BcmiGeometry, backend: Backend) -> None:
        n = geometry.frame_px
        u = modulator.shape[0] // n if modulator.ndim == 2 else 0
        if modulator.shape != (u * n, u * n) or not 1 <= u <= 8:
            raise ValueError(
                f"the modulator array's shape {modulator.shape} does not match the sampling: it must be "
                f"({n}, {n}) pixels of {geometry.pixel_m:.4g} m under the window, or u times finer "
                f"({n} u, {n} u) for u in 2..8, e.g. ({2 * n}, {2 * n})"
            )
        if np.min(np.abs(modulator)) < 1e-3:
            raise ValueError("the modulator's transmission must be > 1e-3 everywhere (it is divided by)")
        self.be = be = backend
        self.grid = FineGrid(n, u, be.xp)
        self.modulator = be.asarray(modulator, dtype=np.complex64)
        shape = (n, n)
        self.forward = be.asarray(
            angular_spectrum_transfer(shape, geometry.pixel_m, geometry.wavelength_m, geometry.d1_m)
        )
        self.backward = be.asarray(
            angular_spectrum_transfer(shape, geometry.pixel_m, geometry.wavelength_m, -geometry.d1_m)
        )
        k = np.fft.fftfreq(n).astype(np.float32)
        self.k = be.asarray(k)
        # The last drift's ramp and its conjugate: every iteration applies them forward and back,
        # while the drift changes only every few ER steps.
        self._ramp_drift: bytes | None = None
        self._ramps: tuple = ()

    def _ramps_for(self, drift_px: npt.NDArray) -> tuple:
        drift32 = np.asarray(drift_px, dtype=np.float32)
        if drift32.tobytes() != self._ramp_drift:
            xp = self.be.xp
            drift = self.be.asarray(drift32)
            ramp_y = xp.exp((-2j * np.pi) * drift[:, 0:1] * self.k[None, :])
            ramp_x = xp.exp((-2j * np.pi) * drift[:, 1:2] * self.k[None, :])
            ramp = (ramp_y[:, :, None] * ramp_x[:, None, :]).astype(np.complex64)
            self._ramps = (ramp, xp.conj(ramp))
            self._ramp_drift = drift32.tobytes()
        return self._ramps

    def shift_ramp(self, drift_px: npt.NDArray):
        """exp(-2 pi i k.s) per angle, (J, N, N): multiplies a spectrum to shift it by s."""
        return self._ramps_for(drift_px)[0]

    def projection_spectra(self, rho):
        """R Q_j rho for every angle, in Fourier space (FFT order): (J, N, N)."""
        be = self.be
        projections = be.xp.fft.fftshift(be.fftn(rho, axes=(0,)), axes=0)
        return be.fftn(projections, axes=(1, 2))

    def exit_waves(self, rho, drift_px: npt.NDArray):
        """T_j R Q_j rho at the sample, in Fourier space (FFT order): (J, N, N)."""
        return self.projection_spectra(rho) * self.shift_ramp(drift_px)

    def detector(self, spectra):
        """F M P_d1 of exit waves given in Fourier space: the far field on the modulator's grid,
        FFT order; the detector's amplitudes are its N x N band (:meth:`measurable`)."""
        be = self.be
        at_modulator = be.ifftn(self.grid.pad(spectra * self.forward), axes=(1, 2)) * self.modulator
        return be.fftn(at_modulator, axes=(1, 2))

    def back_to_sample(self, far_field):
        """P^-1 M^-1 F^-1 of a far field from :meth:`detector`: the exit waves in Fourier space."""
        be = self.be
        at_modulator = be.ifftn(far_field, axes=(1, 2)) / self.modulator
        return self.grid.crop(be.fftn(at_modulator, axes=(1, 2))) * self.backward

    def measurable(self, frames_fft_order):
        """(..., N, N) arrays in FFT order (amplitudes, masks) on :meth:`detector`'s grid, zero
        (False) beyond the detector's band."""
        return self.grid.pad(frames_fft_order)

    def object_from(self, spectra, drift_px: npt.NDArray):
        """sum_j Q_j* R^dagger T_j^-1 of exit waves in Fourier space: rho (J, N, N)."""
        be = self.be
        waves = be.ifftn(spectra * self._ramps_for(drift_px)[1], axes=(1, 2))
        return be.ifftn(be.xp.fft.ifftshift(waves, axes=0), axes=(0,))

    def intensity(self, rho, drift_px: npt.NDArray) -> npt.NDArray[np.float32]:
        """The model's frames (J, N, N), centred."""
        far_field = self.grid.crop(self.detector(self.exit_waves(rho, drift_px)))
        amplitude = self.be.asnumpy(self.be.xp.abs(far_field))
        return np.fft.fftshift(amplitude**2, axes=(1, 2)).astype(np.float32)


def neighbour_median(drift_px: npt.NDArray, neighbours: int) -> npt.NDArray[np.float64]:
    """Per angle, the median (y, x) drift of the ``neighbours`` nearest angles on each side
    (fewer at the ends), the angle itself left out."""
    count = len(drift_px)
    medians = np.empty((count, 2))
    for j in range(count):
        around = [k for k in range(max(0, j - neighbours), min(count, j + neighbours + 1)) if k != j]
        medians[j] = np.median(np.asarray(drift_px)[around], axis=0)
    return medians


def refine_drift(
    model: BcmiModel,
    rho,
    drift_px: npt.NDArray,
    amplitude,
    fit,
    steps_px: tuple[float, ...] = (1.0, 0.5, 0.25, 0.125, 0.0625),
    neighbours: int = 2,
) -> npt.NDArray[np.float64]:
    """Each angle's drift moved to lower the misfit of its frame, by a pattern search.

    The seed retrieves the drift by correlating the projections before and after the modulus
    constraint; their difference is small, so the correlation peak moves by a fraction of the
    drift only (Zhang et al. amplify it by a feedback factor), and to first order the same holds
    for a least-squares shift. Here the projections are compared through the data instead: for
    every angle at once, trial shifts of +-h along y and x are kept where they lower
    sum (|psi_j| - sqrt(I_j))^2 over the fitted pixels, for h halving from ``steps_px[0]``.
    One call moves a drift by at most the sum of ``steps_px``. A shift common to all angles
    belongs to the object, so the angles' median drift is removed (the median, so that one angle
    caught in a local minimum does not move the others).

    Such a local search can settle in a side minimum while the object is still poor, and the
    weakest angle, at the end of the rocking curve, did: 6.2-6.6 px off in 2 of 3 runs on a 7 rad
    crystal, where the true drift was the global minimum of the final misfit but its basin was
    narrower than 1.6 px. A drift moves little from one angle to the next, so wherever the median
    drift of an angle's ``neighbours`` nearest angles on each side lies more than 1 px from its
    own, the search is run again from that median, and the better of the two kept.
    """
    xp = model.be.xp
    spectra = model.projection_spectra(rho)

    def misfit_of(angles):
        sub_spectra, sub_amplitude, sub_fit = spectra[angles], amplitude[angles], fit[angles]

        def misfit(candidate: npt.NDArray) -> npt.NDArray[np.float64]:
            psi = model.detector(sub_spectra * model.shift_ramp(candidate))
            squares = ((xp.abs(psi) - sub_amplitude) ** 2) * sub_fit
            return model.be.asnumpy(xp.sum(squares, axis=(1, 2))).astype(np.float64)

        return misfit

    current, best = _pattern_search(misfit_of(slice(None)), np.array(drift_px, dtype=np.float64), steps_px)
    if neighbours > 0 and len(current) > 1:
        around = neighbour_median(current, neighbours)
        far = np.nonzero(np.hypot(*(around - current).T) > 1.0)[0]
        if far.size:
            other, cost = _pattern_search(misfit_of(model.be.asarray(far)), around[far], steps_px)
            better = cost < best[far]
            current[far[better]] = other[better]
    return current - np.median(current, axis=0)


def _pattern_search(
    misfit, start: npt.NDArray[np.float64], steps_px: tuple[float, ...]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per angle, +-h along y then x kept where ``misfit`` drops, h over ``steps_px``."""
    current = start.copy()
    best = misfit(current)
    for h in steps_px:
        for axis in (0, 1):
            for sign in (1.0, -1.0):
                trial = current.copy()
                trial[:, axis] += sign * h
                cost = misfit(trial)
                better = cost < best
                current[better] = trial[better]
                best[better] = cost[better]
    return current, best


def phase_bcmi(
    frames: npt.NDArray,
    modulator: npt.NDArray,
    geometry: BcmiGeometry,
    support: npt.NDArray[np.bool_],
    recipe: str = "RAAR**400, ER**300",
    seed: int = 0,
    settings: BcmiSettings | None = None,
    measured: npt.NDArray[np.bool_] | None = None,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> BcmiReconstruction:
    """One BCMI run from a random start inside ``support``.

    Args:
        frames: the rocking scan's counts (J, N, N), centred, angle J // 2 at the Bragg peak.
        modulator: the calibrated modulator's transmission under the window, (N, N) or, sampled u
            times finer, (u N, u N).
        geometry: the BCMI geometry.
        support: the support guess (J, N, N), placed in x'-y' (see :mod:`.support_guess`).
        recipe: the CDI engine's recipe string (ER, HIO, RAAR). The default succeeded in 12 of
            12 runs on three 7 rad crystals where ``HIO**100, ER**150`` failed on one (phase
            error 0.3-0.8 rad) and ``HIO**300, ER**300`` in 3 of its 4 runs.
        seed: seed of the random start and of the free-pixel set.
        settings: phasing and drift-correction parameters.
        measured: False where a pixel was not measured (gaps, beamstop); default all measured.
        backend: ``numpy``, ``cupy`` or ``auto``.
        progress: called with (iterations done, iterations).
    """
    settings = settings or BcmiSettings()
    data = DiffractionData.from_arrays(frames, None if measured is None else (~measured).astype(np.uint8))
    if support.shape != data.shape:
        raise ValueError(f"the support's shape {support.shape} does not match the frames' {data.shape}")
    be = get_backend(backend) if isinstance(backend, str) else backend
    xp = be.xp
    model = BcmiModel(modulator, geometry, be)
    steps = parse_recipe(recipe)
    rng = np.random.default_rng(seed)
    free = data.free_pixels(settings.phasing.free_fraction, rng)
    fit = data.measured & ~free
    shift = np.fft.ifftshift
    amplitude = model.measurable(be.asarray(shift(np.sqrt(data.intensity), axes=(1, 2)), dtype=np.float32))
    fit_d = model.measurable(be.asarray(shift(fit, axes=(1, 2))))
    support_d = be.asarray(support)
    rho = be.asarray((np.exp(2j * np.pi * rng.random(data.shape)) * support).astype(np.complex64))
    drift = np.zeros((data.shape[0], 2))
    model_power = float(xp.sum(xp.abs(model.detector(model.exit_waves(rho, drift))[fit_d]) ** 2))
    rho *= np.float32(np.sqrt(float(np.sum(data.intensity[fit])) / max(model_power, 1e-30)))

    total = sum(step.iterations for step in steps)
    done = 0
    for step in steps:
        beta = settings.phasing.raar_beta if step.algorithm == "RAAR" else settings.phasing.beta
        for _ in range(step.iterations):
            done += 1
            start = settings.drift_start
            # The drift is refined in ER steps only: an HIO iterate is not an estimate of the
            # object, and drifts fitted to it run away (7 px from 0.9 px in a test).
            if step.algorithm == "ER" and 0 <= start <= done and (done - start) % settings.drift_period == 0:
                drift = refine_drift(model, rho, drift, amplitude, fit_d)
            psi = model.detector(model.exit_waves(rho, drift))
            be.modulus_projection(psi, amplitude, fit_d)
            updated = model.back_to_sample(psi)
            projected = model.object_from(updated, drift)
            be.support_update(rho, projected, support_d, step.algorithm, beta)
            if (
                settings.phasing.support_period
                and done % settings.phasing.support_period == 0
                and done < total
            ):
                new = shrink_wrap(
                    be.asnumpy(xp.abs(rho)),
                    settings.phasing.support_sigma,
                    settings.phasing.support_threshold,
                )
                if new.any():
                    support_d = be.asarray(new & support)
            if progress is not None:
                progress(done, total)
    calculated = model.intensity(rho, drift)
    return BcmiReconstruction(
        obj=be.asnumpy(rho).astype(np.complex64),
        support=be.asnumpy(support_d).astype(bool),
        drift_px=drift,
        llk=poisson_llk(calculated, data.intensity, fit),
        free_llk=poisson_llk(calculated, data.intensity, free),
        recipe=recipe,
        seed=seed,
    )
