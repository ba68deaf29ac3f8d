"""The command line, as a user runs it."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import tango


def _phasebeam(*args: str) -> list[str]:
    return [sys.executable, "-P", "-m", "phasebeam", *args]


def test_help_lists_the_commands():
    out = subprocess.run(_phasebeam("--help"), capture_output=True, text=True, check=True).stdout
    assert "sim" in out and "demo" in out


@pytest.mark.system
def test_sim_start_prints_one_json_line_and_stops_on_sigterm():
    process = subprocess.Popen(_phasebeam("sim", "start"), stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        addresses = json.loads(line)
        assert "sim/nanogonio/x" in addresses and "sim/detector/eiger" in addresses
        proxy = tango.DeviceProxy(addresses["sim/nanogonio/x"])
        assert proxy.state() == tango.DevState.ON
        t0 = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - t0 < 15
        assert process.stdout.read() == ""  # nothing but the JSON line on stdout
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
