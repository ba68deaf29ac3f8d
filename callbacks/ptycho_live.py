"""Live ptychographic calibration of the modulator (seed 001, Appendix A) during
``modulator_ptycho_calibration``.

The frames and the modulator's positions are collected as they arrive; every ``preview_every``
frames a short rPIE over the frames so far refreshes the modulator and probe of the figure. At the
stop the whole scan is reconstructed with the full settings (as ``phasebeam reconstruct modulator
--run`` does on the stored run): the modulator, its phase shift against the xraydb value for the
modulator's material, the retrieved d1 and the corrected positions. The wiring stores the result
as the modulator calibration that BCMI reconstructions look up.

The computational pixel is lambda d2 / (N p) with d2 = D - d1 at the nominal d1: d1 is what the
calibration retrieves, and the pixel depends on it only through d2 (0.03% over seed 001's two d1).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from phasebeam.analysis.bcmi.calibration import ModulatorCalibration, calibrate_modulator
from phasebeam.analysis.bcmi.modulator import modulator_phase_shift
from phasebeam.analysis.bcmi.ptychography import PtychoSettings, reconstruct_ptycho
from phasebeam.analysis.optics import wavelength_m

from .live import FrameItem
from .run_settings import overridden


@dataclass(frozen=True)
class ModulatorCalibrationSettings:
    """How the calibration scan is reconstructed (a run's ``phasing`` metadata overrides them).

    Attributes:
        epochs: rPIE epochs of the final reconstruction.
        position_start_epoch: first epoch that corrects the positions.
        preview_epochs: rPIE epochs of each preview.
        d1_range_mm: where d1 is searched (mm).
        nominal_d1_mm: the d1 that sets the pixel (mm).
        material: the modulator's material (for the expected phase shift).
        thickness_um: its thickness (um).
        seed: seed of the rPIE position order.
        upsample: modulator pixels per frame-conjugate pixel (see
            :mod:`phasebeam.analysis.bcmi.fine_grid`). 2 holds the modulator's edges as the
            detector sees them but has 4x the unknowns: it needs a scan that lights the modulator
            well (the BCMI demo's 145 points). On the simulated beamline's 24-point, 0.05 s spiral
            live BCMI then gave a displacement RMS of 46.2 pm on an unstrained crystal, against
            22.7 pm with 1; a run's ``phasing`` metadata may set 2.
    """

    epochs: int = 150
    position_start_epoch: int = 40
    preview_epochs: int = 10
    d1_range_mm: tuple[float, float] = (0.5, 5.0)
    nominal_d1_mm: float = 1.35
    material: str = "W"
    thickness_um: float = 1.5
    seed: int = 0
    upsample: int = 1


def calibration_pixel_m(
    energy_ev: float, distance_m: float, nominal_d1_mm: float, n: int, pixel_m: float
) -> float:
    """lambda d2 / (N p), the modulator plane's pixel (m)."""
    return float(wavelength_m(energy_ev)) * (distance_m - 1e-3 * nominal_d1_mm) / (n * pixel_m)


def run_calibration(
    frames: npt.NDArray,
    positions_m: npt.NDArray,
    energy_ev: float,
    pixel_m: float,
    s: ModulatorCalibrationSettings,
    progress: Callable[[int, int], None] | None = None,
) -> ModulatorCalibration:
    """The final calibration of a scan, live or offline; ``progress`` gets (epochs done, epochs)."""
    return calibrate_modulator(
        frames,
        positions_m,
        pixel_m,
        float(wavelength_m(energy_ev)),
        (1e-3 * s.d1_range_mm[0], 1e-3 * s.d1_range_mm[1]),
        PtychoSettings(epochs=s.epochs, position_start_epoch=s.position_start_epoch, upsample=s.upsample),
        seed=s.seed,
        progress=progress,
    )


def calibration_fields(calibration: ModulatorCalibration, expected_rad: float) -> dict[str, Any]:
    """What is published, stored and written of a calibration."""
    ptycho, levels = calibration.ptycho, calibration.levels
    return {
        "modulator": ptycho.modulator,
        "probe": ptycho.probe,
        "illumination": ptycho.illumination,
        "positions_m": ptycho.positions_m,
        "origin_px": np.asarray(ptycho.origin_px, dtype=np.float64),
        "pixel_m": ptycho.pixel_m,
        "upsample": ptycho.upsample,
        "error_history": np.asarray(ptycho.error_history),
        "phase_shift_rad": levels.phase_shift_rad,
        "phase_shift_xraydb_rad": expected_rad,
        "phase_shift_error": levels.phase_shift_rad / expected_rad - 1,
        "amplitude_ratio": levels.amplitude_ratio,
        "metal_fraction": levels.metal_fraction,
        "d1_m": calibration.d1.d1_m,
    }


class ModulatorCalibrationLive:
    """rPIE previews while the spiral runs; the full calibration at the stop.

    Args:
        detector_pixel_m: the detector's pixel (m).
        detector_distance_m: sample to detector (m).
        settings: the reconstruction's settings.
        preview_every: a preview every this many frames.
        x_key: data key of the modulator's x (um).
        y_key: data key of the modulator's y (um).
    """

    name = "modulator_calibration"

    def __init__(
        self,
        detector_pixel_m: float,
        detector_distance_m: float,
        settings: ModulatorCalibrationSettings | None = None,
        preview_every: int = 10,
        x_key: str = "nanogoniometer-x",
        y_key: str = "nanogoniometer-y",
    ) -> None:
        if preview_every < 1:
            raise ValueError(f"preview_every={preview_every} must be >= 1")
        self.detector_pixel_m = detector_pixel_m
        self.detector_distance_m = detector_distance_m
        self.settings = settings or ModulatorCalibrationSettings()
        self.preview_every = preview_every
        self.x_key, self.y_key = x_key, y_key

    def start(self, start_doc: Mapping[str, Any]) -> None:
        if "energy_ev" not in start_doc:
            raise ValueError("the start document has no energy_ev: the modulator plane's pixel is unknown")
        self.energy_ev = float(start_doc["energy_ev"])
        self.run_settings = overridden(self.settings, start_doc.get("phasing"))
        s = self.run_settings
        self.expected_rad = modulator_phase_shift(s.material, 1e-6 * s.thickness_um, self.energy_ev)
        self.frames: list[npt.NDArray] = []
        self.positions_m: list[tuple[float, float]] = []
        self.preview: Any = None
        self.calibration: ModulatorCalibration | None = None

    def pixel_m(self) -> float:
        n = self.frames[0].shape[-1]
        s = self.run_settings
        return calibration_pixel_m(
            self.energy_ev, self.detector_distance_m, s.nominal_d1_mm, n, self.detector_pixel_m
        )

    def add(self, item: FrameItem) -> None:
        self.frames.append(np.asarray(item.frame, dtype=np.float32))
        self.positions_m.append(
            (1e-6 * float(item.positions[self.y_key]), 1e-6 * float(item.positions[self.x_key]))
        )
        if len(self.frames) >= 2 and len(self.frames) % self.preview_every == 0:
            self.preview = reconstruct_ptycho(
                np.stack(self.frames),
                np.array(self.positions_m),
                self.pixel_m(),
                # A preview only shows the scan's progress: the conjugate pixel is enough.
                settings=PtychoSettings(
                    epochs=self.run_settings.preview_epochs, position_start_epoch=-1, upsample=1
                ),
                seed=self.run_settings.seed,
            )

    def result(self, final: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"frames": len(self.frames), "energy_ev": self.energy_ev}
        if self.positions_m:
            out["commanded_positions_m"] = np.array(self.positions_m)
        if self.preview is not None:
            out["preview_modulator_phase_rad"] = np.angle(self.preview.modulator)
        if final:
            if len(self.frames) < 2:
                raise ValueError(
                    f"a ptychographic calibration needs at least 2 frames, got {len(self.frames)}"
                )
            self.calibration = run_calibration(
                np.stack(self.frames),
                np.array(self.positions_m),
                self.energy_ev,
                self.pixel_m(),
                self.run_settings,
            )
            out.update(calibration_fields(self.calibration, self.expected_rad))
        return out

    def draw(self, figure: Figure) -> None:
        shown = self.calibration.ptycho if self.calibration is not None else self.preview
        left, middle, right = figure.subplots(1, 3)
        if shown is not None:
            left.imshow(np.angle(shown.modulator), cmap="twilight")
            middle.imshow(np.abs(shown.probe), cmap="magma")
        what = "calibrated" if self.calibration is not None else f"preview ({len(self.frames)} frames)"
        left.set_title(f"modulator phase, {what}", fontsize=8)
        middle.set_title("probe amplitude at the modulator", fontsize=8)
        if self.positions_m:
            commanded = np.array(self.positions_m) * 1e6
            right.plot(commanded[:, 1], commanded[:, 0], ".", ms=4, label="commanded")
        if self.calibration is not None:
            found = self.calibration.ptycho.positions_m * 1e6
            right.plot(found[:, 1], found[:, 0], "x", ms=4, label="corrected")
            levels = self.calibration.levels
            right.set_title(
                f"phase shift {levels.phase_shift_rad:.3f} rad (xraydb {self.expected_rad:.3f}), "
                f"d1 {1e3 * self.calibration.d1.d1_m:.3f} mm",
                fontsize=8,
            )
        right.set(xlabel="x (um)", ylabel="y (um)", aspect="equal")
        for ax in (left, middle):
            ax.set(xticks=[], yticks=[])
