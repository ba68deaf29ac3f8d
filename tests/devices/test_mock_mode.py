"""The device classes in ophyd-async mock mode: bluesky's standard plans run; guards refuse."""

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import pytest
from bluesky.run_engine import call_in_bluesky_event_loop
from event_model import DocumentNames, schema_validators
from ophyd_async.core import get_mock_put, set_mock_value

from phasebeam.analysis.optics import bragg_angle_deg, thin_lens_object_distance_m, zone_plate_focal_length_m
from phasebeam.analysis.undulator import undulator_gap_m
from phasebeam.beamline import (
    SIMULATED_SAMPLE_TO_CAMERA_M,
    Beamline,
)
from phasebeam.devices import MoveRefusedError


@pytest.fixture
def beamline(mock_beamline) -> Beamline:
    return mock_beamline


def _move(motor, target: float) -> None:
    async def move() -> None:
        await motor.set(target)

    call_in_bluesky_event_loop(move())


def _collect(RE, plan):
    docs: list[tuple[str, dict]] = []
    token = RE.subscribe(lambda name, doc: docs.append((name, doc)))
    try:
        RE(plan)
    finally:
        RE.unsubscribe(token)
    return docs


def test_scan_and_count_in_mock_mode_emit_valid_documents(RE, beamline):
    docs = _collect(RE, bp.scan([beamline.eiger], beamline.nanogoniometer.x, -1.0, 1.0, 5))
    docs += _collect(RE, bp.count([beamline.camera], 3))
    for name, doc in docs:
        schema_validators[DocumentNames[name]].validate(doc)
    names = [name for name, _ in docs]
    assert names.count("event") == 8
    assert names.count("stream_datum") == 8
    assert names.count("stream_resource") == 2
    scan_events = [doc for name, doc in docs if name == "event" and "nanogoniometer-x" in doc["data"]]
    positions = [doc["data"]["nanogoniometer-x"] for doc in scan_events]
    assert positions == pytest.approx([-1.0, -0.5, 0.0, 0.5, 1.0])


def test_energy_moves_every_axis_consistently(RE, beamline):
    set_mock_value(beamline.zone_plate.z.position, 60.0)
    RE(bps.mv(beamline.energy, 8500.0))
    bragg = call_in_bluesky_event_loop(beamline.energy.bragg.position.get_value())
    gap = call_in_bluesky_event_loop(beamline.energy.gap.position.get_value())
    z = call_in_bluesky_event_loop(beamline.zone_plate.z.position.get_value())
    energy = call_in_bluesky_event_loop(beamline.energy.readback.get_value())
    assert bragg == pytest.approx(bragg_angle_deg(8500.0), abs=1e-9)
    assert gap == pytest.approx(1e3 * undulator_gap_m(8500.0), abs=1e-9)
    focal = zone_plate_focal_length_m(300e-6, 30e-9, 8500.0)
    assert z == pytest.approx(
        1e3 * thin_lens_object_distance_m(focal, SIMULATED_SAMPLE_TO_CAMERA_M), abs=1e-9
    )
    assert energy == pytest.approx(8500.0, abs=1e-6)


def test_unreachable_energy_is_refused_before_anything_moves(RE, beamline):
    with pytest.raises(Exception, match="outside the range of harmonic 1"):
        RE(bps.mv(beamline.energy, 25000.0))
    get_mock_put(beamline.energy.bragg.position).assert_not_called()
    get_mock_put(beamline.energy.gap.position).assert_not_called()


def test_collision_guard_refuses_and_nothing_moves(RE, beamline):
    ngm = beamline.nanogoniometer
    set_mock_value(ngm.controller.d1, 1.35)
    set_mock_value(ngm.controller.d1_min, 0.5)
    with pytest.raises(MoveRefusedError, match=r"below the collision limit d1_min = 0.5 mm"):
        _move(ngm.z, -900.0)
    for axis in (ngm.x, ngm.y, ngm.z, ngm.mchi, ngm.mphi):
        get_mock_put(axis.position).assert_not_called()
    _move(ngm.z, -800.0)  # d1 = 0.55 mm: allowed
    assert call_in_bluesky_event_loop(ngm.z.position.get_value()) == -800.0
