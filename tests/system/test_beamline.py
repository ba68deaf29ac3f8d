"""bluesky plans on the simulated Tango beamline, stored in Tiled and read back."""

import time

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import h5py
import numpy as np
import pytest
import tango
from bluesky.run_engine import call_in_bluesky_event_loop
from ophyd_async.core import NotConnectedError

from phasebeam.analysis.optics import bragg_angle_deg, thin_lens_object_distance_m, zone_plate_focal_length_m
from phasebeam.analysis.undulator import undulator_gap_m
from phasebeam.beamline import SIMULATED_ROLES, SIMULATED_SAMPLE_TO_CAMERA_M, build_beamline, connect_beamline
from phasebeam.devices import MoveRefusedError, TangoMotor
from phasebeam.devices.area_detector import FRAMES_DATASET
from phasebeam.settings import Settings
from phasebeam.simulated_beamline import SimulatedBeamline
from phasebeam.storage import Storage, frame_files, read_frames


def _value(signal):
    return call_in_bluesky_event_loop(signal.get_value(cached=False))


def _move(motor, target):
    async def move():
        await motor.set(target)

    call_in_bluesky_event_loop(move(), timeout=30)


def _files_frames(storage, uid) -> np.ndarray:
    (path,) = set(frame_files(storage.runs, uid))
    with h5py.File(path, "r") as f:
        return f[FRAMES_DATASET][()]


def test_scan_frames_in_tiled_equal_the_hdf5_files_and_positions_are_in_events(RE_tiled, beamline, storage):
    (uid,) = RE_tiled(bp.scan([beamline.camera], beamline.nanogoniometer.x, -2.0, 2.0, 5))
    frames = read_frames(storage.runs, uid, "camera")
    assert frames.frames.shape == (5, 128, 128)
    assert np.array_equal(frames.frames, _files_frames(storage, uid))
    assert frames.positions["nanogoniometer-x"] == pytest.approx([-2.0, -1.0, 0.0, 1.0, 2.0])
    assert frames.units["nanogoniometer-x"] == "um"
    start = storage.runs[uid].metadata["start"]
    assert start["plan_name"] == "scan" and start["motors"] == ["nanogoniometer-x"]


def test_count_stores_every_frame(RE_tiled, beamline, storage):
    (uid,) = RE_tiled(bp.count([beamline.eiger], 3))
    frames = read_frames(storage.runs, uid, "eiger")
    assert frames.frames.shape == (3, 128, 128)
    assert np.array_equal(frames.frames, _files_frames(storage, uid))
    assert frames.frames.sum() > 0


def test_energy_move_is_consistent_and_keeps_the_undulator_tuned(RE, sim, beamline):
    camera = tango.DeviceProxy(sim.addresses["sim/detector/camera"])
    bragg_direct = tango.DeviceProxy(sim.addresses["sim/energy/bragg"])

    def counts() -> float:
        return float(camera.last_image.mean())

    def snap() -> float:
        RE(bp.count([beamline.camera], 1))
        return counts()

    tuned = snap()
    RE(bps.mv(beamline.energy, 8700.0))
    assert _value(beamline.energy.bragg.position) == pytest.approx(bragg_angle_deg(8700.0), abs=1e-9)
    assert _value(beamline.energy.gap.position) == pytest.approx(1e3 * undulator_gap_m(8700.0), abs=1e-9)
    focal = zone_plate_focal_length_m(300e-6, 30e-9, 8700.0)
    expected_z = 1e3 * thin_lens_object_distance_m(focal, SIMULATED_SAMPLE_TO_CAMERA_M)
    assert _value(beamline.zone_plate.z.position) == pytest.approx(expected_z, abs=1e-9)
    assert _value(beamline.energy.readback) == pytest.approx(8700.0, abs=1e-6)
    assert snap() == pytest.approx(tuned, rel=0.01)  # the gap followed: full flux
    # Moving the monochromator alone by 400 eV detunes the undulator (line width ~ E / (n N) = 130 eV).
    bragg_direct.position = bragg_angle_deg(9100.0)
    while bragg_direct.state() != tango.DevState.ON:
        time.sleep(0.02)
    assert snap() < 0.05 * tuned
    RE(bps.mv(beamline.energy, 9000.0))
    assert snap() == pytest.approx(tuned, rel=0.01)


def test_a_staged_motor_reads_where_it_arrived_not_its_last_poll(RE, beamline):
    # Staged, a position is read from the 50 ms client-side poll; before the fix 29 of these 40
    # reads returned the previous step's position.
    edge = beamline.cutoff_filter.edge
    targets = [-60.0 + 3.0 * i for i in range(40)]
    read: list[float] = []

    def plan():
        yield from bps.stage(edge)
        for target in targets:
            yield from bps.mv(edge, target)
            read.append((yield from bps.rd(edge)))
        yield from bps.unstage(edge)

    RE(plan())
    assert read == pytest.approx(targets, abs=1e-6)


def test_collision_guard_refuses_and_leaves_every_motor_where_it_was(beamline):
    ngm = beamline.nanogoniometer
    axes = [ngm.x, ngm.y, ngm.z, ngm.mchi, ngm.mphi]
    before = [_value(axis.position) for axis in axes]
    d1 = _value(ngm.controller.d1)
    d1_min = _value(ngm.controller.d1_min)
    target = _value(ngm.z.position) - (d1 - d1_min) * 1e3 - 100.0  # 0.1 mm past the limit
    with pytest.raises(MoveRefusedError, match=f"below the collision limit d1_min = {d1_min} mm"):
        _move(ngm.z, target)
    time.sleep(0.2)
    assert [_value(axis.position) for axis in axes] == before
    assert _value(ngm.controller.d1) == d1


def test_out_of_limit_set_point_is_refused_before_moving(beamline):
    eta = beamline.diffractometer.eta
    before = _value(eta.position)
    with pytest.raises(MoveRefusedError, match=r"above the high limit 120\.0 deg"):
        _move(eta, 500.0)
    assert _value(eta.position) == before


def test_unknown_address_fails_clearly_and_quickly(RE, tmp_path):
    addresses = {role: f"tango://127.0.0.1:1/{name}#dbase=no" for role, name in SIMULATED_ROLES.items()}
    beamline = build_beamline(addresses, tmp_path)
    t0 = time.monotonic()
    with pytest.raises(NotConnectedError) as info:
        call_in_bluesky_event_loop(connect_beamline(beamline, timeout=3.0), timeout=30)
    assert time.monotonic() - t0 < 20
    message = str(info.value)
    assert "could not connect 10 device(s)" in message
    assert "sim/nanogonio/x" in message and "Failed to connect" in message


def test_disconnected_server_gives_an_error_not_a_hang(RE):
    with SimulatedBeamline(seed=7) as other:
        motor = TangoMotor(other.addresses["sim/sample/x"], name="doomed")
        call_in_bluesky_event_loop(motor.connect(timeout=5.0))
        assert _value(motor.position) == 0.0
    # The server is gone now: the next move fails at once, naming the device.
    t0 = time.monotonic()
    with pytest.raises(tango.DevFailed, match="Failed to connect to device sim/sample/x"):
        _move(motor, 1.0)
    assert time.monotonic() - t0 < 20


def test_an_existing_tiled_server_by_uri_serves_the_same_runs(RE_tiled, beamline, storage, tmp_path):
    (uid,) = RE_tiled(bp.count([beamline.camera], 1))
    uri, _, key = storage.uri.partition("?api_key=")
    remote = Storage(Settings(data_dir=tmp_path, tiled_uri=uri, tiled_api_key=key))
    try:
        frames = read_frames(remote.runs, uid, "camera")
        assert np.array_equal(frames.frames, _files_frames(storage, uid))
        assert remote.display_uri == uri and "api_key" not in remote.display_uri
    finally:
        remote.close()


def test_rocking_scan_outside_the_limits_is_refused_before_anything_moves(RE, beamline):
    from phasebeam.plans.rocking import rocking_scan

    eta = beamline.diffractometer.eta
    before = _value(eta.position)
    documents = []
    token = RE.subscribe(lambda name, doc: documents.append(name))
    try:
        with pytest.raises(MoveRefusedError, match=r"below the low limit -10\.0 deg"):
            RE(rocking_scan([beamline.eiger], eta, bragg_angle_deg=0.2, start_deg=-15.0, stop_deg=1.0))
    finally:
        RE.unsubscribe(token)
    assert documents == [] and _value(eta.position) == before


def test_knife_edge_plan_frames_recover_the_worlds_illumination(RE_tiled, beamline, storage):
    from phasebeam.analysis.knife_edge import angular_spectrum_from_knife_edge
    from phasebeam.analysis.optics import wavelength_m
    from phasebeam.plans.knife_edge import knife_edge_calibration
    from phasebeam.simulators.world import World

    (uid,) = RE_tiled(knife_edge_calibration([beamline.camera], beamline.cutoff_filter, -60.0, 60.0, 3.0))
    RE_tiled(bps.mv(beamline.cutoff_filter.actuator.inserted, False))
    frames = read_frames(storage.runs, uid, "camera")
    energy = _value(beamline.energy.readback)
    spectrum = angular_spectrum_from_knife_edge(
        frames.positions["cutoff_filter-edge"] * 1e-6,
        frames.frames.mean(axis=(1, 2)),
        float(wavelength_m(energy)),
        beamline.zone_plate.focal_length_m(energy),
    )
    truth = World().illumination.density_at(spectrum.edge_m)  # the servers' world is built alike
    truth /= np.sum(truth * np.diff(frames.positions["cutoff_filter-edge"] * 1e-6))
    error = np.linalg.norm(spectrum.density_per_m - truth) / np.linalg.norm(truth)
    assert error <= 0.05, error


def test_foucault_test_finds_the_filter_focus(RE_tiled, beamline, storage):
    from phasebeam.analysis.foucault import foucault_focus
    from phasebeam.plans.knife_edge import foucault_test
    from phasebeam.simulators.world import WorldSettings

    cutoff = beamline.cutoff_filter
    (uid,) = RE_tiled(foucault_test([beamline.camera], cutoff, -1.5, 2.5, 0.5, edge_um=0.0))
    RE_tiled(bps.mv(cutoff.actuator.inserted, False, cutoff.axial, 0.0))
    frames = read_frames(storage.runs, uid, "camera")
    result = foucault_focus(frames.positions["cutoff_filter-axial"], frames.frames.astype(float))
    assert result.focus_mm == pytest.approx(WorldSettings().cutoff_focus_mm, abs=0.1)
