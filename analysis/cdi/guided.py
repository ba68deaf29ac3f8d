"""Guided HIO: generations of runs, each restarted from its geometric mean with the best run.

As used by seed 002 (100 random starts, 10 generations): after a generation, every member is
aligned to the best one (lowest free LLK) and replaced by sqrt(rho_best * rho_i), which keeps what
the two agree on; the recipe is then run again from those starts.
"""

from __future__ import annotations

import numpy as np

from ..backend import Backend
from .align import align
from .data import DiffractionData
from .engine import PhasingSettings, ProgressCallback, Reconstruction, phase, phase_many


def guided_phase(
    data: DiffractionData,
    recipe: str,
    runs: int,
    generations: int,
    seed: int = 0,
    settings: PhasingSettings | None = None,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> list[Reconstruction]:
    """The last generation's runs, best free LLK first. ``progress`` gets (runs done, runs total)."""
    if runs < 2:
        raise ValueError(f"guided HIO needs runs >= 2, got {runs}")
    if generations < 1:
        raise ValueError(f"generations must be >= 1, got {generations}")
    total = runs * generations

    def report(done: int) -> None:
        if progress is not None:
            progress(done, total)

    population = phase_many(data, recipe, runs, seed=seed, settings=settings, backend=backend)
    report(runs)
    for generation in range(1, generations):
        best = population[0]
        offspring = []
        for i, member in enumerate(population):
            aligned = align(best.obj, member.obj).aligned if i else best.obj
            start = np.sqrt(best.obj.astype(np.complex128) * aligned).astype(np.complex64)
            support = best.support | (np.abs(start) > 0.1 * np.abs(start).max())
            offspring.append(
                phase(
                    data,
                    recipe,
                    seed=seed + generation * runs + i,
                    settings=settings,
                    initial_support=support,
                    initial_object=start,
                    backend=backend,
                )
            )
            report(generation * runs + i + 1)
        population = sorted(offspring, key=lambda r: r.free_llk)
    return population
