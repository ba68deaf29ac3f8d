"""What live reconstruction costs the scans: every plan of ``phasebeam demo`` timed with and
without its live analyses (issue 9: scan durations within 10%).

    python benchmarks/live_overhead.py [--rounds 2] [--out results.json]

Runs the demo ``--rounds`` times each way, alternating (without, with, without, ...), each in a
fresh data folder, so that a drift of the machine's load weighs on both alike. For each run of the
demo it reports the scan's wall time without the live analyses and with them (the fastest of the
rounds: load from elsewhere only ever adds time) and their relative change, the RunEngine thread's
time in the live callbacks per frame, and the time from the run's stop to its final result.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Each demo in its own process: pytango binds its executor to a process's first event loop, and
#: every demo makes its own RunEngine (and loop).
DEMO = """
import io, sys
from pathlib import Path
from phasebeam.demo import run_demo
from phasebeam.settings import Settings
run_demo(Settings(data_dir=Path(sys.argv[1])), seed=0, out=io.StringIO(), live=sys.argv[2] == "live")
"""


def _demo(live: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="phasebeam-overhead-") as folder:
        mode = "live" if live else "plain"
        subprocess.run([sys.executable, "-P", "-c", DEMO, folder, mode], check=True)
        return json.loads((Path(folder) / "demo-summary.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    started = time.monotonic()
    without, with_live = [], []
    for _ in range(args.rounds):
        without.append(_demo(live=False))
        with_live.append(_demo(live=True))
    runs = []
    for index, run in enumerate(with_live[0]["runs"]):
        plain_s = min(summary["runs"][index]["scan_s"] for summary in without)
        live_s = min(summary["runs"][index]["scan_s"] for summary in with_live)
        results = {
            name: {
                key: [summary["runs"][index]["results"][name].get(key) for summary in with_live]
                for key in ("status", "runengine_ms_per_frame", "stop_to_result_s")
            }
            for name in run["results"]
        }
        runs.append(
            {
                "step": run["step"],
                "plan_name": run["plan_name"],
                "frames": run["frames"],
                "scan_s_without_live": [s["runs"][index]["scan_s"] for s in without],
                "scan_s_with_live": [s["runs"][index]["scan_s"] for s in with_live],
                "change_of_fastest": round(live_s / plain_s - 1, 4),
                "live": results,
            }
        )
    report = {
        "benchmark": "live_overhead",
        "machine": platform.node(),
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "total_scan_s_without_live": round(min(sum(r["scan_s"] for r in s["runs"]) for s in without), 2),
        "total_scan_s_with_live": round(min(sum(r["scan_s"] for r in s["runs"]) for s in with_live), 2),
        "runs": runs,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    report["total_change"] = round(
        report["total_scan_s_with_live"] / report["total_scan_s_without_live"] - 1, 4
    )
    text = json.dumps(report, indent=2)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
