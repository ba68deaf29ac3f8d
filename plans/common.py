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


#: Argument-name suffixes and the units they state (longest first).
_SUFFIX_UNITS = (
    ("_deg_per_s", "deg/s"),
    ("_per_m", "1/m"),
    ("_deg", "deg"),
    ("_rad", "rad"),
    ("_um", "um"),
    ("_mm", "mm"),
    ("_ev", "eV"),
    ("_s", "s"),
    ("_m", "m"),
)


def _serialisable(value: Any) -> Any:
    """Devices by name (lists of them too); everything else as it is."""
    if isinstance(value, (list, tuple)):
        return [_serialisable(v) for v in value]
    return value.name if hasattr(value, "name") and hasattr(value, "parent") else value


def units_of(arguments: dict[str, Any]) -> dict[str, str]:
    """The unit of every argument whose name ends in a unit suffix (``exposure_s`` -> ``s``)."""
    units = {}
    for name in arguments:
        for suffix, unit in _SUFFIX_UNITS:
            if name.endswith(suffix):
                units[name] = unit
                break
    return units


def start_metadata(
    plan_name: str,
    arguments: dict[str, Any],
    motors: Sequence[Any],
    metadata: dict[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    """The start document's keys: plan name, arguments (devices by name), their units (from the
    argument names' suffixes), motors and plotting hints, then ``extra`` and ``metadata``."""
    names = [m.name for m in motors]
    md: dict[str, Any] = {
        "plan_name": plan_name,
        "plan_args": {key: _serialisable(value) for key, value in arguments.items()},
        "units": units_of(arguments),
        "motors": names,
        "hints": {"dimensions": [[[name], "primary"] for name in names]},
        **extra,
    }
    md.update(metadata or {})
    return md
