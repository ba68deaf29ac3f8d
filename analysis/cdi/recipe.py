"""Phasing recipes as strings: ``"HIO**400, RAAR**1000, ER**300"`` (the standard of seed 003)."""

from __future__ import annotations

import re
from dataclasses import dataclass

ALGORITHMS = ("ER", "HIO", "RAAR")
STANDARD_RECIPE = "HIO**400, RAAR**1000, ER**300"

_STEP = re.compile(r"^\s*([A-Za-z]+)\s*(?:\*\*\s*(\d+))?\s*$")


@dataclass(frozen=True)
class Step:
    algorithm: str
    iterations: int


def parse_recipe(recipe: str) -> tuple[Step, ...]:
    """Parse ``"ALG**N, ALG**N, ..."``; ``ALG`` alone means one iteration.

    Raises:
        ValueError: naming the step that is not ``ER``, ``HIO`` or ``RAAR`` with N >= 1.
    """
    steps = []
    for part in recipe.split(","):
        match = _STEP.match(part)
        if not match:
            raise ValueError(f"recipe step {part.strip()!r} is not of the form ALG**N, in {recipe!r}")
        name, count = match.group(1).upper(), int(match.group(2) or 1)
        if name not in ALGORITHMS:
            raise ValueError(f"recipe step {part.strip()!r}: algorithm must be one of {ALGORITHMS}")
        if count < 1:
            raise ValueError(f"recipe step {part.strip()!r}: iterations must be >= 1")
        steps.append(Step(name, count))
    if not steps:
        raise ValueError("empty recipe")
    return tuple(steps)
