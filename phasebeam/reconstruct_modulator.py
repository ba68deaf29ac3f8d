"""``phasebeam reconstruct modulator --run UID``: the modulator calibration of a stored
``modulator_ptycho_calibration`` run.

The same steps as the live calibration (:class:`phasebeam.callbacks.ptycho_live.ModulatorCalibrationLive`):
rPIE of every frame at its commanded position, the modulator's phase shift against the xraydb
value, d1 from the probe. Writes an HDF5 file with the layout of ``reconstruct ptycho``'s output.
"""

from __future__ import annotations

import argparse
import sys
import time

from .beamline import SIMULATED_EIGER_DISTANCE_M, SIMULATED_EIGER_PIXEL_M
from .command_messages import advance, refuse
from .reconstruct_xsn import add_tiled_source_arguments, frames_of_runs, start_of_run


def add_arguments(methods: argparse._SubParsersAction) -> None:
    modulator = methods.add_parser(
        "modulator",
        help="modulator calibration of a modulator_ptycho_calibration run in Tiled, as live (seed 001)",
    )
    modulator.add_argument("--run", metavar="UID", required=True, help="the calibration run")
    modulator.add_argument("--out", required=True, help="output HDF5 file")
    modulator.add_argument("--detector", default="eiger", help="detector field of --run (default eiger)")
    modulator.add_argument(
        "--detector-pixel-m", type=float, default=SIMULATED_EIGER_PIXEL_M, help="detector pixel (m)"
    )
    modulator.add_argument(
        "--detector-distance-m", type=float, default=SIMULATED_EIGER_DISTANCE_M, help="sample-detector (m)"
    )
    modulator.add_argument(
        "--epochs", type=int, help="rPIE epochs (default: the run's 'phasing', or as live)"
    )
    add_tiled_source_arguments(modulator)


def reconstruct_modulator_run(args: argparse.Namespace) -> int:
    import h5py
    import numpy as np
    from tqdm import tqdm

    from phasebeam.analysis.bcmi.modulator import modulator_phase_shift
    from phasebeam.callbacks.ptycho_live import (
        ModulatorCalibrationSettings,
        calibration_fields,
        calibration_pixel_m,
        run_calibration,
    )
    from phasebeam.callbacks.run_settings import overridden

    try:
        start = start_of_run(args, "modulator_ptycho_calibration")
        given = {"epochs": args.epochs} if args.epochs is not None else {}
        s = overridden(overridden(ModulatorCalibrationSettings(), start.get("phasing")), given, "the options")
        energy_ev = float(start["energy_ev"])
        (run,) = frames_of_runs(args, [args.run])
        positions_m = 1e-6 * np.stack(
            [run.positions["nanogoniometer-y"], run.positions["nanogoniometer-x"]], axis=1
        )
        frames = np.asarray(run.frames, dtype=np.float32)
        pixel_m = calibration_pixel_m(
            energy_ev, args.detector_distance_m, s.nominal_d1_mm, frames.shape[-1], args.detector_pixel_m
        )
    except (ValueError, LookupError, OSError) as exc:
        return refuse(exc)
    began = time.perf_counter()
    with tqdm(total=s.epochs, unit="epoch", desc="rPIE", file=sys.stderr) as bar:
        calibration = run_calibration(frames, positions_m, energy_ev, pixel_m, s, advance(bar))
    fields = calibration_fields(
        calibration, modulator_phase_shift(s.material, 1e-6 * s.thickness_um, energy_ev)
    )
    with h5py.File(args.out, "w") as f:
        f.attrs["raw_uid"] = args.run
        for key, value in fields.items():
            if np.ndim(value) == 0:
                f.attrs[key] = value
            else:
                f.create_dataset(key, data=value)
    print(
        f"wrote {args.out}: modulator phase shift {fields['phase_shift_rad']:.3f} rad "
        f"(xraydb {fields['phase_shift_xraydb_rad']:.3f}), d1 {1e3 * fields['d1_m']:.3f} mm, "
        f"{len(frames)} frames, {time.perf_counter() - began:.1f} s"
    )
    return 0
