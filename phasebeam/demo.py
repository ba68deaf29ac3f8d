"""``phasebeam demo``: the simulated beamline end to end, with bluesky's standard plans.

Starts the simulated Tango beamline and Tiled (embedded unless a URI is given), runs one short
scan per frame model, reads every run back from Tiled, and prints where the data is with a few
figures computed from the frames. The summary also goes to ``<data dir>/demo-summary.json``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import numpy as np
import tango
from bluesky import RunEngine
from bluesky.run_engine import call_in_bluesky_event_loop

from phasebeam.analysis.knife_edge import angular_spectrum_from_knife_edge
from phasebeam.analysis.optics import bragg_angle_deg, wavelength_m
from phasebeam.analysis.rocking_curve import rocking_curve
from phasebeam.simulators.world import PT111_D_SPACING_M

from ._version import __version__
from .beamline import Beamline, build_beamline, connect_beamline, simulated_addresses
from .settings import Settings
from .simulated_beamline import SimulatedBeamline
from .storage import Storage, frame_files, read_frames


def _say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


def run_demo(settings: Settings, seed: int = 0, out: TextIO = sys.stdout) -> dict[str, Any]:
    """Run the demo; return (and write) its summary."""
    t_start = time.monotonic()
    _say(out, f"phasebeam {__version__} demo; data folder {settings.data_dir}")
    with SimulatedBeamline(seed=seed) as sim:
        _say(out, f"simulated Tango beamline: {len(sim.addresses)} devices, no Tango database")
        with Storage(settings) as storage:
            _say(out, f"Tiled: {storage.display_uri} (container '{storage.runs.item['id']}')")
            RE = RunEngine(call_returns_result=False)
            RE.subscribe(storage.writer)
            beamline = build_beamline(simulated_addresses(sim.addresses), settings.frames_dir)
            call_in_bluesky_event_loop(connect_beamline(beamline))
            runs = [
                _knife_edge(RE, beamline, storage, out),
                _rocking(RE, beamline, storage, sim.addresses, out),
                _far_field(RE, beamline, storage, sim.addresses, out),
                _count(RE, beamline, storage, out),
            ]
    summary = {
        "phasebeam_version": __version__,
        "data_dir": str(settings.data_dir),
        "frames_dir": str(settings.frames_dir),
        "tiled_uri": storage.display_uri
        if settings.tiled_uri
        else f"embedded, catalog in {settings.tiled_dir}",
        "runs": runs,
        "elapsed_s": round(time.monotonic() - t_start, 1),
    }
    path = settings.data_dir / "demo-summary.json"
    path.write_text(json.dumps(summary, indent=2))
    _say(out, f"done in {summary['elapsed_s']} s; summary: {path}")
    return summary


def _describe(storage: Storage, uid: str, detector: str) -> tuple[dict[str, Any], Any]:
    frames = read_frames(storage.runs, uid, detector)
    run = storage.runs[uid]
    info = {
        "uid": uid,
        "plan_name": run.metadata["start"]["plan_name"],
        "detector": detector,
        "frames": int(frames.frames.shape[0]),
        "frame_shape_px": list(frames.frames.shape[1:]),
        "total_counts": int(frames.frames.sum(dtype=np.int64)),
        "files": sorted(set(frame_files(storage.runs, uid))),
    }
    return info, frames


def _knife_edge(RE: RunEngine, bl: Beamline, storage: Storage, out: TextIO) -> dict[str, Any]:
    _say(
        out,
        "1/4 knife edge: scan the cutoff filter edge across the pupil, camera background (seed 004 Eq. 6)",
    )
    RE(bps.mv(bl.cutoff_filter.actuator.inserted, True))
    uid = _run(RE, bp.scan([bl.camera], bl.cutoff_filter.edge, -60.0, 60.0, 25, md={"demo": "knife_edge"}))
    RE(bps.mv(bl.cutoff_filter.actuator.inserted, False))
    info, frames = _describe(storage, uid, "camera")
    energy = call_in_bluesky_event_loop(bl.energy.readback.get_value())
    focal = bl.zone_plate.focal_length_m(energy)
    edge_m = frames.positions["cutoff_filter-edge"] * 1e-6
    spectrum = angular_spectrum_from_knife_edge(
        edge_m, frames.frames.mean(axis=(1, 2)), float(wavelength_m(energy)), focal
    )
    peak = int(np.argmax(spectrum.density_per_m))
    info["figures"] = {
        "I_k_peak_edge_um": round(float(spectrum.edge_m[peak]) * 1e6, 2),
        "I_k_peak_k_x_per_um": round(float(spectrum.k_x_per_m[peak]) * 1e-6, 3),
        "mean_background_open_counts": round(spectrum.total_intensity, 1),
    }
    _say(
        out,
        f"    {info['frames']} frames; I_k peaks at edge {info['figures']['I_k_peak_edge_um']} um "
        f"(k_x = {info['figures']['I_k_peak_k_x_per_um']} 1/um)",
    )
    return info


def _rocking(
    RE: RunEngine, bl: Beamline, storage: Storage, addresses: dict[str, str], out: TextIO
) -> dict[str, Any]:
    _say(out, "2/4 Bragg rocking scan of a Pt nanocrystal, eta through (111) (seed 001)")
    _use_frame_model(addresses, "eiger", "bragg_rocking")
    energy = call_in_bluesky_event_loop(bl.energy.readback.get_value())
    theta_b = bragg_angle_deg(energy, PT111_D_SPACING_M)
    uid = _run(
        RE,
        bp.scan(
            [bl.eiger],
            bl.diffractometer.eta,
            theta_b - 0.15,
            theta_b + 0.15,
            31,
            md={"demo": "bragg_rocking"},
        ),
    )
    info, frames = _describe(storage, uid, "eiger")
    curve = rocking_curve(frames.positions["diffractometer-eta"], frames.frames.sum(axis=(1, 2)))
    info["figures"] = {
        "bragg_angle_expected_deg": round(theta_b, 4),
        "rocking_centre_deg": round(curve.centre_deg, 4),
        "rocking_fwhm_deg": round(curve.fwhm_deg, 4),
    }
    _say(
        out,
        f"    {info['frames']} frames; rocking curve centre {curve.centre_deg:.4f} deg "
        f"(Bragg angle {theta_b:.4f} deg), FWHM {curve.fwhm_deg:.4f} deg",
    )
    return info


def _far_field(
    RE: RunEngine, bl: Beamline, storage: Storage, addresses: dict[str, str], out: TextIO
) -> dict[str, Any]:
    _say(out, "3/4 small-angle far field: 3 x 3 snake over the membrane, 10 um steps (seed 002)")
    _use_frame_model(addresses, "eiger", "far_field")
    uid = _run(
        RE,
        bp.grid_scan(
            [bl.eiger],
            bl.sample.y,
            -10.0,
            10.0,
            3,
            bl.sample.x,
            -10.0,
            10.0,
            3,
            snake_axes=True,
            md={"demo": "far_field"},
        ),
    )
    info, frames = _describe(storage, uid, "eiger")
    per_frame = frames.frames.sum(axis=(1, 2))
    info["figures"] = {
        "counts_per_frame_min": int(per_frame.min()),
        "counts_per_frame_max": int(per_frame.max()),
    }
    _say(out, f"    {info['frames']} frames; {per_frame.min()} to {per_frame.max()} counts per frame")
    return info


def _count(RE: RunEngine, bl: Beamline, storage: Storage, out: TextIO) -> dict[str, Any]:
    _say(out, "4/4 count: 3 camera frames, open pupil")
    uid = _run(RE, bp.count([bl.camera], 3, md={"demo": "count"}))
    info, frames = _describe(storage, uid, "camera")
    info["figures"] = {"mean_counts_per_pixel": round(float(frames.frames.mean()), 1)}
    _say(
        out, f"    {info['frames']} frames; mean {info['figures']['mean_counts_per_pixel']} counts per pixel"
    )
    return info


def _use_frame_model(addresses: dict[str, str], detector: str, model: str) -> None:
    """Pick a simulated detector's frame model (a simulator-only Tango attribute)."""
    tango.DeviceProxy(addresses[f"sim/detector/{detector}"]).sim_frame_model = model


def _run(RE: RunEngine, plan) -> str:
    uids = RE(plan)
    assert isinstance(uids, tuple) and len(uids) == 1, uids
    return uids[0]
