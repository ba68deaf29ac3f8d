"""A rocking scan's frames to a reconstructed crystal: the 3-D intensity, BCDI phasing and figures.

The frames are ordered by rocking angle and cropped around the Bragg peak to a cube face of
``crop_px`` pixels (the peak's centre of mass on the summed frames). In the small-angle frame of
the simulated rocking geometry (see ``simulators/bragg_rocking.py``), the rocking axis is the
crystal's Z with q_z = |G| d_eta, so the voxel is 2 pi / (N_z |G| d_eta) along Z and
lambda D / (N p) along Y and X. Both the live reconstruction at the end of a rocking scan and
``phasebeam reconstruct cdi --run`` go through :func:`rocking_intensity` and
:func:`reconstruct_rocking_scan`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..backend import Backend
from ..optics import scattering_vector_magnitude_per_m
from ..strain import strain_maps
from .data import DiffractionData
from .engine import ProgressCallback
from .pipeline import decompose_best, reconstruct
from .run_set import run_set_figures

if TYPE_CHECKING:
    from ..cnn.network import PhaseUNet


@dataclass(frozen=True)
class RockingIntensity:
    """The 3-D intensity of a rocking scan.

    Attributes:
        intensity: counts (angles, crop, crop), angles increasing.
        eta_deg: the rocking angles (deg), increasing.
        corner_px: detector (row, column) of the crop's first pixel.
    """

    intensity: npt.NDArray[np.float32]
    eta_deg: npt.NDArray[np.float64]
    corner_px: tuple[int, int]


def rocking_intensity(frames: npt.ArrayLike, eta_deg: npt.ArrayLike, crop_px: int = 64) -> RockingIntensity:
    """Frames (angles, rows, columns) sorted by angle and cropped around the peak's centre of mass."""
    stack = np.asarray(frames)
    angles = np.asarray(eta_deg, dtype=np.float64)
    if stack.ndim != 3 or angles.shape != (stack.shape[0],):
        raise ValueError(f"frames {stack.shape} and eta_deg {angles.shape} must be (n, rows, cols) and (n,)")
    if stack.shape[0] < 4:
        raise ValueError(f"a rocking scan needs at least 4 angles to phase, got {stack.shape[0]}")
    if crop_px % 2 or not 8 <= crop_px <= min(stack.shape[1:]):
        raise ValueError(f"crop_px={crop_px} must be even, in [8, {min(stack.shape[1:])}] (the frames' size)")
    total = stack.sum(axis=0, dtype=np.float64)
    if not total.sum() > 0:
        raise ValueError("the rocking scan recorded no counts")
    rows, cols = np.indices(total.shape)
    centre = (float((rows * total).sum() / total.sum()), float((cols * total).sum() / total.sum()))
    corner = [
        int(np.clip(round(c) - crop_px // 2, 0, n - crop_px))
        for c, n in zip(centre, total.shape, strict=True)
    ]
    order = np.argsort(angles, kind="stable")
    window = (slice(None), slice(corner[0], corner[0] + crop_px), slice(corner[1], corner[1] + crop_px))
    intensity = stack[order][window].astype(np.float32)
    return RockingIntensity(intensity, angles[order], (corner[0], corner[1]))


@dataclass(frozen=True)
class RockingReconstruction:
    """A rocking scan's crystal.

    Attributes:
        obj: the first mode of the ``keep`` best runs (Z, Y, X), complex.
        support: the best run's support.
        mode_weights: relative weights of the modes; the first is the figure of merit.
        free_llk: every run's free log-likelihood, best first.
        voxel_m: (Z, Y, X) voxel size (m).
        displacement_m: u along G inside the support (NaN outside), phase d / (2 pi) (m).
        strain_zz: d u / d z along the rocking axis Z (NaN outside).
        fsc_resolution_m: 1/2-bit FSC resolution of the two best runs (m), on the Y-X voxel.
        initialisation: ``"random"`` (the recipe's runs from random starts) or ``"cnn"`` (the
            phase network's start, refined once per support threshold).
    """

    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    mode_weights: npt.NDArray[np.float64]
    free_llk: npt.NDArray[np.float64]
    voxel_m: tuple[float, float, float]
    displacement_m: npt.NDArray[np.float64]
    strain_zz: npt.NDArray[np.float64]
    fsc_resolution_m: float
    initialisation: str


def rocking_voxel_m(
    shape: tuple[int, int, int],
    eta_step_deg: float,
    d_spacing_m: float,
    wavelength_m: float,
    distance_m: float,
    pixel_m: float,
) -> tuple[float, float, float]:
    """(Z, Y, X) voxel (m) of the reconstruction of an intensity of ``shape``."""
    z = rocking_axis_voxel_m(shape[0], eta_step_deg, d_spacing_m)
    in_plane = wavelength_m * distance_m / pixel_m
    return (z, in_plane / shape[1], in_plane / shape[2])


def rocking_axis_voxel_m(angles: int, eta_step_deg: float, d_spacing_m: float) -> float:
    """The voxel (m) along the rocking axis Z of ``angles`` frames ``eta_step_deg`` apart:
    2 pi / (J |G| step), i.e. d / (J step). BCDI and BCMI share it."""
    if not eta_step_deg > 0:
        raise ValueError(f"eta_step_deg={eta_step_deg} must be > 0 deg")
    g = scattering_vector_magnitude_per_m(d_spacing_m)
    return 2 * math.pi / (angles * g * math.radians(eta_step_deg))


def reconstruct_rocking_scan(
    scan: RockingIntensity,
    d_spacing_m: float,
    wavelength_m: float,
    distance_m: float,
    pixel_m: float,
    recipe: str = "HIO**400, RAAR**1000, ER**300",
    runs: int = 10,
    keep: int = 3,
    seed: int = 0,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
    network: PhaseUNet | None = None,
) -> RockingReconstruction:
    """BCDI of a rocking scan: ``runs`` runs of ``recipe``, the ``keep`` best mode-decomposed.

    With a phase ``network`` (seed 003), the runs are instead the network's start refined once per
    first-support threshold with ``recipe`` (border-only support updates; ``runs`` is ignored),
    which needs at least the network's 64 voxels along every axis: 64 rocking angles or more.
    """
    data = DiffractionData.from_arrays(scan.intensity)
    step = float(np.median(np.diff(scan.eta_deg)))
    voxel = rocking_voxel_m(scan.intensity.shape, step, d_spacing_m, wavelength_m, distance_m, pixel_m)
    if network is None:
        if runs < 2:
            raise ValueError(f"runs={runs} must be >= 2 (the FSC compares the two best)")
        result = reconstruct(
            data, recipe, runs=runs, keep=keep, seed=seed, backend=backend, progress=progress
        )
    else:
        from ..cnn.phasing import cnn_phase

        refined = cnn_phase(data, network, recipe, seed=seed, backend=backend, progress=progress)
        result = decompose_best(refined.refinements, min(keep, len(refined.refinements)))
    figures = run_set_figures([r.obj for r in result.runs], voxel[1], keep=max(result.keep, 2))
    maps = strain_maps(result.obj, result.support, d_spacing_m, voxel[0], q_axis=0)
    return RockingReconstruction(
        obj=result.obj,
        support=result.support,
        mode_weights=np.asarray(result.mode_weights, dtype=np.float64),
        free_llk=np.array([r.free_llk for r in result.runs]),
        voxel_m=voxel,
        displacement_m=maps.displacement_m,
        strain_zz=maps.strain,
        fsc_resolution_m=figures.fsc_resolution_m,
        initialisation="random" if network is None else "cnn",
    )
