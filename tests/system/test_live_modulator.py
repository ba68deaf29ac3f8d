"""Live ptychographic calibration of the modulator in the simulated Bragg beam: its result is stored
as the modulator calibration, and equals the offline ``phasebeam reconstruct modulator --run`` of
the same stored run; its phase shift is the xraydb value of the world's 1.5 um of W."""

import bluesky.plan_stubs as bps
import h5py
import numpy as np
import pytest

from phasebeam.analysis.bcmi.modulator import modulator_phase_shift
from phasebeam.analysis.optics import bragg_angle_deg
from phasebeam.calibrations import MODULATOR, CalibrationStore
from phasebeam.cli import main
from phasebeam.live_analyses import live_callbacks
from phasebeam.plans.ptychography import modulator_ptycho_calibration
from phasebeam.simulators.world import PT111_D_SPACING_M

ENERGY_EV = 9000.0
#: Fewer epochs than the live default, for the default test run.
PHASING = {"epochs": 80, "position_start_epoch": 20}


@pytest.mark.parametrize(
    "side_um, step_um, exposure_s",
    [
        # 24 points: quick, but too few of the modulator's pixels lit to measure its phase shift.
        (0.6, 0.12, 0.05),
        # 101 points (about 100 s on 2 cores): the phase shift within 5% of xraydb's, and d1.
        # d1 is dose-limited: offline, from the world's frames, 101 points at 0.05 s (2.8e4
        # photons a frame) gave 1.42 mm for 1.35, at 0.2 s 1.385 mm and at 1 s 1.367 mm.
        pytest.param(2.0, 0.2, 0.2, marks=pytest.mark.slow),
    ],
)
def test_live_modulator_calibration_is_stored_and_matches_the_offline_one(
    RE_energy, beamline, storage, bcmi_frames, tmp_path, capsys, side_um, step_um, exposure_s
):
    RE = RE_energy
    RE(bps.mv(beamline.energy, ENERGY_EV))
    RE(bps.mv(beamline.diffractometer.eta, bragg_angle_deg(ENERGY_EV, PT111_D_SPACING_M)))
    store = CalibrationStore(tmp_path / "calibrations")
    callback = live_callbacks(tmp_path, storage.derived, store)["modulator_calibration"]
    token = RE.subscribe(callback)
    try:
        (uid,) = RE(
            modulator_ptycho_calibration(
                [beamline.eiger],
                beamline.nanogoniometer,
                side_um,
                side_um,
                step_um,
                exposure_s=exposure_s,
                metadata={"phasing": PHASING},
            )
        )
    finally:
        RE.unsubscribe(token)
    callback.wait(timeout=300)
    assert callback.errors == []
    derived = storage.derived[f"{uid}-modulator_calibration"]
    assert derived.metadata["status"] == "ok"
    stored = store.find(MODULATOR, energy_ev=ENERGY_EV)
    assert stored.raw_uid == uid

    uri, _, key = storage.uri.partition("?api_key=")
    out = tmp_path / "offline.h5"
    assert (
        main(["reconstruct", "modulator", "--run", uid, "--out", str(out), "--tiled", uri, "--api-key", key])
        == 0
    )
    print(capsys.readouterr().out)
    with h5py.File(out) as f, h5py.File(stored.path) as s:
        for name in ("modulator", "probe", "positions_m"):
            assert np.allclose(
                derived[name].read(), f[name][()], rtol=0, atol=1e-6 * np.abs(f[name][()]).max()
            )
            assert np.array_equal(s[name][()], derived[name].read())
        offline_shift = float(f.attrs["phase_shift_rad"])
    shift = derived.metadata["phase_shift_rad"]
    expected = modulator_phase_shift("W", 1.5e-6, ENERGY_EV)
    print(
        f"{derived.metadata['frames']} frames: phase shift {shift:.4f} rad live, "
        f"{offline_shift:.4f} offline, "
        f"xraydb {expected:.4f}; d1 {derived.metadata['d1_m'] * 1e3:.3f} mm (world 1.35 mm); "
        f"stop to final result {callback.final_latencies_s[uid]:.1f} s"
    )
    assert shift == pytest.approx(offline_shift, abs=1e-6)
    assert derived.metadata["phase_shift_xraydb_rad"] == pytest.approx(expected)
    if side_um >= 2.0:
        assert shift == pytest.approx(expected, rel=0.05)
        assert derived.metadata["d1_m"] == pytest.approx(1.35e-3, rel=0.05)  # the world's d1
