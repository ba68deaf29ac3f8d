"""BCMI vs BCDI per crystal, with the demo's own steps; a JSON file per crystal as soon as it is done.

    python -P benchmarks/bcmi_case_rates.py OUT --seed 1000 --phase-range 7 --first 0 --last 3
        [--runs 10] [--upsample 2] [--backend numpy|cupy|auto]

The same calibration and cases as ``phasebeam demo bcmi --seed S --crystals C`` (crystal i has the
seed S + 10 (i + 1) and the i-th shape and strain field), but any range of crystal indices, and
each crystal's summary written on its own (``sS_uU_pP_cI.json``, plus ``sS_uU_calibration.json``),
so that a run cut short by a time limit keeps what it finished. Prints one JSON line per crystal.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
from pathlib import Path

from phasebeam import demo_bcmi
from phasebeam.simulators.bcmi import make_modulator
from phasebeam.simulators.strained_crystals import STRAIN_FIELDS


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phase-range", type=float, default=7.0, help="rad")
    parser.add_argument("--first", type=int, default=0, help="first crystal index")
    parser.add_argument("--last", type=int, default=1, help="one past the last crystal index")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--upsample", type=int, default=2)
    parser.add_argument("--backend", default="numpy")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    geometry = demo_bcmi.GEOMETRY
    modulator = make_modulator(
        (demo_bcmi.MODULATOR_PX,) * 2,
        geometry.pixel_m,
        geometry.energy_ev,
        demo_bcmi.FEATURE_M,
        seed=args.seed,
    )
    tag = f"s{args.seed}_u{args.upsample}"
    quiet = io.StringIO()
    calibration, window = demo_bcmi._calibration(modulator, args.seed, args.backend, args.upsample, quiet)
    (args.out / f"{tag}_calibration.json").write_text(json.dumps(calibration, indent=1))
    kinds = list(itertools.product(("wulff", "winterbottom", "random_cuts", "sphere"), STRAIN_FIELDS))
    for i in range(args.first, args.last):
        seed = args.seed + 10 * (i + 1)
        summary, _ = demo_bcmi._case(
            modulator, window, args.phase_range, kinds[i % len(kinds)], args.runs, seed, args.backend, quiet
        )
        summary["crystal_index"] = i
        (args.out / f"{tag}_p{args.phase_range}_c{i}.json").write_text(json.dumps(summary, indent=1))
        line = {
            "seed": args.seed,
            "upsample": args.upsample,
            "crystal": i,
            "bcmi_correct": summary["bcmi"]["correct"],
            "bcdi_correct": summary["bcdi"]["correct"],
            "runs": args.runs,
            "seconds": summary["seconds"],
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
