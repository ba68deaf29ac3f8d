"""Check the GPU backend against the CPU one on a simulated crystal; prints JSON.

    python -P benchmarks/cdi_gpu_check.py [--size 64] [--backend cupy]

Both backends phase the same pattern from the same seed; each result is scored against the
simulated truth (support Dice, phase RMS) and their wall times are given.
"""

from __future__ import annotations

import argparse
import json
import time

from phasebeam.analysis.backend import get_backend
from phasebeam.analysis.cdi.data import DiffractionData
from phasebeam.analysis.cdi.engine import phase
from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.simulators.strained_crystals import simulate_crystal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--backend", default="cupy")
    parser.add_argument("--recipe", default="HIO**400, RAAR**1000, ER**300")
    args = parser.parse_args()
    crystal = simulate_crystal(n=args.size, shape="wulff", phase_range=1.0, seed=1)
    data = DiffractionData.from_arrays(crystal.intensity, crystal.bad_pixels)
    out = {"size": args.size, "recipe": args.recipe}
    for name in ("numpy", args.backend):
        backend = get_backend(name)
        start = time.perf_counter()
        result = phase(data, args.recipe, seed=0, backend=backend)
        seconds = time.perf_counter() - start
        score = compare(result.obj, crystal.obj, crystal.support)
        out[backend.name] = {
            "seconds": round(seconds, 2),
            "dice": round(score.dice, 4),
            "phase_rms_rad": round(score.phase_rms_rad, 4),
            "success": score.success(),
            "llk": round(result.llk, 4),
            "free_llk": round(result.free_llk, 4),
        }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
