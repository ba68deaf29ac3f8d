"""The whole CDI reconstruction: many runs, ranked by free LLK, best ones mode-decomposed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..backend import Backend
from .align import align
from .data import DiffractionData
from .engine import PhasingSettings, ProgressCallback, Reconstruction, phase_many
from .modes import mode_decomposition


@dataclass(frozen=True)
class CdiResult:
    """The mode-decomposed object and what it came from.

    Attributes:
        obj: first eigen-mode of the ``keep`` best runs, aligned to the best one (centred).
        support: the best run's support.
        mode_weights: relative weights of the modes (the first is the figure of merit).
        runs: every run, best free LLK first.
        keep: how many runs went into the decomposition.
    """

    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    mode_weights: npt.NDArray[np.float64]
    runs: tuple[Reconstruction, ...]
    keep: int

    @property
    def best(self) -> Reconstruction:
        return self.runs[0]


def reconstruct(
    data: DiffractionData,
    recipe: str,
    runs: int = 10,
    keep: int = 3,
    seed: int = 0,
    settings: PhasingSettings | None = None,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> CdiResult:
    """Run ``runs`` times, keep the ``keep`` best by free LLK, align them, decompose into modes."""
    if not 1 <= keep <= runs:
        raise ValueError(f"keep must be in [1, runs={runs}], got {keep}")
    results = phase_many(data, recipe, runs, seed=seed, settings=settings, backend=backend, progress=progress)
    return decompose_best(results, keep)


def decompose_best(results: Sequence[Reconstruction], keep: int) -> CdiResult:
    """The ``keep`` first of ``results`` (best free LLK first), aligned to the first and decomposed."""
    if not 1 <= keep <= len(results):
        raise ValueError(f"keep must be in [1, {len(results)}] (the runs), got {keep}")
    best = results[0]
    aligned = [best.obj] + [align(best.obj, r.obj).aligned for r in results[1:keep]]
    modes = mode_decomposition(aligned)
    return CdiResult(modes.first, best.support, modes.weights, tuple(results), keep)
