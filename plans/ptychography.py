"""Ptychographic calibration of the wavefront modulator in the Bragg beam (seed 001, Appendix A)."""

# No `from __future__ import annotations`: bluesky-queueserver validates a plan's arguments with
# pydantic from its annotations, which must be objects rather than strings.

from collections.abc import Sequence
from typing import Any

import bluesky.plans as bp

from .common import check_positions, prepare_exposure, require_range, start_metadata
from .trajectories import fermat_spiral_um


def modulator_ptycho_calibration(
    detectors: Sequence[Any],
    nanogoniometer: Any,
    width_um: float = 6.0,
    height_um: float = 6.0,
    step_um: float = 0.12,
    exposure_s: float = 0.1,
    centre_x_um: float = 0.0,
    centre_y_um: float = 0.0,
    metadata: dict[str, Any] | None = None,
):
    """Move the modulator on a Fermat spiral in its x-y plane (perpendicular to the diffracted
    beam), one frame per point, at its current distance d1 from the sample.

    Args:
        detectors: the far-field detector (and any other readables).
        nanogoniometer: a device with ``x`` and ``y`` (um) and ``controller.d1`` (mm).
        width_um: scanned width (um), seed 001: 6.
        height_um: scanned height (um), seed 001: 6.
        step_um: spiral step (um): each point covers step^2 on average; seed 001: 0.12.
        exposure_s: exposure per frame (s).
        centre_x_um: spiral centre on x (um).
        centre_y_um: spiral centre on y (um).
        metadata: extra start-document keys.
    """
    require_range("exposure_s", exposure_s, 1e-6, 3600.0)
    require_range("centre_x_um", centre_x_um, -1e4, 1e4)
    require_range("centre_y_um", centre_y_um, -1e4, 1e4)
    points = fermat_spiral_um(width_um, height_um, step_um)
    xs = [float(x) + centre_x_um for x in points[:, 0]]
    ys = [float(y) + centre_y_um for y in points[:, 1]]
    yield from check_positions(nanogoniometer.x, xs)
    yield from check_positions(nanogoniometer.y, ys)
    args = dict(
        detectors=detectors,
        nanogoniometer=nanogoniometer,
        width_um=width_um,
        height_um=height_um,
        step_um=step_um,
        exposure_s=exposure_s,
        centre_x_um=centre_x_um,
        centre_y_um=centre_y_um,
    )
    md = start_metadata(
        "modulator_ptycho_calibration",
        args,
        [nanogoniometer.x, nanogoniometer.y],
        metadata,
        points=len(xs),
    )
    yield from prepare_exposure(detectors, exposure_s)
    # bluesky types list_scan's *args as (motor, positions) tuples; the documented form is flat.
    scan_args: list[Any] = [nanogoniometer.x, xs, nanogoniometer.y, ys]
    return (yield from bp.list_scan(list(detectors), *scan_args, md=md))
