"""What the ``phasebeam reconstruct`` commands print: one-line refusals and progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def fail(message: str) -> int:
    """Print ``message`` as the command's one-line error and return its exit code, 2."""
    print(f"phasebeam reconstruct: error: {message}", file=sys.stderr)
    return 2


def refuse(error: Exception) -> int:
    """:func:`fail` with an exception's text (a KeyError's quotes taken off)."""
    return fail(str(error).strip("'\""))


def advance(bar: Any) -> Callable[[int, int], None]:
    """A progress callback (done, total) that moves the tqdm ``bar`` to ``done`` of ``total``."""

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return update
