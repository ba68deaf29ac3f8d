"""``phasebeam live``: the beamline's live analyses in their own process, fed by a 0MQ proxy.

The RunEngine's process publishes its documents with bluesky's ``Publisher`` to a
``bluesky-0MQ-proxy``; this command subscribes the analyses of :func:`.live_analyses.live_callbacks`
to the proxy's output with bluesky's ``RemoteDispatcher``, so that reconstructions run on another
core or on a GPU machine. The frames are read from the detectors' HDF5 files, so this machine must
see the frames folder at the path the documents give. Results go to files and, with ``--tiled``,
to that server's ``derived`` container; calibrations go to the data folder's ``calibrations/``.
Runs until interrupted (SIGINT or SIGTERM), then finishes the analyses in progress.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

#: How long a stop waits for the analyses in progress to publish (s).
FINISH_TIMEOUT_S = 600.0


def add_arguments(commands: argparse._SubParsersAction) -> None:
    live = commands.add_parser(
        "live",
        help="run the live analyses in this process, on the documents of a 0MQ proxy (bluesky-0MQ-proxy)",
    )
    live.add_argument("--zmq", required=True, metavar="HOST:PORT", help="the proxy's output address")
    live.add_argument("--out", help="results folder (default <data dir>/live)")
    live.add_argument("--data-dir", help="data folder for calibrations (default: $PHASEBEAM_DATA_DIR)")
    live.add_argument("--tiled", metavar="URI", help="also write the results to this Tiled server")
    live.add_argument("--api-key", help="API key of --tiled")
    live.add_argument(
        "--eiger-mask",
        metavar="FILE",
        help="the far-field detector's mask for live XEDM of snake scans: .npy, or HDF5 with a 'mask' "
        "dataset (non-zero: unmeasured); without one (or --simulated), snake scans get no live XEDM",
    )
    live.add_argument(
        "--simulated",
        action="store_true",
        help="the simulated beamline's constants: its XSN microscope, and its Eiger mask unless "
        "--eiger-mask is given",
    )
    live.add_argument(
        "--publish-period-s", type=float, default=1.0, help="least time between publications (s, default 1)"
    )


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _refuse(message: str) -> int:
    print(f"phasebeam live: error: {message}", file=sys.stderr)
    return 2


def run_live(args: argparse.Namespace) -> int:
    from bluesky.callbacks.zmq import RemoteDispatcher

    from .calibrations import CalibrationStore
    from .live_analyses import SIMULATED_MICROSCOPE, live_callbacks
    from .reconstruct_snake import read_mask
    from .settings import Settings
    from .simulated_beamline import simulated_eiger_mask
    from .storage import Storage

    host, _, port = args.zmq.rpartition(":")
    if not host or not port.isdigit():
        return _refuse(f"--zmq {args.zmq!r} must be HOST:PORT")
    if args.publish_period_s < 0:
        return _refuse(f"--publish-period-s {args.publish_period_s} must be >= 0 s")
    mask = simulated_eiger_mask() if args.simulated else None
    if args.eiger_mask:
        try:
            mask = read_mask(args.eiger_mask)
        except (OSError, KeyError, ValueError) as exc:
            return _refuse(f"--eiger-mask {args.eiger_mask}: {exc}")
        if mask.ndim != 2:
            return _refuse(f"--eiger-mask {args.eiger_mask}: a 2-D mask is needed, got shape {mask.shape}")
    settings = Settings.from_environment(args.data_dir, args.tiled, args.api_key)
    out = Path(args.out) if args.out else settings.data_dir / "live"
    out.mkdir(parents=True, exist_ok=True)
    # With no Tiled server given, results go to files only: the embedded Tiled belongs to the
    # RunEngine's process.
    storage = Storage(settings) if settings.tiled_uri else None
    callbacks = live_callbacks(
        out,
        storage.derived if storage else None,
        CalibrationStore(settings.calibrations_dir),
        SIMULATED_MICROSCOPE if args.simulated else None,
        publish_period_s=args.publish_period_s,
        eiger_mask=mask,
    )
    dispatcher = RemoteDispatcher((host, int(port)))
    for callback in callbacks.values():
        dispatcher.subscribe(callback)
    signal.signal(signal.SIGTERM, _interrupt)
    ready = {"zmq": args.zmq, "out": str(out), "analyses": sorted(callbacks)}
    print(json.dumps(ready), flush=True)
    try:
        dispatcher.start()
    except KeyboardInterrupt:
        print("stopping: finishing the analyses in progress", file=sys.stderr, flush=True)
    finally:
        for callback in callbacks.values():
            callback.wait(timeout=FINISH_TIMEOUT_S)
        if storage is not None:
            storage.close()
    failed = sum(len(callback.errors) for callback in callbacks.values())
    return 1 if failed else 0
