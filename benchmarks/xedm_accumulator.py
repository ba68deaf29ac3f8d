"""Frames per second of the XEDM streaming accumulator with seed 002's filters (goal: >= 50/s of
2048 x 2048 uint32 frames on 2 cores).

    python benchmarks/xedm_accumulator.py [--frames 200] [--size 2048] [--distinct 16]

Simulated Eiger frames (gaps at the invalid value, Poisson counts, bad frames mixed in) are fed
one by one from memory, then again from an HDF5 file (one uncompressed chunk per frame, as the
detector writes) read frame by frame. ``--distinct`` frames are simulated and cycled, since
simulating is slower than accumulating. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time

import h5py
import numpy as np

from phasebeam.analysis.xedm.accumulation import StreamingAccumulator
from phasebeam.simulators.xedm import EnsembleSetup, simulate_frames


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--distinct", type=int, default=16)
    args = parser.parse_args()
    n = args.size
    setup = EnsembleSetup(
        shape=(n, n), centre_px=(n / 2 - 0.4, n / 2 + 0.3), first_gap_px=(n // 2 + 160, n // 2 - 300)
    )
    distinct = simulate_frames(setup, args.distinct, seed=1).frames
    order = np.arange(args.frames) % args.distinct

    accumulator = StreamingAccumulator(setup.mask, centre_px=setup.centre_px)
    start = time.perf_counter()
    for i in order:
        accumulator.add(distinct[i])
    accumulator.flush()
    memory_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "frames.h5")
        with h5py.File(path, "w") as f:
            data = f.create_dataset("frames", (args.frames, n, n), np.uint32, chunks=(1, n, n))
            for k, i in enumerate(order):
                data[k] = distinct[i]
        accumulator = StreamingAccumulator(setup.mask, centre_px=setup.centre_px)
        start = time.perf_counter()
        with h5py.File(path, "r") as f:
            frames = f["frames"]
            assert isinstance(frames, h5py.Dataset)
            for k in range(args.frames):
                accumulator.add(frames[k])
        accumulator.flush()
        file_s = time.perf_counter() - start
    counts = accumulator.result().counts
    print(
        json.dumps(
            {
                "machine": platform.node(),
                "cpu_count": os.cpu_count(),
                "affinity_cores": len(os.sched_getaffinity(0)),
                "frame_shape": [n, n],
                "dtype": "uint32",
                "frames": args.frames,
                "frames_per_s_from_memory": round(args.frames / memory_s, 1),
                "frames_per_s_from_hdf5": round(args.frames / file_s, 1),
                "ms_per_frame_from_memory": round(1e3 * memory_s / args.frames, 2),
                "verdicts": counts,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
