"""Checking parameters against their allowed ranges, with errors that name them."""

from __future__ import annotations

from collections.abc import Mapping


def check_limits(limits: Mapping[str, tuple[float, float, float]]) -> None:
    """Raise ValueError naming the first parameter outside its range.

    Args:
        limits: name -> (value, lowest allowed, highest allowed), bounds included.
    """
    for name, (value, low, high) in limits.items():
        if not low <= value <= high:
            raise ValueError(f"{name}={value} is outside [{low}, {high}]")
