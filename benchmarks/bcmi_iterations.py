"""Milliseconds per BCMI iteration and per ptychography epoch (seed 001); prints JSON.

    python -P benchmarks/bcmi_iterations.py [--frame-px 128] [--angles 24] [--positions 145]
        [--backend numpy|cupy|auto] [--iterations 20] [--epochs 4] [--upsample 1]

BCMI: ``phase_bcmi`` with an HIO recipe of n and of 2n iterations, shrink-wrap and drift off; the
difference over n is one iteration (the set-up and the final likelihood cancel). One drift
refinement (a pattern search of 20 trial shifts of every angle) is timed the same way with
ER steps and a drift period of 1. Ptychography: ``reconstruct_ptycho`` with e and 2e epochs.
Frames come from the simulator (a strained crystal's Bragg beam through a W modulator).
``--upsample 2`` times both on the modulator grid twice as fine as the frames' conjugate pixel.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from phasebeam.analysis.backend import get_backend
from phasebeam.analysis.bcmi.geometry import BcmiGeometry
from phasebeam.analysis.bcmi.ptychography import PtychoSettings, reconstruct_ptycho
from phasebeam.analysis.bcmi.reconstruction import BcmiSettings, phase_bcmi
from phasebeam.analysis.cdi.engine import PhasingSettings
from phasebeam.plans.trajectories import fermat_spiral_um
from phasebeam.simulators.bcmi import (
    bcmi_crystal,
    bcmi_frames,
    bragg_beam_at_modulator,
    make_modulator,
    ptycho_frames,
)


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _per_step(run, n: int) -> float:
    """(t(2n) - t(n)) / n in ms, after a warm-up call."""
    run(1)
    return 1e3 * (_seconds(lambda: run(2 * n)) - _seconds(lambda: run(n))) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--frame-px", type=int, default=128)
    parser.add_argument("--angles", type=int, default=24)
    parser.add_argument("--positions", type=int, default=145, help="ptychography scan points")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--upsample", type=int, default=1, help="modulator pixels per conjugate pixel")
    args = parser.parse_args()
    backend = get_backend(args.backend)
    n, j = args.frame_px, args.angles
    geometry = BcmiGeometry(frame_px=n, d1_m=3.15e-3)
    modulator = make_modulator((n + 72, n + 72), geometry.pixel_m, geometry.energy_ev, 300e-9, seed=0)
    crystal = bcmi_crystal(n, size_px=min(10, j // 2), rocking_steps=j, phase_range=7.0, seed=0)
    frames = bcmi_frames(crystal.obj, geometry, modulator, (36, 36), seed=1).bcmi
    u = args.upsample
    window = modulator.band_limited((36, 36), n, u) if u > 1 else modulator.coarse()[36 : 36 + n, 36 : 36 + n]
    support = np.asarray(np.abs(crystal.obj) > 0)
    quiet = PhasingSettings(support_period=0)

    def bcmi(iterations: int, algorithm: str = "HIO", drift: bool = False) -> None:
        settings = BcmiSettings(phasing=quiet, drift_start=0 if drift else -1, drift_period=1)
        phase_bcmi(
            frames,
            window,
            geometry,
            support,
            f"{algorithm}**{iterations}",
            settings=settings,
            backend=backend,
        )

    iteration_ms = _per_step(bcmi, args.iterations)
    with_drift_ms = _per_step(lambda k: bcmi(k, "ER", drift=True), max(2, args.iterations // 4))
    er_ms = _per_step(lambda k: bcmi(k, "ER"), args.iterations)

    probe = bragg_beam_at_modulator(crystal.obj, geometry)
    spiral = fermat_spiral_um(3.0, 3.0, 0.25)[: args.positions, ::-1] * 1e-6
    ptycho = ptycho_frames(probe, modulator, spiral / geometry.pixel_m + 36, 1e7, seed=2)

    def epochs(count: int) -> None:
        settings = PtychoSettings(epochs=count, position_start_epoch=0, upsample=u)
        reconstruct_ptycho(ptycho, spiral, geometry.pixel_m, settings=settings, backend=backend)

    epoch_ms = _per_step(epochs, args.epochs)
    print(
        json.dumps(
            {
                "backend": backend.name,
                "machine": platform.node(),
                "frame_px": n,
                "angles": j,
                "upsample": u,
                "bcmi_hio_iteration_ms": round(iteration_ms, 2),
                "bcmi_er_iteration_ms": round(er_ms, 2),
                "bcmi_drift_refinement_ms": round(with_drift_ms - er_ms, 2),
                "ptycho_positions": len(spiral),
                "ptycho_epoch_ms": round(epoch_ms, 1),
                "ptycho_ms_per_position": round(epoch_ms / len(spiral), 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
