"""0/180 tomography (seed 004): step mode in pairs, or fly mode with frames taken on the fly."""

# No `from __future__ import annotations`: bluesky-queueserver validates a plan's arguments with
# pydantic from its annotations, which must be objects rather than strings.

from collections.abc import Sequence
from typing import Any

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import bluesky.preprocessors as bpp
from ophyd_async.core import TriggerInfo

from .common import check_positions, prepare_exposure, require_range, start_metadata
from .trajectories import fly_angles_deg, pair_angles_deg

MODES = ("step", "fly")


def tomography_angles_deg(
    mode: str,
    start_deg: float = 0.0,
    pairs: int = 450,
    images: int = 900,
    speed_deg_per_s: float = 0.2,
    exposure_s: float = 2.0,
    deadtime_s: float = 0.0,
) -> list[float]:
    """Every angle the rotation will be set to (deg), after checking every argument.

    Step mode: the pairs' angles in increasing order. Fly mode: the start and stop of the turn.
    """
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not one of {MODES}")
    require_range("exposure_s", exposure_s, 1e-6, 3600.0)
    require_range("deadtime_s", deadtime_s, 0.0, 3600.0)
    if mode == "step":
        return sorted(float(a) for a in pair_angles_deg(pairs, start_deg).ravel())
    fly_angles_deg(images, speed_deg_per_s, exposure_s, start_deg, deadtime_s)  # checks them
    return [start_deg, start_deg + speed_deg_per_s * (exposure_s + deadtime_s) * images]


def tomography_0_180(
    detectors: Sequence[Any],
    rotation: Any,
    mode: str = "fly",
    start_deg: float = 0.0,
    pairs: int = 450,
    images: int = 900,
    speed_deg_per_s: float = 0.2,
    exposure_s: float = 2.0,
    deadtime_s: float = 0.0,
    metadata: dict[str, Any] | None = None,
):
    """Images of the rotating sample at theta and theta + 180 deg.

    Step mode moves to each angle of ``pairs`` (theta, theta + 180) pairs spread over a half turn
    and takes one frame there, the angles in increasing order. Fly mode turns the sample
    continuously at ``speed_deg_per_s`` and takes ``images`` frames on the fly (seed 004: 900
    frames of 2 s at 0.2 deg/s, 0.4 deg per frame, a full turn in 30 min); the frames' mid-exposure
    angles are in the start document as ``angles_deg`` and the rotation's velocity is restored
    afterwards.

    Args:
        detectors: the microscope camera (and, in step mode, any other readables).
        rotation: the sample rotation motor (deg) with a ``velocity`` signal (deg/s).
        mode: ``"step"`` or ``"fly"``.
        start_deg: first angle (deg).
        pairs: step mode: number of (theta, theta + 180) pairs.
        images: fly mode: number of frames, seed 004: 900.
        speed_deg_per_s: fly mode: rotation speed (deg/s), seed 004: 0.2.
        exposure_s: exposure per frame (s), seed 004: 2.
        deadtime_s: fly mode: detector dead time between frames (s).
        metadata: extra start-document keys.
    """
    positions = tomography_angles_deg(mode, start_deg, pairs, images, speed_deg_per_s, exposure_s, deadtime_s)
    yield from check_positions(rotation, positions)
    args = dict(
        detectors=detectors,
        rotation=rotation,
        mode=mode,
        start_deg=start_deg,
        pairs=pairs,
        images=images,
        speed_deg_per_s=speed_deg_per_s,
        exposure_s=exposure_s,
        deadtime_s=deadtime_s,
    )
    if mode == "step":
        pair_list = pair_angles_deg(pairs, start_deg).tolist()
        md = start_metadata(
            "tomography_0_180", args, [rotation], metadata, pairs_deg=pair_list, angles_deg=positions
        )
        yield from prepare_exposure(detectors, exposure_s)
        # bluesky types list_scan's *args as (motor, positions) tuples; the documented form is flat.
        scan_args: list[Any] = [rotation, positions]
        return (yield from bp.list_scan(list(detectors), *scan_args, md=md))
    return (
        yield from _fly(
            detectors, rotation, positions, images, speed_deg_per_s, exposure_s, deadtime_s, args, metadata
        )
    )


def _fly(
    detectors, rotation, start_stop_deg, images, speed_deg_per_s, exposure_s, deadtime_s, args, metadata
):
    start_deg, stop_deg = start_stop_deg
    period_s = exposure_s + deadtime_s
    angles = fly_angles_deg(images, speed_deg_per_s, exposure_s, start_deg, deadtime_s).tolist()
    md = start_metadata(
        "tomography_0_180",
        args,
        [rotation],
        metadata,
        angles_deg=angles,
        stop_deg=stop_deg,
        duration_s=period_s * images,
    )
    md["hints"] = {"dimensions": [[["time"], "primary"]]}
    initial_velocity = yield from bps.rd(rotation.velocity)

    def restore_velocity():
        yield from bps.mv(rotation.velocity, initial_velocity)

    @bpp.stage_decorator(list(detectors))
    @bpp.run_decorator(md=md)
    def fly():
        # After staging: staging a detector forgets how it was prepared.
        for detector in detectors:
            yield from bps.prepare(
                detector,
                TriggerInfo(number_of_events=images, livetime=exposure_s, deadtime=deadtime_s),
                wait=True,
            )
        yield from bps.mv(rotation.velocity, speed_deg_per_s)
        yield from bps.declare_stream(*detectors, name="primary", collect=True)
        # The simulated and most real rotation stages reach speed within a frame: the motion
        # starts just before the detector, so the first frame is already at speed.
        yield from bps.abs_set(rotation, stop_deg, group="rotation")
        yield from bps.kickoff_all(*detectors, wait=True)
        yield from bps.collect_while_completing(
            list(detectors), list(detectors), flush_period=0.5, stream_name="primary"
        )
        yield from bps.wait(group="rotation")

    yield from bps.mv(rotation, start_deg)
    return (yield from bpp.finalize_wrapper(fly(), restore_velocity()))
