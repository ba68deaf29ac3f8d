"""``phasebeam reconstruct xsn-sweep``: the spectra, element maps and KK check of an energy sweep.

Its input is the sweep's tomograms, one ``reconstruct xsn-tomo`` output per energy (the energy is
read from each file's optics wavelength); the computation is the live analysis's
(:class:`~phasebeam.callbacks.sweep_live.SweepSpectra`), so the two agree on the same runs.
"""

from __future__ import annotations

import argparse
import time

from .command_messages import refuse


def add_arguments(methods: argparse._SubParsersAction) -> None:
    sweep = methods.add_parser(
        "xsn-sweep",
        help="spectra, element density maps and Kramers-Kronig check of an energy sweep's XSN tomograms",
    )
    sweep.add_argument(
        "tomograms", nargs="+", help="the sweep's tomogram files (reconstruct xsn-tomo), any order"
    )
    sweep.add_argument("--out", required=True, help="output HDF5 file (a PNG of the spectra goes beside it)")
    sweep.add_argument(
        "--edge-element", default="Ni", help="element whose K edge the sweep crosses (default Ni)"
    )
    sweep.add_argument(
        "--other-elements",
        nargs="*",
        default=[],
        help="elements mapped together from the pre-edge beta (Eq. 18)",
    )
    sweep.add_argument("--formula", help="the sample's material for the Kramers-Kronig check (e.g. NiO)")
    sweep.add_argument("--density-g-cm3", type=float, help="that material's density (g/cm^3)")
    sweep.add_argument(
        "--sample-fraction",
        type=float,
        default=0.5,
        help="sample region: delta at the lowest energy above this fraction of its 99.9th percentile (0.5)",
    )
    sweep.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="NAME=Z0,Z1,Y0,Y1,X0,X1",
        help="another region of interest, a box in voxels (repeatable)",
    )


def _region(text: str) -> tuple[str, tuple[int, int, int, int, int, int]]:
    name, _, box = text.partition("=")
    try:
        values = tuple(int(v) for v in box.split(","))
    except ValueError:
        values = ()
    if not name or len(values) != 6:
        raise ValueError(f"--region {text!r} must be NAME=Z0,Z1,Y0,Y1,X0,X1 (six integers, voxels)")
    return name, values  # type: ignore[return-value]


def reconstruct_sweep_files(args: argparse.Namespace) -> int:
    """The tomogram files to spectra, maps and checks; bad input fails before any work."""
    from pathlib import Path

    import h5py
    import numpy as np

    from phasebeam.analysis.optics import HC_EV_M
    from phasebeam.callbacks.publication import save_figure, write_result_file
    from phasebeam.callbacks.sweep_live import NAME, SweepSettings, SweepSpectra

    start = time.perf_counter()
    try:
        settings = SweepSettings(
            edge_element=args.edge_element,
            other_elements=tuple(args.other_elements),
            formula=args.formula,
            density_g_cm3=args.density_g_cm3,
            sample_fraction=args.sample_fraction,
            regions=dict(_region(text) for text in args.region),
        )
        energies = []
        for path in args.tomograms:
            if not Path(path).is_file():
                raise FileNotFoundError(f"no such tomogram file: {path}")
            with h5py.File(path, "r") as f:
                if "delta" not in f or "beta" not in f or "optics/wavelength_m" not in f:
                    raise KeyError(f"{path} is not a reconstruct xsn-tomo output (delta, beta, optics)")
                energies.append(HC_EV_M / float(np.asarray(f["optics/wavelength_m"])))
        sweep = SweepSpectra(energies, settings)
        for path, energy in zip(args.tomograms, energies, strict=True):
            with h5py.File(path, "r") as f:
                sweep.add(energy, np.asarray(f["delta"]), np.asarray(f["beta"]))
        result = sweep.result(final=True)
    except (ValueError, LookupError, FileNotFoundError, OSError) as exc:
        return refuse(exc)
    out = Path(args.out)
    attrs = {"status": "ok", "final": True, "analysis": NAME, "tomograms": " ".join(args.tomograms)}
    write_result_file(out, result, attrs)
    save_figure(out.with_suffix(".png"), lambda figure: sweep.draw(figure, result))
    summary = [f"wrote {out} and {out.with_suffix('.png')}: {len(energies)} energies"]
    if "sample_edge_element_density_g_cm3" in result:
        summary.append(
            f"{settings.edge_element} density in the sample region (median) "
            f"{result['sample_edge_element_density_g_cm3']:.3f} g/cm^3"
        )
    if "sample_kk_rms_relative_deviation" in result:
        summary.append(
            f"Kramers-Kronig RMS deviation {100 * result['sample_kk_rms_relative_deviation']:.1f}%"
        )
    print(", ".join(summary) + f", {time.perf_counter() - start:.1f} s")
    return 0
