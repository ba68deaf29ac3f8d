"""``phasebeam demo``: the simulated beamline end to end, every method reconstructed live.

Starts the simulated Tango beamline and Tiled (embedded unless a URI is given), subscribes the
beamline's live analyses (:func:`.live_analyses.live_callbacks`, with demo-sized ``phasing``
metadata so that each reconstruction takes seconds to a minute on 2 cores) and runs, in the order a
beamline scientist would:

1. ``foucault_test``: the filter's focus (analysed after the run);
2. ``knife_edge_calibration``: the XSN optics, stored as the calibration the tomography finds;
3. ``energy_sweep`` across the Ni K edge with a ``tomography_0_180`` at each energy: live delta and
   beta tomograms, then the sweep's spectra, Ni density map and Kramers-Kronig check;
4. ``rocking_scan`` with the modulator out: live BCDI;
5. ``modulator_ptycho_calibration``: live ptychography of the modulator, stored;
6. ``rocking_scan`` with the modulator in: live BCMI with that stored calibration;
7. ``snake_scan`` over the membrane through an announced top-up injection: live XEDM.

Each step waits for its results before the next starts (the next steps need the calibrations,
and the timings are then each step's own). The report folder ``<data dir>/report/`` holds a
sub-folder per run with each analysis's figure (PNG) and result (HDF5), and ``summary.json``: per
run its frames, files, scan time and live results (their figures of merit, where they are in
Tiled, the time from the run's stop to the final result, the RunEngine thread's time in the live
callbacks per frame), and per method its headline figures. The summary also goes to
``<data dir>/demo-summary.json``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import bluesky.plan_stubs as bps
import h5py
import numpy as np
import tango
from bluesky import RunEngine
from bluesky.run_engine import call_in_bluesky_event_loop
from matplotlib.figure import Figure

from phasebeam.analysis.foucault import foucault_focus
from phasebeam.analysis.optics import bragg_angle_deg
from phasebeam.callbacks.live import LiveCallback
from phasebeam.callbacks.sweep_live import EnergySweepSpectra
from phasebeam.plans.energy_sweep import energy_sweep
from phasebeam.plans.knife_edge import foucault_test, knife_edge_calibration
from phasebeam.plans.ptychography import modulator_ptycho_calibration
from phasebeam.plans.rocking import rocking_scan
from phasebeam.plans.snake import snake_scan
from phasebeam.simulators.projection import default_spheres
from phasebeam.simulators.world import PT111_D_SPACING_M

from ._version import __version__
from .beamline import Beamline, build_beamline, connect_beamline, simulated_addresses
from .calibrations import CalibrationStore
from .live_analyses import SIMULATED_MICROSCOPE, energy_in_start_document, live_callbacks
from .settings import Settings
from .simulated_beamline import SimulatedBeamline, simulated_eiger_mask
from .storage import DERIVED_CONTAINER, RUNS_CONTAINER, Storage, frame_files, read_frames

#: Demo-sized phasing (the live defaults are sized for the beamline's computers):
#: BCDI, three runs of 150 iterations on the whole frames;
BCDI_PHASING = {"recipe": "HIO**100, ER**50", "runs": 3, "keep": 2, "crop_px": 128}
#: the modulator's ptychography, 80 epochs with position correction from the 20th;
MODULATOR_PHASING = {"epochs": 80, "position_start_epoch": 20}
#: BCMI, two runs of 140 iterations;
BCMI_PHASING = {"recipe": "RAAR**80, ER**60", "runs": 2, "keep": 2, "starts": 4}
#: XEDM, a guided HIO of 6 starts and 2 generations, then the core-shell fit.
XEDM_PHASING = {"starts": 6, "generations": 2, "hio": 40, "er": 10, "fit": True}

#: Seed 004's energies around the Ni K edge (8333 eV) and the knife edge's between them (eV).
SWEEP_ENERGIES_EV = (8326.0, 8366.0)
KNIFE_EDGE_EV = 8346.0
BCDI_ENERGY_EV = 8000.0
BCMI_ENERGY_EV = 9000.0
#: Where the modulator stands during the BCMI rocking scan (um): inside the calibrated area.
MODULATOR_XY_UM = (0.1, -0.05)
#: How long the demo waits for one step's live results (s).
RESULT_TIMEOUT_S = 600.0

#: The headline figures of merit of each method, from its live result's scalars.
HEADLINES: dict[str, tuple[str, ...]] = {
    "foucault": ("focus_mm",),
    "knife_edge_optics": ("pupil_na", "beyond_nyquist_fraction", "total_counts", "energy_ev"),
    "xsn_tomography": ("pairs", "delta_resolution_m", "beta_resolution_m", "energy_ev"),
    "energy_sweep_spectra": (
        "sample_edge_element_density_g_cm3",
        "sample_kk_rms_relative_deviation",
        "sample_voxels",
    ),
    "rocking_reconstruction": ("method", "first_mode_weight", "fsc_resolution_m", "runs"),
    "modulator_calibration": ("phase_shift_rad", "phase_shift_xraydb_rad", "d1_m", "frames"),
    "xedm": ("frames_kept", "prtf_half_period_m", "core_diameter_m", "outer_diameter_m", "ssim"),
}


def _say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


def run_demo(
    settings: Settings, seed: int = 0, out: TextIO = sys.stdout, live: bool = True
) -> dict[str, Any]:
    """Run the demo; return (and write) its summary.

    Args:
        settings: where the data, frames, calibrations and Tiled go.
        seed: the simulated world's random seed.
        out: where progress is printed.
        live: subscribe the live analyses (``False`` runs the plans alone, to time them).
    """
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
            RE.preprocessors.append(energy_in_start_document(beamline.energy))
            callbacks = (
                live_callbacks(
                    report_dir,
                    storage.derived,
                    CalibrationStore(settings.calibrations_dir),
                    SIMULATED_MICROSCOPE,
                    eiger_mask=simulated_eiger_mask(),
                )
                if live
                else {}
            )
            for callback in callbacks.values():
                RE.subscribe(callback)
            demo = _Demo(RE, beamline, storage, sim.addresses, callbacks, report_dir, out)
            steps = [
                demo.foucault,
                demo.knife_edge,
                demo.energy_sweep,
                demo.bcdi,
                demo.modulator_calibration,
                demo.bcmi,
                demo.snake,
            ]
            for step in steps:
                step()
    failed = [
        f"{run['uid']}-{name}: {result.get('error', '')}"
        for run in demo.runs
        for name, result in run["results"].items()
        if result["status"] != "ok"
    ]
    summary = {
        "phasebeam_version": __version__,
        "data_dir": str(settings.data_dir),
        "frames_dir": str(settings.frames_dir),
        "report_dir": str(report_dir),
        "tiled_uri": storage.display_uri
        if settings.tiled_uri
        else f"embedded, catalog in {settings.tiled_dir}",
        "live": live,
        "methods": demo.methods,
        "runs": demo.runs,
        "failed": failed,
        "elapsed_s": round(time.monotonic() - t_start, 1),
    }
    text = json.dumps(summary, indent=2, default=str)
    (report_dir / "summary.json").write_text(text)
    path = settings.data_dir / "demo-summary.json"
    path.write_text(text)
    for line in failed:
        _say(out, f"FAILED {line}")
    _say(out, f"done in {summary['elapsed_s']} s; report: {report_dir}; summary: {path}")
    return summary


def _scalar(value: Any) -> Any:
    """An HDF5 attribute as plain JSON: numbers, strings or booleans."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _published_result(record: dict[str, Any]) -> dict[str, Any]:
    """What a live callback (or the sweep's listener) published for a run: status and error, its
    files, its Tiled location, and every scalar of its result file as the figures of merit."""
    result: dict[str, Any] = {"status": record["status"]}
    for key in ("error", "h5", "png"):
        if key in record:
            result[key] = str(record[key])
    if "tiled_key" in record:
        result["tiled"] = f"{DERIVED_CONTAINER}/{record['tiled_key']}"
    if "h5" in record:
        with h5py.File(record["h5"], "r") as f:
            result["figures"] = {key: _scalar(value) for key, value in f.attrs.items()}
    return result


def _fmt(name: str, value: Any) -> str:
    """A figure for the console, in the unit its name gives (lengths in nm, um or mm)."""
    if isinstance(value, float) and name.endswith("_per_m"):
        return f"{name[: -len('_per_m')]} {value * 1e-6:.4g} 1/um"
    if isinstance(value, float) and name.endswith("_m"):
        scale, unit = (1e9, "nm") if abs(value) < 1e-6 else (1e6, "um") if abs(value) < 1e-3 else (1e3, "mm")
        return f"{name[:-2]} {value * scale:.4g} {unit}"
    if isinstance(value, float):
        return f"{name} {value:.4g}"
    return f"{name} {value}"


class _Demo:
    """The demo's steps: one plan each (the sweep runs one per energy), with its live analyses."""

    def __init__(
        self,
        RE: RunEngine,
        beamline: Beamline,
        storage: Storage,
        addresses: dict[str, str],
        callbacks: dict[str, LiveCallback],
        report_dir: Path,
        out: TextIO,
    ) -> None:
        self.RE, self.bl, self.storage, self.addresses = RE, beamline, storage, addresses
        self.callbacks, self.report_dir, self.out = callbacks, report_dir, out
        self.step = 0
        #: One entry per raw run, in order.
        self.runs: list[dict[str, Any]] = []
        #: One entry per method: its headline figures, figure and Tiled location.
        self.methods: list[dict[str, Any]] = []

    # --- helpers ---------------------------------------------------------------------------

    def _title(self, text: str) -> None:
        self.step += 1
        _say(self.out, f"{self.step}/7 {text}")

    def _frame_model(self, detector: str, model: str) -> None:
        """Pick a simulated detector's frame model (a simulator-only Tango attribute)."""
        tango.DeviceProxy(self.addresses[f"sim/detector/{detector}"]).sim_frame_model = model

    def _scan(self, plan, detector: str, analyses: Sequence[str], step: str) -> list[dict[str, Any]]:
        """Run ``plan``, wait for the live ``analyses`` of its runs, and describe each run."""
        started = time.monotonic()
        uids = self.RE(plan)
        scan_s = time.monotonic() - started
        assert isinstance(uids, tuple) and uids, uids
        for name in analyses:
            if name in self.callbacks:
                self.callbacks[name].wait(timeout=RESULT_TIMEOUT_S)
        described = []
        for uid in uids:
            info = self._describe(uid, detector, step)
            info["scan_s"] = round(scan_s / len(uids), 2)
            info["results"] = {
                name: self._result(self.callbacks[name], uid, info["frames"])
                for name in analyses
                if name in self.callbacks
            }
            self.runs.append(info)
            described.append(info)
        return described

    def _describe(self, uid: str, detector: str, step: str) -> dict[str, Any]:
        frames = read_frames(self.storage.runs, uid, detector)
        run = self.storage.runs[uid]
        return {
            "step": step,
            "uid": uid,
            "plan_name": run.metadata["start"]["plan_name"],
            "detector": detector,
            "frames": int(frames.frames.shape[0]),
            "frame_shape_px": list(frames.frames.shape[1:]),
            "total_counts": int(frames.frames.sum(dtype=np.int64)),
            "files": sorted(set(frame_files(self.storage.runs, uid))),
            "tiled": f"{RUNS_CONTAINER}/{uid}",
        }

    def _result(self, callback: LiveCallback, uid: str, frames: int) -> dict[str, Any]:
        """A run's live result: status, files, Tiled location, figures of merit, timings."""
        record = callback.published.get(uid, {"status": "failed", "error": "no result published"})
        result = _published_result(record)
        # Every live callback files every run's documents, so all of them cost the scan.
        dispatch_s = sum(c.dispatch_s.get(uid, 0.0) for c in self.callbacks.values())
        result["runengine_ms_per_frame"] = round(dispatch_s / max(frames, 1) * 1e3, 3)
        if uid in callback.final_latencies_s:
            result["stop_to_result_s"] = round(callback.final_latencies_s[uid], 2)
        return result

    def _method(self, method: str, run: dict[str, Any], analysis: str, result: dict[str, Any] | None = None):
        """Record (and print) a method's headline figures from a run's live result."""
        result = result if result is not None else run["results"].get(analysis)
        if result is None:  # the plans ran without their live analyses
            return
        figures = result.get("figures", {})
        headline = {name: figures[name] for name in HEADLINES[analysis] if name in figures}
        entry = {
            "method": method,
            "plan_name": run["plan_name"],
            "uid": run["uid"],
            "analysis": analysis,
            "status": result["status"],
            "figures": headline,
            "png": result.get("png"),
            "tiled": result.get("tiled"),
            "stop_to_result_s": result.get("stop_to_result_s"),
        }
        self.methods.append(entry)
        if result["status"] != "ok":
            _say(self.out, f"    {method}: FAILED: {result.get('error')}")
            return
        shown = "; ".join(_fmt(name, value) for name, value in headline.items())
        if "stop_to_result_s" in result:
            shown += f"; result {result['stop_to_result_s']} s after the stop"
        _say(self.out, f"    {method}: {shown}")

    def _energy(self, energy_ev: float) -> None:
        self.RE(bps.mv(self.bl.energy, energy_ev))

    # --- the steps --------------------------------------------------------------------------

    def foucault(self) -> None:
        self._title("foucault_test: the filter's axial position where the field darkens uniformly")
        self._frame_model("camera", "knife_edge")
        cutoff = self.bl.cutoff_filter
        (run,) = self._scan(
            foucault_test([self.bl.camera], cutoff, -1.5, 2.5, 0.5, edge_um=0.0), "camera", (), "foucault"
        )
        self.RE(bps.mv(cutoff.actuator.inserted, False, cutoff.axial, 0.0))
        frames = read_frames(self.storage.runs, run["uid"], "camera")
        axial = frames.positions["cutoff_filter-axial"]
        focus = foucault_focus(axial, frames.frames.astype(float))

        def draw(figure: Figure) -> None:
            ax = figure.subplots()
            ax.plot(axial, np.array(focus.gradients_per_px) * 1e3, "o")
            ax.plot(axial, (focus.gradient_per_mm * (axial - focus.focus_mm)) * 1e3, "-")
            ax.axvline(focus.focus_mm, color="k", lw=0.8)
            ax.set(xlabel="filter axial position (mm)", ylabel="field gradient (1e-3 / px)")
            ax.set_title(f"Foucault test: focus at {focus.focus_mm:.3f} mm", fontsize=10)

        png = self._figure(run["uid"], "foucault", draw)
        run["results"]["foucault"] = {"status": "ok", "png": png, "figures": {"focus_mm": focus.focus_mm}}
        self._method("Foucault test", run, "foucault")

    def _figure(self, uid: str, name: str, draw: Callable[[Figure], None]) -> str:
        figure = Figure(figsize=(6, 4.5), layout="constrained")
        draw(figure)
        path = self.report_dir / uid / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
        return str(path)

    def knife_edge(self) -> None:
        self._title("knife_edge_calibration: the XSN optics from the edge across the pupil (seed 004)")
        self._frame_model("camera", "xsn")
        sample, cutoff = self.bl.sample, self.bl.cutoff_filter
        # The sample out of the field: the calibration sees the bare illumination.
        self.RE(bps.mv(self.bl.energy, KNIFE_EDGE_EV, sample.x, 40.0, sample.y, 0.0, sample.theta, 0.0))
        (run,) = self._scan(
            knife_edge_calibration([self.bl.camera], cutoff, -60.0, 60.0, 5.0, exposure_s=0.05),
            "camera",
            ("knife_edge_optics",),
            "knife_edge",
        )
        # XSN imaging: the filter's edge on the axis, the sample back in the field.
        self.RE(bps.mv(cutoff.edge, 0.0, sample.x, 0.0))
        self._method("XSN optics (knife edge)", run, "knife_edge_optics")

    def energy_sweep(self) -> None:
        self._title(
            f"energy_sweep at {SWEEP_ENERGIES_EV} eV, a 0/180 tomography at each: live XSN tomograms, "
            "then the Ni spectra (seed 004)"
        )
        spheres = default_spheres()
        spectra = {"formula": spheres.formula, "density_g_cm3": spheres.density_g_cm3}
        runs = self._scan(
            energy_sweep(
                [self.bl.camera],
                self.bl.energy,
                values_ev=list(SWEEP_ENERGIES_EV),
                inner="tomography",
                rotation=self.bl.sample.theta,
                tomography={"mode": "step", "pairs": 12, "exposure_s": 0.05},
                metadata={"spectra": spectra},
            ),
            "camera",
            ("xsn_tomography",),
            "energy_sweep",
        )
        cutoff = self.bl.cutoff_filter
        self.RE(bps.mv(cutoff.actuator.inserted, False, self.bl.sample.theta, 0.0))
        for run, energy_ev in zip(runs, SWEEP_ENERGIES_EV, strict=True):
            self._method(f"XSN tomography at {energy_ev:.0f} eV", run, "xsn_tomography")
        tomography = self.callbacks.get("xsn_tomography")
        if tomography is None:
            return
        (sweep,) = [listener for listener in tomography.on_final if isinstance(listener, EnergySweepSpectra)]
        sweep_uid = self.storage.runs[runs[0]["uid"]].metadata["start"]["sweep_uid"]
        record = sweep.published.get(sweep_uid, {"status": "failed", "error": "no spectra published"})
        result = {"sweep_uid": sweep_uid, **_published_result(record)}
        result["stop_to_result_s"] = runs[-1]["results"]["xsn_tomography"].get("stop_to_result_s")
        runs[-1]["results"]["energy_sweep_spectra"] = result
        self._method("energy-sweep spectra and Ni density", runs[-1], "energy_sweep_spectra", result)

    def _bragg(self, energy_ev: float) -> float:
        """Move to ``energy_ev`` and the Pt (111) Bragg angle; return that angle (deg)."""
        theta_b = bragg_angle_deg(energy_ev, PT111_D_SPACING_M)
        self.RE(bps.mv(self.bl.energy, energy_ev, self.bl.diffractometer.eta, theta_b))
        return theta_b

    def _rocking(
        self, energy_ev: float, phasing: dict[str, Any], step: str, **modulator: Any
    ) -> dict[str, Any]:
        """A rocking scan of +-0.1 deg about the Pt (111) Bragg angle at ``energy_ev``, reconstructed
        live with ``phasing``; ``modulator`` holds ``modulator_in`` and ``modulator`` for BCMI."""
        theta_b = self._bragg(energy_ev)
        eta = self.bl.diffractometer.eta
        plan = rocking_scan(
            [self.bl.eiger],
            eta,
            theta_b,
            -0.1,
            0.1,
            0.01,
            exposure_s=0.2,
            metadata={"phasing": phasing},
            **modulator,
        )
        (run,) = self._scan(plan, "eiger", ("rocking_reconstruction",), step)
        return run

    def bcdi(self) -> None:
        self._title("rocking_scan of a Pt nanocrystal through (111), modulator out: live BCDI (seed 001)")
        self._frame_model("eiger", "bragg_rocking")
        run = self._rocking(BCDI_ENERGY_EV, BCDI_PHASING, "bcdi")
        self._method("BCDI", run, "rocking_reconstruction")

    def modulator_calibration(self) -> None:
        self._title("modulator_ptycho_calibration: live ptychography of the modulator in the Bragg beam")
        # The crystal's Bragg beam through the modulator: the BCMI frame model at the Bragg angle.
        self._frame_model("eiger", "bcmi")
        self._bragg(BCMI_ENERGY_EV)
        (run,) = self._scan(
            modulator_ptycho_calibration(
                [self.bl.eiger],
                self.bl.nanogoniometer,
                0.6,
                0.6,
                0.12,
                exposure_s=0.05,
                metadata={"phasing": MODULATOR_PHASING},
            ),
            "eiger",
            ("modulator_calibration",),
            "modulator_calibration",
        )
        self._method("modulator ptychography", run, "modulator_calibration")

    def bcmi(self) -> None:
        self._title("rocking_scan with the modulator in: live BCMI with the stored calibration (seed 001)")
        nano = self.bl.nanogoniometer
        self.RE(bps.mv(nano.x, MODULATOR_XY_UM[0], nano.y, MODULATOR_XY_UM[1]))
        run = self._rocking(BCMI_ENERGY_EV, BCMI_PHASING, "bcmi", modulator_in=True, modulator=nano)
        self.RE(bps.mv(nano.x, 0.0, nano.y, 0.0))
        self._method("BCMI", run, "rocking_reconstruction")

    def snake(self) -> None:
        self._title("snake_scan over the membrane through an announced top-up: live XEDM (seed 002)")
        self._frame_model("eiger", "xedm")
        self._energy(BCDI_ENERGY_EV)
        control = tango.DeviceProxy(self.addresses["sim/world/control"])
        control.ScheduleInjection([1.5, 1.0])  # announced 1.5 s ahead, lasting 1 s
        sample = self.bl.sample
        (run,) = self._scan(
            snake_scan(
                [self.bl.eiger],
                sample,
                self.bl.machine,
                -40.0,
                40.0,
                -20.0,
                20.0,
                10.0,
                exposure_s=0.1,
                settle_s=0.3,
                metadata={"phasing": XEDM_PHASING},
            ),
            "eiger",
            ("xedm",),
            "snake",
        )
        self.RE(bps.mv(sample.x, 0.0, sample.y, 0.0))
        frames = read_frames(self.storage.runs, run["uid"], "eiger")
        run["frames_during_injection"] = int(np.sum(frames.positions["machine-injection"]))
        self._method("XEDM", run, "xedm")
