"""``phasebeam reconstruct xsn`` and ``xsn-tomo``: XSN pairs and tomograms from files or Tiled."""

from __future__ import annotations

import argparse
import sys
import time

from ._version import __version__
from .command_messages import advance, fail, refuse

# The analysis stack (scikit-image, numba, algotom) loads only when a command runs, not for --help.


def add_tiled_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Where ``--run`` is read from: the embedded Tiled of a data folder, or a Tiled server."""
    parser.add_argument("--data-dir", help="data folder of the embedded Tiled (default $PHASEBEAM_DATA_DIR)")
    parser.add_argument("--tiled", metavar="URI", help="Tiled server holding --run")
    parser.add_argument("--api-key", help="API key of --tiled")


def add_arguments(methods: argparse._SubParsersAction) -> None:
    xsn = methods.add_parser("xsn", help="XSN field (absorption, phase) of one 0/180 pair file (seed 004)")
    xsn.add_argument("input", help="pair file (HDF5, see the README: image_0, image_180, optics)")
    xsn.add_argument("--out", required=True, help="output HDF5 file")
    tomo = methods.add_parser("xsn-tomo", help="XSN tomogram (delta, beta) from a stack file or a Tiled run")
    tomo.add_argument("input", nargs="?", help="stack file (images_0, images_180, angles_deg, optics)")
    tomo.add_argument("--out", required=True, help="output HDF5 file")
    tomo.add_argument("--run", metavar="UID", help="read the pairs of this tomography run from Tiled instead")
    tomo.add_argument(
        "--optics",
        help="optics file for --run (pixel_size_m, wavelength_m, ... as in a pair file); default: the "
        "stored knife-edge calibration of the data folder",
    )
    tomo.add_argument(
        "--calibration",
        metavar="UID",
        help="use the stored calibration of this knife_edge_calibration run (default the most recent)",
    )
    tomo.add_argument(
        "--flat-run", metavar="UID", help="run of empty-field frames (sample out) to divide --run's frames by"
    )
    tomo.add_argument("--detector", default="camera", help="detector field of --run (default camera)")
    tomo.add_argument(
        "--angle-field", default="sample-theta", help="rotation field of --run (default sample-theta)"
    )
    add_tiled_source_arguments(tomo)
    tomo.add_argument(
        "--refine-offset",
        action="store_true",
        help="registration step 2: search the global 0/180 x offset that flattens FRC(delta, beta)",
    )
    tomo.add_argument(
        "--offset-search-px", type=float, default=1.5, help="half width of that search (px, default 1.5)"
    )
    for p in (xsn, tomo):
        p.add_argument("--iterations", type=int, default=7, help="quasi-Newton iterations (1 = linear)")
        p.add_argument("--epsilon", type=float, default=1e-8, help="Tikhonov regulariser (default 1e-8)")
        p.add_argument("--otf-trim", type=float, default=0.8, help="trim where |F{PSF_alpha}| < this (0.8)")
        p.add_argument("--no-register", action="store_true", help="skip the 0/180 registration")
        p.add_argument(
            "--edge-reference-px", type=int, default=0, help="refer each row to its empty ends (px)"
        )
        p.add_argument(
            "--psf-fwhm-m", type=float, help="scintillator PSF FWHM at the sample (m); overrides the file's"
        )
        p.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])


def _options(args: argparse.Namespace, psf: float | None) -> dict:
    if args.iterations < 1:
        raise ValueError(f"--iterations must be >= 1, got {args.iterations}")
    return {
        "scintillator_psf_fwhm_m": args.psf_fwhm_m if args.psf_fwhm_m is not None else psf,
        "register": not args.no_register,
        "iterations": args.iterations,
        "epsilon": args.epsilon,
        "otf_trim": args.otf_trim,
        "edge_reference_px": args.edge_reference_px,
        "backend": args.backend,
    }


def reconstruct_xsn(args: argparse.Namespace) -> int:
    """One pair file to an HDF5 of absorption and phase; bad input fails before any work."""
    from phasebeam.analysis.xsn.pair_file import read_images, read_optics, write_fields
    from phasebeam.analysis.xsn.pipeline import reconstruct_pair

    try:
        optics = read_optics(args.input)
        arrays = read_images(
            args.input, ("image_0", "image_180", "flat_0", "flat_180", "scintillator_psf_fwhm_m"), ndim=2
        )
        psf = arrays["scintillator_psf_fwhm_m"]
        options = _options(args, None if psf is None else float(psf))
        start = time.perf_counter()
        image_0, image_180 = arrays["image_0"], arrays["image_180"]
        assert image_0 is not None and image_180 is not None  # required names: read_images raised
        result = reconstruct_pair(image_0, image_180, optics, arrays["flat_0"], arrays["flat_180"], **options)
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    settings = dict(result.field.settings, program="phasebeam", version=__version__, input=str(args.input))
    settings["scintillator_psf_fwhm_m"] = options["scintillator_psf_fwhm_m"]
    if result.registration is not None:
        settings["registration_shift_px"] = str(list(result.registration.shift_px))
    write_fields(args.out, result.field.absorption, result.field.phase, optics, settings)
    print(
        f"wrote {args.out}: phase {result.field.phase.min():.3f} to {result.field.phase.max():.3f} rad, "
        f"residual {result.field.residual[0]:.4f} -> {result.field.residual[-1]:.4f} of the background, "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


def frames_of_runs(args: argparse.Namespace, uids: list[str]):
    """RunFrames of ``args.detector`` for each run, from the Tiled that ``args`` names."""
    from .settings import Settings
    from .storage import Storage, read_frames

    settings = Settings.from_environment(args.data_dir, args.tiled, args.api_key)
    with Storage(settings) as storage:
        return [read_frames(storage.runs, uid, args.detector) for uid in uids]


def start_of_run(args: argparse.Namespace, plan_name: str) -> dict:
    """The start document of ``args.run``, refused unless the run is a ``plan_name``."""
    from .settings import Settings
    from .storage import Storage

    settings = Settings.from_environment(args.data_dir, args.tiled, args.api_key)
    with Storage(settings) as storage:
        start = dict(storage.runs[args.run].metadata["start"])
    if start.get("plan_name") != plan_name:
        raise ValueError(f"run {args.run} is a {start.get('plan_name')!r}, not a {plan_name}")
    return start


def _pairs_from_tiled(args: argparse.Namespace):
    """(images_0, images_180, angles_deg, flat) of ``args.run``; flat is the mean of --flat-run or None."""
    import numpy as np

    from phasebeam.analysis.xsn.pipeline import pairs_from_frames

    uids = [args.run] if args.flat_run is None else [args.run, args.flat_run]
    runs = frames_of_runs(args, uids)
    frames = runs[0]
    if args.angle_field not in frames.positions:
        raise KeyError(f"run {args.run} has no field {args.angle_field!r}; it has {sorted(frames.positions)}")
    images_0, images_180, angles = pairs_from_frames(frames.frames, frames.positions[args.angle_field])
    flat = None
    if args.flat_run is not None:
        flat = np.mean(np.asarray(runs[1].frames, dtype=np.float64), axis=0)
        if flat.shape != images_0.shape[1:]:
            raise ValueError(f"--flat-run frames {flat.shape} differ from --run frames {images_0.shape[1:]}")
    return images_0, images_180, angles, flat


def _stored_optics(args: argparse.Namespace):
    """The optics of the data folder's knife-edge calibration (``--calibration`` or the latest),
    checked against the run's energy, as the live reconstruction uses them."""
    from .calibrations import CalibrationStore
    from .live_analyses import stored_xsn_optics
    from .settings import Settings
    from .storage import Storage

    settings = Settings.from_environment(args.data_dir, args.tiled, args.api_key)
    with Storage(settings) as storage:
        start = dict(storage.runs[args.run].metadata["start"])
    store = CalibrationStore(settings.calibrations_dir)
    optics, calibration = stored_xsn_optics(store, start, args.calibration)
    print(f"optics from the stored {calibration.describe()}")
    return optics


def _global_offset(images_0, images_180, angles, optics, flats: dict, options: dict, search_px: float):
    from tqdm import tqdm

    from phasebeam.analysis.xsn.offset_refinement import refine_global_offset
    from phasebeam.analysis.xsn.pipeline import prepare_pair

    pairs = [
        prepare_pair(
            image_0,
            image_180,
            optics.pixel_size_m,
            flats["flat_0"],
            flats["flat_180"],
            options["scintillator_psf_fwhm_m"],
        )
        for image_0, image_180 in zip(images_0, images_180, strict=True)
    ]
    with tqdm(unit="trial", desc="0/180 offset", file=sys.stderr) as bar:

        def report(_trial: int, offset_px: float, cost: float) -> None:
            bar.set_postfix(offset_px=f"{offset_px:+.3f}", flatness=f"{cost:.3g}")
            bar.update(1)

        return refine_global_offset(
            pairs,
            angles,
            optics,
            search_px=search_px,
            register=options["register"],
            edge_reference_px=options["edge_reference_px"],
            progress=report,
        )


def reconstruct_xsn_tomography(args: argparse.Namespace) -> int:
    """Pairs from a stack file or a Tiled run, each reconstructed, then FBP of alpha and phi."""
    import h5py
    import numpy as np
    from tqdm import tqdm

    from phasebeam.analysis.xsn.pair_file import read_images, read_optics, write_tomogram
    from phasebeam.analysis.xsn.pipeline import reconstruct_pairs
    from phasebeam.analysis.xsn.tomography import refractive_index_tomogram

    try:
        if (args.input is None) == (args.run is None):
            raise ValueError("give either a stack file or --run UID (with --optics)")
        if args.flat_run is not None and args.run is None:
            raise ValueError("--flat-run goes with --run; a stack file holds its own flat_0 and flat_180")
        if args.run is not None:
            images_0, images_180, angles, flat = _pairs_from_tiled(args)
            optics = read_optics(args.optics) if args.optics else _stored_optics(args)
            flats: dict = {"flat_0": flat, "flat_180": flat}
            psf = None
        else:
            optics = read_optics(args.input)
            arrays = read_images(
                args.input,
                ("images_0", "images_180", "flat_0", "flat_180", "scintillator_psf_fwhm_m"),
                ndim=3,
            )
            with h5py.File(args.input, "r") as f:
                node = f["angles_deg"]
                assert isinstance(node, h5py.Dataset)
                angles = np.asarray(node[()], dtype=np.float64)
            images_0, images_180 = arrays["images_0"], arrays["images_180"]
            flats = {"flat_0": arrays["flat_0"], "flat_180": arrays["flat_180"]}
            psf = arrays["scintillator_psf_fwhm_m"]
        options = _options(args, None if psf is None else float(psf))
        assert images_0 is not None and images_180 is not None
        if angles.shape != (images_0.shape[0],):
            raise ValueError(f"angles_deg has {angles.shape} for {images_0.shape[0]} pairs")
    except (ValueError, LookupError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    start = time.perf_counter()
    if args.refine_offset:
        try:
            offset = _global_offset(
                images_0, images_180, angles, optics, flats, options, args.offset_search_px
            )
        except ValueError as exc:
            return fail(str(exc))
        options["offset_180_px"] = (0.0, offset.offset_px)
        trials = len(offset.trials)
        print(f"global 0/180 offset {offset.offset_px:+.3f} px (flatness {offset.cost:.4g}, {trials} trials)")
    with tqdm(total=images_0.shape[0], unit="pair", desc="fields", file=sys.stderr) as bar:
        alpha, phi, _ = reconstruct_pairs(
            images_0, images_180, optics, progress=advance(bar), **flats, **options
        )
    with tqdm(total=2 * alpha.shape[1], unit="slice", desc="back projection", file=sys.stderr) as bar:
        tomo = refractive_index_tomogram(
            alpha,
            phi,
            angles,
            optics.wavelength_m,
            optics.pixel_size_m,
            progress=advance(bar),
        )
    settings = dict(options, program="phasebeam", version=__version__, input=str(args.input or args.run))
    if args.flat_run is not None:
        settings["flat_run"] = args.flat_run
    write_tomogram(args.out, tomo.delta, tomo.beta, tomo.voxel_m, angles, optics, settings, (alpha, phi))
    print(
        f"wrote {args.out}: {tomo.delta.shape} voxels of {tomo.voxel_m * 1e9:.1f} nm from {angles.size} "
        f"pairs, delta up to {tomo.delta.max():.3g}, beta up to {tomo.beta.max():.3g}, "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0
