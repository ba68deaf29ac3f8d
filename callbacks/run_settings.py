"""A live analysis's settings, changed by a run's metadata."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

Settings = TypeVar("Settings")


def overridden(settings: Settings, changes: Mapping[str, Any] | None, source: str = "phasing") -> Settings:
    """``settings`` (a dataclass) with the fields named in ``changes`` replaced; unknown names refused."""
    if not changes:
        return settings
    known = sorted(f.name for f in dataclasses.fields(settings))  # type: ignore[arg-type]
    unknown = sorted(set(changes) - set(known))
    if unknown:
        raise ValueError(f"{source} has unknown keys {unknown}; known: {known}")
    return dataclasses.replace(settings, **changes)  # type: ignore[type-var]
