"""``phasebeam demo``: the simulated beamline end to end, every phasebeam plan with its live analysis.

Starts the simulated Tango beamline and Tiled (embedded unless a URI is given), runs the six plans
(knife edge and Foucault test, rocking scan, ptychography calibration, snake scan through an
announced top-up injection, fly tomography, energy sweep) with the live analyses, reads every run
back from Tiled, and writes a report folder ``<data dir>/report/`` (a sub-folder of figures and
HDF5 results per run, and ``summary.json``). The summary also goes to
``<data dir>/demo-summary.json``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import bluesky.plan_stubs as bps
import numpy as np
import tango
from bluesky import RunEngine
from bluesky.run_engine import call_in_bluesky_event_loop
from matplotlib.figure import Figure

from phasebeam.analysis.foucault import foucault_focus
from phasebeam.analysis.optics import bragg_angle_deg
from phasebeam.callbacks.analyses import KnifeEdgeSpectrum, RockingCurveLive, SnakeAccumulator
from phasebeam.callbacks.live import LiveCallback
from phasebeam.plans.energy_sweep import energy_sweep
from phasebeam.plans.knife_edge import foucault_test, knife_edge_calibration
from phasebeam.plans.ptychography import modulator_ptycho_calibration
from phasebeam.plans.rocking import rocking_scan
from phasebeam.plans.snake import snake_scan
from phasebeam.plans.tomography import tomography_0_180
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
    report_dir = settings.data_dir / "report"
    report_dir.mkdir(parents=True, exist_ok=True)
    _say(out, f"phasebeam {__version__} demo; data folder {settings.data_dir}")
    with SimulatedBeamline(seed=seed) as sim:
        _say(out, f"simulated Tango beamline: {len(sim.addresses)} devices, no Tango database")
        with Storage(settings) as storage:
            _say(out, f"Tiled: {storage.display_uri} (container '{storage.runs.item['id']}')")
            RE = RunEngine(call_returns_result=False)
            RE.subscribe(storage.writer)
            beamline = build_beamline(simulated_addresses(sim.addresses), settings.frames_dir)
            call_in_bluesky_event_loop(connect_beamline(beamline))
            demo = _Demo(RE, beamline, storage, sim.addresses, report_dir, out)
            runs = [
                demo.knife_edge(),
                demo.foucault(),
                demo.rocking(),
                demo.ptychography(),
                demo.snake(),
                demo.tomography(),
                demo.energy_sweep(),
            ]
    summary = {
        "phasebeam_version": __version__,
        "data_dir": str(settings.data_dir),
        "frames_dir": str(settings.frames_dir),
        "report_dir": str(report_dir),
        "tiled_uri": storage.display_uri
        if settings.tiled_uri
        else f"embedded, catalog in {settings.tiled_dir}",
        "runs": runs,
        "elapsed_s": round(time.monotonic() - t_start, 1),
    }
    text = json.dumps(summary, indent=2, default=str)
    (report_dir / "summary.json").write_text(text)
    path = settings.data_dir / "demo-summary.json"
    path.write_text(text)
    _say(out, f"done in {summary['elapsed_s']} s; report: {report_dir}; summary: {path}")
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


class _Demo:
    """The demo's steps: one plan each, with its live analysis where there is one."""

    def __init__(
        self,
        RE: RunEngine,
        beamline: Beamline,
        storage: Storage,
        addresses: dict[str, str],
        report_dir: Path,
        out: TextIO,
    ) -> None:
        self.RE, self.bl, self.storage, self.addresses = RE, beamline, storage, addresses
        self.report_dir, self.out = report_dir, out
        self.step = 0

    def _title(self, text: str) -> None:
        self.step += 1
        _say(self.out, f"{self.step}/7 {text}")

    def _live(self, analysis: Any, detector: str) -> LiveCallback:
        return LiveCallback(analysis, detector, self.report_dir, self.storage.derived, publish_period_s=1.0)

    def _run_live(self, plan, live: LiveCallback | None = None) -> str:
        token = self.RE.subscribe(live) if live is not None else None
        try:
            uid = _run(self.RE, plan)
        finally:
            if token is not None:
                self.RE.unsubscribe(token)
        if live is not None:
            live.wait(timeout=120)
            if live.errors:
                raise RuntimeError(f"live analysis {live.analysis.name} failed: {live.errors[0]!r}")
        return uid

    def _figure(self, uid: str, name: str, draw) -> str:
        figure = Figure(figsize=(6, 4.5), layout="constrained")
        draw(figure)
        path = self.report_dir / uid / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
        return str(path)

    def _energy_ev(self) -> float:
        return float(call_in_bluesky_event_loop(self.bl.energy.readback.get_value()))

    def knife_edge(self) -> dict[str, Any]:
        self._title("knife_edge_calibration: the cutoff edge across the pupil, live I_k (seed 004 Eq. 6)")
        energy = self._energy_ev()
        spectrum = KnifeEdgeSpectrum(
            energy_ev=energy, focal_length_m=self.bl.zone_plate.focal_length_m(energy)
        )
        live = self._live(spectrum, "camera")
        uid = self._run_live(
            knife_edge_calibration([self.bl.camera], self.bl.cutoff_filter, -60.0, 60.0, 5.0), live
        )
        self.RE(bps.mv(self.bl.cutoff_filter.actuator.inserted, False))
        info, _ = _describe(self.storage, uid, "camera")
        result = live.analysis.result(final=True)
        peak = int(np.argmax(result["density_per_m"]))
        info["figures"] = {
            "I_k_peak_edge_um": round(float(result["spectrum_edge_m"][peak]) * 1e6, 2),
            "I_k_peak_k_x_per_um": round(float(result["k_x_per_m"][peak]) * 1e-6, 3),
            "mean_background_open_counts": round(float(result["total_counts"]), 1),
            "latency_median_s": round(float(np.median(live.latencies_s)), 3),
        }
        info["report"] = _published(live, uid)
        _say(
            self.out,
            f"    {info['frames']} frames; I_k peaks at edge {info['figures']['I_k_peak_edge_um']} um "
            f"(k_x = {info['figures']['I_k_peak_k_x_per_um']} 1/um)",
        )
        return info

    def foucault(self) -> dict[str, Any]:
        self._title("foucault_test: the filter's axial position where the field darkens uniformly")
        cutoff = self.bl.cutoff_filter
        uid = self._run_live(foucault_test([self.bl.camera], cutoff, -1.5, 2.5, 0.5, edge_um=0.0))
        self.RE(bps.mv(cutoff.actuator.inserted, False, cutoff.axial, 0.0))
        info, frames = _describe(self.storage, uid, "camera")
        axial = frames.positions["cutoff_filter-axial"]
        result = foucault_focus(axial, frames.frames.astype(float))
        info["figures"] = {"focus_mm": round(result.focus_mm, 3)}

        def draw(figure: Figure) -> None:
            ax = figure.subplots()
            ax.plot(axial, np.array(result.gradients_per_px) * 1e3, "o")
            ax.plot(axial, (result.gradient_per_mm * (axial - result.focus_mm)) * 1e3, "-")
            ax.axvline(result.focus_mm, color="k", lw=0.8)
            ax.set(xlabel="filter axial position (mm)", ylabel="field gradient (1e-3 / px)")
            ax.set_title(f"Foucault test: focus at {result.focus_mm:.3f} mm", fontsize=10)

        info["report"] = {"png": self._figure(uid, "foucault", draw)}
        _say(self.out, f"    {info['frames']} frames; the filter is in focus at {result.focus_mm:.3f} mm")
        return info

    def rocking(self) -> dict[str, Any]:
        self._title("rocking_scan of a Pt nanocrystal through (111), live rocking curve (seed 001)")
        _use_frame_model(self.addresses, "eiger", "bragg_rocking")
        theta_b = bragg_angle_deg(self._energy_ev(), PT111_D_SPACING_M)
        live = self._live(RockingCurveLive(), "eiger")
        eta = self.bl.diffractometer.eta
        uid = self._run_live(
            rocking_scan([self.bl.eiger], eta, theta_b, -0.15, 0.15, 0.01, exposure_s=0.2), live
        )
        info, _ = _describe(self.storage, uid, "eiger")
        result = live.analysis.result(final=True)
        info["figures"] = {
            "bragg_angle_expected_deg": round(theta_b, 4),
            "rocking_centre_deg": round(float(result["centre_deg"]), 4),
            "rocking_fwhm_deg": round(float(result["fwhm_deg"]), 4),
            "stack_shape": list(result["stack"].shape),
            "latency_median_s": round(float(np.median(live.latencies_s)), 3),
        }
        info["report"] = _published(live, uid)
        _say(
            self.out,
            f"    {info['frames']} frames; rocking curve centre {result['centre_deg']:.4f} deg "
            f"(Bragg angle {theta_b:.4f} deg), FWHM {result['fwhm_deg']:.4f} deg; 3-D stack "
            f"{tuple(result['stack'].shape)}",
        )
        return info

    def ptychography(self) -> dict[str, Any]:
        self._title(
            "modulator_ptycho_calibration: Fermat spiral of the modulator in the Bragg beam (seed 001)"
        )
        # The crystal's Bragg beam through the modulator: the BCMI frame model at the Bragg angle.
        _use_frame_model(self.addresses, "eiger", "bcmi")
        self.RE(bps.mv(self.bl.diffractometer.eta, bragg_angle_deg(self._energy_ev(), PT111_D_SPACING_M)))
        nano = self.bl.nanogoniometer
        uid = self._run_live(
            modulator_ptycho_calibration([self.bl.eiger], nano, 0.6, 0.6, 0.12, exposure_s=0.05)
        )
        info, frames = _describe(self.storage, uid, "eiger")
        x, y = frames.positions["nanogoniometer-x"], frames.positions["nanogoniometer-y"]
        nearest = [float(np.sort(np.hypot(x - xi, y - yi))[1]) for xi, yi in zip(x, y, strict=True)]
        info["figures"] = {
            "points": len(x),
            "nearest_neighbour_median_um": round(float(np.median(nearest)), 4),
        }

        def draw(figure: Figure) -> None:
            ax = figure.subplots()
            ax.plot(x, y, "-", lw=0.5, color="0.6")
            ax.scatter(x, y, c=np.arange(len(x)), s=12)
            ax.set(xlabel="modulator x (um)", ylabel="modulator y (um)", aspect="equal")
            ax.set_title(f"Fermat spiral, {len(x)} points", fontsize=10)

        info["report"] = {"png": self._figure(uid, "spiral", draw)}
        _say(self.out, f"    {len(x)} points, median nearest-neighbour distance {np.median(nearest):.3f} um")
        return info

    def snake(self) -> dict[str, Any]:
        self._title("snake_scan over the membrane with an announced top-up injection, live sum (seed 002)")
        _use_frame_model(self.addresses, "eiger", "far_field")
        control = tango.DeviceProxy(self.addresses["sim/world/control"])
        control.ScheduleInjection([1.5, 1.0])  # announced 1.5 s ahead, lasting 1 s
        live = self._live(SnakeAccumulator(), "eiger")
        started = time.monotonic()
        uid = self._run_live(
            snake_scan(
                [self.bl.eiger],
                self.bl.sample,
                self.bl.machine,
                -10.0,
                10.0,
                -10.0,
                10.0,
                10.0,
                0.2,
                settle_s=0.3,
            ),
            live,
        )
        elapsed = time.monotonic() - started
        info, frames = _describe(self.storage, uid, "eiger")
        result = live.analysis.result(final=True)
        info["figures"] = {
            "kept": int(result["kept"]),
            "rejected_weak": int(result["rejected_weak"]),
            "rejected_streak": int(result["rejected_streak"]),
            "frames_during_injection": int(np.sum(frames.positions["machine-injection"])),
            "scan_s": round(elapsed, 2),
        }
        info["report"] = _published(live, uid)
        _say(
            self.out,
            f"    {info['frames']} frames in {elapsed:.1f} s, an injection announced during it; kept "
            f"{result['kept']}, rejected {result['rejected_weak']} weak and "
            f"{result['rejected_streak']} streaked",
        )
        return info

    def tomography(self) -> dict[str, Any]:
        self._title("tomography_0_180 in fly mode: frames on the fly as the sample turns (seed 004)")
        _use_frame_model(self.addresses, "camera", "absorption_projection")
        theta = self.bl.sample.theta
        # The snake scan leaves the sample stage off centre, and the stage carries the rotation axis.
        self.RE(bps.mv(self.bl.sample.x, 0.0, self.bl.sample.y, 0.0))
        speed, exposure, images = 60.0, 0.1, 36
        uid = self._run_live(
            tomography_0_180(
                [self.bl.camera], theta, "fly", 0.0, images=images, speed_deg_per_s=speed, exposure_s=exposure
            )
        )
        self.RE(bps.mv(theta, 0.0))
        info, frames = _describe(self.storage, uid, "camera")
        counts = frames.frames.astype(float)
        # Frame k + 30 is 180 deg after frame k (6 deg per frame): its mirror image.
        pair = (0, round(180.0 / (speed * exposure)))
        first, second = counts[pair[0]], counts[pair[1]][:, ::-1]
        chi2 = float(np.mean((first - second) ** 2 / (first + second + 1)))
        info["figures"] = {"mirror_pair": list(pair), "mirror_chi2_per_pixel": round(chi2, 3)}

        def draw(figure: Figure) -> None:
            axes = figure.subplots(1, 2)
            for ax, image, label in ((axes[0], first, "theta"), (axes[1], second, "theta + 180, mirrored")):
                ax.imshow(image, cmap="gray")
                ax.set(title=label, xticks=[], yticks=[])

        info["report"] = {"png": self._figure(uid, "pair_0_180", draw)}
        _say(
            self.out,
            f"    {info['frames']} frames at {speed} deg/s; frames {pair} are mirror images "
            f"(chi^2 {chi2:.2f} per pixel; 1 for Poisson noise alone)",
        )
        return info

    def energy_sweep(self) -> dict[str, Any]:
        self._title("energy_sweep across the Ni K edge, refocusing the zone plate at each energy (seed 004)")
        start_energy = self._energy_ev()
        uid = self._run_live(
            energy_sweep([self.bl.camera], self.bl.energy, 8313.0, 8353.0, 8.0, exposure_s=0.5)
        )
        self.RE(bps.mv(self.bl.energy, start_energy))
        info, frames = _describe(self.storage, uid, "camera")
        counts = frames.frames.astype(float)
        energies = frames.positions["energy"]
        centre = np.unravel_index(np.argmin(counts[-1]), counts[-1].shape)
        window = counts[:, centre[0] - 1 : centre[0] + 2, centre[1] - 1 : centre[1] + 2].sum(axis=(1, 2))
        background = counts[:, 5:20, 5:20].sum(axis=(1, 2))
        absorbance = -np.log(window / background)
        jump = float(absorbance[-1] - absorbance[0])
        info["figures"] = {
            "edge_jump_absorbance": round(jump, 3),
            "energies_ev": [round(e, 2) for e in energies],
        }

        def draw(figure: Figure) -> None:
            ax = figure.subplots()
            ax.plot(energies, absorbance, "o-")
            ax.axvline(8333.0, color="k", lw=0.8)
            ax.set(xlabel="energy (eV)", ylabel="-ln(I / I_background)")
            ax.set_title("absorbance through a NiO sphere across the Ni K edge", fontsize=10)

        info["report"] = {"png": self._figure(uid, "edge", draw)}
        _say(self.out, f"    {info['frames']} energies; absorbance rises by {jump:.3f} across the edge")
        return info


def _published(live: LiveCallback, uid: str) -> dict[str, str]:
    record = live.published[uid]
    return {key: str(value) for key, value in record.items() if key in ("h5", "png", "tiled_key")}


def _use_frame_model(addresses: dict[str, str], detector: str, model: str) -> None:
    """Pick a simulated detector's frame model (a simulator-only Tango attribute)."""
    tango.DeviceProxy(addresses[f"sim/detector/{detector}"]).sim_frame_model = model


def _run(RE: RunEngine, plan) -> str:
    uids = RE(plan)
    assert isinstance(uids, tuple) and len(uids) == 1, uids
    return uids[0]
