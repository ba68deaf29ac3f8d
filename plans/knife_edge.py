"""Knife-edge calibration of the illumination's angular spectrum I_k (seed 004, Methods, Eq. 6), and
the Foucault test for the cutoff filter's axial position."""

# No `from __future__ import annotations`: bluesky-queueserver validates a plan's arguments with
# pydantic from its annotations, which must be objects rather than strings.

from collections.abc import Sequence
from typing import Any

import bluesky.plan_stubs as bps
import bluesky.plans as bp

from .common import check_positions, prepare_exposure, require_range, start_metadata
from .trajectories import axial_positions_mm, knife_edge_positions_um


def knife_edge_calibration(
    detectors: Sequence[Any],
    cutoff_filter: Any,
    start_um: float = -60.0,
    stop_um: float = 60.0,
    step_um: float = 2.0,
    exposure_s: float = 0.1,
    pupil_half_width_um: float = 150.0,
    metadata: dict[str, Any] | None = None,
):
    """Insert the cutoff filter and scan its edge across the pupil, one background image per step.

    The mean background against the edge position gives I_k by Eq. 6 of seed 004 (the live and
    offline analysis is :func:`phasebeam.analysis.knife_edge.angular_spectrum_from_knife_edge`).
    The sample must be out of the field of view.

    Args:
        detectors: the microscope camera (and any other readables).
        cutoff_filter: a device with ``edge`` (um) and ``actuator.inserted``.
        start_um: first edge position across the pupil (um).
        stop_um: last edge position (um).
        step_um: step (um).
        exposure_s: exposure per image (s).
        pupil_half_width_um: half-width of the detection pupil (um); positions must lie within
            1.5 times it.
        metadata: extra start-document keys.
    """
    require_range("exposure_s", exposure_s, 1e-6, 3600.0)
    positions = [float(p) for p in knife_edge_positions_um(start_um, stop_um, step_um, pupil_half_width_um)]
    yield from check_positions(cutoff_filter.edge, positions)
    args = dict(
        detectors=detectors,
        cutoff_filter=cutoff_filter,
        start_um=start_um,
        stop_um=stop_um,
        step_um=step_um,
        exposure_s=exposure_s,
        pupil_half_width_um=pupil_half_width_um,
    )
    md = start_metadata("knife_edge_calibration", args, [cutoff_filter.edge], metadata)
    yield from prepare_exposure(detectors, exposure_s)
    yield from bps.mv(cutoff_filter.actuator.inserted, True)
    # bluesky types list_scan's *args as (motor, positions) tuples; the documented form is flat.
    scan_args: list[Any] = [cutoff_filter.edge, positions]
    return (yield from bp.list_scan(list(detectors), *scan_args, md=md))


def foucault_test(
    detectors: Sequence[Any],
    cutoff_filter: Any,
    axial_start_mm: float = -2.0,
    axial_stop_mm: float = 2.0,
    axial_step_mm: float = 0.5,
    edge_um: float = 0.0,
    exposure_s: float = 0.1,
    metadata: dict[str, Any] | None = None,
):
    """Foucault test: with the edge partly in the beam, one image per axial position of the filter.

    In the back focal plane the field darkens uniformly; elsewhere it acquires a gradient across
    the edge. :func:`phasebeam.analysis.foucault.foucault_focus` finds the zero crossing. The
    sample must be out of the field of view.

    Args:
        detectors: the microscope camera (and any other readables).
        cutoff_filter: a device with ``edge`` (um), ``axial`` (mm) and ``actuator.inserted``.
        axial_start_mm: first axial position (mm).
        axial_stop_mm: last axial position (mm), included.
        axial_step_mm: step (mm).
        edge_um: where the edge stays across the pupil (um): partly in the beam.
        exposure_s: exposure per image (s).
        metadata: extra start-document keys.
    """
    require_range("exposure_s", exposure_s, 1e-6, 3600.0)
    positions = [float(p) for p in axial_positions_mm(axial_start_mm, axial_stop_mm, axial_step_mm)]
    yield from check_positions(cutoff_filter.axial, positions)
    yield from check_positions(cutoff_filter.edge, [edge_um])
    args = dict(
        detectors=detectors,
        cutoff_filter=cutoff_filter,
        axial_start_mm=axial_start_mm,
        axial_stop_mm=axial_stop_mm,
        axial_step_mm=axial_step_mm,
        edge_um=edge_um,
        exposure_s=exposure_s,
    )
    md = start_metadata("foucault_test", args, [cutoff_filter.axial], metadata)
    yield from prepare_exposure(detectors, exposure_s)
    yield from bps.mv(cutoff_filter.actuator.inserted, True, cutoff_filter.edge, edge_um)
    # bluesky types list_scan's *args as (motor, positions) tuples; the documented form is flat.
    scan_args: list[Any] = [cutoff_filter.axial, positions]
    return (yield from bp.list_scan([*detectors, cutoff_filter.edge], *scan_args, md=md))
