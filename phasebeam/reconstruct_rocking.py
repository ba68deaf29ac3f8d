"""``phasebeam reconstruct rocking --run UID``: BCDI of a rocking scan stored in Tiled.

The same steps as the live reconstruction at the end of a rocking scan
(:class:`phasebeam.callbacks.bragg_live.RockingScanReconstruction`): frames ordered by angle,
cropped around the peak, phased with the run's ``phasing`` metadata unless an option overrides it.
Writes a CXI file (the object and support, with the figures in ``process_1``).
"""

from __future__ import annotations

import argparse
import sys
import time

from ._version import __version__
from .beamline import SIMULATED_EIGER_DISTANCE_M, SIMULATED_EIGER_PIXEL_M
from .command_messages import advance, refuse
from .reconstruct_xsn import add_tiled_source_arguments, frames_of_runs, start_of_run


def add_arguments(methods: argparse._SubParsersAction) -> None:
    rocking = methods.add_parser(
        "rocking", help="BCDI of a rocking_scan run in Tiled, as its live reconstruction does (seed 001)"
    )
    rocking.add_argument("--run", metavar="UID", required=True, help="the rocking_scan run")
    rocking.add_argument("--out", required=True, help="output CXI file")
    rocking.add_argument("--detector", default="eiger", help="detector field of --run (default eiger)")
    rocking.add_argument("--angle-field", default="diffractometer-eta", help="rocking angle field (deg)")
    rocking.add_argument(
        "--detector-pixel-m", type=float, default=SIMULATED_EIGER_PIXEL_M, help="detector pixel (m)"
    )
    rocking.add_argument(
        "--detector-distance-m", type=float, default=SIMULATED_EIGER_DISTANCE_M, help="sample-detector (m)"
    )
    phasing = (("--recipe", str), ("--runs", int), ("--keep", int), ("--seed", int), ("--crop-px", int))
    for name, kind in phasing:
        rocking.add_argument(name, type=kind, help="default: the run's 'phasing' metadata, or as live")
    rocking.add_argument(
        "--init",
        choices=["random", "cnn", "auto"],
        help="random starts, the phase network's start (seed 003, needs the ml extra), or the network "
        "when PyTorch is installed; default: the run's 'phasing' metadata, or random",
    )
    rocking.add_argument("--cnn-weights", help="the phase network's weights (default the shipped ones)")
    rocking.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])
    add_tiled_source_arguments(rocking)


def reconstruct_rocking_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from phasebeam.analysis.cdi.rocking_scan import reconstruct_rocking_scan, rocking_intensity
    from phasebeam.analysis.cnn.weights_file import TorchMissingError
    from phasebeam.analysis.cxi import write_reconstruction
    from phasebeam.analysis.optics import wavelength_m
    from phasebeam.callbacks.bragg_live import BcdiSettings, d_spacing_m, phasing_start
    from phasebeam.callbacks.run_settings import overridden

    try:
        start = start_of_run(args, "rocking_scan")
        (frames,) = frames_of_runs(args, [args.run])
        if args.angle_field not in frames.positions:
            fields = sorted(frames.positions)
            raise KeyError(f"run {args.run} has no field {args.angle_field!r}; it has {fields}")
        given = {
            key: getattr(args, key)
            for key in ("init", "recipe", "runs", "keep", "seed", "crop_px", "cnn_weights")
            if getattr(args, key) is not None
        }
        phasing = overridden(overridden(BcdiSettings(), start.get("phasing")), given, "the options")
        energy_ev = float(start["energy_ev"])
        d_spacing = d_spacing_m(energy_ev, float(start["bragg_angle_deg"]))
        scan = rocking_intensity(frames.frames, frames.positions[args.angle_field], phasing.crop_px)
        begin = phasing_start(phasing)
    except (ValueError, LookupError, OSError, TorchMissingError) as exc:
        return refuse(exc)
    began = time.perf_counter()
    with tqdm(unit="step", desc=f"phasing ({begin.initialisation} start)", file=sys.stderr) as bar:
        crystal = reconstruct_rocking_scan(
            scan,
            d_spacing,
            float(wavelength_m(energy_ev)),
            args.detector_distance_m,
            args.detector_pixel_m,
            begin.recipe,
            phasing.runs,
            phasing.keep,
            phasing.seed,
            args.backend,
            progress=advance(bar),
            network=begin.network,
        )
    write_reconstruction(
        args.out,
        crystal.obj,
        crystal.support,
        {
            "program": "phasebeam",
            "version": __version__,
            "raw_uid": args.run,
            "initialisation": crystal.initialisation,
            "recipe": begin.recipe,
            "runs": len(crystal.free_llk),
            "keep": phasing.keep,
            "seed": phasing.seed,
            "crop_corner_px": list(scan.corner_px),
            "free_llk_all_runs": crystal.free_llk,
            "mode_weights": crystal.mode_weights,
            "voxel_m": list(crystal.voxel_m),
            "fsc_resolution_m": crystal.fsc_resolution_m,
            "displacement_m": crystal.displacement_m,
        },
    )
    print(
        f"wrote {args.out}: {crystal.initialisation} start, first mode "
        f"{100 * crystal.mode_weights[0]:.2f}% of {min(phasing.keep, len(crystal.free_llk))} runs, "
        f"best free LLK {crystal.free_llk[0]:.4f}, FSC 1/2-bit {crystal.fsc_resolution_m * 1e9:.1f} nm, "
        f"{time.perf_counter() - began:.1f} s"
    )
    return 0
