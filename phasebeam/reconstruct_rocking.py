"""``phasebeam reconstruct rocking --run UID``: BCDI or BCMI of a rocking scan stored in Tiled.

The same steps as the live reconstruction at the end of a rocking scan
(:class:`phasebeam.callbacks.bragg_live.RockingScanReconstruction`), phased with the run's
``phasing`` metadata unless an option overrides it. Modulator out (BCDI): frames ordered by angle,
cropped around the peak. Modulator in (BCMI): the whole frames, with the data folder's stored
modulator calibration (the most recent, or ``--calibration``) cut where the run's nanogoniometer
readings put the modulator. Writes a CXI file (the object and support, with the figures in
``process_1``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

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
    rocking.add_argument("--starts", type=int, help="BCMI: 2-D starts of the support guess (default as live)")
    rocking.add_argument(
        "--calibration",
        metavar="UID",
        help="BCMI: the stored calibration of this modulator_ptycho_calibration run (default the latest)",
    )
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
        if start.get("modulator_in"):
            return _reconstruct_bcmi_run(args, start, frames)
        given = _options(args, ("init", "recipe", "runs", "keep", "seed", "crop_px", "cnn_weights"), "BCDI")
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
        _process(
            args,
            initialisation=crystal.initialisation,
            recipe=begin.recipe,
            runs=len(crystal.free_llk),
            keep=phasing.keep,
            seed=phasing.seed,
            crop_corner_px=list(scan.corner_px),
            free_llk_all_runs=crystal.free_llk,
            mode_weights=crystal.mode_weights,
            voxel_m=list(crystal.voxel_m),
            fsc_resolution_m=crystal.fsc_resolution_m,
            displacement_m=crystal.displacement_m,
        ),
    )
    print(
        f"wrote {args.out}: {crystal.initialisation} start, first mode "
        f"{100 * crystal.mode_weights[0]:.2f}% of {min(phasing.keep, len(crystal.free_llk))} runs, "
        f"best free LLK {crystal.free_llk[0]:.4f}, FSC 1/2-bit {crystal.fsc_resolution_m * 1e9:.1f} nm, "
        f"{time.perf_counter() - began:.1f} s"
    )
    return 0


def _process(args: argparse.Namespace, **fields: Any) -> dict[str, Any]:
    """The CXI file's process_1 fields: the program, its version and the raw run, then ``fields``."""
    return {"program": "phasebeam", "version": __version__, "raw_uid": args.run, **fields}


#: The options that only one method takes.
_METHOD_OPTIONS = {"BCDI": ("init", "crop_px", "cnn_weights"), "BCMI": ("starts", "calibration")}


def _options(args: argparse.Namespace, known: tuple[str, ...], method: str) -> dict:
    """The phasing options of ``known`` that were given; one of the other method's is refused by name."""
    others = [key for other, keys in _METHOD_OPTIONS.items() if other != method for key in keys]
    wrong = [f"--{key.replace('_', '-')}" for key in others if getattr(args, key) is not None]
    if wrong:
        raise ValueError(f"{', '.join(wrong)}: not for {method}, and run {args.run} is a {method} scan")
    return {key: getattr(args, key) for key in known if getattr(args, key) is not None}


def _reconstruct_bcmi_run(args: argparse.Namespace, start: dict, frames) -> int:
    """BCMI of a rocking scan with the modulator in, with the stored modulator calibration."""
    import numpy as np
    from tqdm import tqdm

    from phasebeam.analysis.bcmi.rocking_scan import rocking_scan_window
    from phasebeam.analysis.cxi import write_reconstruction
    from phasebeam.callbacks.bragg_live import (
        BcmiRunSettings,
        bcmi_fields,
        bcmi_of_rocking_scan,
        d_spacing_m,
        modulator_position_m,
    )
    from phasebeam.callbacks.run_settings import overridden

    from .calibrations import CalibrationStore
    from .live_analyses import stored_modulator
    from .settings import Settings

    x_key, y_key = "nanogoniometer-x", "nanogoniometer-y"
    try:
        given = _options(args, ("recipe", "runs", "keep", "seed", "starts"), "BCMI")
        phasing = overridden(overridden(BcmiRunSettings(), start.get("phasing")), given, "the options")
        missing = [key for key in (x_key, y_key) if key not in frames.positions]
        if missing:
            raise KeyError(
                f"run {args.run} has the modulator in but no {missing} readings: it was not taken with "
                "rocking_scan(..., modulator=nanogoniometer)"
            )
        settings = Settings.from_environment(args.data_dir, args.tiled, args.api_key)
        modulator, calibration = stored_modulator(
            CalibrationStore(settings.calibrations_dir), start, args.calibration
        )
        print(f"modulator from the stored {calibration.describe()}")
        energy_ev = float(start["energy_ev"])
        d_spacing = d_spacing_m(energy_ev, float(start["bragg_angle_deg"]))
        # Before any phasing: the modulator stood still, and the calibration's pixel is this scan's.
        position = modulator_position_m(frames.positions[x_key], frames.positions[y_key], modulator.pixel_m)
        rocking_scan_window(
            frames.frames.shape,
            np.shape(frames.positions[args.angle_field]),
            modulator,
            position,
            energy_ev,
            args.detector_distance_m,
            args.detector_pixel_m,
        )
    except (ValueError, LookupError, OSError) as exc:
        return refuse(exc)
    began = time.perf_counter()
    with tqdm(unit="step", desc="BCMI: support guess, then runs", file=sys.stderr) as bar:
        crystal, position = bcmi_of_rocking_scan(
            frames.frames,
            frames.positions[args.angle_field],
            frames.positions[x_key],
            frames.positions[y_key],
            modulator,
            energy_ev,
            d_spacing,
            args.detector_distance_m,
            args.detector_pixel_m,
            phasing,
            progress=advance(bar),
        )
    fields = bcmi_fields(crystal)
    process = {key: value for key, value in fields.items() if key not in ("modulus", "phase_rad", "support")}
    write_reconstruction(
        args.out,
        crystal.obj,
        crystal.support,
        _process(
            args,
            method="BCMI",
            calibration_uid=modulator.raw_uid,
            modulator_position_m=list(position),
            d1_m=modulator.d1_m,
            recipe=phasing.recipe,
            runs=phasing.runs,
            keep=phasing.keep,
            starts=phasing.starts,
            seed=phasing.seed,
            **process,
        ),
    )
    print(
        f"wrote {args.out}: BCMI with the modulator of run {modulator.raw_uid} at "
        f"({position[0] * 1e6:.3f}, {position[1] * 1e6:.3f}) um, first mode "
        f"{100 * crystal.mode_weights[0]:.2f}% of {phasing.keep} runs, best free LLK "
        f"{crystal.free_llk[0]:.4f}, FSC 1/2-bit {crystal.fsc_resolution_m * 1e9:.1f} nm, "
        f"{time.perf_counter() - began:.1f} s"
    )
    return 0
