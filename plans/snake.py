"""Snake raster of the sample under the beam (seed 002's XEDM acquisition), safe against top-up."""

# No `from __future__ import annotations`: bluesky-queueserver validates a plan's arguments with
# pydantic from its annotations, which must be objects rather than strings.

from collections.abc import Sequence
from typing import Any

import bluesky.plan_stubs as bps
import bluesky.plans as bp

from .beam import wait_for_beam
from .common import check_positions, prepare_exposure, require_range, start_metadata
from .trajectories import snake_raster_um


def snake_scan(
    detectors: Sequence[Any],
    sample_stage: Any,
    machine: Any,
    x_start_um: float = -50.0,
    x_stop_um: float = 50.0,
    y_start_um: float = -50.0,
    y_stop_um: float = 50.0,
    step_um: float = 10.0,
    exposure_s: float = 60.0,
    min_ring_current_ma: float = 10.0,
    settle_s: float = 1.0,
    metadata: dict[str, Any] | None = None,
):
    """Raster the sample's x/y piezos row by row, every other row reversed, one frame per point.

    Before each frame the scan suspends itself while the ring current is below
    ``min_ring_current_ma``, a top-up injection is in progress, or the next announced injection
    would fall inside the exposure; it goes on by itself once the beam is back (seed 002: "the
    acquisition was automatically skipped when the electrons were injected"). Every event also
    holds the ring current and injection flag read after its frame. See :mod:`.beam` for why
    the wait is between frames rather than a RunEngine suspender.

    Args:
        detectors: the far-field detector (and any other readables).
        sample_stage: a device with ``x`` and ``y`` piezos (um).
        machine: a device with ``ring_current`` (mA) and ``injection`` (bool).
        x_start_um: first column (um).
        x_stop_um: last column (um).
        y_start_um: first row (um).
        y_stop_um: last row (um).
        step_um: step on both axes (um), seed 002: 10.
        exposure_s: exposure per frame (s), seed 002: 60.
        min_ring_current_ma: suspend below this ring current (mA).
        settle_s: wait after the beam comes back before resuming (s).
        metadata: extra start-document keys.
    """
    require_range("exposure_s", exposure_s, 1e-6, 3600.0)
    require_range("min_ring_current_ma", min_ring_current_ma, 0.0, 1000.0)
    require_range("settle_s", settle_s, 0.0, 3600.0)
    points = snake_raster_um(x_start_um, x_stop_um, y_start_um, y_stop_um, step_um)
    xs = [float(x) for x in points[:, 0]]
    ys = [float(y) for y in points[:, 1]]
    yield from check_positions(sample_stage.x, xs)
    yield from check_positions(sample_stage.y, ys)
    args = dict(
        detectors=detectors,
        sample_stage=sample_stage,
        machine=machine,
        x_start_um=x_start_um,
        x_stop_um=x_stop_um,
        y_start_um=y_start_um,
        y_stop_um=y_stop_um,
        step_um=step_um,
        exposure_s=exposure_s,
        min_ring_current_ma=min_ring_current_ma,
        settle_s=settle_s,
    )
    md = start_metadata(
        "snake_scan",
        args,
        [sample_stage.x, sample_stage.y],
        metadata,
        points=len(xs),
        shape=[len(set(ys)), len(set(xs))],
    )
    yield from prepare_exposure(detectors, exposure_s)
    # bluesky types list_scan's *args as (motor, positions) tuples; the documented form is flat.
    scan_args: list[Any] = [sample_stage.x, xs, sample_stage.y, ys]

    # bluesky recognises a per_step by its parameters' names.
    def per_step(detectors, step, pos_cache, take_reading=None):
        yield from bps.move_per_step(step, pos_cache)  # a checkpoint, then the move
        yield from wait_for_beam(machine, exposure_s, min_ring_current_ma, settle_s)
        yield from (take_reading or bps.trigger_and_read)([*detectors, *step.keys()])

    # The machine's readings go into every event, so each frame carries the beam it saw.
    return (yield from bp.list_scan([*detectors, machine], *scan_args, per_step=per_step, md=md))
