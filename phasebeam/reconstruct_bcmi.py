"""``phasebeam reconstruct ptycho`` and ``reconstruct bcmi``: seed 001 from HDF5 files.

Layouts (documented in the README):

ptycho input: ``frames`` (K, N, N) counts, centred; ``positions_m`` (K, 2) modulator positions as
(y, x) metres unless ``--positions`` names a text (two columns y x, metres) or .npy file; attributes
``energy_ev``, ``detector_distance_m``, ``detector_pixel_m`` and ``d1_m`` (the nominal
sample-modulator distance, which sets the pixel size lambda d2 / (N p)). The output's
``modulator`` and ``illumination`` are sampled ``upsample`` (attribute) times finer than that pixel.

bcmi input: ``frames`` (J, N, N) counts of the rocking scan, centred, angle J // 2 at the Bragg peak;
optional ``mask`` (J, N, N) or (N, N), non-zero where a pixel was not measured; the same
attributes. The modulator comes from ``--modulator``: a ``reconstruct ptycho`` output (its
``modulator`` cut at the rocking scan's ``--modulator-position-m``, its phase ramp and complex factor
removed) or any file with a ``modulator`` array: N x N or u N x u N (u times finer than the frames'
conjugate pixel) under the frames, or cut N x N at ``--window-corner`` out of a larger one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._version import __version__
from .command_messages import advance, refuse

_GEOMETRY_ATTRIBUTES = ("energy_ev", "detector_distance_m", "detector_pixel_m", "d1_m")


def add_arguments(methods: argparse._SubParsersAction) -> None:
    ptycho = methods.add_parser(
        "ptycho", help="ptychographic calibration of the BCMI modulator in the Bragg beam (seed 001)"
    )
    ptycho.add_argument("input", help="HDF5: frames, positions_m and the geometry attributes (README)")
    ptycho.add_argument("--out", required=True, help="output HDF5 file")
    ptycho.add_argument("--positions", help="positions file instead of positions_m: text (y x, m) or .npy")
    ptycho.add_argument("--epochs", type=int, default=150, help="rPIE epochs (default 150)")
    ptycho.add_argument(
        "--position-start-epoch", type=int, default=40, help="first epoch that corrects positions (-1: never)"
    )
    ptycho.add_argument(
        "--d1-range-mm", type=float, nargs=2, default=[0.5, 5.0], help="d1 search range (mm, default 0.5 5)"
    )
    ptycho.add_argument(
        "--upsample",
        type=int,
        default=2,
        help="modulator pixels per frame-conjugate pixel (default 2: the modulator's edges as the "
        "detector sees them; 1 is the conjugate pixel, faster and less exact)",
    )
    ptycho.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])
    bcmi = methods.add_parser("bcmi", help="BCMI phase retrieval of a rocking scan with the modulator in")
    bcmi.add_argument("input", help="HDF5: frames [+ mask] and the geometry attributes (README)")
    bcmi.add_argument("--modulator", required=True, help="HDF5 with a 'modulator' dataset (ptycho output)")
    where = bcmi.add_mutually_exclusive_group()
    where.add_argument(
        "--modulator-position-m",
        type=float,
        nargs=2,
        metavar=("Y", "X"),
        help="the modulator's (y, x) position during the rocking scan (m), in the frame of the "
        "calibration scan's positions (needed with a 'reconstruct ptycho' output)",
    )
    where.add_argument(
        "--window-corner",
        type=int,
        nargs=2,
        metavar=("Y", "X"),
        help="pixel of a plain --modulator array under the frames' top-left corner (when it is larger "
        "than N x N)",
    )
    bcmi.add_argument("--out", required=True, help="output HDF5 file")
    bcmi.add_argument("--recipe", default="RAAR**400, ER**300", help="recipe of each run")
    bcmi.add_argument("--runs", type=int, default=10, help="independent runs (default 10)")
    bcmi.add_argument("--keep", type=int, default=3, help="best runs decomposed into modes (default 3)")
    bcmi.add_argument("--starts", type=int, default=16, help="2-D starts of the support guess (default 16)")
    bcmi.add_argument("--seed", type=int, default=0)
    bcmi.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])


def _geometry(attributes, frame_px: int, source: str):
    from phasebeam.analysis.bcmi.geometry import BcmiGeometry

    missing = [name for name in _GEOMETRY_ATTRIBUTES if name not in attributes]
    if missing:
        raise ValueError(f"{source} lacks the attribute(s) {', '.join(missing)}")
    values = {name: float(attributes[name]) for name in _GEOMETRY_ATTRIBUTES}
    return BcmiGeometry(frame_px=frame_px, **values)


def _dataset(file, name: str, source: str) -> npt.NDArray:
    import h5py

    node = file.get(name)
    if not isinstance(node, h5py.Dataset):
        raise ValueError(f"{source} has no '{name}' dataset")
    return np.asarray(node[()])


def _frames(file, source: str, ndim: int = 3) -> npt.NDArray[np.float32]:
    frames = _dataset(file, "frames", source).astype(np.float32)
    if frames.ndim != ndim or frames.shape[-1] != frames.shape[-2]:
        raise ValueError(f"{source}: frames must be (K, N, N), got shape {frames.shape}")
    return frames


def _positions(path: str) -> npt.NDArray[np.float64]:
    positions = np.load(path) if path.endswith(".npy") else np.loadtxt(path, ndmin=2)
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] != 2:
        raise ValueError(f"positions file {path} must hold two columns (y x, m), got shape {positions.shape}")
    return positions


def reconstruct_ptycho_file(args: argparse.Namespace) -> int:
    """Read, check, reconstruct, calibrate, write."""
    import h5py

    from phasebeam.analysis.bcmi.calibration import modulator_levels, retrieve_d1
    from phasebeam.analysis.bcmi.ptychography import (
        PtychoSettings,
        check_frames_and_positions,
        reconstruct_ptycho,
    )

    try:
        with h5py.File(args.input, "r") as f:
            frames = _frames(f, args.input)
            geometry = _geometry(f.attrs, frames.shape[-1], args.input)
            if args.positions is None:
                if "positions_m" not in f:
                    raise ValueError(
                        f"{args.input} has no 'positions_m' dataset and no --positions was given"
                    )
                positions = _dataset(f, "positions_m", args.input).astype(np.float64)
                source = f"{args.input}:positions_m"
            else:
                positions, source = _positions(args.positions), args.positions
        if len(positions) != len(frames):
            raise ValueError(
                f"{source} lists {len(positions)} positions but {args.input} holds {len(frames)} frames"
            )
        check_frames_and_positions(frames, positions)
        low, high = (1e-3 * v for v in args.d1_range_mm)
        if not 0 < low < high:
            raise ValueError(f"--d1-range-mm must be two increasing distances > 0 mm, got {args.d1_range_mm}")
        settings = PtychoSettings(
            epochs=args.epochs, position_start_epoch=args.position_start_epoch, upsample=args.upsample
        )
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    from tqdm import tqdm

    start = time.perf_counter()
    with tqdm(total=args.epochs, unit="epoch", desc="rPIE", file=sys.stderr) as bar:
        result = reconstruct_ptycho(
            frames,
            positions,
            geometry.pixel_m,
            settings=settings,
            backend=args.backend,
            progress=advance(bar),
        )
    levels = modulator_levels(result.modulator, result.illumination)
    d1 = retrieve_d1(result.probe, geometry.pixel_m, geometry.wavelength_m, low, high)
    with h5py.File(args.out, "w") as out:
        out["modulator"] = result.modulator
        out["probe"] = result.probe
        out["positions_m"] = result.positions_m
        out["illumination"] = result.illumination
        out["error_history"] = np.asarray(result.error_history)
        out.attrs.update(
            {
                "program": "phasebeam",
                "version": __version__,
                "input": str(args.input),
                "pixel_m": geometry.pixel_m,
                "upsample": result.upsample,
                "origin_px": np.asarray(result.origin_px, dtype=np.float64),
                "phase_shift_rad": levels.phase_shift_rad,
                "amplitude_ratio": levels.amplitude_ratio,
                "metal_fraction": levels.metal_fraction,
                "d1_m": d1.d1_m,
                "d1_nominal_m": geometry.d1_m,
                "epochs": args.epochs,
            }
        )
    print(
        f"wrote {args.out}: modulator phase shift {levels.phase_shift_rad:.3f} rad, amplitude ratio "
        f"{levels.amplitude_ratio:.3f}, d1 {1e3 * d1.d1_m:.4f} mm (nominal {1e3 * geometry.d1_m:.4f}), "
        f"pixel {1e9 * geometry.pixel_m:.2f} nm, {time.perf_counter() - start:.1f} s"
    )
    return 0


def _window(args: argparse.Namespace, n: int) -> npt.NDArray[np.complex64]:
    """The modulator under the frames: from a calibration (by position) or a plain array."""
    import h5py

    from phasebeam.analysis.bcmi.calibration import modulator_window, window_corner_px

    path = args.modulator
    with h5py.File(path, "r") as f:
        modulator = _dataset(f, "modulator", path).astype(np.complex64)
        calibration = None
        if "illumination" in f and "origin_px" in f.attrs and "pixel_m" in f.attrs:
            attributes = {k: np.asarray(f.attrs[k], dtype=float) for k in ("origin_px", "pixel_m")}
            # Files written before the fine grid are on the frames' conjugate pixel.
            attributes["upsample"] = np.asarray(f.attrs.get("upsample", 1))
            calibration = (_dataset(f, "illumination", path), attributes)
    if calibration is not None:
        illumination, attributes = calibration
        if args.modulator_position_m is None:
            raise ValueError(
                f"{path} is a calibration ('reconstruct ptycho' output): give --modulator-position-m Y X, "
                "the modulator's position during the rocking scan in the calibration scan's frame (m)"
            )
        upsample = int(attributes["upsample"])
        corner = window_corner_px(
            args.modulator_position_m, attributes["origin_px"], float(attributes["pixel_m"]) / upsample
        )
        return modulator_window(modulator, illumination, corner, n, upsample=upsample)
    if args.modulator_position_m is not None:
        raise ValueError(
            f"--modulator-position-m needs a calibration file ('reconstruct ptycho' output); {path} has "
            "no illumination and origin_px: give --window-corner Y X instead"
        )
    corner = args.window_corner
    if corner is None:
        if modulator.shape[0] % n or modulator.shape != (modulator.shape[0],) * 2:
            raise ValueError(
                f"the modulator array's shape {modulator.shape} does not match the frames' ({n}, {n}) "
                f"(or a u times finer (u {n}, u {n})): give --window-corner Y X to cut the window out of it"
            )
        return modulator
    y, x = corner
    if not (0 <= y <= modulator.shape[0] - n and 0 <= x <= modulator.shape[1] - n):
        raise ValueError(
            f"--window-corner {y} {x} puts the {n} x {n} window outside the modulator {modulator.shape}: "
            f"Y must be in [0, {modulator.shape[0] - n}] and X in [0, {modulator.shape[1] - n}]"
        )
    return modulator[y : y + n, x : x + n]


def reconstruct_bcmi_file(args: argparse.Namespace) -> int:
    """Support guess, ``--runs`` BCMI runs, mode decomposition of the best, write."""
    import h5py

    from phasebeam.analysis.backend import get_backend
    from phasebeam.analysis.bcmi.reconstruction import BcmiModel
    from phasebeam.analysis.bcmi.rocking_scan import check_bcmi_settings, reconstruct_bcmi

    try:
        check_bcmi_settings(args.recipe, args.runs, args.keep, args.starts)
        with h5py.File(args.input, "r") as f:
            frames = _frames(f, args.input)
            geometry = _geometry(f.attrs, frames.shape[-1], args.input)
            mask = _dataset(f, "mask", args.input) if "mask" in f else None
        measured = None
        if mask is not None:
            if mask.shape not in (frames.shape, frames.shape[1:]):
                raise ValueError(f"mask shape {mask.shape} must be {frames.shape} or {frames.shape[1:]}")
            measured = np.broadcast_to(mask == 0, frames.shape).copy()
        window = _window(args, geometry.frame_px)
        BcmiModel(window, geometry, get_backend("numpy"))  # checks the modulator before any work
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    from tqdm import tqdm

    start = time.perf_counter()
    with tqdm(unit="step", desc="support guess, then BCMI runs", file=sys.stderr) as bar:
        guess, runs, figures = reconstruct_bcmi(
            frames,
            window,
            geometry,
            args.recipe,
            args.runs,
            args.keep,
            args.starts,
            args.seed,
            measured=measured,
            backend=args.backend,
            progress=advance(bar),
        )
    with h5py.File(args.out, "w") as out:
        out["object"] = figures.first_mode
        out["support"] = runs[0].support
        out["support_guess"] = guess.support
        out["drift_px"] = runs[0].drift_px
        out["free_llk"] = np.array([r.free_llk for r in runs])
        out["fsc"] = figures.fsc.values
        out["fsc_frequency_per_m"] = figures.fsc.frequency_per_m
        out["modulus_density"] = figures.modulus_density
        out["modulus_bin_edges"] = figures.modulus_bin_edges
        out.attrs.update(
            {
                "program": "phasebeam",
                "version": __version__,
                "input": str(args.input),
                "modulator": str(args.modulator),
                "recipe": args.recipe,
                "runs": args.runs,
                "keep": args.keep,
                "seed": args.seed,
                "pixel_m": geometry.pixel_m,
                "first_mode_weight": figures.first_mode_weight,
                "fsc_half_bit_resolution_m": figures.fsc_resolution_m,
                "modulus_histogram_peak": figures.modulus_peak,
                "axes": "z' y' x' (detector-conjugate frame)",
            }
        )
    print(
        f"wrote {Path(args.out)}: best free LLK {runs[0].free_llk:.4f}, first mode "
        f"{100 * figures.first_mode_weight:.2f}% of {args.keep} runs, FSC 1/2-bit "
        f"{1e9 * figures.fsc_resolution_m:.1f} nm, {time.perf_counter() - start:.1f} s"
    )
    return 0
