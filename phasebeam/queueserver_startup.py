"""Startup module for bluesky-queueserver's RE Manager: the simulated beamline and phasebeam's plans.

    start-re-manager --startup-module phasebeam.queueserver_startup ...

The RE Manager's worker imports this module and offers the devices and plans it defines. It reads:

* ``PHASEBEAM_SIM_ADDRESSES``: the JSON line ``phasebeam sim start`` prints (device name ->
  Tango address);
* ``PHASEBEAM_DATA_DIR``, ``PHASEBEAM_TILED_URI``, ``PHASEBEAM_TILED_API_KEY``: where frames go
  and the Tiled server the runs are written to (see :mod:`phasebeam.settings`);
* ``PHASEBEAM_ZMQ_PUBLISH`` (optional): HOST:PORT of a ``bluesky-0MQ-proxy``'s input, to which
  every document is published for ``phasebeam live`` (the live reconstructions run there).

Every start document gets the energy (``energy_ev``) as it opens, which the live reconstructions
check their calibrations against.

Devices are offered by their role names (``eiger``, ``camera``, ...) and, for the plans' motor
arguments, by short names (``eta``, ``theta``, ``edge``).
"""

from __future__ import annotations

import json
import os

from bluesky import RunEngine
from bluesky.run_engine import call_in_bluesky_event_loop

from phasebeam.beamline import build_beamline, connect_beamline, simulated_addresses
from phasebeam.live_analyses import energy_in_start_document
from phasebeam.plans.energy_sweep import energy_sweep
from phasebeam.plans.knife_edge import foucault_test, knife_edge_calibration
from phasebeam.plans.ptychography import modulator_ptycho_calibration
from phasebeam.plans.rocking import rocking_scan
from phasebeam.plans.snake import snake_scan
from phasebeam.plans.tomography import tomography_0_180
from phasebeam.settings import Settings
from phasebeam.storage import Storage

__all__ = [
    "RE",
    "camera",
    "cutoff_filter",
    "diffractometer",
    "edge",
    "eiger",
    "energy",
    "energy_sweep",
    "eta",
    "foucault_test",
    "knife_edge_calibration",
    "machine",
    "modulator_ptycho_calibration",
    "nanogoniometer",
    "rocking_scan",
    "sample",
    "snake_scan",
    "theta",
    "tomography_0_180",
]

if "PHASEBEAM_SIM_ADDRESSES" not in os.environ:
    raise RuntimeError(
        "PHASEBEAM_SIM_ADDRESSES is not set: start the simulated beamline and pass its JSON line"
    )
if "PHASEBEAM_TILED_URI" not in os.environ:
    raise RuntimeError(
        "PHASEBEAM_TILED_URI is not set: the RE Manager writes runs to an existing Tiled server"
    )

_settings = Settings.from_environment()
_storage = Storage(_settings)
RE = RunEngine(call_returns_result=False)
RE.subscribe(_storage.writer)

_beamline = build_beamline(
    simulated_addresses(json.loads(os.environ["PHASEBEAM_SIM_ADDRESSES"])), _settings.frames_dir
)
call_in_bluesky_event_loop(connect_beamline(_beamline))
RE.preprocessors.append(energy_in_start_document(_beamline.energy))
if os.environ.get("PHASEBEAM_ZMQ_PUBLISH"):
    from bluesky.callbacks.zmq import Publisher

    RE.subscribe(Publisher(os.environ["PHASEBEAM_ZMQ_PUBLISH"]))

camera = _beamline.camera
eiger = _beamline.eiger
diffractometer = _beamline.diffractometer
eta = _beamline.diffractometer.eta
sample = _beamline.sample
theta = _beamline.sample.theta
cutoff_filter = _beamline.cutoff_filter
edge = _beamline.cutoff_filter.edge
nanogoniometer = _beamline.nanogoniometer
energy = _beamline.energy
machine = _beamline.machine
