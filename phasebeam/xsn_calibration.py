"""``phasebeam reconstruct xsn-optics``: an XSN optics file from a knife-edge calibration run.

The run is :func:`phasebeam.plans.knife_edge.knife_edge_calibration` with the sample out: the
mean background against the edge position gives the illumination modes I_k (seed 004, Eq. 6).
With the energy, the zone plate and the edge position used for imaging, they make the optics
file that ``reconstruct xsn-tomo --run UID --optics FILE`` needs.
"""

from __future__ import annotations

import argparse

from .command_messages import refuse
from .reconstruct_xsn import add_tiled_source_arguments, frames_of_runs


def add_arguments(methods: argparse._SubParsersAction) -> None:
    optics = methods.add_parser(
        "xsn-optics", help="XSN optics file (I_k, pupil, cutoff) from a knife-edge calibration run in Tiled"
    )
    optics.add_argument("--run", metavar="UID", required=True, help="the knife_edge_calibration run")
    optics.add_argument("--out", required=True, help="output optics file (HDF5)")
    optics.add_argument("--energy-ev", type=float, required=True, help="photon energy (eV)")
    optics.add_argument(
        "--pixel-size-m", type=float, required=True, help="camera pixel at the sample plane (m)"
    )
    optics.add_argument(
        "--cutoff-um", type=float, default=0.0, help="knife-edge position used for imaging (um, default 0)"
    )
    optics.add_argument(
        "--zone-plate-diameter-m", type=float, default=300e-6, help="zone plate diameter (m, default 300e-6)"
    )
    optics.add_argument(
        "--outer-zone-m", type=float, default=30e-9, help="zone plate outermost zone width (m, default 30e-9)"
    )
    optics.add_argument("--detector", default="camera", help="detector field of --run (default camera)")
    optics.add_argument(
        "--edge-field",
        default="cutoff_filter-edge",
        help="edge position field (um, default cutoff_filter-edge)",
    )
    add_tiled_source_arguments(optics)


def xsn_optics_from_knife_edge(args: argparse.Namespace) -> int:
    """Read the run, fit I_k, write the optics; bad input fails with a message naming it."""
    import h5py
    import numpy as np

    from phasebeam.analysis.xsn.calibration import optics_from_knife_edge
    from phasebeam.analysis.xsn.pair_file import write_optics

    try:
        (run,) = frames_of_runs(args, [args.run])
        if args.edge_field not in run.positions:
            raise KeyError(f"run {args.run} has no field {args.edge_field!r}; it has {sorted(run.positions)}")
        edge_m = np.asarray(run.positions[args.edge_field], dtype=np.float64) * 1e-6
        mean = np.asarray(run.frames, dtype=np.float64).mean(axis=(1, 2))
        found = optics_from_knife_edge(
            edge_m,
            mean,
            args.energy_ev,
            args.pixel_size_m,
            args.cutoff_um * 1e-6,
            args.zone_plate_diameter_m,
            args.outer_zone_m,
        )
    except (ValueError, KeyError, OSError) as exc:
        return refuse(exc)
    optics = found.optics
    frequency, weight = optics.illumination_frequency_per_m, optics.illumination_weight
    with h5py.File(args.out, "w") as f:
        write_optics(f, optics)
        f.attrs["knife_edge_run"] = args.run
        f.attrs["energy_ev"] = args.energy_ev
    centre = float(np.sum(frequency * weight))
    if found.beyond_nyquist > 0:
        share = 100 * found.beyond_nyquist
        print(f"warning: {share:.1f}% of the illumination lies beyond the pixel's Nyquist frequency, dropped")
    print(
        f"wrote {args.out}: {frequency.size} illumination modes from {edge_m.size} edge positions, "
        f"centroid {centre * 1e-6:+.3f} 1/um, pupil NA {optics.pupil_na:.3e}, "
        f"cutoff {optics.cutoff_frequency_per_m * 1e-6:+.3f} 1/um"
    )
    return 0
