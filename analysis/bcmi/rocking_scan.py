"""BCMI of a rocking scan with the modulator in (seed 001): the calibrated modulator's window, the
support guess, independent runs ranked by free log-likelihood, their figures and the strain.

The same steps serve the live reconstruction at the end of a rocking scan, ``phasebeam reconstruct
rocking --run`` and ``phasebeam reconstruct bcmi`` on files. The modulator comes from the
ptychographic calibration (:class:`CalibratedModulator`): its window under the frames is cut where
the nanogoniometer held it during the rocking scan, in the calibration scan's frame of positions.
The calibration must have been taken with the same detector frame and energy, so that its pixel
lambda d2 / (N p) is the rocking scan's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..backend import Backend, get_backend
from ..cdi.recipe import parse_recipe
from ..cdi.rocking_scan import rocking_axis_voxel_m
from ..cdi.run_set import RunSetFigures, run_set_figures
from ..strain import strain_maps
from .calibration import modulator_window, window_corner_px
from .geometry import BcmiGeometry
from .reconstruction import BcmiModel, BcmiReconstruction, phase_bcmi
from .support_guess import SupportGuess, support_guess

#: The relative difference between the calibration's pixel and the rocking scan's that is
#: tolerated: 0.2% moves the window's far edge by 0.26 pixel at N = 128 (about 18 eV at 9 keV).
PIXEL_TOLERANCE = 2e-3


@dataclass(frozen=True)
class CalibratedModulator:
    """A stored ptychographic calibration of the modulator.

    Attributes:
        transmission: the reconstructed modulator (Y, X), complex.
        illumination: the calibration scan's summed probe intensity on the same grid.
        origin_px: (y, x) pixel of ``transmission`` under the scan's position (0, 0).
        pixel_m: the calibration frames' conjugate pixel (m).
        d1_m: the sample-to-modulator distance it retrieved (m).
        raw_uid: the calibration run's uid.
        upsample: ``transmission``'s pixels per ``pixel_m``.
    """

    transmission: npt.NDArray[np.complex64]
    illumination: npt.NDArray[np.float64]
    origin_px: tuple[float, float]
    pixel_m: float
    d1_m: float
    raw_uid: str
    upsample: int = 1

    def window(self, position_m: npt.ArrayLike, geometry: BcmiGeometry) -> npt.NDArray[np.complex64]:
        """The modulator under the frames with the modulator at ``position_m`` (y, x) m: u N x u N.

        Raises:
            ValueError: the calibration's pixel is not the geometry's (another energy or frame size),
                or the window falls outside what the calibration scan lit.
        """
        mismatch = self.pixel_m / geometry.pixel_m - 1
        if abs(mismatch) > PIXEL_TOLERANCE:
            raise ValueError(
                f"the modulator calibration of run {self.raw_uid} has a {self.pixel_m * 1e9:.3f} nm pixel "
                f"and this scan's BCMI geometry ({geometry.energy_ev:.1f} eV, {geometry.frame_px} px "
                f"frames) a {geometry.pixel_m * 1e9:.3f} nm one ({100 * mismatch:+.2f}%, allowed "
                f"{100 * PIXEL_TOLERANCE:.1f}%): calibrate the modulator at this energy with this detector"
            )
        corner = window_corner_px(position_m, self.origin_px, self.pixel_m / self.upsample)
        return modulator_window(
            self.transmission, self.illumination, corner, geometry.frame_px, upsample=self.upsample
        )


@dataclass(frozen=True)
class BcmiRockingReconstruction:
    """A rocking scan's crystal from BCMI (Z, Y, X arrays in the detector-conjugate frame).

    Attributes:
        obj: the first mode of the ``keep`` best runs, complex.
        support: the best run's support.
        support_guess: the support guessed from the data before the runs.
        drift_px: the best run's sample drift per angle (J, 2) as (y, x) pixels.
        mode_weights: the first mode's relative weight, as a one-element array (the figure of merit).
        free_llk: every run's free log-likelihood, best first.
        voxel_m: (Z, Y, X) voxel (m): Z from the rocking step, Y and X lambda d2 / (N p).
        displacement_m: u along G inside the support (NaN outside), phase d / (2 pi) (m).
        strain_zz: d u / d z along the rocking axis Z (NaN outside).
        fsc_resolution_m: 1/2-bit FSC resolution of the two best runs (m), on the Y-X voxel.
        figures: the run set's figures (FSC curve, modulus histogram).
    """

    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    support_guess: npt.NDArray[np.bool_]
    drift_px: npt.NDArray[np.float64]
    mode_weights: npt.NDArray[np.float64]
    free_llk: npt.NDArray[np.float64]
    voxel_m: tuple[float, float, float]
    displacement_m: npt.NDArray[np.float64]
    strain_zz: npt.NDArray[np.float64]
    fsc_resolution_m: float
    figures: RunSetFigures


def check_bcmi_settings(recipe: str, runs: int, keep: int, starts: int) -> None:
    """Refuse settings a BCMI reconstruction cannot run, by name, before any work."""
    parse_recipe(recipe)
    if runs < 2:
        raise ValueError(f"runs={runs} must be >= 2 (the FSC compares the two best)")
    if not 2 <= keep <= runs:
        raise ValueError(f"keep={keep} must be in [2, runs={runs}]")
    if starts < 1:
        raise ValueError(f"starts={starts} must be >= 1")


def reconstruct_bcmi(
    frames: npt.NDArray,
    window: npt.NDArray,
    geometry: BcmiGeometry,
    recipe: str = "RAAR**400, ER**300",
    runs: int = 10,
    keep: int = 3,
    starts: int = 16,
    seed: int = 0,
    measured: npt.NDArray[np.bool_] | None = None,
    backend: Backend | str = "numpy",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[SupportGuess, list[BcmiReconstruction], RunSetFigures]:
    """The support guess, ``runs`` BCMI runs (best free LLK first) and the figures of the ``keep`` best.

    Args:
        frames: the rocking scan's counts (J, N, N), centred, angle J // 2 at the Bragg peak.
        window: the calibrated modulator under the frames (N, N).
        geometry: the BCMI geometry.
        recipe: each run's recipe.
        runs: independent runs (seeds ``seed``, ``seed + 1``, ...).
        keep: best runs decomposed into modes.
        starts: 2-D starts of the support guess.
        seed: the first seed.
        measured: False where a pixel was not measured; default all.
        backend: ``numpy``, ``cupy`` or ``auto``.
        progress: called with (steps done, steps): the support guess's starts, then each run.
    """
    check_bcmi_settings(recipe, runs, keep, starts)
    BcmiModel(window, geometry, get_backend("numpy"))  # checks the modulator before any work
    total = starts + runs

    def guess_progress(done: int, _total: int) -> None:
        if progress is not None:
            progress(done, total)

    guess = support_guess(
        frames, window, geometry, seed=seed, starts=starts, backend=backend, progress=guess_progress
    )
    results = []
    for k in range(runs):
        results.append(
            phase_bcmi(
                frames,
                window,
                geometry,
                guess.support,
                recipe,
                seed=seed + k,
                measured=measured,
                backend=backend,
            )
        )
        if progress is not None:
            progress(starts + k + 1, total)
    results.sort(key=lambda r: r.free_llk)
    return guess, results, run_set_figures([r.obj for r in results], geometry.pixel_m, keep=keep)


def rocking_scan_window(
    frames_shape: tuple[int, ...],
    angles_shape: tuple[int, ...],
    modulator: CalibratedModulator,
    position_m: npt.ArrayLike,
    energy_ev: float,
    detector_distance_m: float,
    detector_pixel_m: float,
) -> tuple[BcmiGeometry, npt.NDArray[np.complex64]]:
    """A rocking scan's BCMI geometry and the modulator window under its frames: every check that
    :func:`reconstruct_bcmi_rocking_scan` makes before any phasing.

    Raises:
        ValueError: the frames are not (J, N, N) square with J >= 4 and one angle each, or the
            modulator's window does not fit (see :meth:`CalibratedModulator.window`).
    """
    if len(frames_shape) != 3 or frames_shape[1] != frames_shape[2] or angles_shape != (frames_shape[0],):
        raise ValueError(
            f"frames {frames_shape} and eta_deg {angles_shape} must be (J, N, N) square frames and (J,)"
        )
    if frames_shape[0] < 4:
        raise ValueError(f"a rocking scan needs at least 4 angles to phase, got {frames_shape[0]}")
    geometry = BcmiGeometry(
        frame_px=int(frames_shape[-1]),
        d1_m=modulator.d1_m,
        energy_ev=energy_ev,
        detector_distance_m=detector_distance_m,
        detector_pixel_m=detector_pixel_m,
    )
    return geometry, modulator.window(position_m, geometry)


def reconstruct_bcmi_rocking_scan(
    frames: npt.NDArray,
    eta_deg: npt.ArrayLike,
    modulator: CalibratedModulator,
    position_m: npt.ArrayLike,
    energy_ev: float,
    d_spacing_m: float,
    detector_distance_m: float,
    detector_pixel_m: float,
    recipe: str = "RAAR**400, ER**300",
    runs: int = 10,
    keep: int = 3,
    starts: int = 16,
    seed: int = 0,
    backend: Backend | str = "numpy",
    progress: Callable[[int, int], None] | None = None,
) -> BcmiRockingReconstruction:
    """BCMI of a rocking scan's frames with the calibrated modulator at ``position_m``.

    Args:
        frames: (J, N, N) counts, whole square frames, in the order of ``eta_deg``.
        eta_deg: the rocking angles (deg); the frames are sorted by them, and the Bragg peak must be
            at the middle angle J // 2 (a scan symmetric about the Bragg angle).
        modulator: the stored calibration; its d1 is used.
        position_m: the modulator's (y, x) position during the scan (m), in the calibration's frame.
        energy_ev: photon energy (eV).
        d_spacing_m: the reflection's lattice spacing (m).
        detector_distance_m: sample to detector (m).
        detector_pixel_m: detector pixel (m).
        recipe, runs, keep, starts, seed, backend, progress: as :func:`reconstruct_bcmi`.
    """
    stack = np.asarray(frames)
    angles = np.asarray(eta_deg, dtype=np.float64)
    geometry, window = rocking_scan_window(
        stack.shape, angles.shape, modulator, position_m, energy_ev, detector_distance_m, detector_pixel_m
    )
    order = np.argsort(angles, kind="stable")
    stack, angles = stack[order].astype(np.float32), angles[order]
    guess, results, figures = reconstruct_bcmi(
        stack, window, geometry, recipe, runs, keep, starts, seed, backend=backend, progress=progress
    )
    voxel_z = rocking_axis_voxel_m(stack.shape[0], float(np.median(np.diff(angles))), d_spacing_m)
    best = results[0]
    maps = strain_maps(figures.first_mode, best.support, d_spacing_m, voxel_z, q_axis=0)
    return BcmiRockingReconstruction(
        obj=figures.first_mode,
        support=best.support,
        support_guess=guess.support,
        drift_px=best.drift_px,
        mode_weights=np.array([figures.first_mode_weight]),
        free_llk=np.array([r.free_llk for r in results]),
        voxel_m=(voxel_z, geometry.pixel_m, geometry.pixel_m),
        displacement_m=maps.displacement_m,
        strain_zz=maps.strain,
        fsc_resolution_m=figures.fsc_resolution_m,
        figures=figures,
    )
