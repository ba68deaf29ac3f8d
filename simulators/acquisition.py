"""A Lima-like acquisition state machine for a simulated detector, without Tango.

Contract (the same as the Tango server exposes; see ``devices/area_detector.py``):

* ``prepare()`` opens a new HDF5 file ``<saving_directory>/<saving_prefix><saving_suffix>`` and
  resets the counters; it refuses to overwrite a file.
* ``start()`` acquires ``nb_frames`` frames of ``exposure_s`` each, ``latency_s`` apart, and
  appends them to the open file; it may be called again to append more (step scans).
* Frames are computed when they are due: at each read of the state the acquisition catches up
  with the clock, computing every frame whose exposure has ended, at the positions of the
  instruments at the middle of its exposure. No threads are needed and fly scans see the motors
  where they were.
* ``last_image_saved`` is the index of the last frame in the file (-1 when none).
"""

from __future__ import annotations

import enum
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .frame_file import FrameFile
from .world import World


class AcquisitionStatus(enum.StrEnum):
    READY = "Ready"
    RUNNING = "Running"
    FAULT = "Fault"


class AcquisitionError(RuntimeError):
    """An acquisition command refused in the current state."""


class SimulatedAcquisition:
    def __init__(self, world: World, detector: str) -> None:
        if detector not in world.detectors:
            raise ValueError(f"unknown detector {detector!r}; the world has {sorted(world.detectors)}")
        self.world = world
        self.detector = detector
        self.exposure_s = 0.1
        self.latency_s = 0.0
        self.nb_frames = 1
        self.trigger_mode = "INTERNAL_TRIGGER"
        self.saving_directory = ""
        self.saving_prefix = ""
        self.saving_suffix = ".h5"
        self.status = AcquisitionStatus.READY
        self.fault_message = ""
        self._file: FrameFile | None = None
        self._t_start = 0.0
        self._due = 0  # frames asked for by the current start()
        self._done = 0  # frames of the current start() already computed
        self.frames_acquired = 0  # since prepare()
        self.last_image: npt.NDArray[np.uint32] = np.zeros(self.shape, dtype=np.uint32)

    @property
    def shape(self) -> tuple[int, int]:
        return self.world.detectors[self.detector].shape

    @property
    def file_path(self) -> Path | None:
        return self._file.path if self._file else None

    @property
    def last_image_acquired(self) -> int:
        return self.frames_acquired - 1

    @property
    def last_image_saved(self) -> int:
        return (self._file.frames_written if self._file else 0) - 1

    def set_exposure(self, seconds: float) -> None:
        if not (math.isfinite(seconds) and 1e-6 <= seconds <= 3600):
            raise ValueError(f"acq_expo_time must be in [1e-6, 3600] s, got {seconds}")
        self.exposure_s = seconds

    def set_nb_frames(self, n: int) -> None:
        if not 1 <= n <= 1_000_000:
            raise ValueError(f"acq_nb_frames must be in [1, 1000000], got {n}")
        self.nb_frames = n

    def prepare(self) -> None:
        if self.status == AcquisitionStatus.RUNNING:
            raise AcquisitionError("prepareAcq refused: an acquisition is running; call stopAcq first")
        if not self.saving_directory or not self.saving_prefix:
            raise AcquisitionError("prepareAcq refused: set saving_directory and saving_prefix first")
        directory = Path(self.saving_directory)
        if not directory.is_absolute():
            raise AcquisitionError(f"saving_directory must be an absolute path, got {directory}")
        self._file = FrameFile(directory / f"{self.saving_prefix}{self.saving_suffix}", self.shape)
        self.frames_acquired = 0
        self._due = self._done = 0
        self.status = AcquisitionStatus.READY
        self.fault_message = ""

    def start(self) -> None:
        self.catch_up()
        if self._file is None:
            raise AcquisitionError("startAcq refused: no file is open; call prepareAcq first")
        if self.status == AcquisitionStatus.RUNNING:
            raise AcquisitionError("startAcq refused: an acquisition is already running")
        self._t_start = self.world.now()
        self._due = self.nb_frames
        self._done = 0
        self.status = AcquisitionStatus.RUNNING

    def stop(self) -> None:
        self.catch_up()
        self._due = self._done
        if self.status == AcquisitionStatus.RUNNING:
            self.status = AcquisitionStatus.READY

    def catch_up(self) -> None:
        """Compute and save every frame whose exposure has ended by now."""
        if self.status != AcquisitionStatus.RUNNING or self._file is None:
            return
        period = self.exposure_s + self.latency_s
        elapsed = self.world.now() - self._t_start
        # Frame i ends at i * period + exposure after the start.
        ended = (
            0 if elapsed < self.exposure_s else min(self._due, int((elapsed - self.exposure_s) // period) + 1)
        )
        if ended > self._done:
            starts = [self._t_start + i * period for i in range(self._done, ended)]
            try:
                frames = np.stack([self.world.acquire(self.detector, t, self.exposure_s) for t in starts])
                self._file.append(frames)
            except Exception as exc:  # keep the frames already saved; report the fault
                self.status = AcquisitionStatus.FAULT
                self.fault_message = f"{type(exc).__name__}: {exc}"
                return
            self._done = ended
            self.frames_acquired += len(frames)
            self.last_image = frames[-1]
        if self._done >= self._due:
            self.status = AcquisitionStatus.READY
