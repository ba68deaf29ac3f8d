"""``phasebeam reconstruct eximres``: seed 000's ExImRes on one measured 3-D pattern.

Input: as ``reconstruct cdi`` (CXI, .h5/.npz with --dataset, or .npy), with the voxel of a
reconstruction of the whole pattern and the reflection's lattice spacing given as options.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ._version import __version__
from .command_messages import advance, refuse


def add_arguments(methods: argparse._SubParsersAction) -> None:
    eximres = methods.add_parser(
        "eximres",
        help="ExImRes (seed 000): reconstruct cropped and binned copies of a 3-D pattern, merge them",
    )
    eximres.add_argument("input", help="intensity: .cxi (entry_1/data_1/data [+ mask]), .h5, .npy or .npz")
    eximres.add_argument("--out", required=True, help="output HDF5 file (a PNG figure is written beside it)")
    eximres.add_argument("--dataset", help="dataset or array name of the intensity in an .h5/.npz input")
    eximres.add_argument(
        "--voxel-m",
        type=float,
        nargs="+",
        required=True,
        help="voxel of the whole pattern's reconstruction (m): one value, or Z Y X",
    )
    eximres.add_argument(
        "--d-spacing-m", type=float, required=True, help="lattice spacing of the reflection (m)"
    )
    eximres.add_argument("--recipe", default="HIO**400, RAAR**600, ER**200", help="each run's recipe")
    eximres.add_argument("--runs", type=int, default=4, help="runs per restricted pattern (default 4)")
    eximres.add_argument("--keep", type=int, default=2, help="best runs decomposed into modes (default 2)")
    eximres.add_argument(
        "--upsample", type=float, default=2.0, help="common grid = finest voxel / N (default 2)"
    )
    eximres.add_argument(
        "--max-binning",
        type=int,
        nargs=3,
        metavar=("Z", "Y", "X"),
        help="largest binning per axis (default: as far as the oversampling from the autocorrelation allows)",
    )
    eximres.add_argument("--workers", type=int, default=1, help="processes reconstructing in parallel")
    eximres.add_argument("--seed", type=int, default=0)
    eximres.add_argument("--backend", default="numpy", choices=["numpy", "cupy", "auto"])


def reconstruct_eximres_file(args: argparse.Namespace) -> int:
    import numpy as np
    from tqdm import tqdm

    from phasebeam.analysis.cdi.data import DiffractionData
    from phasebeam.analysis.cdi.recipe import parse_recipe
    from phasebeam.analysis.cxi import read_intensity
    from phasebeam.analysis.eximres.pipeline import eximres
    from phasebeam.analysis.eximres.restricted import default_restrictions

    start = time.perf_counter()
    try:
        parse_recipe(args.recipe)
        if not 1 <= args.keep <= args.runs:
            raise ValueError(f"--keep must be in [1, --runs={args.runs}], got {args.keep}")
        if len(args.voxel_m) not in (1, 3) or min(args.voxel_m) <= 0:
            raise ValueError(f"--voxel-m takes one or three values > 0 (m), got {args.voxel_m}")
        if args.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {args.workers}")
        voxel = tuple(args.voxel_m * 3) if len(args.voxel_m) == 1 else tuple(args.voxel_m)
        intensity, mask = read_intensity(args.input, args.dataset)
        DiffractionData.from_arrays(intensity, mask)  # the same checks as reconstruct cdi
        restrictions = None
        if args.max_binning is not None:
            if min(args.max_binning) < 1:
                raise ValueError(f"--max-binning must be >= 1 on every axis, got {args.max_binning}")
            restrictions = default_restrictions(np.asarray(intensity).shape, tuple(args.max_binning))
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    executor = None
    map_tasks: Any = map
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(args.workers)
        map_tasks = executor.map
    try:
        with tqdm(unit="pattern", desc="restricted patterns", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                advance(bar)(done, total)

            result = eximres(
                intensity,
                mask,
                voxel,  # type: ignore[arg-type]
                args.d_spacing_m,
                restrictions,
                args.recipe,
                args.runs,
                args.keep,
                args.upsample,
                args.seed,
                args.backend,
                map_tasks=map_tasks,
                progress=progress,
            )
    except ValueError as exc:
        return refuse(exc)
    finally:
        if executor is not None:
            executor.shutdown()
    out = Path(args.out)
    _write(out, result, args)
    _figure(result).savefig(out.with_suffix(".png"), dpi=110)
    before = ", ".join(f"{f * 1e9:.2f}" for f in result.psf_original.fwhm_m)
    after = ", ".join(f"{f * 1e9:.2f}" for f in result.psf_merged.fwhm_m)
    print(
        f"wrote {out} and {out.with_suffix('.png').name}: {len(result.results)} restricted patterns;"
        f" PSF FWHM (Z, Y, X) original {before} nm, merged {after} nm; {time.perf_counter() - start:.1f} s"
    )
    return 0


def _write(out: Path, result, args: argparse.Namespace) -> None:
    import h5py
    import numpy as np

    with h5py.File(out, "w") as f:
        f.attrs.update(
            program="phasebeam", version=__version__, method="eximres (seed 000)", input=str(args.input)
        )
        f.attrs.update(
            recipe=args.recipe, runs=args.runs, keep=args.keep, seed=args.seed, upsample=args.upsample
        )
        f.create_dataset("merged", data=result.merged.merged, compression="gzip")
        f.create_dataset("original", data=result.original, compression="gzip")
        f.attrs["voxel_m"] = result.merged.voxel_m
        for name, psf in (("psf_original", result.psf_original), ("psf_merged", result.psf_merged)):
            group = f.create_group(name)
            group.create_dataset("psf", data=psf.psf)
            group.attrs.update(
                sigma_vox=psf.sigma_vox, fwhm_m=psf.fwhm_m, residual=psf.residual, axes="Z, Y, X"
            )
        table = f.create_group("restricted")
        rows = result.results
        table.create_dataset("name", data=np.array([r.pattern.restriction.name for r in rows], dtype="S"))
        table.create_dataset("crop", data=np.array([r.pattern.restriction.crop for r in rows]))
        table.create_dataset("binning", data=np.array([r.pattern.restriction.binning for r in rows]))
        table.create_dataset("voxel_m", data=np.array([r.pattern.voxel_m for r in rows]))
        table.create_dataset("r", data=np.array([r.pattern.r for r in rows]))
        table.create_dataset("prtf_half_period_m", data=np.array([r.prtf_half_period_m for r in rows]))
        table.create_dataset("first_mode_weight", data=np.array([r.first_mode_weight for r in rows]))
        table.create_dataset("best_free_llk", data=np.array([r.free_llk[0] for r in rows]))
        table.create_dataset("twin", data=np.array(result.merged.twin))


def _figure(result):
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 7.5), layout="constrained")
    axes = figure.subplots(2, 3)
    voxel_nm = np.array(result.merged.voxel_m) * 1e9
    centre = [n // 2 for n in result.merged.merged.shape]
    for column, (title, image, psf) in enumerate(
        (
            ("original", result.original, result.psf_original),
            ("merged", result.merged.merged, result.psf_merged),
        )
    ):
        ax = axes[0, column]
        section = image[centre[0]]
        ny, nx = section.shape
        ax.imshow(section, cmap="gray", extent=[0, nx * voxel_nm[2], ny * voxel_nm[1], 0])
        fwhm = ", ".join(f"{f * 1e9:.1f}" for f in psf.fwhm_m)
        ax.set_title(f"{title}, central Z slice\nPSF FWHM (Z, Y, X) {fwhm} nm", fontsize=9)
        ax.set(xlabel="x (nm)", ylabel="y (nm)")
    for axis, name in enumerate("ZYX"):
        ax = axes[1, axis]
        for label, psf in (("original", result.psf_original), ("merged", result.psf_merged)):
            kernel = psf.psf
            profile = kernel.sum(axis=tuple(a for a in range(3) if a != axis))
            x = (np.arange(profile.size) - profile.size // 2) * voxel_nm[axis]
            ax.plot(x, profile / profile.max(), label=label)
        ax.set(xlabel=f"{name} (nm)", ylabel="Gaussian PSF (blind deconvolution)")
        ax.legend(fontsize=8)
    ax = axes[0, 2]
    r = [x.pattern.mean_r for x in result.results]
    prtf = [x.prtf_half_period_m * 1e9 for x in result.results]
    ax.plot(r, prtf, "o")
    ax.plot(r[:1], prtf[:1], "o", color="C3", label="original")
    ax.set(xlabel="r = voxel / lattice spacing (geometric mean)", ylabel="PRTF 1/e half-period (nm)")
    ax.legend(fontsize=8)
    return figure
