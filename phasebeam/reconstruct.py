"""``phasebeam reconstruct ...``: reconstructions from files, with progress and clear errors."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from phasebeam.analysis.cdi.data import DiffractionData
from phasebeam.analysis.cdi.pipeline import reconstruct
from phasebeam.analysis.cdi.recipe import parse_recipe
from phasebeam.analysis.cxi import read_intensity, write_reconstruction

from ._version import __version__
from .command_messages import advance, refuse


def reconstruct_cdi(args: argparse.Namespace) -> int:
    """Read, check, phase, write; bad input is reported in one line before any work starts."""
    if args.init == "cnn":
        return _reconstruct_cnn(args)
    try:
        parse_recipe(args.recipe)
        if args.runs < 1:
            raise ValueError(f"--runs must be >= 1, got {args.runs}")
        if not 1 <= args.keep <= args.runs:
            raise ValueError(f"--keep must be in [1, --runs={args.runs}], got {args.keep}")
        intensity, mask = read_intensity(args.input, args.dataset)
        data = DiffractionData.from_arrays(intensity, mask)
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    start = time.perf_counter()
    with tqdm(total=args.runs, unit="run", desc="phasing", file=sys.stderr) as bar:
        result = reconstruct(
            data,
            args.recipe,
            runs=args.runs,
            keep=args.keep,
            seed=args.seed,
            backend=args.backend,
            progress=advance(bar),
        )
    best = result.best
    write_reconstruction(
        args.out,
        result.obj,
        result.support,
        {
            "program": "phasebeam",
            "version": __version__,
            "recipe": args.recipe,
            "runs": args.runs,
            "keep": result.keep,
            "seed": args.seed,
            "llk": best.llk,
            "free_llk": best.free_llk,
            "free_llk_all_runs": [r.free_llk for r in result.runs],
            "mode_weights": result.mode_weights,
            "input": str(args.input),
        },
    )
    print(
        f"wrote {args.out}: best free LLK {best.free_llk:.4f} (LLK {best.llk:.4f}), first mode "
        f"{100 * result.mode_weights[0]:.2f}% of {result.keep} runs, {time.perf_counter() - start:.1f} s"
    )
    return 0


def _reconstruct_cnn(args: argparse.Namespace) -> int:
    """The phase network's start and border-only ER (seed 003), written like the random-start result."""
    from phasebeam.analysis.cnn.phasing import cnn_phase, cnn_start
    from phasebeam.analysis.cnn.weights_file import TorchMissingError, load_network

    try:
        per_run = sum(step.iterations for step in parse_recipe(args.refine))
        if not all(0 < t < 1 for t in args.support_thresholds):
            raise ValueError(f"--support-thresholds must be in (0, 1), got {args.support_thresholds}")
        intensity, mask = read_intensity(args.input, args.dataset)
        data = DiffractionData.from_arrays(intensity, mask)
        network = load_network(args.weights)
        # The crop is checked, and the network run, before the refinement starts.
        start = cnn_start(data, network, args.crop, args.support_thresholds[0])
    except (ValueError, KeyError, FileNotFoundError, OSError, TorchMissingError) as exc:
        return refuse(exc)
    total = per_run * len(args.support_thresholds)
    with tqdm(total=total, unit="it", desc="CNN + refinement", file=sys.stderr) as bar:
        result = cnn_phase(
            data,
            network,
            recipe=args.refine,
            support_thresholds=tuple(args.support_thresholds),
            crop_vox=args.crop,
            seed=args.seed,
            backend=args.backend,
            progress=advance(bar),
            start=start,
        )
    refined = result.refined
    write_reconstruction(
        args.out,
        refined.obj,
        refined.support,
        {
            "program": "phasebeam",
            "version": __version__,
            "init": "cnn",
            "weights": str(args.weights or "shipped"),
            "recipe": refined.recipe,
            "support_update": "border only",
            "support_threshold": result.thresholds[0],
            "free_llk_all_thresholds": [r.free_llk for r in result.refinements],
            "crop_vox": result.start.pattern.crop_vox,
            "crop_centre_vox": list(result.start.pattern.centre_vox),
            "seed": args.seed,
            "llk": refined.llk,
            "free_llk": refined.free_llk,
            "input": str(args.input),
        },
    )
    print(
        f"wrote {args.out}: CNN start ({result.start.seconds:.2f} s) + {args.refine} x "
        f"{len(args.support_thresholds)} supports, best free LLK "
        f"{refined.free_llk:.4f} (LLK {refined.llk:.4f}), {result.seconds:.1f} s"
    )
    return 0
