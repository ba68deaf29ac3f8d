"""Ensemble diffraction frames of identical particles on a membrane (seed 002's XEDM data).

Each frame sums, incoherently as in the seed's regime (coherence length shorter than the
ensemble), Eq. 1 over the particles in the beam footprint, plus the scattering of the membrane,
air and beamline (the background), on an Eiger 16M-like detector: 514 x 1030 pixel modules with
37- and 10-pixel gaps, and a round beamstop on a holder arm. Counts are Poisson; pixels that
were not measured carry the detector's invalid value (the largest uint32, as an Eiger writes).

Bad frames, as the seed met them:
- ``"frame"``: the beam on the silicon frame rather than the membrane, about ten times weaker;
- ``"streak"``: edge scattering from the frame or dust, a streak through the direct beam;
- ``"background"``: a stretch of membrane without particles, only the background.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt

from phasebeam.analysis.xedm.particles import (
    RadialParticle,
    core_shell,
    particle_counts,
    pixel_q_per_m,
    pixel_solid_angle_sr,
)

INVALID_UINT32 = np.iinfo(np.uint32).max

#: Eiger 16M modules (rows, columns) and the gaps between them (rows, columns), pixels.
EIGER_MODULE_PX = (514, 1030)
EIGER_GAP_PX = (37, 10)

FRAME_KINDS = ("good", "frame", "streak", "background")


@dataclass(frozen=True)
class EnsembleSetup:
    """The experiment of seed 002 (section 2.2); defaults are the seed's silica-gold run.

    Attributes:
        particle: the identical particles.
        shape: detector pixels (rows, columns); a centred crop of the Eiger 16M by default.
        pixel_m: detector pixel (m).
        distance_m: sample to detector (m).
        energy_ev: photon energy (eV).
        centre_px: direct beam on the detector (row, column), not on a pixel centre.
        beamstop_radius_px: round beamstop (seed: 4.3 mm, about 57 pixels across).
        arm_width_px: the beamstop's holder arm, running to the right-hand edge.
        first_gap_px: the first row and column of the module gaps in the crop.
        flux_per_s: photons per second in the beam (seed: 1e9).
        footprint_m: beam size on the sample (rows, columns) (seed: 6 x 18 um).
        exposure_s: per frame (seed: 60 s).
        particles_per_footprint: mean number of particles in the beam.
        coverage_spread: relative spread (standard deviation) of the particle coverage from
            frame to frame (drying leaves the membrane unevenly covered).
        background_fraction: background counts over the signal of a typical frame.
        frame_transmission: intensity through the silicon frame relative to the membrane.
    """

    particle: RadialParticle = field(default_factory=core_shell)
    shape: tuple[int, int] = (1032, 1032)
    pixel_m: float = 75e-6
    distance_m: float = 2.08
    energy_ev: float = 8821.0
    centre_px: tuple[float, float] = (515.6, 516.3)
    beamstop_radius_px: float = 28.5
    arm_width_px: float = 6.0
    first_gap_px: tuple[int, int] = (125, 216)
    flux_per_s: float = 1e9
    footprint_m: tuple[float, float] = (6e-6, 18e-6)
    exposure_s: float = 60.0
    particles_per_footprint: float = 25000.0
    coverage_spread: float = 0.1
    background_fraction: float = 0.2
    frame_transmission: float = 0.07

    @property
    def fluence_per_m2(self) -> float:
        """Photons per unit area on the sample in one exposure (I_0 dt)."""
        return self.flux_per_s * self.exposure_s / (self.footprint_m[0] * self.footprint_m[1])

    @cached_property
    def mask(self) -> npt.NDArray[np.bool_]:
        """True where a pixel is not measured: module gaps, beamstop and its arm."""
        return detector_mask(
            self.shape, self.centre_px, self.beamstop_radius_px, self.arm_width_px, self.first_gap_px
        )

    @cached_property
    def single_particle(self) -> npt.NDArray[np.float64]:
        """Expected counts per pixel from one particle in one exposure (Eq. 1)."""
        q = pixel_q_per_m(self.shape, self.pixel_m, self.distance_m, self.energy_ev, self.centre_px)
        omega = pixel_solid_angle_sr(self.shape, self.pixel_m, self.distance_m, self.centre_px)
        return particle_counts(self.particle, q, omega, self.energy_ev, self.fluence_per_m2)

    @cached_property
    def background(self) -> npt.NDArray[np.float64]:
        """Expected background counts per pixel in one exposure: parasitic scattering falling as
        r^-3 from the beamstop's edge, plus a flat floor (air, fluorescence) holding a fifth."""
        y, x = np.ogrid[: self.shape[0], : self.shape[1]]
        r = np.maximum(np.hypot(y - self.centre_px[0], x - self.centre_px[1]), self.beamstop_radius_px)
        parasitic = (self.beamstop_radius_px / r) ** 3
        parasitic *= 0.8 / parasitic.sum()
        flat = np.full(self.shape, 0.2 / parasitic.size)
        total = self.background_fraction * self.particles_per_footprint * float(self.single_particle.sum())
        return total * (parasitic + flat)


def detector_mask(
    shape: tuple[int, int],
    centre_px: tuple[float, float],
    beamstop_radius_px: float,
    arm_width_px: float,
    first_gap_px: tuple[int, int],
) -> npt.NDArray[np.bool_]:
    """Unmeasured pixels of an Eiger 16M-like crop: gaps every module, a beamstop and its arm."""
    mask = np.zeros(shape, dtype=bool)
    for axis in (0, 1):
        period = EIGER_MODULE_PX[axis] + EIGER_GAP_PX[axis]
        start = first_gap_px[axis] % period
        for first in range(start, shape[axis], period):
            band = slice(first, first + EIGER_GAP_PX[axis])
            if axis == 0:
                mask[band, :] = True
            else:
                mask[:, band] = True
    y, x = np.ogrid[: shape[0], : shape[1]]
    mask |= (y - centre_px[0]) ** 2 + (x - centre_px[1]) ** 2 <= beamstop_radius_px**2
    mask |= (np.abs(y - centre_px[0]) <= arm_width_px / 2) & (x >= centre_px[1])
    return mask


def streak_counts(
    setup: EnsembleSetup, angle_rad: float, strength: float, width_px: float = 1.5
) -> npt.NDArray[np.float64]:
    """A streak through the direct beam at ``angle_rad``, falling as r^-2 (edge scattering).

    ``strength`` is its peak next to the beamstop relative to a typical frame's intensity there.
    """
    cy, cx = setup.centre_px
    y, x = np.ogrid[: setup.shape[0], : setup.shape[1]]
    along = (x - cx) * math.cos(angle_rad) + (y - cy) * math.sin(angle_rad)
    across = -(x - cx) * math.sin(angle_rad) + (y - cy) * math.cos(angle_rad)
    ring = setup.beamstop_radius_px + 2.0
    r = np.maximum(np.abs(along), ring)
    profile = np.exp(-0.5 * (across / width_px) ** 2) * (ring / r) ** 2
    r_pixels = np.hypot(y - cy, x - cx)
    near = (r_pixels > ring - 1) & (r_pixels < ring + 1)
    typical_at_ring = setup.particles_per_footprint * float(np.mean(setup.single_particle[near]))
    return strength * typical_at_ring * profile


def expected_frame(
    setup: EnsembleSetup,
    particles: float,
    transmission: float = 1.0,
    streak: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Expected counts of one frame with ``particles`` in the beam."""
    rate = particles * setup.single_particle + setup.background
    if streak is not None:
        rate = rate + streak
    return transmission * rate


def detected(
    setup: EnsembleSetup, expected: npt.NDArray[np.float64], rng: np.random.Generator
) -> npt.NDArray[np.uint32]:
    """Poisson counts as a uint32 frame, unmeasured pixels at the invalid value."""
    frame = rng.poisson(expected).astype(np.uint32)
    frame[setup.mask] = INVALID_UINT32
    return frame


@dataclass(frozen=True)
class FrameSeries:
    """Simulated frames and what each one really is (one of :data:`FRAME_KINDS`)."""

    frames: npt.NDArray[np.uint32]
    kinds: tuple[str, ...]
    particles: npt.NDArray[np.float64]
    setup: EnsembleSetup


def simulate_frames(
    setup: EnsembleSetup,
    n_frames: int,
    seed: int = 0,
    bad_fractions: dict[str, float] | None = None,
    streak_strength: tuple[float, float] = (0.25, 3.0),
) -> FrameSeries:
    """``n_frames`` of a snake scan, bad frames mixed in at random (seed 002's NV-LP shares by
    default: 6% on the frame, 4% streaked, 3% background only)."""
    if n_frames < 1:
        raise ValueError(f"n_frames must be >= 1, got {n_frames}")
    fractions = (
        {"frame": 0.06, "streak": 0.04, "background": 0.03} if bad_fractions is None else bad_fractions
    )
    unknown = set(fractions) - set(FRAME_KINDS[1:])
    if unknown or sum(fractions.values()) >= 1 or min(fractions.values(), default=0) < 0:
        raise ValueError(
            f"bad_fractions must map {FRAME_KINDS[1:]} to shares >= 0 summing < 1, got {fractions}"
        )
    rng = np.random.default_rng(seed)
    kinds = list(FRAME_KINDS[1:])
    p = [fractions.get(k, 0.0) for k in kinds]
    draws = rng.choice(["good", *kinds], size=n_frames, p=[1 - sum(p), *p])
    frames = np.empty((n_frames, *setup.shape), dtype=np.uint32)
    shape_k = 1.0 / setup.coverage_spread**2
    counts = np.zeros(n_frames)
    for i, kind in enumerate(draws):
        coverage = rng.gamma(shape_k, 1.0 / shape_k)
        n = 0.0 if kind == "background" else float(rng.poisson(setup.particles_per_footprint * coverage))
        counts[i] = n
        streak = None
        if kind == "streak":
            streak = streak_counts(setup, rng.uniform(0, math.pi), rng.uniform(*streak_strength))
        transmission = setup.frame_transmission if kind == "frame" else 1.0
        frames[i] = detected(setup, expected_frame(setup, n, transmission, streak), rng)
    return FrameSeries(frames, tuple(str(k) for k in draws), counts, setup)


def write_frame_file(series: FrameSeries, path: str | os.PathLike) -> None:
    """The layout ``phasebeam reconstruct xedm`` reads: frames, mask and the geometry."""
    import h5py

    with h5py.File(path, "w") as f:
        f.create_dataset("frames", data=series.frames, chunks=(1, *series.frames.shape[1:]))
        f.create_dataset("mask", data=series.setup.mask.astype(np.uint8))
        f.attrs["energy_ev"] = series.setup.energy_ev
        f.attrs["detector_distance_m"] = series.setup.distance_m
        f.attrs["detector_pixel_m"] = series.setup.pixel_m
        f.attrs["beam_centre_px"] = series.setup.centre_px
        f.attrs["kinds"] = ",".join(series.kinds)


@dataclass(frozen=True)
class EnsembleMembrane:
    """A Si3N4 window in a silicon frame, covered with particles, as the snake scan meets it.

    The membrane is cut into cells of ``cell_m`` (the snake step of seed 002); each cell is, by a
    draw seeded by its indices (the same place always looks the same): covered (coverage spread
    ``coverage_spread``), bare (background only) or dusty (a streak). The silicon frame lies beyond
    ``window_half_width_m`` of the centre, and the window's edge scatters a streak across it within
    ``edge_band_m``.
    """

    particle: RadialParticle = field(default_factory=core_shell)
    window_half_width_m: float = 250e-6
    edge_band_m: float = 8e-6
    cell_m: float = 10e-6
    particles_per_footprint: float = 25000.0
    footprint_m: tuple[float, float] = (6e-6, 18e-6)
    coverage_spread: float = 0.1
    bare_fraction: float = 0.03
    dust_fraction: float = 0.03
    background_fraction: float = 0.2
    frame_transmission: float = 0.07
    streak_strength: tuple[float, float] = (0.25, 3.0)
    seed: int = 0

    def state_at(self, y_m: float, x_m: float) -> tuple[str, float, float, float]:
        """(kind, coverage, streak angle (rad), streak strength) of the membrane under the beam."""
        edge_distance = self.window_half_width_m - max(abs(y_m), abs(x_m))
        if edge_distance < 0:
            return "frame", 0.0, 0.0, 0.0
        cell = (math.floor(y_m / self.cell_m) + 100_000, math.floor(x_m / self.cell_m) + 100_000)
        rng = np.random.default_rng([self.seed, *cell])
        shape = 1.0 / self.coverage_spread**2
        coverage = float(rng.gamma(shape, 1.0 / shape))
        draw = rng.random()
        strength = float(rng.uniform(*self.streak_strength))
        if edge_distance < self.edge_band_m:
            # The edge's own scattering runs perpendicular to it.
            angle = 0.0 if abs(x_m) >= abs(y_m) else math.pi / 2
            return "streak", coverage, angle, strength
        if draw < self.bare_fraction:
            return "background", 0.0, 0.0, 0.0
        if draw < self.bare_fraction + self.dust_fraction:
            return "streak", coverage, float(rng.uniform(0, math.pi)), strength
        return "good", coverage, 0.0, 0.0


def membrane_rate(
    membrane: EnsembleMembrane,
    shape: tuple[int, int],
    pixel_m: float,
    distance_m: float,
    energy_ev: float,
    photon_rate_per_s: float,
    y_m: float,
    x_m: float,
) -> npt.NDArray[np.float64]:
    """Expected counts per second on the detector with the beam at (y, x) on the membrane."""
    setup = _rate_setup(membrane, shape, pixel_m, distance_m, round(energy_ev, 3))
    kind, coverage, angle, strength = membrane.state_at(y_m, x_m)
    particles = 0.0 if kind in ("background", "frame") else membrane.particles_per_footprint * coverage
    streak = streak_counts(setup, angle, strength) if kind == "streak" else None
    transmission = membrane.frame_transmission if kind == "frame" else 1.0
    rate = expected_frame(setup, particles, transmission, streak) * (photon_rate_per_s / setup.flux_per_s)
    rate[setup.mask] = 0.0
    return rate


def membrane_detector_mask(
    membrane: EnsembleMembrane, shape: tuple[int, int], pixel_m: float, distance_m: float, energy_ev: float
) -> npt.NDArray[np.bool_]:
    """The pixels that :func:`membrane_rate` never fills (module gaps, beamstop and its arm)."""
    return _rate_setup(membrane, shape, pixel_m, distance_m, round(energy_ev, 3)).mask


@lru_cache(maxsize=8)
def _rate_setup(
    membrane: EnsembleMembrane, shape: tuple[int, int], pixel_m: float, distance_m: float, energy_ev: float
) -> EnsembleSetup:
    """The detector's geometry at one second of exposure and the nominal flux (cached)."""
    centre = (shape[0] / 2 - 0.4, shape[1] / 2 + 0.3)
    return EnsembleSetup(
        particle=membrane.particle,
        shape=shape,
        pixel_m=pixel_m,
        distance_m=distance_m,
        energy_ev=energy_ev,
        centre_px=centre,
        beamstop_radius_px=max(4.0, shape[0] / 36),
        first_gap_px=(shape[0] // 2 + shape[0] // 6, shape[1] // 2 - shape[1] // 4),
        footprint_m=membrane.footprint_m,
        exposure_s=1.0,
        particles_per_footprint=membrane.particles_per_footprint,
        background_fraction=membrane.background_fraction,
        frame_transmission=membrane.frame_transmission,
    )
