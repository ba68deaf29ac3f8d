"""Start and stop the simulated Tango beamline in a subprocess (no Tango database)."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time


def simulated_eiger_mask(energy_ev: float = 8000.0):
    """The simulated far-field detector's unmeasured pixels in membrane (XEDM) frames."""
    from phasebeam.simulators.world import World
    from phasebeam.simulators.xedm import membrane_detector_mask

    world = World()
    config = world.detectors["eiger"]
    return membrane_detector_mask(world.membrane, config.shape, config.pixel_m, config.distance_m, energy_ev)


class SimulatedBeamlineError(RuntimeError):
    """The simulated beamline did not start."""


class SimulatedBeamline(contextlib.AbstractContextManager):
    """The pytango servers of :mod:`phasebeam.simulators.tango_servers` in a child process.

    ``addresses`` maps each Tango device name to its address once started.
    """

    def __init__(self, seed: int = 0, start_timeout_s: float = 60.0) -> None:
        self.seed = seed
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[str] | None = None
        self.addresses: dict[str, str] = {}

    def start(self) -> dict[str, str]:
        # -P: never let a ./phasebeam folder in the working directory shadow the installed package.
        command = [sys.executable, "-P", "-m", "phasebeam.simulators.tango_servers", "--seed", str(self.seed)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + self.start_timeout_s
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                if not selector.select(timeout=remaining):
                    break
                line = self.process.stdout.readline()
                if not line:
                    raise SimulatedBeamlineError(
                        f"simulated beamline exited with code {self.process.wait()} before it was ready"
                    )
                if line.startswith("{"):
                    # The Tango servers' own "Ready to accept request" can land on the same line.
                    self.addresses, _ = json.JSONDecoder().raw_decode(line)
                    return self.addresses
            raise SimulatedBeamlineError(f"simulated beamline not ready within {self.start_timeout_s} s")
        except BaseException:
            self.stop()
            raise
        finally:
            selector.close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> SimulatedBeamline:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
