"""The XEDM reconstruction of an accumulated pattern: prepare, GHIO, PRTF, model fit, SSIM."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..backend import Backend
from ..limits import check_limits
from ..optics import wavelength_m
from ..resolution import ShellCurve, prtf, resolution_m
from .comparison import ModelComparison, compare_to_model
from .model_fit import CoreShellFit, fit_core_shell
from .particles import core_shell, projected_density
from .phasing import GhioResult, GhioSettings, guided_hio
from .preparation import PreparedPattern, prepare_pattern


@dataclass(frozen=True)
class EnsembleGeometry:
    """Where the pattern was measured.

    Attributes:
        energy_ev: photon energy (eV).
        distance_m: sample to detector (m).
        pixel_m: detector pixel, unbinned (m).
    """

    energy_ev: float
    distance_m: float
    pixel_m: float

    def __post_init__(self) -> None:
        check_limits(
            {
                "energy_ev": (self.energy_ev, 100.0, 1e6),
                "distance_m": (self.distance_m, 1e-3, 1e3),
                "pixel_m": (self.pixel_m, 1e-7, 1e-2),
            }
        )


@dataclass(frozen=True)
class XedmResult:
    """Everything the reconstruction of one accumulated pattern gives.

    Attributes:
        prepared: the phased pattern.
        ghio: the GHIO runs and their average.
        object_pixel_m: the reconstruction's pixel (m).
        prtf: PRTF of the kept images against the measured amplitudes (seed 002, Eq. 3).
        prtf_half_period_m: half-period resolution at PRTF = 1/e (m); the pixel when the PRTF
            stays above 1/e out to the pattern's edge.
        prtf_crosses_cutoff: whether the PRTF falls below 1/e inside the pattern.
        fit: the core-shell model fit (None when not asked for).
        model_image: the fitted model's projected density on the reconstruction's grid.
        comparison: the reconstruction against that model (SSIM).
    """

    prepared: PreparedPattern
    ghio: GhioResult
    object_pixel_m: float
    prtf: ShellCurve
    prtf_half_period_m: float
    prtf_crosses_cutoff: bool
    fit: CoreShellFit | None
    model_image: npt.NDArray[np.float64] | None
    comparison: ModelComparison | None


def reconstruct_ensemble(
    pattern: npt.ArrayLike,
    measured: npt.ArrayLike,
    geometry: EnsembleGeometry,
    binning: int = 3,
    speckle_diameter_px: float | None = None,
    settings: GhioSettings | None = None,
    fit_ranges_m: tuple[tuple[float, float], tuple[float, float]] | None = ((14e-9, 24e-9), (48e-9, 60e-9)),
    materials: tuple[tuple[str, float], tuple[str, float]] = (("Au", 19.3), ("SiO2", 2.2)),
    seed: int = 0,
    backend: Backend | str = "numpy",
    progress: Callable[[int, int], None] | None = None,
) -> XedmResult:
    """Seed 002's processing of an accumulated, background-subtracted pattern.

    Args:
        pattern: counts (rows, columns), NaN or negative where missing.
        measured: True where the detector measured.
        geometry: energy, distance, detector pixel.
        binning: pixels per bin (seed 002: 3).
        speckle_diameter_px: removed central disc (binned pixels); default 0.7 x the central
            speckle's diameter.
        settings: GHIO parameters.
        fit_ranges_m: ((core low, high), (outer low, high)) diameters searched (m); None skips
            the core-shell fit and the SSIM.
        materials: core and shell (formula, density g/cm^3) for the model.
        seed: GHIO's random seed.
        backend: ``"numpy"``, ``"cupy"`` or ``"auto"``.
        progress: called with (GHIO generations done, generations).
    """
    prepared = prepare_pattern(pattern, measured, geometry.pixel_m, binning, speckle_diameter_px)
    lam = float(wavelength_m(geometry.energy_ev))
    pixel = prepared.object_pixel_m(lam, geometry.distance_m)
    available = prepared.intensity > 0
    ghio = guided_hio(
        prepared.intensity,
        prepared.measured,
        settings,
        available=available,
        seed=seed,
        backend=backend,
        progress=progress,
    )
    curve = prtf(list(ghio.kept), prepared.intensity, prepared.measured, pixel_m=pixel)
    half_period = resolution_m(curve, 1.0 / math.e) / 2.0
    crosses = bool(np.any(curve.values[1:][np.isfinite(curve.values[1:])] < 1.0 / math.e))
    fit = model = comparison = None
    if fit_ranges_m is not None:
        fit = fit_core_shell(
            prepared.intensity,
            prepared.measured,
            prepared.detector_pixel_m,
            geometry.distance_m,
            geometry.energy_ev,
            fit_ranges_m[0],
            fit_ranges_m[1],
            core=materials[0],
            shell=materials[1],
        )
        particle = core_shell(fit.core_diameter_m, fit.outer_diameter_m, materials[0], materials[1])
        model = projected_density(particle, prepared.intensity.shape, pixel, geometry.energy_ev)
        comparison = compare_to_model(ghio.average, model)
    return XedmResult(prepared, ghio, pixel, curve, half_period, crosses, fit, model, comparison)
