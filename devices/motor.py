"""A Tango motor: the axis every positioner of phasebeam is made of.

Tango interface expected (one Tango device per axis):

=============  ======  ==========================================================
name           type    meaning
=============  ======  ==========================================================
``position``   rw f64  set point on write, readback on read; unit and min/max limits in the
                       attribute configuration (they reach the event descriptor)
``velocity``   rw f64  speed, unit/s
``State``      state   MOVING while moving, ON when stopped (Tango's built-in attribute)
``Stop``       cmd     stop now (capitalised like Tango's own State and Init; a Python
                       ``stop`` would clash with the bluesky verb)
=============  ======  ==========================================================
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated as A

from ophyd_async.core import (
    DEFAULT_TIMEOUT,
    InstantMovableMock,
    MovableLogic,
    SignalR,
    SignalRW,
    StandardMovable,
    StandardReadable,
    TimeoutCalculator,
    TriggerableCommand,
    default_mock_class,
    set_mock_value,
)
from ophyd_async.core import StandardReadableFormat as Format
from ophyd_async.tango.core import DevStateEnum, TangoDevice, TangoPolling

#: Client-side polling of Tango attributes (the simulated servers push no events).
POLL_S = 0.05

MoveGuard = Callable[[float], Awaitable[None]]


class MoveRefusedError(ValueError):
    """A move refused before anything moved: out of limits, or a guard such as a collision check."""


@dataclass
class TangoMotorLogic(MovableLogic[float]):
    velocity: SignalRW[float]
    stop_command: TriggerableCommand
    state: SignalR[DevStateEnum]
    name: Callable[[], str]
    guards: list[MoveGuard] = field(default_factory=list)

    async def stop(self) -> None:
        await self.stop_command.trigger()

    async def check_move(self, new_position: float) -> None:
        if not math.isfinite(new_position):
            raise MoveRefusedError(f"{self.name()}: set point must be finite, got {new_position}")
        datakey = (await self.readback.describe())[self.readback.name]
        unit = datakey.get("units") or ""
        control = (datakey.get("limits") or {}).get("control") or {}
        low, high = control.get("low"), control.get("high")
        if low is not None and new_position < low:
            raise MoveRefusedError(
                f"{self.name()}: set point {new_position} {unit} is below the low limit {low} {unit}"
            )
        if high is not None and new_position > high:
            raise MoveRefusedError(
                f"{self.name()}: set point {new_position} {unit} is above the high limit {high} {unit}"
            )
        for guard in self.guards:
            await guard(new_position)

    async def calculate_timeout(self, old_position: float, new_position: float) -> float:
        velocity = await self.velocity.get_value()
        if velocity <= 0:
            raise MoveRefusedError(f"{self.name()}: velocity is {velocity}; set it > 0 before moving")
        return abs(new_position - old_position) / velocity + DEFAULT_TIMEOUT

    async def move(self, new_position: float, timeout: TimeoutCalculator) -> None:
        await self.setpoint.set(new_position, timeout=timeout())
        # Read the state afresh after the write: a cached ON from before it would end the move early.
        async with asyncio.timeout(timeout()):
            while (state := await self.state.get_value(cached=False)) != DevStateEnum.ON:
                if state in (DevStateEnum.FAULT, DevStateEnum.ALARM):
                    raise RuntimeError(f"{self.name()}: motor in {state} while moving to {new_position}")
                await asyncio.sleep(POLL_S)
            # A staged motor is read from its client-side poll, which can still hold the previous
            # position (a scan then records two points at one place): the move ends when the
            # readback readers see is the one the stopped motor reports.
            arrived = await self.readback.get_value(cached=False)
            while await self.readback.get_value() != arrived:
                await asyncio.sleep(POLL_S / 5)


class TangoMotorMock(InstantMovableMock):
    """Mock mode: moves arrive at once; a speed of 1 unit/s lets the move timeout be computed."""

    async def connect(self, device: TangoMotor) -> None:  # type: ignore[override]
        set_mock_value(device.velocity, 1.0)
        await super().connect(device)


@default_mock_class(TangoMotorMock)
class TangoMotor(TangoDevice, StandardReadable, StandardMovable[float]):
    """One motor axis on a Tango device (see the module docstring for its interface).

    Its reading is named after the device (``nanogonio-x``), like an ophyd motor's readback.
    """

    position: A[SignalRW[float], TangoPolling(POLL_S), Format.HINTED_SIGNAL]
    velocity: A[SignalRW[float], TangoPolling(POLL_S), Format.CONFIG_SIGNAL]
    State: A[SignalR[DevStateEnum], TangoPolling(POLL_S)]
    Stop: TriggerableCommand

    def __init__(self, trl: str = "", name: str = "") -> None:
        self._guards: list[MoveGuard] = []
        super().__init__(trl, name=name, auto_fill_signals=False)

    def add_guard(self, guard: MoveGuard) -> None:
        """Add a check run before every move; it raises :class:`MoveRefusedError` to refuse it."""
        self._guards.append(guard)

    def set_name(self, name: str, *, child_name_separator: str | None = None) -> None:
        super().set_name(name, child_name_separator=child_name_separator)
        self.position.set_name(name)

    @cached_property
    def movable_logic(self) -> TangoMotorLogic:
        return TangoMotorLogic(
            setpoint=self.position,
            readback=self.position,
            velocity=self.velocity,
            stop_command=self.Stop,
            state=self.State,
            name=lambda: self.name,
            guards=self._guards,
        )
