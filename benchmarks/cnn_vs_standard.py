"""CNN + border-only ER against the standard recipe on held-out, highly strained crystals; prints JSON.

    python -P benchmarks/cnn_vs_standard.py [--crystals 30] [--standard-runs 20] [--backend auto]
        [--figure cnn_vs_standard.png] [--standard-crystals N]

The crystals are the phase network's held-out test set (seeds from ``TEST_SEED``, never trained
or validated on): Wulff, Winterbottom and random-cut shapes, 2 pi-5 pi phase range, 64^3 patterns
with Poisson noise at ``--max-count`` in the brightest pixel. Each is reconstructed by
  * CNN + ER: the network's start refined by ``--refine`` (default HIO**200, ER**200) updating only
    the support border, from three first-support thresholds, the best free LLK kept;
  * the standard recipe: ``--standard-runs`` runs of HIO**400, RAAR**1000, ER**300 from random
    starts, the best ``--keep`` by free log-likelihood mode-decomposed (seed 003's reference).
Both are scored with the CDI engine's definition of success (support Dice >= 0.9 and phase RMS
<= 0.15 rad after alignment), on the same crystals. Times are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from phasebeam.analysis.backend import get_backend
from phasebeam.analysis.cdi.align import align
from phasebeam.analysis.cdi.data import DiffractionData
from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.analysis.cdi.pipeline import reconstruct
from phasebeam.analysis.cdi.recipe import STANDARD_RECIPE
from phasebeam.analysis.cnn.phasing import REFINEMENT_RECIPE, START_SUPPORT_THRESHOLDS, cnn_phase
from phasebeam.analysis.cnn.weights_file import load_network
from phasebeam.cnn_training import TEST_SEED
from phasebeam.simulators.phase_training_set import phase_sample, poisson_counts


def _score(obj, sample) -> dict:
    score = compare(obj, sample.obj, sample.support)
    return {
        "success": bool(score.success()),
        "dice": round(score.dice, 3),
        "phase_rms_rad": round(score.phase_rms_rad, 3),
        "twin": score.twin,
    }


def _figure(path: str, rows: list[tuple]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(rows), 3, figsize=(7.5, 2.5 * len(rows)), squeeze=False)
    for row, (sample, standard, cnn, label) in zip(axes, rows, strict=True):
        c = sample.obj.shape[0] // 2
        for axis, obj, title in zip(
            row, (sample.obj, standard, cnn), ("truth", "standard", "CNN + ER"), strict=True
        ):
            aligned = obj if obj is sample.obj else align(sample.obj, obj).aligned
            shown = np.where(np.abs(aligned[c]) > 0.3 * np.abs(aligned).max(), np.angle(aligned[c]), np.nan)
            image = axis.imshow(shown, cmap="twilight", vmin=-np.pi, vmax=np.pi)
            axis.set_title(f"{title}\n{label if title == 'truth' else ''}", fontsize=8)
            axis.set_xticks([])
            axis.set_yticks([])
        figure.colorbar(image, ax=row[-1], label="phase (rad)", fraction=0.046)
    figure.suptitle("central Y-X slices, phase inside the modulus > 30% of max", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crystals", type=int, default=30)
    parser.add_argument("--first", type=int, default=0, help="index of the first test crystal")
    parser.add_argument("--standard-crystals", type=int, help="run the standard recipe on the first N only")
    parser.add_argument("--standard-runs", type=int, default=20)
    parser.add_argument("--keep", type=int, default=3)
    parser.add_argument("--recipe", default=STANDARD_RECIPE)
    parser.add_argument("--refine", default=REFINEMENT_RECIPE, help="CNN refinement recipe")
    parser.add_argument("--max-count", type=float, default=1e5)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--weights", help="default: the shipped weights")
    parser.add_argument("--figure", help="PNG of central slices for the first crystals")
    args = parser.parse_args()
    backend = get_backend(args.backend)
    device = "cuda" if backend.name == "cupy" else "cpu"
    network = load_network(args.weights, device=device)
    standard_crystals = args.crystals if args.standard_crystals is None else args.standard_crystals
    results, rows = [], []
    for i in range(args.first, args.first + args.crystals):
        sample = phase_sample(TEST_SEED + i)
        counts = poisson_counts(sample.intensity, args.max_count, np.random.default_rng(i))
        data = DiffractionData.from_arrays(counts)
        entry: dict = {
            "seed": TEST_SEED + i,
            "shape": sample.shape,
            "strain": sample.strain,
            "phase_range_rad": round(sample.phase_range_rad, 2),
            "oversampling": round(sample.oversampling, 2),
        }
        began = time.perf_counter()
        cnn = cnn_phase(data, network, recipe=args.refine, backend=backend)
        entry["cnn_er"] = _score(cnn.refined.obj, sample) | {
            "seconds": round(time.perf_counter() - began, 2),
            "start": _score(cnn.start.obj, sample),
        }
        if i - args.first < standard_crystals:
            began = time.perf_counter()
            standard = reconstruct(
                data, args.recipe, runs=args.standard_runs, keep=args.keep, backend=backend
            )
            entry["standard"] = _score(standard.obj, sample) | {
                "seconds": round(time.perf_counter() - began, 2),
                "first_mode_weight": round(float(standard.mode_weights[0]), 4),
            }
            if args.figure and len(rows) < 4:
                label = f"{sample.shape}, {sample.strain}, {sample.phase_range_rad:.1f} rad"
                rows.append((sample, standard.obj, cnn.refined.obj, label))
        results.append(entry)
        print(json.dumps(entry), flush=True)
    compared = [r for r in results if "standard" in r]

    def rate(items: list[dict], key: str) -> float:
        return round(sum(r[key]["success"] for r in items) / max(len(items), 1), 3)

    def mean(items: list[dict], key: str, field: str) -> float:
        return round(float(np.mean([r[key][field] for r in items])) if items else float("nan"), 3)

    summary = {
        "backend": backend.name,
        "crystals": args.crystals,
        "first": args.first,
        "max_count": args.max_count,
        "cnn_refinement": f"({args.refine}) x supports {START_SUPPORT_THRESHOLDS}, best free LLK",
        "standard": f"{args.standard_runs} x ({args.recipe}), best {args.keep} mode-decomposed",
        "cnn_er_success_rate": rate(results, "cnn_er"),
        "cnn_er_success_rate_on_standard_crystals": rate(compared, "cnn_er"),
        "standard_success_rate": rate(compared, "standard"),
        "standard_crystals": len(compared),
        "cnn_er_phase_rms_rad_mean": mean(results, "cnn_er", "phase_rms_rad"),
        "standard_phase_rms_rad_mean": mean(compared, "standard", "phase_rms_rad"),
        "cnn_er_seconds_mean": mean(results, "cnn_er", "seconds"),
        "standard_seconds_mean": mean(compared, "standard", "seconds"),
        "per_crystal": results,
    }
    if args.figure and rows:
        _figure(args.figure, rows)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
