"""ExImRes end to end: restricted patterns, independent reconstructions, merge, resolution.

Each restricted pattern is reconstructed by :func:`reconstruct_restricted`, a plain function of
picklable arguments, so the runs can go to any executor's ``map`` (``concurrent.futures``, a Dask
``Client.map``); the default runs them one after the other here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..backend import Backend
from ..cdi.align import align
from ..cdi.data import DiffractionData
from ..cdi.pipeline import reconstruct
from ..cdi.support import autocorrelation_support
from ..resolution import prtf, resolution_m
from .merge import MergedImage, merge
from .psf import PsfFit, blind_gaussian_psf
from .restricted import RestrictedPattern, Restriction, default_restrictions, max_binning_for, restrict


@dataclass(frozen=True)
class RestrictedResult:
    """The reconstruction of one restricted pattern.

    Attributes:
        pattern: the restricted pattern (its restriction, voxel and r).
        obj: the first mode of the best runs (complex, centred, Z, Y, X).
        free_llk: free log-likelihood of every run, best first.
        first_mode_weight: the first mode's weight.
        prtf_half_period_m: half-period resolution at PRTF = 1/e (m, shells of equal spatial
            frequency); the Nyquist half-period when the PRTF stays above 1/e to the edge.
    """

    pattern: RestrictedPattern
    obj: npt.NDArray[np.complex64]
    free_llk: tuple[float, ...]
    first_mode_weight: float
    prtf_half_period_m: float


def reconstruct_restricted(
    pattern: RestrictedPattern,
    recipe: str = "HIO**400, RAAR**600, ER**200",
    runs: int = 4,
    keep: int = 2,
    seed: int = 0,
    backend: Backend | str = "numpy",
) -> RestrictedResult:
    """Phase one restricted pattern with the CDI engine (an independent task)."""
    data = DiffractionData.from_arrays(pattern.intensity, pattern.bad_pixels)
    result = reconstruct(data, recipe, runs=runs, keep=keep, seed=seed, backend=backend)
    best = result.runs[0].obj
    aligned = [best] + [align(best, r.obj).aligned for r in result.runs[1:keep]]
    curve = prtf(aligned, data.intensity, data.measured, pixel_m=pattern.voxel_m)
    return RestrictedResult(
        pattern,
        result.obj,
        tuple(float(r.free_llk) for r in result.runs),
        float(result.mode_weights[0]),
        resolution_m(curve, 1.0 / math.e) / 2.0,
    )


@dataclass(frozen=True)
class EximresResult:
    """Everything ExImRes gives.

    Attributes:
        results: one per restricted pattern; the first is the original pattern.
        merged: the merged modulus on the common grid.
        original: the original reconstruction's modulus on the same common grid.
        psf_original: the blind-deconvolution PSF of ``original``.
        psf_merged: that of the merged image.
    """

    results: tuple[RestrictedResult, ...]
    merged: MergedImage
    original: npt.NDArray[np.float64]
    psf_original: PsfFit
    psf_merged: PsfFit


def _serial_map(function: Callable, items: Iterable) -> Iterator:
    return map(function, items)


def eximres(
    intensity: npt.ArrayLike,
    bad_pixels: npt.ArrayLike | None,
    voxel_m: tuple[float, float, float],
    d_spacing_m: float,
    restrictions: tuple[Restriction, ...] | None = None,
    recipe: str = "HIO**400, RAAR**600, ER**200",
    runs: int = 4,
    keep: int = 2,
    upsample: float = 2.0,
    seed: int = 0,
    backend: str = "numpy",
    map_tasks: Callable[[Callable, Iterable], Iterable] = _serial_map,
    progress: Callable[[int, int], None] | None = None,
) -> EximresResult:
    """Seed 000's ExImRes on one measured 3-D pattern.

    Args:
        intensity: the pattern (Z, Y, X), zero frequency at N // 2.
        bad_pixels: non-zero where not measured, or None.
        voxel_m: the voxel of a reconstruction of the whole pattern (m) along each axis.
        d_spacing_m: the reflection's lattice spacing (m), for each pattern's r.
        restrictions: crops and binnings; the first must be the whole pattern (the original);
            :func:`default_restrictions` by default, binned as far as the oversampling (from the
            autocorrelation's extent) allows while staying >= 4 (:func:`max_binning_for`).
        recipe: each run's recipe.
        runs: runs per restricted pattern.
        keep: best runs decomposed into modes.
        upsample: the common grid's voxel is the finest voxel divided by this.
        seed: first run's seed (the same for every pattern).
        backend: ``"numpy"``, ``"cupy"`` or ``"auto"``.
        map_tasks: a ``map`` to run the independent reconstructions with (an executor's or a Dask
            client's); the built-in one runs them here, one after the other.
        progress: called with (patterns done, patterns).
    """
    data = np.asarray(intensity)
    if data.ndim != 3:
        raise ValueError(f"intensity must be 3-D (Z, Y, X), got shape {data.shape}")
    shape3 = (int(data.shape[0]), int(data.shape[1]), int(data.shape[2]))
    if restrictions is None:
        measured = np.ones(shape3, bool) if bad_pixels is None else np.asarray(bad_pixels) == 0
        # The autocorrelation spans twice the object: its extent sets the oversampling.
        auto = autocorrelation_support(np.asarray(data, dtype=np.float64), measured)
        extent = tuple(int(np.ptp(np.nonzero(auto)[a])) // 2 + 1 for a in range(3))
        restrictions = default_restrictions(shape3, max_binning_for(extent, shape3))  # type: ignore[arg-type]
    specs = restrictions
    if not specs or tuple(specs[0].crop) != tuple(data.shape) or specs[0].binning != (1, 1, 1):
        raise ValueError("the first restriction must be the whole pattern, unbinned (the original)")
    if not upsample >= 1:
        raise ValueError(f"upsample must be >= 1, got {upsample}")
    patterns = [restrict(data, bad_pixels, voxel_m, d_spacing_m, spec) for spec in specs]

    # A partial of a module-level function pickles, so process pools and Dask can take it.
    task = functools.partial(
        reconstruct_restricted, recipe=recipe, runs=runs, keep=keep, seed=seed, backend=backend
    )
    results: list[RestrictedResult] = []
    for result in map_tasks(task, patterns):
        results.append(result)
        if progress is not None:
            progress(len(results), len(patterns))
    finest = np.min([r.pattern.voxel_m for r in results], axis=0)
    common = (float(finest[0] / upsample), float(finest[1] / upsample), float(finest[2] / upsample))
    shape = tuple(round(n * v / c) for n, v, c in zip(data.shape, voxel_m, common, strict=True))
    merged = merge([r.obj for r in results], [r.pattern.voxel_m for r in results], shape, common)  # type: ignore[arg-type]
    original = merged.aligned[0]  # the reference: upsampled and centred, neither flipped nor moved
    return EximresResult(
        tuple(results),
        merged,
        original,
        blind_gaussian_psf(original, common),
        blind_gaussian_psf(merged.merged, common),
    )
