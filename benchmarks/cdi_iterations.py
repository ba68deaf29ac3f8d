"""Milliseconds per phasing iteration (ER, HIO, RAAR) and achieved memory bandwidth; prints JSON.

    python -P benchmarks/cdi_iterations.py [--sizes 128 256] [--backend numpy|cupy|auto] [--repeat N]

Traffic is counted as PyNX does, in passes over a complex64 array of the object's size: a 3-D FFT
reads and writes the array once per axis (6 passes); the fused modulus projection reads psi, the
float32 amplitude and the boolean mask and writes psi (2.625); the support update reads obj, the
projection and the support and writes obj (3.125): 17.75 passes per iteration. "fft_pair_ms" is
the time of one forward + one inverse FFT of the same array, the floor of an iteration.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from phasebeam.analysis.backend import get_backend
from phasebeam.analysis.cdi.engine import PhasingSettings, _iterate

PASSES_PER_ITERATION = 2 * 6 + 2.625 + 3.125


def _time(backend, fn, repeat: int) -> float:
    fn()
    backend.synchronize()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    backend.synchronize()
    return (time.perf_counter() - start) / repeat


def run(sizes: list[int], backend_name: str, repeat: int) -> dict:
    backend = get_backend(backend_name)
    xp = backend.xp
    settings = PhasingSettings()
    rng = np.random.default_rng(0)
    results = []
    for n in sizes:
        shape = (n, n, n)
        obj = backend.asarray((rng.random(shape) + 1j * rng.random(shape)).astype(np.complex64))
        amplitude = backend.asarray(rng.random(shape).astype(np.float32))
        fit = backend.asarray(rng.random(shape) > 0.05)
        support = backend.asarray(rng.random(shape) > 0.8)
        fft_pair = _time(backend, lambda: backend.ifftn(backend.fftn(obj)), repeat)
        row = {"size": n, "fft_pair_ms": round(fft_pair * 1e3, 3)}
        for algorithm in ("ER", "HIO", "RAAR"):
            state = {"obj": obj.copy()}

            def step(algorithm=algorithm, state=state):
                state["obj"] = _iterate(backend, state["obj"], amplitude, fit, support, algorithm, settings)

            seconds = _time(backend, step, repeat)
            traffic = PASSES_PER_ITERATION * n**3 * np.dtype(np.complex64).itemsize
            row[algorithm] = {
                "ms_per_iteration": round(seconds * 1e3, 3),
                "ratio_to_fft_pair": round(seconds / fft_pair, 3),
                "achieved_GB_per_s": round(traffic / seconds / 1e9, 1),
            }
        results.append(row)
        del obj, amplitude, fit, support
        if backend.name == "cupy":
            xp.get_default_memory_pool().free_all_blocks()
    device = platform.processor() or platform.machine()
    if backend.name == "cupy":
        device = xp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return {"backend": backend.name, "device": device, "passes_per_iteration": PASSES_PER_ITERATION,
            "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(run(args.sizes, args.backend, args.repeat), indent=2))


if __name__ == "__main__":
    main()
