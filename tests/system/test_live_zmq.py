"""``phasebeam live`` out of process: the documents go through a 0MQ proxy to the live analyses in
another process, whose results and stored calibration equal those made in the RunEngine's process."""

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

from phasebeam.beamline import SIMULATED_CAMERA_PIXEL_M
from phasebeam.calibrations import XSN_OPTICS, CalibrationStore
from phasebeam.callbacks.live import LiveCallback
from phasebeam.callbacks.xsn_live import KnifeEdgeXsnOptics
from phasebeam.live_analyses import store_xsn_optics
from phasebeam.plans.knife_edge import knife_edge_calibration


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
    command += ["--data-dir", str(remote_data), "--publish-period-s", "0.5"]
    remote = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert remote.stdout is not None
        ready = json.loads(remote.stdout.readline())
        assert "knife_edge_optics" in ready["analyses"] and "xsn_tomography" in ready["analyses"]
        time.sleep(1.0)  # a 0MQ subscriber misses what is published before it has connected
        local_store = CalibrationStore(tmp_path / "local-calibrations")
        local = LiveCallback(
            KnifeEdgeXsnOptics(SIMULATED_CAMERA_PIXEL_M),
            "camera",
            tmp_path / "local",
            on_final=[store_xsn_optics(local_store)],
        )
        tokens = [RE.subscribe(Publisher(f"127.0.0.1:{in_port}")), RE.subscribe(local)]
        cutoff = beamline.cutoff_filter
        try:
            (uid,) = RE(knife_edge_calibration([beamline.camera], cutoff, -60.0, 60.0, 5.0, exposure_s=0.05))
        finally:
            for token in tokens:
                RE.unsubscribe(token)
            RE(bps.mv(cutoff.actuator.inserted, False))
        local.wait(timeout=60)
        assert local.errors == []
        here, here_attrs = _final_result(local.published[uid]["h5"])
        there, there_attrs = _final_result(remote_data / "live" / uid / "knife_edge_optics.h5")
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
