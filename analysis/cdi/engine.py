"""Iterative phase retrieval: ER, HIO and RAAR with shrink-wrap supports and free log-likelihood.

One run follows a recipe from a random start. Arrays stay in FFT order inside the loop (no shift
per iteration); inputs and outputs are centred (zero frequency and the object at N // 2).
Unmeasured pixels (gaps, beamstop, the held-out free set) keep the model's modulus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..backend import Backend, get_backend
from .data import DiffractionData
from .likelihood import poisson_llk
from .recipe import parse_recipe
from .support import autocorrelation_support, shrink_wrap


@dataclass(frozen=True)
class PhasingSettings:
    """Parameters of a run; defaults follow common BCDI practice (PyNX).

    Attributes:
        beta: feedback of HIO and RAAR.
        raar_beta: feedback of RAAR (0.75 is usual).
        support_threshold: shrink-wrap threshold, relative to the blurred modulus maximum.
        support_sigma: shrink-wrap Gaussian blur (voxels).
        support_period: iterations between support updates (0: never).
        support_border_only: update only the support's border voxels (seed 003's refinement).
        autocorrelation_threshold: initial support from the autocorrelation, relative.
        free_fraction: fraction of measured pixels held out for the free log-likelihood.
    """

    beta: float = 0.9
    raar_beta: float = 0.75
    support_threshold: float = 0.2
    support_sigma: float = 1.0
    support_period: int = 20
    support_border_only: bool = False
    autocorrelation_threshold: float = 0.1
    free_fraction: float = 0.05


@dataclass(frozen=True)
class Reconstruction:
    """The result of one run (centred arrays, Z, Y, X).

    Attributes:
        obj: complex object.
        support: boolean support at the end.
        llk: Poisson log-likelihood on the fitted pixels.
        free_llk: the same on the held-out pixels (rank runs by it: lower is better).
        recipe: the recipe run.
        seed: the random seed of the start.
        llk_history: (iteration, llk) every support period.
    """

    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    llk: float
    free_llk: float
    recipe: str
    seed: int
    llk_history: tuple[tuple[int, float], ...] = field(default=())


ProgressCallback = Callable[[int, int], None]


def phase(
    data: DiffractionData,
    recipe: str,
    seed: int = 0,
    settings: PhasingSettings | None = None,
    initial_support: npt.NDArray[np.bool_] | None = None,
    initial_object: npt.NDArray[np.complex64] | None = None,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> Reconstruction:
    """Run ``recipe`` once on ``data`` from a random start (or ``initial_object``)."""
    settings = settings or PhasingSettings()
    be = get_backend(backend) if isinstance(backend, str) else backend
    xp = be.xp
    steps = parse_recipe(recipe)
    rng = np.random.default_rng(seed)
    free = data.free_pixels(settings.free_fraction, rng)
    fit = data.measured & ~free
    shift = np.fft.ifftshift
    # The loop uses unscaled FFTs: the forward one multiplies by sqrt(N) relative to the
    # orthonormal transform, so the measured amplitudes are scaled alike; the support-update
    # kernel applies the inverse transform's 1/N.
    n_voxels = int(np.prod(data.shape))
    amplitude = be.asarray(shift(np.sqrt(data.intensity)) * np.float32(np.sqrt(n_voxels)), dtype=np.float32)
    fit_d = be.asarray(shift(fit))

    support = (
        initial_support
        if initial_support is not None
        else autocorrelation_support(data.intensity, data.measured, settings.autocorrelation_threshold)
    )
    if support.shape != data.shape:
        raise ValueError(f"initial support shape {support.shape} does not match data shape {data.shape}")
    support_d = be.asarray(shift(support))
    if initial_object is None:
        start = np.exp(2j * np.pi * rng.random(data.shape)).astype(np.complex64) * shift(support)
        obj = be.asarray(start, dtype=np.complex64)
    else:
        if initial_object.shape != data.shape:
            raise ValueError(f"initial object shape {initial_object.shape} does not match {data.shape}")
        obj = be.asarray(shift(initial_object), dtype=np.complex64) * support_d
    # Scale the start so that its power matches the measured counts.
    measured_power = float(np.sum(data.intensity[fit]))
    model_power = float(xp.sum(xp.abs(be.fftn(obj)[fit_d]) ** 2))
    obj *= np.float32(np.sqrt(measured_power / max(model_power, 1e-30)))

    total = sum(step.iterations for step in steps)
    history: list[tuple[int, float]] = []
    # Host copies in FFT order, for the likelihood recorded at each support update.
    intensity_fft_order = shift(data.intensity)
    fit_fft_order = shift(fit)
    done = 0
    for step in steps:
        for _ in range(step.iterations):
            obj = _iterate(be, obj, amplitude, fit_d, support_d, step.algorithm, settings, 1.0 / n_voxels)
            done += 1
            if settings.support_period and done % settings.support_period == 0 and done < total:
                modulus = be.asnumpy(xp.abs(obj))
                new = shrink_wrap(
                    np.fft.fftshift(modulus),
                    settings.support_sigma,
                    settings.support_threshold,
                    current=np.fft.fftshift(be.asnumpy(support_d)) if settings.support_border_only else None,
                    border_only=settings.support_border_only,
                )
                if new.any():
                    support_d = be.asarray(shift(new))
                calc = be.asnumpy(xp.abs(be.fftn(obj)) ** 2)
                history.append((done, poisson_llk(calc, intensity_fft_order, fit_fft_order)))
            if progress is not None:
                progress(done, total)
    calculated = np.fft.fftshift(be.asnumpy(xp.abs(be.fftn(obj)) ** 2))
    return Reconstruction(
        obj=np.fft.fftshift(be.asnumpy(obj)).astype(np.complex64),
        support=np.fft.fftshift(be.asnumpy(support_d)).astype(bool),
        llk=poisson_llk(calculated, data.intensity, fit),
        free_llk=poisson_llk(calculated, data.intensity, free),
        recipe=recipe,
        seed=seed,
        llk_history=tuple(history),
    )


def _iterate(
    be: Backend, obj, amplitude, fit, support, algorithm: str, settings: PhasingSettings, inverse_n: float
):
    """One iteration, in place on ``obj``: two unscaled FFTs and two fused element-wise passes.

    ``amplitude`` is the measured amplitude times sqrt(N); ``inverse_n`` is 1/N.
    """
    psi = be.fftn_unscaled(obj)
    be.modulus_projection(psi, amplitude, fit)
    projected = be.ifftn_unscaled_inplace(psi)
    beta = settings.raar_beta if algorithm == "RAAR" else settings.beta
    be.support_update(obj, projected, support, algorithm, beta, inverse_n)
    return obj


def phase_many(
    data: DiffractionData,
    recipe: str,
    runs: int,
    seed: int = 0,
    settings: PhasingSettings | None = None,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> list[Reconstruction]:
    """``runs`` independent runs (seeds ``seed``, ``seed + 1``...), best free LLK first.

    ``progress`` is called with (runs done, runs) after each run.
    """
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    results = []
    for i in range(runs):
        results.append(phase(data, recipe, seed=seed + i, settings=settings, backend=backend))
        if progress is not None:
            progress(i + 1, runs)
    return sorted(results, key=lambda r: r.free_llk)
