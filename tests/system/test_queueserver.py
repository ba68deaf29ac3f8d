"""A real client: bluesky-queueserver's RE Manager runs rocking_scan on the simulated beamline,
submitted through its API, and the run lands in Tiled. Redis is fakeredis's TCP server."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import fakeredis
import pytest
from bluesky.run_engine import call_in_bluesky_event_loop
from bluesky_queueserver_api import BPlan
from bluesky_queueserver_api.zmq import REManagerAPI

PERMISSIONS = Path(__file__).parent / "queueserver" / "user_group_permissions.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_re_manager_runs_rocking_scan_into_tiled(sim, settings, storage, beamline, tmp_path):
    redis_port = _free_port()
    redis = fakeredis.TcpFakeServer(("127.0.0.1", redis_port), server_type="redis")
    threading.Thread(target=redis.serve_forever, daemon=True).start()
    control, info = f"tcp://127.0.0.1:{_free_port()}", f"tcp://127.0.0.1:{_free_port()}"
    env = dict(
        os.environ,
        PHASEBEAM_SIM_ADDRESSES=json.dumps(sim.addresses),
        PHASEBEAM_TILED_URI=storage.uri,
        PHASEBEAM_DATA_DIR=str(settings.data_dir),
    )
    manager = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "start-re-manager"),
            "--startup-module=phasebeam.queueserver_startup",
            f"--redis-addr=127.0.0.1:{redis_port}",
            f"--zmq-control-addr={control}",
            f"--zmq-info-addr={info}",
            f"--existing-plans-devices={tmp_path / 'existing_plans_and_devices.yaml'}",
            "--update-existing-plans-devices=ENVIRONMENT_OPEN",
            f"--user-group-permissions={PERMISSIONS}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    api = REManagerAPI(zmq_control_addr=control, zmq_info_addr=info)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                api.status()
                break
            except Exception:
                if time.monotonic() > deadline or manager.poll() is not None:
                    raise
                time.sleep(0.5)
        api.environment_open()
        api.wait_for_idle(timeout=120)
        assert api.status()["worker_environment_exists"]
        assert "rocking_scan" in api.plans_allowed()["plans_allowed"]
        api.item_add(
            BPlan(
                "rocking_scan",
                ["eiger"],
                "eta",
                17.7,
                start_deg=-0.02,
                stop_deg=0.02,
                step_deg=0.01,
                exposure_s=0.1,
            )
        )
        api.queue_start()
        api.wait_for_idle(timeout=120)
        result = api.history_get()["items"][-1]["result"]
        assert result["exit_status"] == "completed", result.get("traceback")
        (uid,) = result["run_uids"]
        run = storage.runs[uid]
        assert run.metadata["start"]["plan_name"] == "rocking_scan"
        assert run.metadata["start"]["plan_args"]["eta"] == "diffractometer-eta"
        # The energy as the run opened, which the live reconstructions check calibrations against.
        energy = call_in_bluesky_event_loop(beamline.energy.readback.get_value())
        assert run.metadata["start"]["energy_ev"] == pytest.approx(energy)
        frames = run["primary"]["eiger"]
        assert frames.shape[0] == 5 and frames.shape[-2:] == (128, 128)
        api.environment_close()
        api.wait_for_idle(timeout=60)
    finally:
        api.close()
        manager.terminate()
        manager.wait(timeout=30)
        redis.shutdown()
