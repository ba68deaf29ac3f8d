"""Live rocking scans: the rocking curve while the scan runs, the crystal reconstructed at its end.

The reconstruction runs in the run's own worker, so the next scan starts while it goes on. What
to run is read from the start document: ``modulator_in`` (the rocking plan records it) picks
BCMI or BCDI, and an optional ``phasing`` mapping in the run's metadata overrides the
initialisation (random starts, or seed 003's phase network), the recipe, ``runs``, ``keep``,
``seed`` and ``crop_px``. BCMI needs the modulator's calibration; it is refused with that message
until the live BCMI exists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from phasebeam.analysis.cdi.recipe import STANDARD_RECIPE
from phasebeam.analysis.cdi.rocking_scan import reconstruct_rocking_scan, rocking_intensity
from phasebeam.analysis.cnn.phasing import REFINEMENT_RECIPE
from phasebeam.analysis.optics import wavelength_m

from .analyses import RockingCurveLive
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


def d_spacing_m(energy_ev: float, bragg_angle_deg: float) -> float:
    """The reflection's lattice spacing from the energy (eV) and its Bragg angle (deg): lambda / (2 sin)."""
    return float(wavelength_m(energy_ev)) / (2 * math.sin(math.radians(bragg_angle_deg)))


class RockingScanReconstruction(RockingCurveLive):
    """The rocking curve live; at the stop, BCDI of the 3-D intensity (seed 001's standard recipe).

    Args:
        detector_pixel_m: the detector's pixel (m).
        detector_distance_m: sample to detector (m).
        settings: the phasing defaults.
        angle_key: the data key of the rocking angle (deg).
    """

    name = "rocking_reconstruction"

    def __init__(
        self,
        detector_pixel_m: float,
        detector_distance_m: float,
        settings: BcdiSettings | None = None,
        angle_key: str = "diffractometer-eta",
    ) -> None:
        super().__init__(angle_key)
        self.detector_pixel_m = detector_pixel_m
        self.detector_distance_m = detector_distance_m
        self.settings = settings or BcdiSettings()

    def start(self, start_doc: Mapping[str, Any]) -> None:
        super().start(start_doc)
        if start_doc.get("modulator_in"):
            raise ValueError(
                "this rocking scan has the modulator in: its BCMI reconstruction needs the stored "
                "modulator calibration, and live BCMI is not built yet; use 'phasebeam reconstruct bcmi'"
            )
        missing = [key for key in ("energy_ev", "bragg_angle_deg") if key not in start_doc]
        if missing:
            raise ValueError(f"the start document lacks {missing}: the voxel size cannot be known")
        self.run_settings = overridden(self.settings, start_doc.get("phasing"))
        self.phasing_start = phasing_start(self.run_settings)
        self.energy_ev = float(start_doc["energy_ev"])
        self.d_spacing_m = d_spacing_m(self.energy_ev, float(start_doc["bragg_angle_deg"]))

    def result(self, final: bool) -> dict[str, Any]:
        out = super().result(final)
        if not final:
            return out
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

    def draw(self, figure: Figure) -> None:
        crystal = getattr(self, "crystal", None)
        if crystal is None:
            super().draw(figure)
            return
        axes = figure.subplots(1, 3)
        middle = crystal.obj.shape[0] // 2
        axes[0].imshow(np.abs(crystal.obj[middle]), cmap="gray")
        weight = 100 * crystal.mode_weights[0]
        axes[0].set_title(f"|rho|, central slice; first mode {weight:.1f}%", fontsize=9)
        shown = axes[1].imshow(crystal.displacement_m[middle] * 1e12, cmap="coolwarm")
        figure.colorbar(shown, ax=axes[1], label="u (pm)")
        axes[1].set_title("displacement along G", fontsize=9)
        curve = RockingCurveLive.result(self, final=False)
        axes[2].plot(curve["eta_deg"], curve["integrated_counts"], "o-", ms=3)
        axes[2].set(xlabel="eta (deg)", ylabel="integrated intensity (counts)")
        axes[2].set_title(f"FSC 1/2-bit {crystal.fsc_resolution_m * 1e9:.1f} nm", fontsize=9)
        for ax in axes[:2]:
            ax.set(xticks=[], yticks=[])
