"""Milliseconds per phasing iteration (ER, HIO, RAAR) and achieved memory bandwidth; prints JSON.

    python -P benchmarks/cdi_iterations.py [--sizes 128 256] [--backend numpy|cupy|auto] [--repeat N]

Traffic is counted as PyNX does, in passes over a complex64 array of the object's size: a 3-D FFT
reads and writes the array once per axis (6 passes); the fused modulus projection reads psi, the
float32 amplitude and the boolean mask and writes psi (2.625); the support update reads obj, the
projection and the support and writes obj (3.125): 17.75 passes per iteration. "fft_pair_ms" is
the time of one forward + one inverse unscaled FFT of the same array, the floor of an iteration
(the loop folds the FFT normalisation into its kernels). On the CPU, "ratio_to_fft_pair" is
the median over rounds of each round's ratio.
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
    """Seconds per call after one warm-up.

    On a GPU: ``repeat`` calls queued back to back and one synchronisation, as the phasing loop
    runs (timing each call alone would add a launch latency the loop does not pay). On the CPU:
    the median of ``repeat`` calls.
    """
    fn()
    backend.synchronize()
    if backend.name != "numpy":
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        backend.synchronize()
        return (time.perf_counter() - start) / repeat
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        backend.synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _bench_size(backend, n: int, repeat: int, rng: np.random.Generator) -> dict:
    settings = PhasingSettings()
    shape = (n, n, n)
    obj = backend.asarray((rng.random(shape) + 1j * rng.random(shape)).astype(np.complex64))
    amplitude = backend.asarray(rng.random(shape).astype(np.float32))
    fit = backend.asarray(rng.random(shape) > 0.05)
    support = backend.asarray(rng.random(shape) > 0.8)
    traffic = PASSES_PER_ITERATION * n**3 * np.dtype(np.complex64).itemsize
    calls = {"fft_pair": lambda: backend.ifftn_unscaled_inplace(backend.fftn_unscaled(obj))}
    for algorithm in ("ER", "HIO", "RAAR"):
        state = {"obj": obj.copy()}

        def step(algorithm: str = algorithm, state: dict = state) -> None:
            state["obj"] = _iterate(
                backend, state["obj"], amplitude, fit, support, algorithm, settings, 1.0 / n**3
            )

        calls[algorithm] = step
    # Rounds interleave the FFT pair with the three algorithms, so that a shared machine's load,
    # which drifts over seconds, weighs on numerator and denominator of each round's ratio alike.
    rounds = 1 if backend.name != "numpy" else repeat
    per_call = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            per_call[name].append(_time(backend, fn, repeat if backend.name != "numpy" else 1))
    fft_pair = per_call["fft_pair"]
    row: dict = {"size": n, "fft_pair_ms": round(float(np.median(fft_pair)) * 1e3, 3)}
    for algorithm in ("ER", "HIO", "RAAR"):
        seconds = float(np.median(per_call[algorithm]))
        ratios = np.asarray(per_call[algorithm]) / np.asarray(fft_pair)
        row[algorithm] = {
            "ms_per_iteration": round(seconds * 1e3, 3),
            "ratio_to_fft_pair": round(float(np.median(ratios)), 3),
            "achieved_GB_per_s": round(traffic / seconds / 1e9, 1),
        }
    return row


def run(sizes: list[int], backend_name: str, repeat: int) -> dict:
    backend = get_backend(backend_name)
    rng = np.random.default_rng(0)
    results = []
    for n in sizes:
        results.append(_bench_size(backend, n, repeat, rng))
        if backend.name == "cupy":
            backend.xp.get_default_memory_pool().free_all_blocks()
    device = platform.processor() or platform.machine()
    if backend.name == "cupy":
        device = backend.xp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return {
        "backend": backend.name,
        "device": device,
        "passes_per_iteration": PASSES_PER_ITERATION,
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(run(args.sizes, args.backend, args.repeat), indent=2))


if __name__ == "__main__":
    main()
