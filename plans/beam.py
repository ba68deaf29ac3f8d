"""Top-up-aware frames: no exposure starts unless it can end before the next injection.

bluesky's RunEngine suspenders cancel whatever the plan is waiting for, a detector's trigger
included. A file-writing detector still saves the interrupted frame, which no event then refers
to, and the next event would have to refer to two frames: bluesky refuses that ("multiple
indices in a stream_datum"), and Tiled reads a stream's frames as consecutive rows of the file.
So the wait happens between frames, where nothing is in flight: before each exposure the plan
waits while the ring current is below a floor, an injection is in progress, or the next
announced injection (the top-up countdown) would fall inside the exposure.
"""

from __future__ import annotations

from typing import Any

import bluesky.plan_stubs as bps

from .common import require_range

#: How often the machine status is read while waiting for beam (s).
POLL_S = 0.1


def beam_unavailable(
    ring_current_ma: float,
    injection: bool,
    time_to_injection_s: float,
    min_ring_current_ma: float,
    needed_s: float,
) -> str | None:
    """Why an exposure of ``needed_s`` cannot start now, or None if it can."""
    if injection:
        return "top-up injection in progress"
    if ring_current_ma < min_ring_current_ma:
        return f"ring current {ring_current_ma:.1f} mA below {min_ring_current_ma} mA"
    if time_to_injection_s < needed_s:
        return f"next injection in {time_to_injection_s:.1f} s, inside the {needed_s:.1f} s exposure"
    return None


def wait_for_beam(
    machine: Any,
    exposure_s: float,
    min_ring_current_ma: float = 10.0,
    settle_s: float = 1.0,
    margin_s: float = 0.5,
):
    """Plan stub: return once a frame of ``exposure_s`` can be taken entirely with beam.

    Returns the seconds spent waiting. After a wait, ``settle_s`` more pass so that the optics'
    heat load settles; the waits are logged on the RunEngine's logger and counted by the caller.

    Args:
        machine: a device with ``ring_current`` (mA), ``injection`` (bool) and
            ``time_to_injection`` (s).
        exposure_s: the exposure about to start (s).
        min_ring_current_ma: no frame below this ring current (mA).
        settle_s: wait after the beam comes back (s).
        margin_s: time kept free between the end of an exposure and an injection (s).
    """
    require_range("min_ring_current_ma", min_ring_current_ma, 0.0, 1000.0)
    require_range("settle_s", settle_s, 0.0, 3600.0)
    require_range("margin_s", margin_s, 0.0, 3600.0)
    waited = 0.0
    while True:
        current = yield from bps.rd(machine.ring_current)
        injection = yield from bps.rd(machine.injection)
        countdown = yield from bps.rd(machine.time_to_injection)
        reason = beam_unavailable(
            float(current), bool(injection), float(countdown), min_ring_current_ma, exposure_s + margin_s
        )
        if reason is None:
            break
        yield from bps.sleep(POLL_S)
        waited += POLL_S
    if waited and settle_s:
        yield from bps.sleep(settle_s)
        waited += settle_s
    return waited
