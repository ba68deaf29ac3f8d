"""Rocking scans through a Bragg reflection (seed 001), with the modulator in (BCMI) or out (BCDI)."""

# No `from __future__ import annotations`: bluesky-queueserver validates a plan's arguments with
# pydantic from its annotations, which must be objects rather than strings.

from collections.abc import Sequence
from typing import Any

import bluesky.plans as bp
from bluesky.protocols import Movable, Readable

from .common import check_positions, prepare_exposure, require_range, start_metadata
from .trajectories import rocking_offsets_deg


def rocking_scan(
    detectors: Sequence[Readable],
    eta: Movable,
    bragg_angle_deg: float,
    start_deg: float = -0.5,
    stop_deg: float = 0.5,
    step_deg: float = 0.005,
    exposure_s: float = 1.0,
    modulator_in: bool = False,
    modulator: Readable | None = None,
    metadata: dict[str, Any] | None = None,
):
    """Rock ``eta`` through the Bragg angle, one frame per angle.

    Args:
        detectors: area detectors (and any other readables) to read at each angle.
        eta: the diffractometer's rocking motor (deg).
        bragg_angle_deg: the reflection's Bragg angle (deg); the scan is relative to it.
        start_deg: first offset from the Bragg angle (deg), seed 001: -0.5.
        stop_deg: last offset (deg), seed 001: +0.5.
        step_deg: step (deg), seed 001: 0.005 (201 frames).
        exposure_s: exposure per frame (s), seed 001: 1.
        modulator_in: whether the wavefront modulator is in the diffracted beam (BCMI) or not
            (BCDI); recorded in the start document for the reconstruction to choose its method.
        modulator: the modulator's nanogoniometer (positions in um), read with every frame: BCMI
            cuts the calibrated modulator where it stood. Required with ``modulator_in``.
        metadata: extra start-document keys.
    """
    require_range("bragg_angle_deg", bragg_angle_deg, 0.0, 90.0)
    require_range("exposure_s", exposure_s, 1e-6, 3600.0)
    if modulator_in and modulator is None:
        raise ValueError(
            "modulator_in=True needs modulator= (the modulator's nanogoniometer): BCMI cuts the "
            "calibrated modulator where the nanogoniometer holds it during the scan"
        )
    angles = [bragg_angle_deg + offset for offset in rocking_offsets_deg(start_deg, stop_deg, step_deg)]
    yield from check_positions(eta, angles)
    args = dict(
        detectors=detectors,
        eta=eta,
        bragg_angle_deg=bragg_angle_deg,
        start_deg=start_deg,
        stop_deg=stop_deg,
        step_deg=step_deg,
        exposure_s=exposure_s,
        modulator_in=modulator_in,
        modulator=modulator,
    )
    md = start_metadata(
        "rocking_scan",
        args,
        [eta],
        metadata,
        method="BCMI" if modulator_in else "BCDI",
        modulator_in=modulator_in,
        bragg_angle_deg=bragg_angle_deg,
    )
    yield from prepare_exposure(detectors, exposure_s)
    # bluesky types list_scan's *args as (motor, positions) tuples; the documented form is flat.
    scan_args: list[Any] = [eta, angles]
    readables = [*detectors, modulator] if modulator is not None else list(detectors)
    return (yield from bp.list_scan(readables, *scan_args, md=md))
