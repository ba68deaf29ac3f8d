"""Live rocking scans: the rocking curve while the scan runs, the crystal reconstructed at its end.

The reconstruction runs in the run's own worker, so the next scan starts while it goes on. What
to run is read from the start document: ``modulator_in`` (the rocking plan records it) picks
BCMI or BCDI, and an optional ``phasing`` mapping in the run's metadata overrides the recipe,
``runs``, ``keep``, ``seed`` and ``crop_px``. BCMI needs the modulator's calibration; it is
refused with that message until the live BCMI exists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from phasebeam.analysis.cdi.rocking_scan import reconstruct_rocking_scan, rocking_intensity
from phasebeam.analysis.optics import wavelength_m

from .analyses import RockingCurveLive
from .run_settings import overridden


@dataclass(frozen=True)
class BcdiSettings:
    """How a rocking scan is phased (a run's ``phasing`` metadata overrides any of them).

    Attributes:
        recipe: the engine's recipe per run.
        runs: independent runs, ranked by free LLK.
        keep: best runs decomposed into modes.
        seed: random seed of the first run.
        crop_px: side of the detector window around the Bragg peak (px).
    """

    recipe: str = "HIO**400, RAAR**1000, ER**300"
    runs: int = 10
    keep: int = 3
    seed: int = 0
    crop_px: int = 64


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
        self.energy_ev = float(start_doc["energy_ev"])
        self.d_spacing_m = d_spacing_m(self.energy_ev, float(start_doc["bragg_angle_deg"]))

    def result(self, final: bool) -> dict[str, Any]:
        out = super().result(final)
        if not final:
            return out
        s = self.run_settings
        scan = rocking_intensity(out["stack"], out["eta_deg"], s.crop_px)
        crystal = reconstruct_rocking_scan(
            scan,
            self.d_spacing_m,
            float(wavelength_m(self.energy_ev)),
            self.detector_distance_m,
            self.detector_pixel_m,
            s.recipe,
            s.runs,
            s.keep,
            s.seed,
        )
        self.crystal = crystal
        out.update(
            method="BCDI",
            recipe=s.recipe,
            runs=s.runs,
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
