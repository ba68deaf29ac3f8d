"""The ``phasebeam`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

from ._version import __version__


def _add_storage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="data folder (default: $PHASEBEAM_DATA_DIR or ./phasebeam-data)")
    parser.add_argument(
        "--tiled", metavar="URI", help="write to this Tiled server instead of the embedded one"
    )
    parser.add_argument("--api-key", help="API key of the Tiled server given by --tiled")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="phasebeam",
        description="Coherent X-ray imaging at a synchrotron beamline with Bluesky and Tango.",
    )
    parser.add_argument("--version", action="version", version=f"phasebeam {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    sim = commands.add_parser("sim", help="the simulated Tango beamline")
    sim_commands = sim.add_subparsers(dest="sim_command", metavar="SIM_COMMAND")
    start = sim_commands.add_parser(
        "start",
        help="serve the simulated beamline (no Tango database); print one JSON line "
        "{device name: Tango address}; run until SIGINT/SIGTERM",
    )
    start.add_argument("--seed", type=int, default=0, help="random seed of the simulated world")

    demo = commands.add_parser(
        "demo",
        help="start the simulated beamline and embedded Tiled, run every plan with its live reconstruction, "
        "write a report (a figure per method, summary.json); 'demo bcmi': seed 001's BCMI vs BCDI comparison",
    )
    demo.add_argument(
        "method", nargs="?", choices=["bcmi"], help="bcmi: modulator calibration, then BCMI vs BCDI runs"
    )
    _add_storage_options(demo)
    demo.add_argument("--seed", type=int, default=0, help="random seed of the simulated world")
    demo.add_argument(
        "--phase-range",
        type=float,
        nargs="+",
        default=[1.0, 7.0],
        metavar="RAD",
        help="bcmi: peak-to-peak strain phase of each crystal (rad; default 1.0 7.0)",
    )
    demo.add_argument(
        "--runs", type=int, default=10, help="bcmi: BCMI and BCDI runs per crystal (default 10)"
    )
    demo.add_argument(
        "--crystals", type=int, default=1, help="bcmi: crystals per phase range, of varied shape and strain"
    )
    demo.add_argument(
        "--upsample",
        type=int,
        default=2,
        help="bcmi: modulator pixels per frame-conjugate pixel in the calibration and BCMI (default 2)",
    )
    demo.add_argument("--out", help="bcmi: output folder for summary.json and the figure")
    demo.add_argument(
        "--backend", default="numpy", choices=["numpy", "cupy", "auto"], help="bcmi: array backend"
    )

    from .live_service import add_arguments as add_live_arguments

    add_live_arguments(commands)

    reconstruct = commands.add_parser("reconstruct", help="reconstruct from files")
    methods = reconstruct.add_subparsers(dest="method", metavar="METHOD")
    cdi = methods.add_parser(
        "cdi",
        help="Bragg/forward CDI phase retrieval of a 3-D intensity; writes the mode-decomposed best object",
    )
    cdi.add_argument("input", help="intensity: .cxi (entry_1/data_1/data [+ mask]), .h5, .npy or .npz")
    cdi.add_argument("--out", required=True, help="output CXI file")
    cdi.add_argument("--dataset", help="dataset or array name of the intensity in an .h5/.npz input")
    cdi.add_argument("--recipe", default="HIO**400, RAAR**1000, ER**300", help='e.g. "HIO**400, ER**300"')
    cdi.add_argument("--runs", type=int, default=10, help="independent runs (default 10)")
    cdi.add_argument("--keep", type=int, default=3, help="best runs (by free LLK) to decompose (default 3)")
    cdi.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])
    cdi.add_argument("--seed", type=int, default=0, help="random seed of the first run")
    cdi.add_argument(
        "--init",
        default="random",
        choices=["random", "cnn"],
        help="random: --runs runs of --recipe; cnn: the phase network's start, refined with border-only "
        "support updates (seed 003; needs phasebeam[ml])",
    )
    cdi.add_argument("--weights", help="cnn: network weights file (default: the shipped ones)")
    cdi.add_argument(
        "--refine", default="HIO**200, ER**200", help='cnn: refinement recipe (the seed\'s is "ER**400")'
    )
    cdi.add_argument(
        "--support-thresholds",
        type=float,
        nargs="+",
        default=[0.1, 0.2, 0.3],
        help="cnn: first-support levels of the start's blurred modulus, one refinement each; the best "
        "free LLK is kept (default 0.1 0.2 0.3)",
    )
    cdi.add_argument(
        "--crop", type=int, help="cnn: side of the cube cropped around the centre of mass (voxels)"
    )
    from .reconstruct_bcmi import add_arguments as add_bcmi_arguments
    from .reconstruct_eximres import add_arguments as add_eximres_arguments
    from .reconstruct_modulator import add_arguments as add_modulator_arguments
    from .reconstruct_rocking import add_arguments as add_rocking_arguments
    from .reconstruct_snake import add_arguments as add_snake_arguments
    from .reconstruct_sweep import add_arguments as add_sweep_arguments
    from .reconstruct_xedm import add_arguments as add_xedm_arguments
    from .reconstruct_xsn import add_arguments
    from .xsn_calibration import add_arguments as add_optics_arguments

    add_arguments(methods)
    add_optics_arguments(methods)
    add_sweep_arguments(methods)
    add_bcmi_arguments(methods)
    add_rocking_arguments(methods)
    add_modulator_arguments(methods)
    add_snake_arguments(methods)
    add_xedm_arguments(methods)
    add_eximres_arguments(methods)
    return parser


def _sim_start(seed: int) -> int:
    from .simulated_beamline import SimulatedBeamline

    # Block the signals so that they end sigwait() below, not the interpreter mid-cleanup.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    with SimulatedBeamline(seed=seed) as sim:
        print(json.dumps(sim.addresses), flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr)
    # matplotlib 3.11 warns once per mathtext font it replaces with DejaVu Sans (21 lines on each
    # `phasebeam demo`); the figures are complete without them.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    if args.command == "sim" and args.sim_command == "start":
        return _sim_start(args.seed)
    if args.command == "demo" and args.method == "bcmi":
        from pathlib import Path

        from .demo_bcmi import run_bcmi_demo

        if args.out is None:
            parser.error("demo bcmi needs --out DIR")
        try:
            run_bcmi_demo(
                Path(args.out),
                tuple(args.phase_range),
                args.runs,
                args.crystals,
                args.seed,
                args.backend,
                upsample=args.upsample,
            )
        except ValueError as exc:
            parser.error(str(exc))
        return 0
    if args.command == "demo":
        from .demo import run_demo
        from .settings import Settings

        settings = Settings.from_environment(args.data_dir, args.tiled, args.api_key)
        summary = run_demo(settings, seed=args.seed)
        return 1 if summary["failed"] else 0
    if args.command == "live":
        from .live_service import run_live

        return run_live(args)
    if args.command == "reconstruct" and args.method == "cdi":
        from .reconstruct import reconstruct_cdi

        return reconstruct_cdi(args)
    if args.command == "reconstruct" and args.method == "rocking":
        from .reconstruct_rocking import reconstruct_rocking_run

        return reconstruct_rocking_run(args)
    if args.command == "reconstruct" and args.method == "snake":
        from .reconstruct_snake import reconstruct_snake_run

        return reconstruct_snake_run(args)
    if args.command == "reconstruct" and args.method == "modulator":
        from .reconstruct_modulator import reconstruct_modulator_run

        return reconstruct_modulator_run(args)
    if args.command == "reconstruct" and args.method == "ptycho":
        from .reconstruct_bcmi import reconstruct_ptycho_file

        return reconstruct_ptycho_file(args)
    if args.command == "reconstruct" and args.method == "bcmi":
        from .reconstruct_bcmi import reconstruct_bcmi_file

        return reconstruct_bcmi_file(args)
    if args.command == "reconstruct" and args.method == "xsn":
        from .reconstruct_xsn import reconstruct_xsn

        return reconstruct_xsn(args)
    if args.command == "reconstruct" and args.method == "xsn-tomo":
        from .reconstruct_xsn import reconstruct_xsn_tomography

        return reconstruct_xsn_tomography(args)
    if args.command == "reconstruct" and args.method == "xsn-sweep":
        from .reconstruct_sweep import reconstruct_sweep_files

        return reconstruct_sweep_files(args)
    if args.command == "reconstruct" and args.method == "xsn-optics":
        from .xsn_calibration import xsn_optics_from_knife_edge

        return xsn_optics_from_knife_edge(args)
    if args.command == "reconstruct" and args.method == "xedm":
        from .reconstruct_xedm import reconstruct_xedm_file

        return reconstruct_xedm_file(args)
    if args.command == "reconstruct" and args.method == "eximres":
        from .reconstruct_eximres import reconstruct_eximres_file

        return reconstruct_eximres_file(args)
    if args.command in ("sim", "reconstruct"):
        parser.parse_args([args.command, "--help"])
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
