"""A motor axis whose position is computed from elapsed time: no threads, no sleeps."""

from __future__ import annotations

import math
from dataclasses import dataclass


class LimitError(ValueError):
    """A set point outside an axis' limits."""


@dataclass
class Axis:
    """One simulated motor: constant-velocity moves between set points, with limits.

    Positions are in ``unit``; velocity in ``unit`` per second; times are ``time.monotonic()``
    seconds supplied by the caller, so that a frame can ask where the axis was at any instant.
    """

    name: str
    unit: str
    initial_position: float = 0.0
    velocity: float = 1.0
    low: float = -math.inf
    high: float = math.inf
    _start: float = 0.0
    _target: float = 0.0
    _t0: float = 0.0

    def __post_init__(self) -> None:
        if not self.low <= self.initial_position <= self.high:
            raise LimitError(
                f"{self.name}: initial position {self.initial_position} {self.unit} is outside "
                f"[{self.low}, {self.high}] {self.unit}"
            )
        if self.velocity <= 0:
            raise ValueError(f"{self.name}: velocity must be > 0 {self.unit}/s, got {self.velocity}")
        self._start = self._target = self.initial_position

    def position_at(self, t: float) -> float:
        """Position at monotonic time ``t`` (constant velocity from the last set point)."""
        distance = self._target - self._start
        travelled = self.velocity * max(0.0, t - self._t0)
        if travelled >= abs(distance):
            return self._target
        return self._start + math.copysign(travelled, distance)

    def is_moving(self, t: float) -> bool:
        return self.position_at(t) != self._target

    @property
    def target(self) -> float:
        return self._target

    def check(self, target: float) -> None:
        """Raise :class:`LimitError` naming the limit when ``target`` is outside it."""
        if not math.isfinite(target):
            raise LimitError(f"{self.name}: set point must be finite, got {target}")
        if target < self.low:
            raise LimitError(
                f"{self.name}: set point {target} {self.unit} is below the low limit {self.low} {self.unit}"
            )
        if target > self.high:
            raise LimitError(
                f"{self.name}: set point {target} {self.unit} is above the high limit {self.high} {self.unit}"
            )

    def move_to(self, target: float, t: float) -> None:
        """Start a move to ``target`` at time ``t`` (from wherever the axis is then)."""
        self.check(target)
        self._start = self.position_at(t)
        self._target = float(target)
        self._t0 = t

    def stop(self, t: float) -> None:
        here = self.position_at(t)
        self._start = self._target = here
        self._t0 = t

    def set_velocity(self, velocity: float, t: float) -> None:
        if not velocity > 0:
            raise ValueError(f"{self.name}: velocity must be > 0 {self.unit}/s, got {velocity}")
        # Re-anchor so that the part of the move already done keeps its old speed.
        self._start = self.position_at(t)
        self._t0 = t
        self.velocity = float(velocity)
