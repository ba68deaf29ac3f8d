"""Start and stop the simulated Tango beamline in a subprocess (no Tango database)."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
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
        self.process: subprocess.Popen[bytes] | None = None
        self.addresses: dict[str, str] = {}
        self._drainer: threading.Thread | None = None

    def start(self) -> dict[str, str]:
        # -P: never let a ./phasebeam folder in the working directory shadow the installed package.
        command = [sys.executable, "-P", "-m", "phasebeam.simulators.tango_servers", "--seed", str(self.seed)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=None,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        stdout_fd = self.process.stdout.fileno()
        try:
            self.addresses = self._read_addresses(stdout_fd)
        except BaseException:
            self.stop()
            raise
        # The servers go on writing to the pipe (Tango's own messages); a full pipe would block them.
        self._drainer = threading.Thread(target=self._drain, args=(stdout_fd,), daemon=True)
        self._drainer.start()
        return self.addresses

    def _read_addresses(self, fd: int) -> dict[str, str]:
        # Raw reads, never a buffered readline: a readline that took in two lines at once (Tango's
        # "Ready to accept request" and the address map) leaves the second in its buffer, where
        # select() cannot see it, and the start waits out its timeout (seen on a loaded 2-core CI).
        selector = selectors.DefaultSelector()
        selector.register(fd, selectors.EVENT_READ)
        deadline = time.monotonic() + self.start_timeout_s
        pending = b""
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                if not selector.select(timeout=remaining):
                    break
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    assert self.process is not None
                    raise SimulatedBeamlineError(
                        f"simulated beamline exited with code {self.process.wait()} before it was ready"
                    )
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    # Tango's own messages can land on the same line, before or after the map.
                    start = line.find(b'{"')
                    if start >= 0:
                        addresses, _ = json.JSONDecoder().raw_decode(line[start:].decode())
                        return addresses
            raise SimulatedBeamlineError(f"simulated beamline not ready within {self.start_timeout_s} s")
        finally:
            selector.close()

    @staticmethod
    def _drain(fd: int) -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 1 << 16):
                pass

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
        if self._drainer is not None:
            self._drainer.join(timeout=5)  # EOF once the servers have exited
            self._drainer = None
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> SimulatedBeamline:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
