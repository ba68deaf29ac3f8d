"""Live BCDI at the end of a rocking scan on the simulated beamline, against the offline
``phasebeam reconstruct rocking --run`` of the same stored run, and against the world's crystal."""

import math

import bluesky.plan_stubs as bps
import h5py
import numpy as np
import pytest

from phasebeam.analysis.optics import bragg_angle_deg
from phasebeam.calibrations import CalibrationStore
from phasebeam.cli import main
from phasebeam.live_analyses import live_callbacks
from phasebeam.plans.rocking import rocking_scan
from phasebeam.simulators.world import PT111_D_SPACING_M, World

ENERGY_EV = 8000.0
#: Short enough for the default test run: three runs of 150 iterations on the whole frames.
PHASING = {"recipe": "HIO**100, ER**50", "runs": 3, "keep": 2, "crop_px": 128}


def test_live_bcdi_of_a_rocking_scan_matches_the_offline_reconstruction(
    RE_energy, beamline, storage, settings, tmp_path, capsys, rms_widths_m, weighted_rms
):
    RE = RE_energy
    live = live_callbacks(tmp_path, storage.derived, CalibrationStore(tmp_path / "calibrations"))
    callback = live["rocking_reconstruction"]
    RE(bps.mv(beamline.energy, ENERGY_EV))
    theta_b = bragg_angle_deg(ENERGY_EV, PT111_D_SPACING_M)
    token = RE.subscribe(callback)
    try:
        (uid,) = RE(
            rocking_scan(
                [beamline.eiger],
                beamline.diffractometer.eta,
                theta_b,
                -0.1,
                0.1,
                0.01,
                exposure_s=0.2,
                metadata={"phasing": PHASING},
            )
        )
    finally:
        RE.unsubscribe(token)
    callback.wait(timeout=300)
    assert callback.errors == []
    derived = storage.derived[f"{uid}-rocking_reconstruction"]
    assert derived.metadata["status"] == "ok" and derived.metadata["method"] == "BCDI"
    live_obj = derived["modulus"].read() * np.exp(1j * derived["phase_rad"].read())

    uri, _, key = storage.uri.partition("?api_key=")
    out = tmp_path / "offline.cxi"
    source = ["--tiled", uri, "--api-key", key]
    assert main(["reconstruct", "rocking", "--run", uid, "--out", str(out), *source]) == 0
    print(capsys.readouterr().out)
    with h5py.File(out) as f:
        offline_obj = f["entry_1/image_1/data"][()]
        offline_support = f["entry_1/image_1/support"][()]
    assert offline_obj.shape == live_obj.shape == (21, 128, 128)
    assert np.allclose(live_obj, offline_obj, rtol=0, atol=1e-5 * np.abs(offline_obj).max())
    assert np.array_equal(derived["support"].read(), offline_support)

    # The world's crystal: an unstrained ellipsoid, semi-axes 7, 9, 11 voxels of 20 nm (Z, Y, X).
    crystal = World().crystal
    true_widths_m = rms_widths_m(np.abs(crystal.density) ** 2, (crystal.voxel_m,) * 3)
    voxel = derived["voxel_m"].read()
    found_widths_m = rms_widths_m(np.abs(live_obj) ** 2, voxel)
    support = derived["support"].read().astype(bool)
    displacement = derived["displacement_m"].read()[support]
    # Weighted by |rho|^2: the crystal is 3-5 voxels across, and the phase of its faint edge
    # voxels is noise (one CI run had a single edge voxel at 88 pm).
    displacement_rms_m = weighted_rms(displacement, np.abs(live_obj[support]) ** 2)
    weight = derived.metadata["first_mode_weight"]
    print(
        f"voxel {np.round(voxel * 1e9, 1)} nm; RMS widths {np.round(found_widths_m * 1e9, 1)} nm vs the "
        f"crystal's {np.round(true_widths_m * 1e9, 1)} nm; "
        f"displacement RMS (|rho|^2-weighted) {displacement_rms_m * 1e12:.2f} pm; "
        f"first mode {weight:.3f}; FSC {derived.metadata['fsc_resolution_m'] * 1e9:.0f} nm; "
        f"stop to final result {callback.final_latencies_s[uid]:.1f} s"
    )
    assert voxel[1] == pytest.approx(1.5498e-10 * 5.35 / (128 * 75e-6), rel=1e-3)  # lambda D / (N p)
    assert voxel[0] == pytest.approx(PT111_D_SPACING_M / (21 * math.radians(0.01)))  # 2 pi / (N |G| step)
    assert weight > 0.9
    # Widths of |rho|^2 (a uniform ellipsoid: semi-axis / sqrt 5), blurred by ~1 voxel of resolution.
    assert np.all(np.abs(found_widths_m / true_widths_m - 1) < 0.25)
    # An unstrained crystal: u is flat to a small fraction of d (226 pm).
    assert displacement_rms_m < 0.05 * PT111_D_SPACING_M
