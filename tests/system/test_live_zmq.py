"""``phasebeam live`` out of process: the documents go through a 0MQ proxy to the live analyses in
another process, whose results and stored calibration equal those made in the RunEngine's process:
the knife-edge calibration, and a rocking scan's BCDI reconstruction (a reconstruction path)."""

import json
import signal
import socket
import subprocess
import sys
import time

import bluesky.plan_stubs as bps
import h5py
import numpy as np
import pytest
from bluesky.callbacks.zmq import Publisher

from phasebeam.analysis.optics import bragg_angle_deg
from phasebeam.calibrations import XSN_OPTICS, CalibrationStore
from phasebeam.live_analyses import live_callbacks
from phasebeam.plans.knife_edge import knife_edge_calibration
from phasebeam.plans.rocking import rocking_scan
from phasebeam.simulators.world import PT111_D_SPACING_M

#: A short BCDI of the rocking scan (two runs of 90 iterations), done on both sides.
BCDI_PHASING = {"recipe": "HIO**60, ER**30", "runs": 2, "keep": 2, "crop_px": 128}
BCDI_ENERGY_EV = 8000.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def proxy():
    """A bluesky 0MQ proxy in a child process: (in port, out port)."""
    ports = _free_port(), _free_port()
    code = f"from bluesky.callbacks.zmq import Proxy; Proxy({ports[0]}, {ports[1]}).start()"
    process = subprocess.Popen([sys.executable, "-c", code])
    yield ports
    process.terminate()
    process.wait(timeout=10)


def _final_result(path, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            with h5py.File(path) as f:
                if f.attrs.get("final"):
                    return {k: f[k][()] for k in f}, dict(f.attrs)
        time.sleep(0.2)
    raise TimeoutError(f"no final result at {path} after {timeout_s} s")


def test_live_analyses_out_of_process_give_the_same_results(RE_energy, beamline, proxy, tmp_path):
    RE = RE_energy
    in_port, out_port = proxy
    remote_data = tmp_path / "remote"
    command = [sys.executable, "-P", "-m", "phasebeam", "live", "--zmq", f"127.0.0.1:{out_port}"]
    command += ["--data-dir", str(remote_data), "--publish-period-s", "0.5", "--simulated"]
    remote = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert remote.stdout is not None
        ready = json.loads(remote.stdout.readline())
        assert ready["analyses"] == [
            "knife_edge_optics",
            "modulator_calibration",
            "rocking_reconstruction",
            "xedm",  # --simulated: with the simulated Eiger's mask
            "xsn_tomography",
        ]
        time.sleep(1.0)  # a 0MQ subscriber misses what is published before it has connected
        local_store = CalibrationStore(tmp_path / "local-calibrations")
        # The same wiring in this process: what the remote runs, here.
        here_callbacks = live_callbacks(tmp_path / "local", None, local_store)
        local, local_bcdi = here_callbacks["knife_edge_optics"], here_callbacks["rocking_reconstruction"]
        tokens = [
            RE.subscribe(Publisher(f"127.0.0.1:{in_port}")),
            RE.subscribe(local),
            RE.subscribe(local_bcdi),
        ]
        cutoff = beamline.cutoff_filter
        try:
            (uid,) = RE(knife_edge_calibration([beamline.camera], cutoff, -60.0, 60.0, 5.0, exposure_s=0.05))
            RE(bps.mv(cutoff.actuator.inserted, False))
            theta_b = bragg_angle_deg(BCDI_ENERGY_EV, PT111_D_SPACING_M)
            RE(bps.mv(beamline.energy, BCDI_ENERGY_EV))
            (rocking_uid,) = RE(
                rocking_scan(
                    [beamline.eiger],
                    beamline.diffractometer.eta,
                    theta_b,
                    -0.1,
                    0.1,
                    0.01,
                    exposure_s=0.2,
                    metadata={"phasing": BCDI_PHASING},
                )
            )
        finally:
            for token in tokens:
                RE.unsubscribe(token)
            RE(bps.mv(cutoff.actuator.inserted, False))
        local.wait(timeout=60)
        local_bcdi.wait(timeout=300)
        assert local.errors == [] and local_bcdi.errors == []
        here, here_attrs = _final_result(local.published[uid]["h5"])
        there, there_attrs = _final_result(remote_data / "live" / uid / "knife_edge_optics.h5")
        bcdi_here, bcdi_here_attrs = _final_result(local_bcdi.published[rocking_uid]["h5"])
        bcdi_there, bcdi_there_attrs = _final_result(
            remote_data / "live" / rocking_uid / "rocking_reconstruction.h5", timeout_s=300
        )
    finally:
        remote.send_signal(signal.SIGTERM)
        code = remote.wait(timeout=60)
    assert code == 0
    assert there_attrs["status"] == "ok" and there_attrs["raw_uid"] == uid
    assert sorted(here) == sorted(there) and "illumination_weight" in here
    for key in here:
        assert np.array_equal(here[key], there[key]), key
    for key in ("pupil_na", "cutoff_frequency_per_m", "wavelength_m", "energy_ev", "total_counts"):
        assert here_attrs[key] == there_attrs[key], key
    stored_here = local_store.find(XSN_OPTICS)
    stored_there = CalibrationStore(remote_data / "calibrations").find(XSN_OPTICS)
    assert stored_here.raw_uid == stored_there.raw_uid == uid
    with h5py.File(stored_here.path) as a, h5py.File(stored_there.path) as b:
        assert np.array_equal(a["illumination_weight"][()], b["illumination_weight"][()])

    # The BCDI reconstruction: the same crystal on both sides, and the same figures of merit.
    assert bcdi_there_attrs["status"] == "ok" and bcdi_there_attrs["method"] == "BCDI"
    assert sorted(bcdi_here) == sorted(bcdi_there)
    assert np.array_equal(bcdi_here["support"], bcdi_there["support"])
    here_obj, there_obj = (r["modulus"] * np.exp(1j * r["phase_rad"]) for r in (bcdi_here, bcdi_there))
    deviation = np.abs(here_obj - there_obj).max() / np.abs(here_obj).max()
    print(
        f"BCDI in and out of process: largest difference {deviation:.1e} of max |rho|; first mode "
        f"{bcdi_here_attrs['first_mode_weight']:.4f} / {bcdi_there_attrs['first_mode_weight']:.4f}; FSC "
        f"{bcdi_here_attrs['fsc_resolution_m'] * 1e9:.1f} / "
        f"{bcdi_there_attrs['fsc_resolution_m'] * 1e9:.1f} nm"
    )
    assert deviation <= 1e-5
    support = bcdi_here["support"].astype(bool)
    here_u, there_u = bcdi_here["displacement_m"][support], bcdi_there["displacement_m"][support]
    assert np.allclose(here_u, there_u, rtol=0, atol=1e-5 * np.abs(here_u).max())
    for key in ("first_mode_weight", "fsc_resolution_m"):
        assert bcdi_here_attrs[key] == pytest.approx(bcdi_there_attrs[key], rel=1e-6), key
    assert bcdi_here_attrs["first_mode_weight"] > 0.8
