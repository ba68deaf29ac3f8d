"""Scan geometry as pure functions (numpy in, numpy out), checked before anything moves.

Every function refuses a bad argument with a ``ValueError`` that names the parameter, its value
and the allowed range. Units are in the argument names.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

#: The golden angle (rad) that spaces a Fermat spiral's points evenly.
GOLDEN_ANGLE_RAD = math.pi * (3.0 - math.sqrt(5.0))


def _require(name: str, value: float, low: float, high: float = math.inf, low_open: bool = False) -> None:
    ok = (value > low if low_open else value >= low) and value <= high and math.isfinite(value)
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name}={value!r} is outside the allowed range {bracket}{low}, {high}]")


def fermat_spiral_um(width_um: float, height_um: float, step_um: float) -> npt.NDArray[np.float64]:
    """(x, y) points (um) of a Fermat spiral filling a width x height rectangle centred on 0.

    Each point covers an area step^2 on average (radius r_k = step * sqrt(k / pi), angle
    k * golden angle), which is how a ptychographic "step" is usually stated. Seed 001 calibrates
    the modulator over 6 x 6 um^2 with a 120 nm step (about 2500 points).
    """
    _require("width_um", width_um, 0, 1e5, low_open=True)
    _require("height_um", height_um, 0, 1e5, low_open=True)
    _require("step_um", step_um, 0, min(width_um, height_um), low_open=True)
    half_diagonal = 0.5 * math.hypot(width_um, height_um)
    count = math.ceil(math.pi * (half_diagonal / step_um) ** 2) + 1
    k = np.arange(count, dtype=np.float64)
    radius = step_um * np.sqrt(k / math.pi)
    angle = k * GOLDEN_ANGLE_RAD
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    inside = (np.abs(points[:, 0]) <= width_um / 2) & (np.abs(points[:, 1]) <= height_um / 2)
    return points[inside]


def snake_raster_um(
    x_start_um: float, x_stop_um: float, y_start_um: float, y_stop_um: float, step_um: float
) -> npt.NDArray[np.float64]:
    """(x, y) points (um) row by row, every other row reversed (seed 002: 10 um steps)."""
    _require("step_um", step_um, 0, 1e6, low_open=True)
    xs = _inclusive_range("x", x_start_um, x_stop_um, step_um)
    ys = _inclusive_range("y", y_start_um, y_stop_um, step_um)
    rows = [np.column_stack([xs[::-1] if i % 2 else xs, np.full(len(xs), y)]) for i, y in enumerate(ys)]
    return np.concatenate(rows)


def _inclusive_range(name: str, start: float, stop: float, step: float) -> npt.NDArray[np.float64]:
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"{name} start {start} and stop {stop} must be finite")
    if stop < start:
        raise ValueError(f"{name}_stop={stop} must be >= {name}_start={start}")
    count = math.floor((stop - start) / step + 1e-9) + 1
    return start + step * np.arange(count, dtype=np.float64)


def rocking_offsets_deg(
    start_deg: float = -0.5, stop_deg: float = 0.5, step_deg: float = 0.005
) -> npt.NDArray[np.float64]:
    """Rocking angles relative to the Bragg angle (deg), both ends included (seed 001 defaults:
    -0.5 to +0.5 deg in 0.005 deg steps, 201 angles)."""
    _require("step_deg", step_deg, 0, 10, low_open=True)
    _require("start_deg", start_deg, -30, 30)
    _require("stop_deg", stop_deg, start_deg + step_deg, 30)
    return np.round(_inclusive_range("rocking", start_deg, stop_deg, step_deg), 10)


def pair_angles_deg(pairs: int, start_deg: float = 0.0) -> npt.NDArray[np.float64]:
    """(theta, theta + 180) pairs (deg) spread evenly over a half turn (seed 004's 0/180 scheme)."""
    if pairs < 1 or pairs > 100_000:
        raise ValueError(f"pairs={pairs} is outside the allowed range [1, 100000]")
    _require("start_deg", start_deg, -360, 360)
    theta = start_deg + 180.0 * np.arange(pairs, dtype=np.float64) / pairs
    return np.column_stack([theta, theta + 180.0]).astype(np.float64)


def fly_angles_deg(
    images: int = 900,
    speed_deg_per_s: float = 0.2,
    exposure_s: float = 2.0,
    start_deg: float = 0.0,
    deadtime_s: float = 0.0,
) -> npt.NDArray[np.float64]:
    """Mid-exposure rotation angles (deg) of a continuous-rotation fly scan, one frame every
    exposure + dead time.

    Seed 004: 900 images at 0.2 deg/s with 2 s exposures (0.4 deg per image, 360 deg, 30 min).
    """
    if images < 2 or images > 1_000_000:
        raise ValueError(f"images={images} is outside the allowed range [2, 1000000]")
    _require("speed_deg_per_s", speed_deg_per_s, 0, 360, low_open=True)
    _require("exposure_s", exposure_s, 0, 3600, low_open=True)
    _require("deadtime_s", deadtime_s, 0, 3600)
    per_image = speed_deg_per_s * (exposure_s + deadtime_s)
    return start_deg + per_image * (np.arange(images, dtype=np.float64) + 0.5)


def energies_ev(
    start_ev: float | None = None,
    stop_ev: float | None = None,
    step_ev: float | None = None,
    values_ev: list[float] | None = None,
    low_ev: float = 2000.0,
    high_ev: float = 30000.0,
) -> npt.NDArray[np.float64]:
    """Energies (eV) from a list or from start/stop/step, both ends included, each in [low, high].

    Seed 004 sweeps 40 eV across the Ni K edge (8333 eV) in 4 eV steps.
    """
    if values_ev is not None:
        if start_ev is not None or stop_ev is not None or step_ev is not None:
            raise ValueError("give either values_ev or start_ev/stop_ev/step_ev, not both")
        energies = np.asarray(values_ev, dtype=np.float64)
        if energies.ndim != 1 or energies.size == 0:
            raise ValueError(f"values_ev must be a non-empty list, got {values_ev!r}")
    else:
        if start_ev is None or stop_ev is None or step_ev is None:
            raise ValueError("give values_ev, or all of start_ev, stop_ev and step_ev")
        _require("step_ev", step_ev, 0, high_ev - low_ev, low_open=True)
        energies = _inclusive_range("energy", start_ev, stop_ev, step_ev)
    for value in energies:
        _require("energy_ev", float(value), low_ev, high_ev)
    return energies


def axial_positions_mm(start_mm: float, stop_mm: float, step_mm: float) -> npt.NDArray[np.float64]:
    """Axial positions (mm) of the Foucault test, both ends included, at least 3 of them."""
    _require("axial_step_mm", step_mm, 1e-4, 100.0)
    _require("axial_start_mm", start_mm, -1000.0, 1000.0)
    _require("axial_stop_mm", stop_mm, start_mm + 2 * step_mm, 1000.0)
    return _inclusive_range("axial", start_mm, stop_mm, step_mm)


def knife_edge_positions_um(
    start_um: float, stop_um: float, step_um: float, pupil_half_width_um: float = 150.0
) -> npt.NDArray[np.float64]:
    """Cutoff-edge positions across the pupil (um), both ends included, inside +-(half width + 50%)."""
    _require("step_um", step_um, 0, pupil_half_width_um, low_open=True)
    reach = 1.5 * pupil_half_width_um
    _require("start_um", start_um, -reach, reach)
    _require("stop_um", stop_um, start_um + step_um, reach)
    return _inclusive_range("edge", start_um, stop_um, step_um)
