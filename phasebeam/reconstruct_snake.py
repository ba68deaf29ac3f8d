"""``phasebeam reconstruct snake --run UID --mask FILE``: XEDM of a snake scan stored in Tiled.

The same steps as the live analysis of a snake scan (:class:`phasebeam.callbacks.xedm_live.XedmLive`):
the frames in scan order through seed 002's filters, the accumulated pattern phased with the run's
``phasing`` metadata unless an option overrides it. Writes an HDF5 file of the figures.
"""

from __future__ import annotations

import argparse
import time

from .beamline import SIMULATED_EIGER_DISTANCE_M, SIMULATED_EIGER_PIXEL_M
from .command_messages import refuse
from .reconstruct_xsn import add_tiled_source_arguments, frames_of_runs, start_of_run


def add_arguments(methods: argparse._SubParsersAction) -> None:
    snake = methods.add_parser(
        "snake", help="XEDM of a snake_scan run in Tiled, as its live analysis does (seed 002)"
    )
    snake.add_argument("--run", metavar="UID", required=True, help="the snake_scan run")
    snake.add_argument(
        "--mask",
        required=True,
        help="the detector's mask: .npy, or HDF5 with a 'mask' dataset (non-zero: unmeasured)",
    )
    snake.add_argument("--out", required=True, help="output HDF5 file")
    snake.add_argument("--detector", default="eiger", help="detector field of --run (default eiger)")
    snake.add_argument(
        "--detector-pixel-m", type=float, default=SIMULATED_EIGER_PIXEL_M, help="detector pixel (m)"
    )
    snake.add_argument(
        "--detector-distance-m", type=float, default=SIMULATED_EIGER_DISTANCE_M, help="sample-detector (m)"
    )
    for name, kind in (("--starts", int), ("--generations", int), ("--binning", int), ("--seed", int)):
        snake.add_argument(name, type=kind, help="default: the run's 'phasing' metadata, or as live")
    add_tiled_source_arguments(snake)


def read_mask(path: str):
    """A detector mask from an .npy file or an HDF5 file's 'mask' dataset."""
    import h5py
    import numpy as np

    if path.endswith(".npy"):
        return np.load(path)
    with h5py.File(path, "r") as f:
        if "mask" not in f:
            raise KeyError(f"{path} has no 'mask' dataset")
        return np.asarray(f["mask"])


def reconstruct_snake_run(args: argparse.Namespace) -> int:
    import h5py
    import numpy as np

    from phasebeam.analysis.xedm.accumulation import StreamingAccumulator
    from phasebeam.analysis.xedm.pipeline import EnsembleGeometry
    from phasebeam.callbacks.run_settings import overridden
    from phasebeam.callbacks.xedm_live import XedmSettings, phase_accumulated, xedm_result_fields

    try:
        start = start_of_run(args, "snake_scan")
        mask = read_mask(args.mask)
        given = {
            k: getattr(args, k)
            for k in ("starts", "generations", "binning", "seed")
            if getattr(args, k) is not None
        }
        phasing = overridden(overridden(XedmSettings(), start.get("phasing")), given, "the options")
        geometry = EnsembleGeometry(
            float(start["energy_ev"]), args.detector_distance_m, args.detector_pixel_m
        )
        (frames,) = frames_of_runs(args, [args.run])
        accumulator = StreamingAccumulator(mask)
        for frame in frames.frames:
            accumulator.add(frame)
        accumulator.flush()
        if accumulator.counts["kept"] == 0:
            raise ValueError(f"no frame of run {args.run} was kept by the filters: nothing to phase")
    except (ValueError, LookupError, OSError) as exc:
        return refuse(exc)
    began = time.perf_counter()
    result = phase_accumulated(accumulator, mask, geometry, phasing)
    fields = xedm_result_fields(result)
    with h5py.File(args.out, "w") as f:
        f.attrs.update(raw_uid=args.run, **{f"frames_{k}": v for k, v in accumulator.counts.items()})
        f.create_dataset("pattern", data=accumulator.result().pattern)
        for key, value in fields.items():
            if np.ndim(value) == 0:
                f.attrs[key] = value
            else:
                f.create_dataset(key, data=value)
    counts = accumulator.counts
    print(
        f"wrote {args.out}: {counts['kept']} kept of {len(frames.frames)} frames, PRTF 1/e half period "
        f"{result.prtf_half_period_m * 1e9:.1f} nm, {time.perf_counter() - began:.1f} s"
    )
    return 0
