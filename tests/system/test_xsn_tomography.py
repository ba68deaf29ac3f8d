"""XSN on the simulated microscope, end to end and live: the knife-edge calibration's live analysis
stores the optics, the 0/180 tomography's live analysis finds them and reconstructs each pair as
it completes, and both agree with the command-line reconstructions of the same runs from Tiled,
which find the stored optics by themselves too."""

import time

import bluesky.plan_stubs as bps
import h5py
import numpy as np
import pytest
import xraydb

from phasebeam.analysis.xsn.pair_file import OPTICS_FIELDS
from phasebeam.calibrations import XSN_OPTICS, CalibrationStore
from phasebeam.callbacks.live import LiveCallback
from phasebeam.callbacks.xsn_live import KnifeEdgeXsnOptics, XsnTomographyLive
from phasebeam.cli import main
from phasebeam.live_analyses import store_xsn_optics, xsn_optics_for
from phasebeam.plans.knife_edge import knife_edge_calibration
from phasebeam.plans.tomography import tomography_0_180
from phasebeam.simulators.projection import default_spheres
from phasebeam.storage import read_frames

#: About 90 s on 2 cores. test_live_xsn covers the same live paths through the beamline's wiring
#: in the default run; this one adds the live analysis with a flat field (``flat=``).
pytestmark = pytest.mark.slow

ENERGY_EV = 8000.0
EXPOSURE_S = 0.05
PIXEL_M = 100e-9  # the simulated camera's pixel at the sample
#: Registration step 1 is biased by about -1.5 px on these 2 rad NiO spheres with the world's
#: off-centre illumination, and the simulated rotation axis is exact: it is left out.
PAIR_OPTIONS = {"scintillator_psf_fwhm_m": 72e-9, "edge_reference_px": 4, "register": False}


def _nio_interiors(shape):
    """The interiors of the three NiO spheres, 300 nm inside their surfaces, in a (Z, Y, X) volume."""
    spheres = default_spheres()
    z, y, x = np.indices(shape) - (np.array(shape)[:, None, None, None] - 1) / 2
    inside = np.zeros(shape, dtype=bool)
    for (cx, cy, cz), radius in zip(spheres.centres_m, spheres.radii_m, strict=True):
        r2 = (x - cx / PIXEL_M) ** 2 + (y - cy / PIXEL_M) ** 2 + (z - cz / PIXEL_M) ** 2
        inside |= r2 < ((radius - 300e-9) / PIXEL_M) ** 2
    return inside, spheres


def test_live_xsn_calibration_and_tomography_match_the_offline_reconstruction(
    RE_energy, beamline, storage, settings, xsn_camera, take_flats, tmp_path, capsys
):
    RE = RE_energy
    camera, cutoff, sample = beamline.camera, beamline.cutoff_filter, beamline.sample
    store = CalibrationStore(settings.calibrations_dir)
    RE(bps.mv(beamline.energy, ENERGY_EV, sample.x, 40.0, sample.y, 0.0, sample.theta, 0.0))  # out
    knife_live = LiveCallback(
        KnifeEdgeXsnOptics(PIXEL_M), "camera", tmp_path, storage.derived, on_final=[store_xsn_optics(store)]
    )
    token = RE.subscribe(knife_live)
    try:
        (knife_uid,) = RE(knife_edge_calibration([camera], cutoff, -60.0, 60.0, 5.0, exposure_s=EXPOSURE_S))
    finally:
        RE.unsubscribe(token)
    knife_live.wait(timeout=60)
    assert knife_live.errors == []
    calibration = store.find(XSN_OPTICS)
    assert calibration.raw_uid == knife_uid and calibration.energy_ev == pytest.approx(ENERGY_EV, abs=0.5)

    RE(bps.mv(cutoff.edge, 0.0))
    flat_uid = take_flats(4, EXPOSURE_S)
    flat = read_frames(storage.runs, flat_uid, "camera").frames.astype(np.float64).mean(axis=0)
    RE(bps.mv(sample.x, 0.0))
    tomo_live = LiveCallback(
        XsnTomographyLive(xsn_optics_for(store), PAIR_OPTIONS, flat=flat, preview_every=6),
        "camera",
        tmp_path,
        storage.derived,
    )
    token = RE.subscribe(tomo_live)
    try:
        (tomo_uid,) = RE(
            tomography_0_180([camera], sample.theta, mode="step", pairs=18, exposure_s=EXPOSURE_S)
        )
        stopped = time.monotonic()
    finally:
        RE.unsubscribe(token)
    tomo_live.wait(timeout=300)
    waited_s = time.monotonic() - stopped
    assert tomo_live.errors == []

    # Offline, from Tiled: the optics command, and the tomogram with the stored optics by default.
    uri, _, key = storage.uri.partition("?api_key=")
    source = ["--tiled", uri, "--api-key", key, "--data-dir", str(settings.data_dir)]
    optics_file, out = tmp_path / "optics.h5", tmp_path / "tomogram.h5"
    optics_args = [
        "--energy-ev",
        str(calibration.energy_ev),
        "--pixel-size-m",
        str(PIXEL_M),
        "--cutoff-um",
        "0",
    ]
    assert (
        main(
            [
                "reconstruct",
                "xsn-optics",
                "--run",
                knife_uid,
                "--out",
                str(optics_file),
                *optics_args,
                *source,
            ]
        )
        == 0
    )
    tomo_args = ["--flat-run", flat_uid, "--edge-reference-px", "4", "--psf-fwhm-m", "72e-9", "--no-register"]
    assert main(["reconstruct", "xsn-tomo", "--run", tomo_uid, "--out", str(out), *tomo_args, *source]) == 0
    printed = capsys.readouterr().out
    assert f"optics from the stored xsn_optics of run {knife_uid}" in printed

    with h5py.File(calibration.path) as live_optics, h5py.File(optics_file) as offline_optics:
        for name in OPTICS_FIELDS:
            assert np.allclose(live_optics[name][()], offline_optics[name][()], rtol=1e-12, atol=0), name
    live = storage.derived[f"{tomo_uid}-xsn_tomography"]
    assert live.metadata["status"] == "ok" and live.metadata["pairs"] == 18
    with h5py.File(out, "r") as f:
        offline_delta, offline_beta = np.asarray(f["delta"]), np.asarray(f["beta"])
    delta, beta = live["delta"].read(), live["beta"].read()
    assert delta.shape == offline_delta.shape == (128, 128, 128)
    for found, expected in ((delta, offline_delta), (beta, offline_beta)):
        assert np.max(np.abs(found - expected)) <= 1e-9 * np.max(np.abs(expected))

    inside, spheres = _nio_interiors(delta.shape)
    assert inside.sum() > 1000
    true_delta, true_beta, _ = xraydb.xray_delta_beta(spheres.formula, spheres.density_g_cm3, ENERGY_EV)
    found_delta, found_beta = float(np.median(delta[inside])), float(np.median(beta[inside]))
    resolution_nm = live.metadata["delta_resolution_m"] * 1e9, live.metadata["beta_resolution_m"] * 1e9
    print(
        f"NiO delta {found_delta:.4g} vs {true_delta:.4g}, beta {found_beta:.4g} vs {true_beta:.4g}; "
        f"FRC 1/4 resolution delta {resolution_nm[0]:.0f} nm, beta {resolution_nm[1]:.0f} nm; "
        f"median frame-to-publication latency {np.median(tomo_live.latencies_s):.2f} s; "
        f"last frame to final result {waited_s:.1f} s "
        f"({tomo_live.final_latencies_s[tomo_uid]:.1f} s after stop)"
    )
    assert found_delta == pytest.approx(true_delta, rel=0.10)
    assert found_beta == pytest.approx(true_beta, rel=0.25)
    # Half-set FRC of 18 pairs: resolution between the pixel (100 nm) and the field (12.8 um).
    assert 2 * PIXEL_M <= live.metadata["delta_resolution_m"] <= 128 * PIXEL_M
