"""Live rocking scans: the rocking curve while the scan runs, the crystal reconstructed at its end.

The reconstruction runs in the run's own worker, so the next scan starts while it goes on. What
to run is read from the start document: ``modulator_in`` (the rocking plan records it) picks
BCMI or BCDI, and an optional ``phasing`` mapping in the run's metadata overrides the settings:
for BCDI the initialisation (random starts, or seed 003's phase network), the recipe, ``runs``,
``keep``, ``seed`` and ``crop_px``; for BCMI the recipe, ``runs``, ``keep``, ``starts`` and ``seed``.
BCMI takes the stored modulator calibration (looked up as the run starts: a missing or stale one
fails the analysis at once, with the lookup's message) and the modulator's position, which the
rocking plan reads from the nanogoniometer with every frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from phasebeam.analysis.bcmi.rocking_scan import (
    BcmiRockingReconstruction,
    CalibratedModulator,
    check_bcmi_settings,
    reconstruct_bcmi_rocking_scan,
)
from phasebeam.analysis.cdi.recipe import STANDARD_RECIPE
from phasebeam.analysis.cdi.rocking_scan import reconstruct_rocking_scan, rocking_intensity
from phasebeam.analysis.cdi.run_set import crystal_cube
from phasebeam.analysis.cnn.phasing import REFINEMENT_RECIPE
from phasebeam.analysis.optics import wavelength_m

from .analyses import RockingCurveLive
from .live import FrameItem
from .run_settings import overridden

#: How a rocking scan's phasing starts: random starts, the phase network (seed 003; needs
#: PyTorch and the weights), or the network when PyTorch is installed and random starts otherwise.
INITIALISATIONS = ("random", "cnn", "auto")


@dataclass(frozen=True)
class BcdiSettings:
    """How a rocking scan is phased (a run's ``phasing`` metadata overrides any of them).

    Attributes:
        init: ``"random"``, ``"cnn"`` or ``"auto"`` (see :data:`INITIALISATIONS`).
        recipe: the engine's recipe per run; default the standard one from random starts, and
            seed 003's refinement (``HIO**200, ER**200``, border-only) from the network's start.
        runs: independent runs from random starts, ranked by free LLK (the network makes one
            refinement per support threshold instead).
        keep: best runs decomposed into modes.
        seed: random seed of the first run.
        crop_px: side of the detector window around the Bragg peak (px).
        cnn_weights: the phase network's weights file; default the shipped one.
    """

    init: str = "random"
    recipe: str | None = None
    runs: int = 10
    keep: int = 3
    seed: int = 0
    crop_px: int = 64
    cnn_weights: str | None = None

    def __post_init__(self) -> None:
        if self.init not in INITIALISATIONS:
            raise ValueError(f"init={self.init!r} is not one of {INITIALISATIONS}")


@dataclass(frozen=True)
class PhasingStart:
    """What a rocking scan's phasing starts from: the network (or None) and the recipe it runs."""

    network: Any
    recipe: str
    initialisation: str


def phasing_start(settings: BcdiSettings) -> PhasingStart:
    """The network and recipe of ``settings`` (the network loaded once, here).

    Raises:
        TorchMissingError: ``init="cnn"`` without PyTorch (its message gives the install command).
        FileNotFoundError, ValueError: weights missing or not the phase network's.
    """
    from phasebeam.analysis.cnn.weights_file import TorchMissingError, load_network, require_torch

    use_network = settings.init == "cnn"
    if settings.init == "auto":
        try:
            require_torch()
            use_network = True
        except TorchMissingError:
            use_network = False
    if not use_network:
        return PhasingStart(None, settings.recipe or STANDARD_RECIPE, "random")
    return PhasingStart(load_network(settings.cnn_weights), settings.recipe or REFINEMENT_RECIPE, "cnn")


@dataclass(frozen=True)
class BcmiRunSettings:
    """How a rocking scan with the modulator in is phased (its ``phasing`` metadata overrides them).

    Attributes:
        recipe: each BCMI run's recipe (seed 001's slice-by-slice model).
        runs: independent runs, ranked by free LLK.
        keep: best runs decomposed into modes.
        starts: 2-D starts of the support guess.
        seed: random seed of the first run.
    """

    recipe: str = "RAAR**400, ER**300"
    runs: int = 10
    keep: int = 3
    starts: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        check_bcmi_settings(self.recipe, self.runs, self.keep, self.starts)


#: A run's calibrated modulator from its start document (raises a LookupError saying why not).
ModulatorSource = Callable[[Mapping[str, Any]], CalibratedModulator]

#: The modulator may move this fraction of a pixel during a BCMI scan (the model holds it fixed).
MODULATOR_STILL_PX = 0.25


def modulator_position_m(x_um: Any, y_um: Any, pixel_m: float) -> tuple[float, float]:
    """The modulator's (y, x) position (m) from its readings during a scan (um), which must agree.

    Raises:
        ValueError: the modulator moved by more than a quarter of the ``pixel_m`` pixel.
    """
    x, y = 1e-6 * np.asarray(x_um, dtype=float), 1e-6 * np.asarray(y_um, dtype=float)
    moved = max(float(np.ptp(x)), float(np.ptp(y)))
    if moved > MODULATOR_STILL_PX * pixel_m:
        raise ValueError(
            f"the modulator moved by {moved * 1e9:.1f} nm during the rocking scan (more than "
            f"{MODULATOR_STILL_PX} of the {pixel_m * 1e9:.1f} nm pixel): BCMI needs it still"
        )
    return float(np.mean(y)), float(np.mean(x))


def bcmi_of_rocking_scan(
    stack: Any,
    eta_deg: Any,
    x_um: Any,
    y_um: Any,
    modulator: CalibratedModulator,
    energy_ev: float,
    d_spacing: float,
    detector_distance_m: float,
    detector_pixel_m: float,
    settings: BcmiRunSettings,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[BcmiRockingReconstruction, tuple[float, float]]:
    """BCMI of a rocking scan, live or offline: the crystal and the modulator's (y, x) position (m)."""
    position = modulator_position_m(x_um, y_um, modulator.pixel_m)
    s = settings
    crystal = reconstruct_bcmi_rocking_scan(
        stack,
        eta_deg,
        modulator,
        position,
        energy_ev,
        d_spacing,
        detector_distance_m,
        detector_pixel_m,
        s.recipe,
        s.runs,
        s.keep,
        s.starts,
        s.seed,
        progress=progress,
    )
    return crystal, position


def bcmi_fields(crystal: BcmiRockingReconstruction) -> dict[str, Any]:
    """What is published and written of a BCMI rocking scan's crystal."""
    return {
        "modulus": np.abs(crystal.obj),
        "phase_rad": np.angle(crystal.obj),
        "support": crystal.support.astype(np.uint8),
        "support_guess": crystal.support_guess.astype(np.uint8),
        "drift_px": crystal.drift_px,
        "mode_weights": crystal.mode_weights,
        "first_mode_weight": float(crystal.mode_weights[0]),
        "free_llk": crystal.free_llk,
        "voxel_m": np.array(crystal.voxel_m),
        "displacement_m": crystal.displacement_m,
        "strain_zz": crystal.strain_zz,
        "fsc_resolution_m": crystal.fsc_resolution_m,
        "fsc": crystal.figures.fsc.values,
        "fsc_frequency_per_m": crystal.figures.fsc.frequency_per_m,
    }


def d_spacing_m(energy_ev: float, bragg_angle_deg: float) -> float:
    """The reflection's lattice spacing from the energy (eV) and its Bragg angle (deg): lambda / (2 sin)."""
    return float(wavelength_m(energy_ev)) / (2 * math.sin(math.radians(bragg_angle_deg)))


class RockingScanReconstruction(RockingCurveLive):
    """The rocking curve live; at the stop, BCDI of the 3-D intensity (seed 001's standard recipe).

    Args:
        detector_pixel_m: the detector's pixel (m).
        detector_distance_m: sample to detector (m).
        settings: the BCDI phasing defaults.
        angle_key: the data key of the rocking angle (deg).
        bcmi: the BCMI phasing defaults (modulator in).
        modulator_for: finds a run's calibrated modulator; None: BCMI scans are refused.
        x_key: data key of the modulator's x (um).
        y_key: data key of the modulator's y (um).
    """

    name = "rocking_reconstruction"

    def __init__(
        self,
        detector_pixel_m: float,
        detector_distance_m: float,
        settings: BcdiSettings | None = None,
        angle_key: str = "diffractometer-eta",
        bcmi: BcmiRunSettings | None = None,
        modulator_for: ModulatorSource | None = None,
        x_key: str = "nanogoniometer-x",
        y_key: str = "nanogoniometer-y",
    ) -> None:
        super().__init__(angle_key)
        self.detector_pixel_m = detector_pixel_m
        self.detector_distance_m = detector_distance_m
        self.settings = settings or BcdiSettings()
        self.bcmi = bcmi or BcmiRunSettings()
        self.modulator_for = modulator_for
        self.x_key, self.y_key = x_key, y_key
        self.crystal: Any = None

    def start(self, start_doc: Mapping[str, Any]) -> None:
        super().start(start_doc)
        self.crystal = None
        missing = [key for key in ("energy_ev", "bragg_angle_deg") if key not in start_doc]
        if missing:
            raise ValueError(f"the start document lacks {missing}: the voxel size cannot be known")
        self.energy_ev = float(start_doc["energy_ev"])
        self.d_spacing_m = d_spacing_m(self.energy_ev, float(start_doc["bragg_angle_deg"]))
        self.modulator_in = bool(start_doc.get("modulator_in"))
        if self.modulator_in:
            if self.modulator_for is None:
                raise ValueError(
                    "this rocking scan has the modulator in, and this analysis was given no modulator "
                    "calibrations to look in (modulator_for): BCMI cannot run"
                )
            self.bcmi_settings = overridden(self.bcmi, start_doc.get("phasing"))
            self.modulator = self.modulator_for(start_doc)
            self.modulator_x_um: list[float] = []
            self.modulator_y_um: list[float] = []
            return
        self.run_settings = overridden(self.settings, start_doc.get("phasing"))
        self.phasing_start = phasing_start(self.run_settings)

    def add(self, item: FrameItem) -> None:
        if self.modulator_in:
            if self.x_key not in item.positions or self.y_key not in item.positions:
                raise ValueError(
                    f"the rocking scan's events have no {self.x_key!r} and {self.y_key!r}: pass the "
                    "nanogoniometer to rocking_scan (modulator=) so BCMI knows where the modulator was"
                )
            self.modulator_x_um.append(float(item.positions[self.x_key]))
            self.modulator_y_um.append(float(item.positions[self.y_key]))
        super().add(item)

    def result(self, final: bool) -> dict[str, Any]:
        out = super().result(final)
        if not final:
            return out
        if self.modulator_in:
            return self._bcmi_result(out)
        s, begin = self.run_settings, self.phasing_start
        scan = rocking_intensity(out["stack"], out["eta_deg"], s.crop_px)
        crystal = reconstruct_rocking_scan(
            scan,
            self.d_spacing_m,
            float(wavelength_m(self.energy_ev)),
            self.detector_distance_m,
            self.detector_pixel_m,
            begin.recipe,
            s.runs,
            s.keep,
            s.seed,
            network=begin.network,
        )
        self.crystal = crystal
        out.update(
            method="BCDI",
            initialisation=crystal.initialisation,
            recipe=begin.recipe,
            runs=len(crystal.free_llk),
            keep=s.keep,
            seed=s.seed,
            crop_corner_px=np.array(scan.corner_px),
            intensity=scan.intensity,
            modulus=np.abs(crystal.obj),
            phase_rad=np.angle(crystal.obj),
            support=crystal.support.astype(np.uint8),
            mode_weights=crystal.mode_weights,
            first_mode_weight=float(crystal.mode_weights[0]),
            free_llk=crystal.free_llk,
            voxel_m=np.array(crystal.voxel_m),
            displacement_m=crystal.displacement_m,
            strain_zz=crystal.strain_zz,
            fsc_resolution_m=crystal.fsc_resolution_m,
            d_spacing_m=self.d_spacing_m,
        )
        return out

    def _bcmi_result(self, out: dict[str, Any]) -> dict[str, Any]:
        s = self.bcmi_settings
        crystal, position = bcmi_of_rocking_scan(
            out["stack"],
            out["eta_deg"],
            self.modulator_x_um,
            self.modulator_y_um,
            self.modulator,
            self.energy_ev,
            self.d_spacing_m,
            self.detector_distance_m,
            self.detector_pixel_m,
            s,
        )
        self.crystal = crystal
        out.update(
            method="BCMI",
            calibration_uid=self.modulator.raw_uid,
            modulator_position_m=np.array(position),
            d1_m=self.modulator.d1_m,
            recipe=s.recipe,
            runs=s.runs,
            keep=s.keep,
            starts=s.starts,
            seed=s.seed,
            intensity=out["stack"],
            d_spacing_m=self.d_spacing_m,
            **bcmi_fields(crystal),
        )
        return out

    def draw(self, figure: Figure) -> None:
        crystal = self.crystal
        if crystal is None:
            super().draw(figure)
            return
        axes = figure.subplots(1, 3)
        # The crystal is a few voxels across in a frame-sized array: show its box, in nm.
        box_z, box_y, box_x = crystal_cube(crystal.obj, margin_vox=4)
        middle = (box_z.start + box_z.stop) // 2
        voxel_y_nm, voxel_x_nm = 1e9 * crystal.voxel_m[1], 1e9 * crystal.voxel_m[2]
        extent = (
            box_x.start * voxel_x_nm,
            box_x.stop * voxel_x_nm,
            box_y.stop * voxel_y_nm,
            box_y.start * voxel_y_nm,
        )
        axes[0].imshow(np.abs(crystal.obj[middle, box_y, box_x]), cmap="gray", extent=extent)
        method = "BCMI" if self.modulator_in else "BCDI"
        weight = 100 * crystal.mode_weights[0]
        axes[0].set_title(f"{method} |rho|, slice {middle}\nfirst mode {weight:.1f}%", fontsize=9)
        shown = axes[1].imshow(
            crystal.displacement_m[middle, box_y, box_x] * 1e12, cmap="coolwarm", extent=extent
        )
        figure.colorbar(shown, ax=axes[1], label="u (pm)")
        axes[1].set_title("displacement along G", fontsize=9)
        for ax in axes[:2]:
            ax.set(xlabel="x (nm)", ylabel="y (nm)")
        curve = RockingCurveLive.result(self, final=False)
        axes[2].plot(curve["eta_deg"], curve["integrated_counts"], "o-", ms=3)
        axes[2].set(xlabel="eta (deg)", ylabel="integrated intensity (counts)")
        axes[2].set_title(f"FSC 1/2-bit {crystal.fsc_resolution_m * 1e9:.1f} nm", fontsize=9)
