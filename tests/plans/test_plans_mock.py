"""The plans in ophyd-async mock mode: documents, metadata, and nothing moves on bad arguments."""

import math

import pytest
from bluesky.run_engine import call_in_bluesky_event_loop
from event_model import DocumentNames, schema_validators
from ophyd_async.core import get_mock_put

from phasebeam.plans.beam import beam_unavailable
from phasebeam.plans.energy_sweep import energy_sweep
from phasebeam.plans.knife_edge import foucault_test, knife_edge_calibration
from phasebeam.plans.rocking import rocking_scan
from phasebeam.plans.snake import snake_scan
from phasebeam.plans.tomography import tomography_0_180


def _run(RE, plan):
    docs = []
    token = RE.subscribe(lambda name, doc: docs.append((name, doc)))
    try:
        RE(plan)
    finally:
        RE.unsubscribe(token)
    for name, doc in docs:
        schema_validators[DocumentNames[name]].validate(doc)
    return docs


def _refused(RE, plan, message: str) -> list[str]:
    """Run ``plan``, expecting a ValueError matching ``message``; return the documents' names."""
    docs = []
    token = RE.subscribe(lambda name, doc: docs.append(name))
    try:
        with pytest.raises(ValueError, match=message):
            RE(plan)
    finally:
        RE.unsubscribe(token)
    return docs


def test_rocking_scan_defaults_are_seed_001(RE, mock_beamline):
    eta = mock_beamline.diffractometer.eta
    docs = _run(RE, rocking_scan([mock_beamline.eiger], eta, bragg_angle_deg=17.7))
    start = next(doc for name, doc in docs if name == "start")
    assert start["plan_name"] == "rocking_scan" and start["method"] == "BCDI"
    assert start["plan_args"]["step_deg"] == 0.005 and start["units"]["exposure_s"] == "s"
    assert start["hints"] == {"dimensions": [[["diffractometer-eta"], "primary"]]}
    angles = [doc["data"]["diffractometer-eta"] for name, doc in docs if name == "event"]
    assert len(angles) == 201
    assert angles[0] == pytest.approx(17.2) and angles[-1] == pytest.approx(18.2)
    assert call_in_bluesky_event_loop(mock_beamline.eiger.camera.acq_expo_time.get_value()) == 1.0


def test_rocking_scan_with_modulator_in_is_bcmi(RE, mock_beamline):
    docs = _run(
        RE,
        rocking_scan(
            [mock_beamline.eiger],
            mock_beamline.diffractometer.eta,
            17.7,
            start_deg=-0.01,
            stop_deg=0.01,
            modulator_in=True,
            modulator=mock_beamline.nanogoniometer,
            exposure_s=0.1,
        ),
    )
    start = docs[0][1]
    assert start["method"] == "BCMI" and start["modulator_in"] is True
    assert start["plan_args"]["modulator"] == "nanogoniometer"
    events = [doc for name, doc in docs if name == "event"]
    assert len(events) == 5 and all("nanogoniometer-x" in e["data"] for e in events)


def test_rocking_scan_with_modulator_in_needs_the_nanogoniometer(RE, mock_beamline):
    eta = mock_beamline.diffractometer.eta
    with pytest.raises(
        ValueError, match=r"modulator_in=True needs modulator= \(the modulator's nanogoniometer\)"
    ):
        _run(RE, rocking_scan([mock_beamline.eiger], eta, 17.7, modulator_in=True, exposure_s=0.1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bragg_angle_deg": -3.0}, r"bragg_angle_deg=-3.0 is outside the allowed range \[0.0, 90.0\]"),
        ({"bragg_angle_deg": 17.7, "step_deg": 0.0}, r"step_deg=0.0 is outside"),
        ({"bragg_angle_deg": 17.7, "exposure_s": 0.0}, r"exposure_s=0.0 is outside"),
        ({"bragg_angle_deg": 17.7, "start_deg": 0.5, "stop_deg": -0.5}, r"stop_deg=-0.5 is outside"),
    ],
)
def test_rocking_scan_bad_arguments_move_nothing(RE, mock_beamline, kwargs, message):
    eta = mock_beamline.diffractometer.eta
    docs = _refused(RE, rocking_scan([mock_beamline.eiger], eta, **kwargs), message)
    get_mock_put(eta.position).assert_not_called()
    assert docs == []


def test_knife_edge_calibration_inserts_the_filter_and_scans_the_edge(RE, mock_beamline):
    cutoff = mock_beamline.cutoff_filter
    docs = _run(RE, knife_edge_calibration([mock_beamline.camera], cutoff, -10.0, 10.0, 5.0))
    edges = [doc["data"]["cutoff_filter-edge"] for name, doc in docs if name == "event"]
    assert edges == [-10.0, -5.0, 0.0, 5.0, 10.0]
    assert call_in_bluesky_event_loop(cutoff.actuator.inserted.get_value()) is True
    assert docs[0][1]["plan_name"] == "knife_edge_calibration"


def test_knife_edge_bad_range_moves_nothing(RE, mock_beamline):
    cutoff = mock_beamline.cutoff_filter
    plan = knife_edge_calibration([mock_beamline.camera], cutoff, -900.0, 0.0, 5.0)
    assert _refused(RE, plan, r"start_um=-900.0 is outside the allowed range \[-225.0") == []
    get_mock_put(cutoff.edge.position).assert_not_called()
    get_mock_put(cutoff.actuator.inserted).assert_not_called()


def test_ptycho_calibration_follows_the_spiral_and_reads_d1(RE, mock_beamline):
    from phasebeam.plans.ptychography import modulator_ptycho_calibration
    from phasebeam.plans.trajectories import fermat_spiral_um

    ngm = mock_beamline.nanogoniometer
    docs = _run(
        RE,
        modulator_ptycho_calibration(
            [mock_beamline.eiger, ngm.controller], ngm, 1.0, 1.0, 0.2, centre_x_um=5.0
        ),
    )
    events = [doc["data"] for name, doc in docs if name == "event"]
    expected = fermat_spiral_um(1.0, 1.0, 0.2)
    assert len(events) == len(expected) == docs[0][1]["points"]
    assert [e["nanogoniometer-x"] for e in events] == pytest.approx(list(expected[:, 0] + 5.0))
    assert [e["nanogoniometer-y"] for e in events] == pytest.approx(list(expected[:, 1]))
    assert "nanogoniometer-controller-d1" in events[0]
    assert docs[0][1]["units"]["step_um"] == "um"


def test_ptycho_calibration_bad_step_moves_nothing(RE, mock_beamline):
    from phasebeam.plans.ptychography import modulator_ptycho_calibration

    ngm = mock_beamline.nanogoniometer
    plan = modulator_ptycho_calibration([mock_beamline.eiger], ngm, step_um=-0.1)
    assert _refused(RE, plan, r"step_um=-0.1 is outside the allowed range") == []
    get_mock_put(ngm.x.position).assert_not_called()
    get_mock_put(ngm.y.position).assert_not_called()


def test_units_follow_the_argument_names():
    from phasebeam.plans.common import units_of

    units = units_of(
        {"exposure_s": 1, "speed_deg_per_s": 0.2, "step_um": 1, "energy_ev": 1, "n": 3, "d1_mm": 1}
    )
    assert units == {
        "exposure_s": "s",
        "speed_deg_per_s": "deg/s",
        "step_um": "um",
        "energy_ev": "eV",
        "d1_mm": "mm",
    }


def test_snake_scan_rows_alternate_and_events_carry_the_beam(RE, mock_beamline):
    sample = mock_beamline.sample
    docs = _run(
        RE,
        snake_scan(
            [mock_beamline.eiger], sample, mock_beamline.machine, 0.0, 20.0, 0.0, 10.0, 10.0, exposure_s=0.5
        ),
    )
    start = docs[0][1]
    assert start["plan_name"] == "snake_scan" and start["shape"] == [2, 3] and start["points"] == 6
    assert start["units"]["step_um"] == "um" and start["plan_args"]["machine"] == "machine"
    events = [doc["data"] for name, doc in docs if name == "event"]
    assert [e["sample-x"] for e in events] == [0.0, 10.0, 20.0, 20.0, 10.0, 0.0]
    assert [e["sample-y"] for e in events] == [0.0] * 3 + [10.0] * 3
    assert all(e["machine-ring_current"] == 200.0 and e["machine-injection"] is False for e in events)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step_um": -1.0}, r"step_um=-1.0 is outside"),
        ({"exposure_s": 0.0}, r"exposure_s=0.0 is outside"),
        ({"x_start_um": 5.0, "x_stop_um": -5.0}, r"x_stop=-5.0 must be >= x_start=5.0"),
        (
            {"min_ring_current_ma": -1.0},
            r"min_ring_current_ma=-1.0 is outside the allowed range \[0.0, 1000.0\]",
        ),
    ],
)
def test_snake_scan_bad_arguments_move_nothing(RE, mock_beamline, kwargs, message):
    sample = mock_beamline.sample
    docs = _refused(RE, snake_scan([mock_beamline.eiger], sample, mock_beamline.machine, **kwargs), message)
    get_mock_put(sample.x.position).assert_not_called()
    get_mock_put(sample.y.position).assert_not_called()
    assert docs == []


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ((200.0, False, math.inf), None),
        ((200.0, True, 0.0), "top-up injection in progress"),
        ((5.0, False, math.inf), "ring current 5.0 mA below 10.0 mA"),
        ((200.0, False, 1.0), "next injection in 1.0 s, inside the 2.5 s exposure"),
        ((200.0, False, 2.6), None),
    ],
)
def test_a_frame_starts_only_if_it_ends_before_the_next_injection(state, reason):
    current, injection, countdown = state
    assert beam_unavailable(current, injection, countdown, min_ring_current_ma=10.0, needed_s=2.5) == reason


def test_tomography_step_mode_takes_the_pairs_in_increasing_angle(RE, mock_beamline):
    theta = mock_beamline.sample.theta
    docs = _run(RE, tomography_0_180([mock_beamline.camera], theta, mode="step", pairs=3, exposure_s=0.1))
    start = docs[0][1]
    assert start["pairs_deg"] == [[0.0, 180.0], [60.0, 240.0], [120.0, 300.0]]
    assert [doc["data"]["sample-theta"] for name, doc in docs if name == "event"] == [
        0,
        60,
        120,
        180,
        240,
        300,
    ]


def test_tomography_fly_mode_collects_every_frame_and_restores_the_speed(RE, mock_beamline):
    theta = mock_beamline.sample.theta
    docs = _run(
        RE, tomography_0_180([mock_beamline.camera], theta, images=10, speed_deg_per_s=2.0, exposure_s=0.5)
    )
    start = docs[0][1]
    assert start["plan_args"]["mode"] == "fly" and start["units"]["speed_deg_per_s"] == "deg/s"
    assert start["angles_deg"][0] == pytest.approx(0.5) and start["stop_deg"] == pytest.approx(10.0)
    datums = [doc for name, doc in docs if name == "stream_datum"]
    assert sum(d["indices"]["stop"] - d["indices"]["start"] for d in datums) == 10
    velocity_puts = [c.args[0] for c in get_mock_put(theta.velocity).call_args_list]
    assert velocity_puts == [2.0, 1.0]  # the fly speed, then the mock's initial 1 deg/s again


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "spiral"}, r"mode='spiral' is not one of \('step', 'fly'\)"),
        ({"mode": "step", "pairs": 0}, r"pairs=0 is outside the allowed range \[1, 100000\]"),
        ({"images": 1}, r"images=1 is outside the allowed range \[2, 1000000\]"),
        ({"speed_deg_per_s": 0.0}, r"speed_deg_per_s=0.0 is outside"),
        ({"exposure_s": -1.0}, r"exposure_s=-1.0 is outside"),
    ],
)
def test_tomography_bad_arguments_move_nothing(RE, mock_beamline, kwargs, message):
    theta = mock_beamline.sample.theta
    docs = _refused(RE, tomography_0_180([mock_beamline.camera], theta, **kwargs), message)
    get_mock_put(theta.position).assert_not_called()
    get_mock_put(theta.velocity).assert_not_called()
    assert docs == []


def test_energy_sweep_count_takes_frames_at_each_energy(RE, mock_beamline):
    docs = _run(
        RE,
        energy_sweep(
            [mock_beamline.camera], mock_beamline.energy, values_ev=[8000.0, 8100.0], frames_per_energy=2
        ),
    )
    start = docs[0][1]
    assert start["plan_name"] == "energy_sweep" and start["energies_ev"] == [8000.0, 8100.0]
    assert sum(name == "event" for name, _ in docs) == 4


def test_energy_sweep_tomography_is_one_run_per_energy(RE, mock_beamline):
    docs = _run(
        RE,
        energy_sweep(
            [mock_beamline.camera],
            mock_beamline.energy,
            8313.0,
            8353.0,
            20.0,
            inner="tomography",
            rotation=mock_beamline.sample.theta,
            tomography={"mode": "step", "pairs": 1, "exposure_s": 0.1},
        ),
    )
    starts = [doc for name, doc in docs if name == "start"]
    assert [s["energy_ev"] for s in starts] == [8313.0, 8333.0, 8353.0]
    assert len({s["sweep_uid"] for s in starts}) == 1 and [s["sweep_index"] for s in starts] == [0, 1, 2]
    assert all(s["plan_name"] == "tomography_0_180" for s in starts)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"values_ev": [8000.0, 40000.0]},
            r"energy_ev=40000.0 is outside the allowed range \[2000.0, 30000.0\]",
        ),
        ({"start_ev": 8000.0, "stop_ev": 8100.0}, r"give values_ev, or all of start_ev, stop_ev and step_ev"),
        ({"values_ev": [8000.0], "inner": "ptycho"}, r"inner='ptycho' is not one of"),
        ({"values_ev": [8000.0], "inner": "tomography"}, r"rotation must be given"),
        ({"values_ev": [8000.0], "frames_per_energy": 0}, r"frames_per_energy=0 is outside"),
    ],
)
def test_energy_sweep_bad_arguments_move_nothing(RE, mock_beamline, kwargs, message):
    energy = mock_beamline.energy
    docs = _refused(RE, energy_sweep([mock_beamline.camera], energy, **kwargs), message)
    for motor in (energy.gap, energy.bragg, mock_beamline.zone_plate.z):
        get_mock_put(motor.position).assert_not_called()
    assert docs == []


def test_energy_sweep_checks_the_inner_tomography_before_moving(RE, mock_beamline):
    energy = mock_beamline.energy
    with pytest.raises(ValueError, match=r"pairs=0 is outside"):
        RE(
            energy_sweep(
                [mock_beamline.camera],
                energy,
                values_ev=[8000.0, 8100.0],
                inner="tomography",
                rotation=mock_beamline.sample.theta,
                tomography={"mode": "step", "pairs": 0},
            )
        )
    get_mock_put(energy.bragg.position).assert_not_called()


def test_foucault_test_holds_the_edge_and_steps_the_axial_position(RE, mock_beamline):
    cutoff = mock_beamline.cutoff_filter
    docs = _run(RE, foucault_test([mock_beamline.camera], cutoff, -1.0, 1.0, 0.5, edge_um=3.0))
    events = [doc["data"] for name, doc in docs if name == "event"]
    assert [e["cutoff_filter-axial"] for e in events] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert {e["cutoff_filter-edge"] for e in events} == {3.0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"axial_step_mm": 0.0}, r"axial_step_mm=0.0 is outside"),
        (
            {"axial_start_mm": 1.0, "axial_stop_mm": 1.5},
            r"axial_stop_mm=1.5 is outside the allowed range \[2.0, ",
        ),
        ({"exposure_s": 0.0}, r"exposure_s=0.0 is outside"),
    ],
)
def test_foucault_test_bad_arguments_move_nothing(RE, mock_beamline, kwargs, message):
    cutoff = mock_beamline.cutoff_filter
    assert _refused(RE, foucault_test([mock_beamline.camera], cutoff, **kwargs), message) == []
    get_mock_put(cutoff.axial.position).assert_not_called()
    get_mock_put(cutoff.edge.position).assert_not_called()
