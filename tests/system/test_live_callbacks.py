"""Live analyses on the simulated beamline: results while the scan runs, in files and in Tiled,
and a slow analysis does not slow the scan."""

import time

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import h5py
import numpy as np
import pytest

from phasebeam.analysis.optics import bragg_angle_deg
from phasebeam.callbacks.analyses import KnifeEdgeSpectrum, RockingCurveLive
from phasebeam.callbacks.live import FrameItem, LiveCallback
from phasebeam.plans.knife_edge import knife_edge_calibration
from phasebeam.plans.rocking import rocking_scan
from phasebeam.simulators.world import PT111_D_SPACING_M, World
from phasebeam.storage import read_frames


def _run_with(RE, callback, plan):
    token = RE.subscribe(callback)
    try:
        (uid,) = RE(plan)
    finally:
        RE.unsubscribe(token)
    callback.wait(timeout=60)
    assert callback.errors == []
    return uid


def test_live_knife_edge_spectrum_matches_the_worlds_illumination(RE_tiled, beamline, storage, tmp_path):
    energy_ev = 8000.0
    RE_tiled(bps.mv(beamline.energy, energy_ev))
    focal_m = beamline.zone_plate.focal_length_m(energy_ev)
    live = LiveCallback(
        KnifeEdgeSpectrum(energy_ev=energy_ev, focal_length_m=focal_m),
        "camera",
        tmp_path,
        storage.derived,
        0.5,
    )
    cutoff = beamline.cutoff_filter
    try:
        uid = _run_with(RE_tiled, live, knife_edge_calibration([beamline.camera], cutoff, -60.0, 60.0, 3.0))
    finally:  # the later tests of this session expect the filter out
        RE_tiled(bps.mv(cutoff.actuator.inserted, False))
    # The published result, read back from Tiled, against the illumination the world was given.
    derived = storage.derived[f"{uid}-knife_edge_spectrum"]
    assert derived.metadata["raw_uid"] == uid
    edge_m = derived["spectrum_edge_m"].read()
    density = derived["density_per_m"].read()
    truth = World().illumination.density_at(edge_m)
    truth /= np.sum(truth * np.abs(np.diff(derived["edge_um"].read() * 1e-6)))
    error = np.linalg.norm(density - truth) / np.linalg.norm(truth)
    assert error <= 0.05, error
    record = live.published[uid]
    assert record["png"].stat().st_size > 10_000 and record["final"]
    with h5py.File(record["h5"]) as f:
        assert f.attrs["raw_uid"] == uid and np.array_equal(f["density_per_m"][()], density)
    assert len(live.latencies_s) == 41


def test_live_rocking_curve_centre_is_the_bragg_angle_and_the_stack_is_complete(
    RE_tiled, beamline, storage, tmp_path
):
    energy_ev = 8000.0
    RE_tiled(bps.mv(beamline.energy, energy_ev))
    theta_b = bragg_angle_deg(energy_ev, PT111_D_SPACING_M)
    live = LiveCallback(RockingCurveLive(), "eiger", tmp_path, storage.derived, 0.5)
    eta = beamline.diffractometer.eta
    uid = _run_with(
        RE_tiled, live, rocking_scan([beamline.eiger], eta, theta_b, -0.1, 0.1, 0.01, exposure_s=0.2)
    )
    derived = storage.derived[f"{uid}-rocking_curve"]
    assert derived.metadata["centre_deg"] == pytest.approx(theta_b, abs=0.005)
    stack = derived["stack"].read()
    frames = read_frames(storage.runs, uid, "eiger").frames
    assert stack.shape == frames.shape == (21, 128, 128)
    assert np.array_equal(stack, frames.astype(np.float32))  # eta increases, so no reordering


class SlowAnalysis:
    """Takes 0.5 s per frame, five times the exposure."""

    name = "slow"

    def start(self, start_doc):
        self.count = 0

    def add(self, item: FrameItem) -> None:
        time.sleep(0.5)
        self.count += 1

    def result(self, final):
        return {"frames": self.count}

    def draw(self, figure):
        figure.subplots().bar([0], [self.count])


def test_a_slow_analysis_does_not_slow_the_scan(RE, beamline, tmp_path):
    """What the scan loses is the time the RunEngine's thread spends in the callback, measured
    per run; wall-time comparisons of whole scans flake on a loaded 2-core machine, so they live
    in ``benchmarks/live_overhead.py``."""
    frames = 16
    live = LiveCallback(SlowAnalysis(), "camera", tmp_path, None, publish_period_s=0.5)
    token = RE.subscribe(live)
    started = time.monotonic()
    try:
        (uid,) = RE(bp.count([beamline.camera], frames))
    finally:
        RE.unsubscribe(token)
    scan_s = time.monotonic() - started
    live.wait(timeout=60)
    assert live.errors == [] and live.analysis.count == frames
    dispatch_s = live.dispatch_s[uid]
    print(
        f"{frames} frames in {scan_s:.2f} s; the RunEngine thread spent {dispatch_s * 1e3:.1f} ms in "
        f"the callback ({dispatch_s / frames * 1e3:.2f} ms per frame, {dispatch_s / scan_s:.2%} of the "
        f"scan); stop to final result {live.final_latencies_s[uid]:.1f} s"
    )
    # Filing the documents costs the scan well under 10% of its time, and under 1% of the
    # analysis's own 0.5 s per frame.
    assert dispatch_s < 0.10 * scan_s and dispatch_s / frames < 5e-3
    # The worker runs 0.5 s per frame behind the scan: the last frame waits for the ones before,
    # and the final result comes well after the stop.
    assert max(live.latencies_s) > 0.5 * frames - scan_s
    assert live.final_latencies_s[uid] > 0.5 * frames - scan_s


class FailingAnalysis:
    """Raises on its third frame."""

    name = "failing"

    def start(self, start_doc):
        self.frames = 0

    def add(self, item: FrameItem) -> None:
        if item.seq_num == 3:
            raise RuntimeError("deliberate failure on frame 3")
        self.frames += 1

    def result(self, final):
        return {"frames": self.frames}

    def draw(self, figure):
        figure.subplots().bar([0], [self.frames])


def test_a_failing_analysis_is_published_as_failed_and_the_scan_keeps_every_frame(
    RE_tiled, beamline, storage, tmp_path
):
    live = LiveCallback(FailingAnalysis(), "camera", tmp_path, storage.derived, publish_period_s=0.2)
    uid = None
    token = RE_tiled.subscribe(live)
    try:
        (uid,) = RE_tiled(bp.count([beamline.camera], 6))
    finally:
        RE_tiled.unsubscribe(token)
    live.wait(timeout=60)
    assert [str(e) for e in live.errors] == ["deliberate failure on frame 3"]
    derived = storage.derived[f"{uid}-failing"]
    assert derived.metadata["status"] == "failed"
    assert derived.metadata["error"] == "RuntimeError: deliberate failure on frame 3"
    with h5py.File(live.published[uid]["h5"]) as f:
        assert f.attrs["status"] == "failed"
    # The run itself: all six frames stored in Tiled, each with counts.
    frames = read_frames(storage.runs, uid, "camera").frames
    assert frames.shape[0] == 6 and np.all(frames.reshape(6, -1).sum(axis=1) > 0)
