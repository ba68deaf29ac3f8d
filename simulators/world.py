"""The simulated instrument and sample: one object that every simulated device server shares.

The world holds each motor as an :class:`~phasebeam.simulators.motion.Axis`, the in/out and
machine states, the samples (pupil illumination, Bragg crystal, membrane with particles), and the
detectors' geometry. A detector asks :meth:`World.expected_rate` for the expected photon counts per
second in each pixel at an instant; the frame model registered under the detector's
``frame_model`` name computes it from the physics and the positions at that instant.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from phasebeam.analysis.optics import (
    bragg_angle_deg,
    energy_ev_from_bragg_angle,
    thin_lens_object_distance_m,
    wavelength_m,
    zone_plate_focal_length_m,
)
from phasebeam.analysis.undulator import UndulatorModel, undulator_gap_m

from .bragg_rocking import BraggCrystal
from .crystals import ellipsoid
from .far_field import SphereParticles
from .knife_edge import PupilIllumination, projected_disc_illumination
from .motion import Axis, LimitError
from .projection import SpheresSample, default_spheres
from .xedm import EnsembleMembrane


class CollisionError(LimitError):
    """A move refused because it would bring two parts of the instrument too close."""


@dataclass(frozen=True)
class DetectorConfig:
    """Geometry of a simulated detector and the frame model that fills it.

    Attributes:
        shape: (rows, columns) of a frame.
        pixel_m: physical pixel pitch (m).
        distance_m: sample-to-detector distance for far-field geometries (m).
        sample_pixel_m: pixel size projected to the sample plane for imaging geometries (m).
        frame_model: name of the registered frame model.
    """

    shape: tuple[int, int]
    pixel_m: float
    distance_m: float
    frame_model: str
    sample_pixel_m: float = 100e-9


@dataclass(frozen=True)
class AxisSpec:
    unit: str
    velocity: float
    low: float
    high: float


#: Reference energy of the simulated beamline at start-up (eV): seed 001 works at 9 keV.
START_ENERGY_EV = 9000.0
#: Pt(111) lattice spacing (m): a = 3.9242 A / sqrt(3).
PT111_D_SPACING_M = 2.2656e-10

AXES: dict[str, AxisSpec] = {
    "nanogonio_x": AxisSpec("um", 50.0, -3000.0, 3000.0),
    "nanogonio_y": AxisSpec("um", 50.0, -3000.0, 3000.0),
    "nanogonio_z": AxisSpec("um", 50.0, -3000.0, 5000.0),
    "nanogonio_mchi": AxisSpec("deg", 1.0, -5.0, 5.0),
    "nanogonio_mphi": AxisSpec("deg", 1.0, -5.0, 5.0),
    "cutoff_edge": AxisSpec("um", 200.0, -300.0, 300.0),
    "cutoff_axial": AxisSpec("mm", 2.0, -10.0, 10.0),
    "zoneplate_x": AxisSpec("um", 100.0, -500.0, 500.0),
    "zoneplate_y": AxisSpec("um", 100.0, -500.0, 500.0),
    "zoneplate_z": AxisSpec("mm", 5.0, 30.0, 150.0),
    "undulator_gap": AxisSpec("mm", 5.0, 6.0, 30.0),
    "dcm_bragg": AxisSpec("deg", 2.0, 3.0, 30.0),
    "eta": AxisSpec("deg", 5.0, -10.0, 120.0),
    "theta": AxisSpec("deg", 20.0, -720.0, 720.0),
    "sample_x": AxisSpec("um", 500.0, -5000.0, 5000.0),
    "sample_y": AxisSpec("um", 500.0, -5000.0, 5000.0),
    "sample_z": AxisSpec("um", 500.0, -5000.0, 5000.0),
}


@dataclass
class WorldSettings:
    """Parameters of the simulated instrument that are not motor positions."""

    photon_flux: float = 1e9  # photons/s in the beam at the nominal ring current
    nominal_ring_current_ma: float = 200.0
    undulator: UndulatorModel = field(default_factory=UndulatorModel)
    undulator_harmonic: int = 1
    undulator_periods: int = 70
    zone_plate_diameter_m: float = 300e-6
    zone_plate_outer_zone_m: float = 30e-9
    sample_to_camera_m: float = 1.3
    d1_at_zero_mm: float = 1.35  # sample-to-modulator distance at nanogoniometer z = 0 (seed 001)
    d1_min_mm: float = 0.5
    cutoff_focus_mm: float = 0.0  # axial position of the zone plate's back focal plane
    probe_fwhm_m: float = 1.5e-6  # focused beam on the sample (seed 001: 1.5 um)
    beamstop_radius_px: float = 8.0  # central beamstop of far-field patterns (pixels, 0 = none)


def _default_detectors() -> dict[str, DetectorConfig]:
    return {
        # Eiger-like far-field detector: Bragg (seed 001: 75 um pixels at 5.35 m) and SAXS.
        "eiger": DetectorConfig((128, 128), 75e-6, 5.35, "bragg_rocking"),
        # Scintillator + objective camera of the transmission microscope (seed 004).
        "camera": DetectorConfig((128, 128), 6.5e-6, 1.3, "knife_edge", sample_pixel_m=100e-9),
    }


class World:
    """State of the simulated beamline. Thread-safe: device servers call it concurrently."""

    def __init__(
        self,
        settings: WorldSettings | None = None,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or WorldSettings()
        self.clock = clock
        self.lock = threading.RLock()
        self.rng = np.random.default_rng(seed)
        self.axes: dict[str, Axis] = {
            name: Axis(
                name, spec.unit, min(max(0.0, spec.low), spec.high), spec.velocity, spec.low, spec.high
            )
            for name, spec in AXES.items()
        }
        self.detectors = _default_detectors()
        self.cutoff_inserted = False
        self.diffuser_inserted = False
        self.diffuser_spinning = False
        self.diffuser_speed_hz = 20.0
        self.ring_current_ma = self.settings.nominal_ring_current_ma
        self.manual_injection = False
        # Announced top-up injections: (start, stop) in the world's monotonic clock.
        self.injection_windows: list[tuple[float, float]] = []
        self.d1_min_mm = self.settings.d1_min_mm
        s = self.settings
        # Start tuned and focused at the reference energy, rocking near the Pt(111) reflection.
        self.place("dcm_bragg", bragg_angle_deg(START_ENERGY_EV))
        self.place("undulator_gap", 1e3 * undulator_gap_m(START_ENERGY_EV, s.undulator_harmonic, s.undulator))
        self.place("zoneplate_z", 1e3 * self.zone_plate_focus_distance_m(START_ENERGY_EV))
        self.place("cutoff_edge", -250.0)
        self.place("eta", bragg_angle_deg(START_ENERGY_EV, PT111_D_SPACING_M))
        # Samples.
        half_pupil = s.zone_plate_diameter_m / 2
        self.illumination: PupilIllumination = projected_disc_illumination(
            radius_m=0.22 * half_pupil, pupil_half_width_m=half_pupil, centre_m=10e-6, blur_m=4e-6, tilt=0.3
        )
        self.crystal = BraggCrystal(
            ellipsoid((32, 32, 32), (7.0, 9.0, 11.0)).astype(np.complex128), 20e-9, PT111_D_SPACING_M
        )
        self.particles = SphereParticles(
            centres_m=self.rng.uniform(-20e-6, 20e-6, size=(80, 2)), radius_m=150e-9
        )
        self.tomography_sample: SpheresSample = default_spheres()
        self.membrane = EnsembleMembrane(seed=seed)

    def place(self, name: str, position: float) -> None:
        """Put an axis at ``position`` at once (simulation set-up; not a move)."""
        self.axes[name].move_to(position, -math.inf)  # already there at start-up

    # --- motion -------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    def position(self, name: str, t: float | None = None) -> float:
        with self.lock:
            return self.axes[name].position_at(self.now() if t is None else t)

    def is_moving(self, name: str) -> bool:
        with self.lock:
            return self.axes[name].is_moving(self.now())

    def move(self, name: str, target: float) -> None:
        """Start moving axis ``name`` to ``target``; raise before moving if it is not allowed."""
        with self.lock:
            axis = self.axes[name]
            axis.check(target)
            if name == "nanogonio_z":
                d1 = self.d1_mm_for_z(target)
                if d1 < self.d1_min_mm:
                    raise CollisionError(
                        f"nanogonio_z: set point {target} um would put the modulator at "
                        f"d1 = {d1:.4f} mm, below the collision limit d1_min = {self.d1_min_mm} mm"
                    )
            axis.move_to(target, self.now())

    def stop(self, name: str) -> None:
        with self.lock:
            self.axes[name].stop(self.now())

    def d1_mm_for_z(self, z_um: float) -> float:
        return self.settings.d1_at_zero_mm + z_um * 1e-3

    def d1_mm(self, t: float | None = None) -> float:
        return self.d1_mm_for_z(self.position("nanogonio_z", t))

    # --- beam ---------------------------------------------------------------------------------

    def energy_ev(self, t: float | None = None) -> float:
        """Photon energy selected by the monochromator (eV)."""
        return energy_ev_from_bragg_angle(self.position("dcm_bragg", t))

    def wavelength_m(self, t: float | None = None) -> float:
        return float(wavelength_m(self.energy_ev(t)))

    def undulator_tuning(self, t: float | None = None) -> float:
        """Relative undulator flux at the monochromator energy: 1 when the gap is tuned to it.

        The harmonic's line has a relative width of about 1 / (n N) for N periods.
        """
        s = self.settings
        energy = self.energy_ev(t)
        peak = s.undulator.energy_ev(self.position("undulator_gap", t) * 1e-3, s.undulator_harmonic)
        width = energy / (s.undulator_harmonic * s.undulator_periods)
        return math.exp(-0.5 * ((peak - energy) / width) ** 2)

    @property
    def injection(self) -> bool:
        """A top-up injection is in progress now (announced, or switched on by hand)."""
        return self.injection_at()

    @injection.setter
    def injection(self, value: bool) -> None:
        self.manual_injection = bool(value)

    def injection_at(self, t: float | None = None) -> bool:
        t = self.now() if t is None else t
        with self.lock:
            return self.manual_injection or any(start <= t < stop for start, stop in self.injection_windows)

    def schedule_injection(self, delay_s: float, duration_s: float) -> None:
        """Announce an injection starting ``delay_s`` from now and lasting ``duration_s``."""
        if not (delay_s >= 0 and duration_s > 0):
            raise ValueError(f"delay_s={delay_s} must be >= 0 s and duration_s={duration_s} > 0 s")
        start = self.now() + delay_s
        with self.lock:
            self.injection_windows.append((start, start + duration_s))

    def seconds_to_injection(self, t: float | None = None) -> float:
        """Time to the next announced injection (s): 0 during one, infinity if none is announced."""
        t = self.now() if t is None else t
        if self.injection_at(t):
            return 0.0
        with self.lock:
            upcoming = [start - t for start, _ in self.injection_windows if start > t]
        return min(upcoming, default=math.inf)

    def photon_rate(self, t: float | None = None) -> float:
        """Photons per second reaching the sample: zero without stored beam or during injection."""
        if self.injection_at(t):
            return 0.0
        with self.lock:
            if self.ring_current_ma < 1.0:
                return 0.0
            s = self.settings
            return s.photon_flux * self.ring_current_ma / s.nominal_ring_current_ma * self.undulator_tuning(t)

    def zone_plate_focal_length_m(self, energy_ev: float) -> float:
        s = self.settings
        return zone_plate_focal_length_m(s.zone_plate_diameter_m, s.zone_plate_outer_zone_m, energy_ev)

    def zone_plate_focus_distance_m(self, energy_ev: float) -> float:
        """Sample-to-zone-plate distance that images the sample onto the camera."""
        f = self.zone_plate_focal_length_m(energy_ev)
        return thin_lens_object_distance_m(f, self.settings.sample_to_camera_m)

    # --- frames -------------------------------------------------------------------------------

    def expected_rate(self, detector: str, t: float) -> npt.NDArray[np.float64]:
        """Expected counts per second in each pixel of ``detector`` at monotonic time ``t``."""
        from .frame_models import FRAME_MODELS

        with self.lock:
            config = self.detectors[detector]
            try:
                model = FRAME_MODELS[config.frame_model]
            except KeyError:
                raise ValueError(
                    f"unknown frame model {config.frame_model!r}; registered: {sorted(FRAME_MODELS)}"
                ) from None
            return model(self, config, t)

    def acquire(self, detector: str, t_start: float, exposure_s: float) -> npt.NDArray[np.uint32]:
        """One frame: Poisson counts of the rate at mid-exposure times the exposure."""
        rate = self.expected_rate(detector, t_start + exposure_s / 2)
        with self.lock:
            counts = self.rng.poisson(np.clip(rate, 0.0, None) * exposure_s)
        return np.minimum(counts, np.iinfo(np.uint32).max).astype(np.uint32)

    def set_frame_model(self, detector: str, model: str) -> None:
        from .frame_models import FRAME_MODELS

        if model not in FRAME_MODELS:
            raise ValueError(f"frame model {model!r} is not registered; choose one of {sorted(FRAME_MODELS)}")
        with self.lock:
            self.detectors[detector] = replace(self.detectors[detector], frame_model=model)
