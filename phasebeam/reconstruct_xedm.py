"""``phasebeam reconstruct xedm``: seed 002 from a file of snake-scan frames.

Input layout (documented in the README): ``frames`` (K, rows, columns) counts, any numeric type;
``mask`` (rows, columns), non-zero where a pixel is never measured (gaps, beamstop); attributes
``energy_ev``, ``detector_distance_m`` and ``detector_pixel_m`` on the file, and optionally
``beam_centre_px`` (row, column: the direct beam, found with an attenuator before the beamstop
went in; it places the chi^2 ring, which otherwise goes round the thickest masked patch). Within a frame, the
largest value of an unsigned type, NaN or a negative count marks a pixel not measured in that
frame (an Eiger writes 2^32 - 1 in its gaps).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ._version import __version__
from .command_messages import advance, fail, refuse

_GEOMETRY_ATTRIBUTES = ("energy_ev", "detector_distance_m", "detector_pixel_m")
#: Frames read from the file at a time: bounded memory for any number of frames.
_CHUNK = 16


def add_arguments(methods: argparse._SubParsersAction) -> None:
    xedm = methods.add_parser(
        "xedm", help="XEDM (seed 002): filter and sum ensemble frames, then GHIO, PRTF and a core-shell fit"
    )
    xedm.add_argument("input", help="HDF5: frames, mask and the geometry attributes (README)")
    xedm.add_argument("--out", required=True, help="output HDF5 file (a PNG figure is written beside it)")
    xedm.add_argument("--binning", type=int, default=3, help="pixels per bin along each axis (default 3)")
    xedm.add_argument(
        "--speckle-diameter-px",
        type=float,
        help="removed central disc, binned pixels (default 0.7 x the central speckle's diameter)",
    )
    xedm.add_argument("--starts", type=int, default=100, help="GHIO random starts (default 100)")
    xedm.add_argument("--generations", type=int, default=10, help="GHIO generations (default 10)")
    xedm.add_argument("--hio", type=int, default=200, help="HIO iterations per generation (default 200)")
    xedm.add_argument("--er", type=int, default=30, help="ER iterations closing a generation (default 30)")
    xedm.add_argument("--keep-fraction", type=float, default=0.2, help="best share averaged (default 0.2)")
    xedm.add_argument("--weak-factor", type=float, default=10.0, help="weak: total N times below typical")
    xedm.add_argument("--chi2-ratio", type=float, default=1.6, help="streak: chi^2 above N times typical")
    xedm.add_argument(
        "--background-ratio", type=float, default=0.5, help="background: total below N x typical (0: off)"
    )
    xedm.add_argument(
        "--core-range-nm", type=float, nargs=2, default=[14.0, 24.0], help="core diameters searched (nm)"
    )
    xedm.add_argument(
        "--outer-range-nm", type=float, nargs=2, default=[48.0, 60.0], help="outer diameters searched (nm)"
    )
    xedm.add_argument("--no-fit", action="store_true", help="skip the core-shell fit and the SSIM")
    xedm.add_argument("--seed", type=int, default=0)
    xedm.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])


def _read_header(path: str) -> tuple[dict[str, float], Any, tuple[int, ...]]:
    import h5py
    import numpy as np

    with h5py.File(path, "r") as f:
        missing = [name for name in _GEOMETRY_ATTRIBUTES if name not in f.attrs]
        if missing:
            raise ValueError(f"{path} lacks the attributes {missing} (README: reconstruct xedm layout)")
        attributes = {name: float(np.asarray(f.attrs[name])) for name in _GEOMETRY_ATTRIBUTES}
        if "beam_centre_px" in f.attrs:
            centre = np.asarray(f.attrs["beam_centre_px"], dtype=np.float64)
            if centre.shape != (2,):
                raise ValueError(f"beam_centre_px must be (row, column), got {centre.tolist()}")
            attributes["beam_centre_row_px"], attributes["beam_centre_column_px"] = centre
        frames, mask = f.get("frames"), f.get("mask")
        if not isinstance(frames, h5py.Dataset) or frames.ndim != 3:
            raise ValueError(f"{path}: 'frames' must be a 3-D dataset (K, rows, columns)")
        if not isinstance(mask, h5py.Dataset):
            raise ValueError(f"{path}: 'mask' (rows, columns) is missing")
        if mask.shape != frames.shape[1:]:
            raise ValueError(f"mask shape {mask.shape} does not match the frames' {frames.shape[1:]}")
        return attributes, np.asarray(mask[()]), tuple(frames.shape)


def _accumulate(path: str, mask, settings, frames_shape: tuple[int, ...], centre_px):
    import h5py
    from tqdm import tqdm

    from phasebeam.analysis.xedm.accumulation import StreamingAccumulator

    accumulator = StreamingAccumulator(mask, settings, centre_px=centre_px)
    with (
        h5py.File(path, "r") as f,
        tqdm(total=frames_shape[0], unit="frame", desc="filter", file=sys.stderr) as bar,
    ):
        frames = f["frames"]
        assert isinstance(frames, h5py.Dataset)
        for first in range(0, frames_shape[0], _CHUNK):
            for frame in frames[first : first + _CHUNK]:
                accumulator.add(frame)
                bar.update(1)
    accumulator.flush()
    return accumulator.result()


def reconstruct_xedm_file(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from phasebeam.analysis.xedm.accumulation import FilterSettings
    from phasebeam.analysis.xedm.phasing import GhioSettings
    from phasebeam.analysis.xedm.pipeline import EnsembleGeometry, reconstruct_ensemble

    start = time.perf_counter()
    try:
        attributes, mask, shape = _read_header(args.input)
        geometry = EnsembleGeometry(
            attributes["energy_ev"], attributes["detector_distance_m"], attributes["detector_pixel_m"]
        )
        filters = FilterSettings(args.weak_factor, args.chi2_ratio, args.background_ratio)
        ghio = GhioSettings(
            args.starts, args.generations, args.hio, args.er, keep_fraction=args.keep_fraction
        )
        if args.binning < 1:
            raise ValueError(f"--binning must be >= 1, got {args.binning}")
        centre = None
        if "beam_centre_row_px" in attributes:
            centre = (attributes["beam_centre_row_px"], attributes["beam_centre_column_px"])
        accumulated = _accumulate(args.input, mask, filters, shape, centre)
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    counts = accumulated.counts
    print(
        f"{shape[0]} frames: {counts['kept']} kept, {counts['weak']} weak, {counts['streak']} streaked, "
        f"{counts['background']} background"
    )
    if counts["kept"] == 0:
        return fail(
            "no frame was kept by the filters: nothing to reconstruct (check --weak-factor, --chi2-ratio)"
        )
    ranges = (
        None
        if args.no_fit
        else (
            (args.core_range_nm[0] * 1e-9, args.core_range_nm[1] * 1e-9),
            (args.outer_range_nm[0] * 1e-9, args.outer_range_nm[1] * 1e-9),
        )
    )
    try:
        with tqdm(total=args.generations, unit="generation", desc="GHIO", file=sys.stderr) as bar:
            result = reconstruct_ensemble(
                accumulated.background_subtracted(),
                np.asarray(mask) == 0,
                geometry,
                binning=args.binning,
                speckle_diameter_px=args.speckle_diameter_px,
                settings=ghio,
                fit_ranges_m=ranges,
                seed=args.seed,
                backend=args.backend,
                progress=advance(bar),
            )
    except ValueError as exc:
        return refuse(exc)
    out = Path(args.out)
    _write(out, accumulated, result, vars(args))
    figure_path = out.with_suffix(".png")
    _figure(accumulated, result).savefig(figure_path, dpi=110)
    line = (
        f"wrote {out} and {figure_path.name}: pixel {result.object_pixel_m * 1e9:.2f} nm, "
        f"PRTF 1/e half-period {result.prtf_half_period_m * 1e9:.2f} nm"
        + (" (above 1/e to the edge)" if not result.prtf_crosses_cutoff else "")
        + f", best error (Eq. 2) {100 * result.ghio.errors[0]:.1f}%"
    )
    if result.fit is not None and result.comparison is not None:
        line += (
            f", core {result.fit.core_diameter_m * 1e9:.1f} nm,"
            f" outer {result.fit.outer_diameter_m * 1e9:.1f} nm"
            f" (error {100 * result.fit.error:.1f}%), SSIM {result.comparison.ssim:.3f}"
        )
    print(line + f", {time.perf_counter() - start:.1f} s")
    return 0


def _write(out: Path, accumulated, result, options: dict[str, Any]) -> None:
    import h5py
    import numpy as np

    from phasebeam.analysis.xedm.accumulation import REASONS

    with h5py.File(out, "w") as f:
        f.attrs.update(program="phasebeam", version=__version__, method="xedm (seed 002)")
        for name, value in options.items():
            if isinstance(value, (int, float, str)) or value is None:
                f.attrs[f"option_{name}"] = "" if value is None else value
        acc = f.create_group("accumulated")
        acc.create_dataset("pattern", data=accumulated.pattern, compression="gzip")
        acc["pattern"].attrs["units"] = "counts"
        if accumulated.background is not None:
            acc.create_dataset("background", data=accumulated.background, compression="gzip")
            acc["background"].attrs["units"] = "counts per frame"
        for reason, n in accumulated.counts.items():
            acc.attrs[f"frames_{reason}"] = n
        verdicts = accumulated.verdicts
        acc.create_dataset(
            "verdict", data=np.array([REASONS.index(v.reason) for v in verdicts], dtype=np.int8)
        )
        acc["verdict"].attrs["codes"] = ", ".join(f"{i}: {r}" for i, r in enumerate(REASONS))
        acc.create_dataset("total_counts", data=np.array([v.total for v in verdicts]))
        acc.create_dataset("chi2", data=np.array([v.chi2 for v in verdicts]))
        prep = f.create_group("prepared")
        p = result.prepared
        prep.create_dataset("intensity", data=p.intensity, compression="gzip")
        prep.create_dataset("measured", data=p.measured.astype(np.uint8), compression="gzip")
        prep.attrs.update(
            centre_px=p.centre_px,
            binning=p.binning,
            detector_pixel_m=p.detector_pixel_m,
            speckle_diameter_px=p.speckle_diameter_px,
            patched_fraction=p.patched_fraction,
        )
        rec = f.create_group("reconstruction")
        rec.create_dataset("average", data=result.ghio.average, compression="gzip")
        rec.create_dataset("kept", data=result.ghio.kept, compression="gzip")
        rec.create_dataset("support", data=result.ghio.support.astype(np.uint8))
        rec.create_dataset("errors", data=result.ghio.errors)
        rec.attrs.update(
            pixel_m=result.object_pixel_m, axes="Y, X", units="electrons per pixel (arbitrary scale)"
        )
        prtf = f.create_group("prtf")
        prtf.create_dataset("frequency_per_m", data=result.prtf.frequency_per_m)
        prtf.create_dataset("values", data=result.prtf.values)
        prtf.attrs.update(
            half_period_resolution_m=result.prtf_half_period_m, crosses_one_over_e=result.prtf_crosses_cutoff
        )
        if result.fit is not None and result.comparison is not None and result.model_image is not None:
            fit = f.create_group("fit")
            fit.attrs.update(
                core_diameter_m=result.fit.core_diameter_m,
                outer_diameter_m=result.fit.outer_diameter_m,
                error=result.fit.error,
                ssim=result.comparison.ssim,
            )
            fit.create_dataset("core_grid_m", data=result.fit.coarse_core_grid_m)
            fit.create_dataset("outer_grid_m", data=result.fit.coarse_outer_grid_m)
            fit.create_dataset("error_matrix", data=result.fit.coarse_error_matrix)
            fit.create_dataset("model_image", data=result.model_image, compression="gzip")


def _figure(accumulated, result):
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 7.5), layout="constrained")
    axes = figure.subplots(2, 3)
    p = result.prepared
    shown = np.where(p.measured, p.intensity, np.nan)
    axes[0, 0].imshow(np.log10(np.clip(shown, 1, None)), cmap="magma")
    axes[0, 0].set_title(f"prepared pattern (log10 counts), {p.binning}x{p.binning} bins", fontsize=9)
    scale_nm = result.object_pixel_m * 1e9
    n = p.intensity.shape[0]
    half = int(2.5 * np.sqrt(result.ghio.support.sum() / np.pi)) + 2
    window = slice(max(0, n // 2 - half), n // 2 + half + 1)
    extent = [-half * scale_nm, half * scale_nm, half * scale_nm, -half * scale_nm]
    image = result.comparison.aligned if result.comparison is not None else result.ghio.average
    axes[0, 1].imshow(image[window, window], cmap="viridis", extent=extent)
    axes[0, 1].set(xlabel="x (nm)", ylabel="y (nm)")
    axes[0, 1].set_title(f"GHIO, mean of best {len(result.ghio.kept)}", fontsize=9)
    if result.model_image is not None and result.fit is not None and result.comparison is not None:
        axes[0, 2].imshow(result.model_image[window, window], cmap="viridis", extent=extent)
        axes[0, 2].set_title(
            f"model {result.fit.core_diameter_m * 1e9:.1f} / {result.fit.outer_diameter_m * 1e9:.1f} nm, "
            f"SSIM {result.comparison.ssim:.3f}",
            fontsize=9,
        )
        x_nm = (np.arange(n) - n // 2) * scale_nm
        axes[1, 2].plot(x_nm, result.comparison.aligned[n // 2], label="reconstruction")
        axes[1, 2].plot(x_nm, result.model_image[n // 2], label="model")
        axes[1, 2].set(xlim=(-half * scale_nm, half * scale_nm), xlabel="x (nm)", ylabel="projected density")
        axes[1, 2].legend(fontsize=8)
    else:
        axes[0, 2].axis("off")
        axes[1, 2].axis("off")
    f_per_nm = result.prtf.frequency_per_m * 1e-9
    axes[1, 0].plot(f_per_nm, result.prtf.values)
    axes[1, 0].axhline(1 / np.e, color="0.5", ls="--", lw=0.8)
    axes[1, 0].set(xlabel="spatial frequency (1/nm)", ylabel="PRTF", ylim=(0, 1.05))
    axes[1, 0].set_title(f"PRTF: half-period {result.prtf_half_period_m * 1e9:.2f} nm at 1/e", fontsize=9)
    chi2 = np.array([v.chi2 for v in accumulated.verdicts])
    reasons = np.array([v.reason for v in accumulated.verdicts])
    for reason, colour in (("kept", "C0"), ("weak", "C1"), ("streak", "C3"), ("background", "C2")):
        pick = reasons == reason
        axes[1, 1].plot(
            np.flatnonzero(pick), chi2[pick], ".", color=colour, ms=3, label=f"{reason} ({pick.sum()})"
        )
    axes[1, 1].set(xlabel="frame", ylabel="chi^2 (Eq. 4)", yscale="log")
    axes[1, 1].legend(fontsize=8)
    return figure
