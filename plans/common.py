"""What every phasebeam plan does before it moves anything: check, then describe itself."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import bluesky.plan_stubs as bps
from bluesky.protocols import Checkable
from ophyd_async.core import StandardDetector, TriggerInfo


def require_range(name: str, value: float, low: float, high: float) -> None:
    """Raise a ValueError naming the parameter, its value and the allowed range."""
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name}={value!r} is outside the allowed range [{low}, {high}]")


def check_positions(movable: Any, positions: Iterable[float]):
    """Plan stub: ask the device to check every set point (limits, guards) before any motion."""
    if isinstance(movable, Checkable):
        values = [float(p) for p in positions]
        # The RunEngine's wait_for returns the finished tasks without raising their errors.
        tasks = yield from bps.wait_for([lambda v=v: movable.check_value(v) for v in values])
        errors = [error for task in tasks or () if (error := task.exception()) is not None]
        if errors:
            raise errors[0]


def prepare_exposure(detectors: Sequence[Any], exposure_s: float):
    """Plan stub: set the exposure of every StandardDetector (one frame per trigger)."""
    for detector in detectors:
        if isinstance(detector, StandardDetector):
            yield from bps.prepare(detector, TriggerInfo(livetime=exposure_s), wait=True)


def start_metadata(
    plan_name: str,
    plan_args: dict[str, Any],
    units: dict[str, str],
    motors: Sequence[Any],
    metadata: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    """The start document's keys: plan name and arguments, units, motors and plotting hints."""
    names = [m.name for m in motors]
    md: dict[str, Any] = {
        "plan_name": plan_name,
        "plan_args": plan_args,
        "units": units,
        "motors": names,
        "hints": {"dimensions": [[[name], "primary"] for name in names]},
        **extra,
    }
    md.update(metadata or {})
    return md
