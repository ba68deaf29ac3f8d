"""Milliseconds per XSN quasi-Newton iteration (seed 004 reports 11 ms), CPU and GPU.

    python benchmarks/xsn_iterations.py [--backend numpy|cupy] [--sizes 512 1024] [--modes 100]

One iteration is two forward models (Eq. 1, one inverse FFT per mode and orientation) and the
deconvolution (four FFTs). The illumination has ``--modes`` distinct grid frequencies. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from phasebeam.analysis.backend import get_backend
from phasebeam.analysis.xsn.field import reconstruct_field
from phasebeam.analysis.xsn.optics import XsnOptics


def optics_with_modes(size: int, modes: int, pixel_m: float = 40e-9) -> XsnOptics:
    wavelength = 1.5498e-10
    step = 1.0 / (size * pixel_m)
    frequency = (np.arange(modes) - modes // 2) * step
    weight = np.sqrt(np.clip(1 - (frequency / (frequency.max() + step)) ** 2, 0, None))
    return XsnOptics(pixel_m, wavelength, wavelength / 60e-9, 0.0, frequency, weight)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--modes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    backend = get_backend(args.backend)
    out = {"backend": backend.name, "machine": platform.node(), "modes": args.modes, "ms_per_iteration": {}}
    if backend.name == "cupy":
        out["device"] = backend.xp.cuda.runtime.getDeviceProperties(0)["name"].decode()
    for size in args.sizes:
        optics = optics_with_modes(size, args.modes)
        y, x = np.indices((size, size)) - size / 2
        path = np.sqrt(np.clip((size / 4) ** 2 - x**2 - y**2, 0, None))
        image = 1 - 0.1 * path / path.max()
        reconstruct_field(image, image, optics, iterations=1, backend=args.backend)  # warm-up, plans
        timings = []
        for _ in range(args.repeats):
            backend.synchronize()
            start = time.perf_counter()
            reconstruct_field(image, image, optics, iterations=8, backend=args.backend)
            backend.synchronize()
            eight = time.perf_counter() - start
            start = time.perf_counter()
            reconstruct_field(image, image, optics, iterations=1, backend=args.backend)
            backend.synchronize()
            one = time.perf_counter() - start
            timings.append((eight - one) / 7 * 1e3)  # set-up (transfer functions) cancels
        out["ms_per_iteration"][str(size)] = round(float(np.median(timings)), 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
