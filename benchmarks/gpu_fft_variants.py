"""Where the GPU phasing iteration spends its time at 256^3: FFT variants and each kernel; JSON.

python -P benchmarks/gpu_fft_variants.py [--size 256]
"""

from __future__ import annotations

import argparse
import json

import cupy as cp  # pyright: ignore[reportMissingImports]
import cupyx.scipy.fft as cfft  # pyright: ignore[reportMissingImports]
import numpy as np

from phasebeam.analysis.backend import get_backend


def _ms(fn, repeat: int = 50) -> float:
    fn()
    cp.cuda.Stream.null.synchronize()
    start, stop = cp.cuda.Event(), cp.cuda.Event()
    start.record()
    for _ in range(repeat):
        fn()
    stop.record()
    stop.synchronize()
    return cp.cuda.get_elapsed_time(start, stop) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    n = parser.parse_args().size
    rng = cp.random.default_rng(0)
    x = (rng.random((n, n, n), dtype=cp.float32) + 1j * rng.random((n, n, n), dtype=cp.float32)).astype(
        cp.complex64
    )
    y = x.copy()
    amp = rng.random((n, n, n), dtype=cp.float32)
    fit = rng.random((n, n, n), dtype=cp.float32) > 0.05
    support = rng.random((n, n, n), dtype=cp.float32) > 0.8
    be = get_backend("cupy")
    out: dict = {"size": n}
    out["copy_ms"] = _ms(lambda: x.copy())
    out["cupyx_fftn_out_of_place_ms"] = _ms(lambda: cfft.fftn(x, norm="backward"))
    out["cupyx_ifftn_in_place_ms"] = _ms(lambda: cfft.ifftn(y, norm="forward", overwrite_x=True))
    plan = cfft.get_fft_plan(x, axes=(0, 1, 2))
    with plan:
        out["cupyx_fftn_with_plan_ms"] = _ms(lambda: cfft.fftn(x, norm="backward"))
        out["cupyx_ifftn_in_place_with_plan_ms"] = _ms(
            lambda: cfft.ifftn(y, norm="forward", overwrite_x=True)
        )
    out["cupy_fft_fftn_ms"] = _ms(lambda: cp.fft.fftn(x, norm="backward"))
    try:
        import torch

        tx = torch.from_dlpack(x)
        out["torch_fftn_ms"] = _ms(lambda: torch.fft.fftn(tx, norm="backward"))
        out["torch_ifftn_ms"] = _ms(lambda: torch.fft.ifftn(tx, norm="forward"))
    except Exception as exc:  # torch missing or no DLPack: report, do not fail
        out["torch_error"] = repr(exc)
    out["modulus_kernel_ms"] = _ms(lambda: be.modulus_projection(y, amp, fit))
    out["update_kernel_ms"] = _ms(lambda: be.support_update(x, y, support, "HIO", 0.9, 1.0 / n**3))
    size_bytes = n**3 * np.dtype(np.complex64).itemsize
    out["copy_GB_per_s"] = round(2 * size_bytes / out["copy_ms"] / 1e6, 1)
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}, indent=1))


if __name__ == "__main__":
    main()
