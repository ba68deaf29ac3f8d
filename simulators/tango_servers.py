"""pytango device servers hosting one :class:`World`, and a runner with no Tango database.

Run ``python -P -m phasebeam.simulators.tango_servers [--seed N]``: it starts every device of the
simulated beamline in this process (``MultiDeviceTestContext``), prints one JSON line mapping
device names to Tango addresses on stdout, and serves until SIGINT or SIGTERM.

Device classes and their attributes (units in the Tango attribute configuration):

* ``SimMotor`` (property ``axis``): ``position`` (rw, axis unit, Tango limits = axis limits),
  ``velocity`` (rw, unit/s), command ``Stop``; State MOVING while moving, else ON.
* ``SimNanogoniometerController``: ``d1`` (r, mm), ``d1_min`` (rw, mm).
* ``SimInOut`` (property ``part``: ``cutoff`` or ``diffuser``): ``inserted`` (rw, bool).
* ``SimDiffuser``: ``inserted`` (rw, bool), ``spinning`` (rw, bool), ``speed`` (rw, Hz).
* ``SimMachine``: ``ring_current`` (r, mA), ``injection`` (r, bool), ``time_to_injection`` (r, s:
  the top-up countdown; infinity when none is announced).
* ``SimLimaDetector`` (property ``detector``): Lima-like, see ``phasebeam.devices.area_detector``.
* ``SimControl``: simulator knobs that a real beamline has no equivalent of: ``ring_current``
  (rw, mA), ``injection`` (rw), ``photon_flux`` (rw, photons/s), ``frame_models`` (r, JSON),
  ``ScheduleInjection([delay_s, duration_s])`` (announces a top-up injection).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

import numpy as np
from tango import AttrWriteType, DevFailed, DevState, Except
from tango.server import Device, attribute, command, device_property
from tango.test_context import MultiDeviceTestContext

from .acquisition import AcquisitionError, SimulatedAcquisition
from .frame_models import FRAME_MODELS
from .motion import LimitError
from .world import World

#: The world every device of this process serves. Set by :func:`serve` before the devices start.
WORLD: World | None = None


def _world() -> World:
    if WORLD is None:
        raise RuntimeError("simulated world not set: start the servers with serve()")
    return WORLD


def _refuse(reason: str, message: str, origin: str) -> None:
    Except.throw_exception(reason, message, origin)


def _set_attribute_config(
    device: Device, name: str, unit: str = "", low: float | None = None, high: float | None = None
) -> None:
    attr = device.get_device_attr().get_attr_by_name(name)
    prop = attr.get_properties()
    if unit:
        prop.unit = unit
    if low is not None:
        prop.min_value = repr(float(low))
    if high is not None:
        prop.max_value = repr(float(high))
    attr.set_properties(prop)


class SimMotor(Device):
    """One axis of the simulated world."""

    axis = device_property(dtype=str, mandatory=True)

    def init_device(self) -> None:
        super().init_device()
        self._axis = str(self.axis)
        spec = _world().axes[self._axis]
        _set_attribute_config(self, "position", spec.unit, spec.low, spec.high)
        _set_attribute_config(self, "velocity", f"{spec.unit}/s", 0.0)

    def dev_state(self) -> DevState:
        return DevState.MOVING if _world().is_moving(self._axis) else DevState.ON

    def dev_status(self) -> str:
        world = _world()
        here = world.position(self._axis)
        unit = world.axes[self._axis].unit
        return f"{self._axis} at {here:.6g} {unit}" + (" (moving)" if world.is_moving(self._axis) else "")

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, format="%10.6f")
    def position(self) -> float:
        return _world().position(self._axis)

    def write_position(self, value: float) -> None:
        try:
            _world().move(self._axis, value)
        except LimitError as exc:
            _refuse("PHASEBEAM_LIMIT", str(exc), "SimMotor.write_position")

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE)
    def velocity(self) -> float:
        return _world().axes[self._axis].velocity

    def write_velocity(self, value: float) -> None:
        world = _world()
        try:
            with world.lock:
                world.axes[self._axis].set_velocity(value, world.now())
        except ValueError as exc:
            _refuse("PHASEBEAM_VALUE", str(exc), "SimMotor.write_velocity")

    @command
    def Stop(self) -> None:  # noqa: N802 - Tango's capitalised style, like State and Init
        _world().stop(self._axis)


class SimNanogoniometerController(Device):
    """The modulator's distance to the sample and its collision limit."""

    @attribute(dtype=float, unit="mm", format="%8.4f")
    def d1(self) -> float:
        return _world().d1_mm()

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="mm", min_value=0.0)
    def d1_min(self) -> float:
        return _world().d1_min_mm

    def write_d1_min(self, value: float) -> None:
        _world().d1_min_mm = value


class SimInOut(Device):
    """An actuator that puts an optic into the beam or takes it out."""

    part = device_property(dtype=str, mandatory=True)

    def init_device(self) -> None:
        super().init_device()
        self._flag = f"{self.part}_inserted"
        if not hasattr(_world(), self._flag):
            raise ValueError(f"the world has no in/out part {self.part!r}")

    @attribute(dtype=bool, access=AttrWriteType.READ_WRITE)
    def inserted(self) -> bool:
        return bool(getattr(_world(), self._flag))

    def write_inserted(self, value: bool) -> None:
        setattr(_world(), self._flag, bool(value))


class SimDiffuser(SimInOut):
    """Rotating diffuser: in/out, spinning on/off, rotation speed."""

    @attribute(dtype=bool, access=AttrWriteType.READ_WRITE)
    def spinning(self) -> bool:
        return _world().diffuser_spinning

    def write_spinning(self, value: bool) -> None:
        _world().diffuser_spinning = bool(value)

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="Hz", min_value=0.0, max_value=200.0)
    def speed(self) -> float:
        return _world().diffuser_speed_hz

    def write_speed(self, value: float) -> None:
        _world().diffuser_speed_hz = value


class SimMachine(Device):
    """Storage-ring status as the beamline sees it."""

    @attribute(dtype=float, unit="mA", format="%7.3f")
    def ring_current(self) -> float:
        return _world().ring_current_ma

    @attribute(dtype=bool)
    def injection(self) -> bool:
        return _world().injection

    @attribute(dtype=float, unit="s", format="%9.3f")
    def time_to_injection(self) -> float:
        # Tango doubles carry infinity: no injection announced.
        return _world().seconds_to_injection()


class SimControl(Device):
    """Knobs of the simulation itself (no real-beamline equivalent)."""

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="mA", min_value=0.0)
    def ring_current(self) -> float:
        return _world().ring_current_ma

    def write_ring_current(self, value: float) -> None:
        _world().ring_current_ma = value

    @attribute(dtype=bool, access=AttrWriteType.READ_WRITE)
    def injection(self) -> bool:
        return _world().injection

    def write_injection(self, value: bool) -> None:
        _world().injection = bool(value)

    @command(dtype_in=(float,), doc_in="[delay_s, duration_s]: announce a top-up injection")
    def ScheduleInjection(self, delay_and_duration: list[float]) -> None:  # noqa: N802 - Tango style
        delay_s, duration_s = delay_and_duration
        _world().schedule_injection(delay_s, duration_s)

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="photons/s", min_value=0.0)
    def photon_flux(self) -> float:
        return _world().settings.photon_flux

    def write_photon_flux(self, value: float) -> None:
        _world().settings.photon_flux = value

    @attribute(dtype=str)
    def frame_models(self) -> str:
        world = _world()
        return json.dumps(
            {
                "registered": sorted(FRAME_MODELS),
                "detectors": {name: cfg.frame_model for name, cfg in world.detectors.items()},
            }
        )


class SimLimaDetector(Device):
    """A Lima-like 2-D detector whose frames the world computes, saved as HDF5 by the server."""

    detector = device_property(dtype=str, mandatory=True)

    def init_device(self) -> None:
        super().init_device()
        self._detector = str(self.detector)
        self._acq = SimulatedAcquisition(_world(), self._detector)

    def _guard(self, origin: str, action) -> Any:
        try:
            return action()
        except (AcquisitionError, ValueError, FileExistsError, OSError) as exc:
            _refuse("PHASEBEAM_ACQUISITION", str(exc), origin)

    def dev_state(self) -> DevState:
        self._acq.catch_up()
        return {"Ready": DevState.ON, "Running": DevState.RUNNING}.get(self._acq.status, DevState.FAULT)

    def dev_status(self) -> str:
        return self._acq.fault_message or f"acquisition {self._acq.status}"

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="s")
    def acq_expo_time(self) -> float:
        return self._acq.exposure_s

    def write_acq_expo_time(self, value: float) -> None:
        self._guard("write_acq_expo_time", lambda: self._acq.set_exposure(value))

    @attribute(dtype=float, access=AttrWriteType.READ_WRITE, unit="s", min_value=0.0)
    def latency_time(self) -> float:
        return self._acq.latency_s

    def write_latency_time(self, value: float) -> None:
        self._acq.latency_s = value

    @attribute(dtype=int, access=AttrWriteType.READ_WRITE)
    def acq_nb_frames(self) -> int:
        return self._acq.nb_frames

    def write_acq_nb_frames(self, value: int) -> None:
        self._guard("write_acq_nb_frames", lambda: self._acq.set_nb_frames(value))

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE)
    def acq_trigger_mode(self) -> str:
        return self._acq.trigger_mode

    def write_acq_trigger_mode(self, value: str) -> None:
        if value != "INTERNAL_TRIGGER":
            _refuse(
                "PHASEBEAM_VALUE",
                f"acq_trigger_mode {value!r} not supported; use INTERNAL_TRIGGER",
                "write_acq_trigger_mode",
            )
        self._acq.trigger_mode = value

    @attribute(dtype=str)
    def acq_status(self) -> str:
        self._acq.catch_up()
        return str(self._acq.status)

    @attribute(dtype=int)
    def last_image_acquired(self) -> int:
        self._acq.catch_up()
        return self._acq.last_image_acquired

    @attribute(dtype=int)
    def last_image_saved(self) -> int:
        self._acq.catch_up()
        return self._acq.last_image_saved

    @attribute(dtype=int, unit="px")
    def image_width(self) -> int:
        return self._acq.shape[1]

    @attribute(dtype=int, unit="px")
    def image_height(self) -> int:
        return self._acq.shape[0]

    @attribute(dtype=((np.uint32,),), max_dim_x=4096, max_dim_y=4096)
    def last_image(self):
        self._acq.catch_up()
        return self._acq.last_image

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE)
    def saving_directory(self) -> str:
        return self._acq.saving_directory

    def write_saving_directory(self, value: str) -> None:
        self._acq.saving_directory = value

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE)
    def saving_prefix(self) -> str:
        return self._acq.saving_prefix

    def write_saving_prefix(self, value: str) -> None:
        self._acq.saving_prefix = value

    @attribute(dtype=str)
    def saving_suffix(self) -> str:
        return self._acq.saving_suffix

    @attribute(dtype=str)
    def saving_format(self) -> str:
        return "HDF5"

    @attribute(dtype=str)
    def last_file(self) -> str:
        return str(self._acq.file_path or "")

    @attribute(dtype=str, access=AttrWriteType.READ_WRITE)
    def sim_frame_model(self) -> str:
        return _world().detectors[self._detector].frame_model

    def write_sim_frame_model(self, value: str) -> None:
        self._guard("write_sim_frame_model", lambda: _world().set_frame_model(self._detector, value))

    @command
    def prepareAcq(self) -> None:  # noqa: N802 - Lima's command name
        self._guard("prepareAcq", self._acq.prepare)

    @command
    def startAcq(self) -> None:  # noqa: N802 - Lima's command name
        self._guard("startAcq", self._acq.start)

    @command
    def stopAcq(self) -> None:  # noqa: N802 - Lima's command name
        self._acq.stop()


def _motor(name: str, axis: str) -> dict[str, Any]:
    return {"name": name, "properties": {"axis": axis}}


#: Tango device name -> role, for the simulated beamline. The wiring in ``phasebeam.beamline``
#: uses these names; a real beamline maps its own.
DEVICES_INFO: list[dict[str, Any]] = [
    {
        "class": SimMotor,
        "devices": [
            _motor("sim/nanogonio/x", "nanogonio_x"),
            _motor("sim/nanogonio/y", "nanogonio_y"),
            _motor("sim/nanogonio/z", "nanogonio_z"),
            _motor("sim/nanogonio/mchi", "nanogonio_mchi"),
            _motor("sim/nanogonio/mphi", "nanogonio_mphi"),
            _motor("sim/cutoff/edge", "cutoff_edge"),
            _motor("sim/cutoff/axial", "cutoff_axial"),
            _motor("sim/zoneplate/x", "zoneplate_x"),
            _motor("sim/zoneplate/y", "zoneplate_y"),
            _motor("sim/zoneplate/z", "zoneplate_z"),
            _motor("sim/energy/gap", "undulator_gap"),
            _motor("sim/energy/bragg", "dcm_bragg"),
            _motor("sim/diffractometer/eta", "eta"),
            _motor("sim/sample/theta", "theta"),
            _motor("sim/sample/x", "sample_x"),
            _motor("sim/sample/y", "sample_y"),
            _motor("sim/sample/z", "sample_z"),
        ],
    },
    {"class": SimNanogoniometerController, "devices": [{"name": "sim/nanogonio/ctrl"}]},
    {"class": SimInOut, "devices": [{"name": "sim/cutoff/ctrl", "properties": {"part": "cutoff"}}]},
    {"class": SimDiffuser, "devices": [{"name": "sim/diffuser/ctrl", "properties": {"part": "diffuser"}}]},
    {"class": SimMachine, "devices": [{"name": "sim/machine/status"}]},
    {"class": SimControl, "devices": [{"name": "sim/world/control"}]},
    {
        "class": SimLimaDetector,
        "devices": [
            {"name": "sim/detector/eiger", "properties": {"detector": "eiger"}},
            {"name": "sim/detector/camera", "properties": {"detector": "camera"}},
        ],
    },
]


def device_names() -> list[str]:
    return [dev["name"] for cls in DEVICES_INFO for dev in cls["devices"]]


def serve(seed: int = 0) -> None:
    """Serve the simulated beamline until SIGINT or SIGTERM (prints the address map first)."""
    global WORLD
    WORLD = World(seed=seed)
    # Block the signals before the server threads start so that only sigwait sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        with MultiDeviceTestContext(DEVICES_INFO, host="127.0.0.1", process=False) as ctx:
            addresses = {name: ctx.get_device_access(name) for name in device_names()}
            print(json.dumps(addresses), flush=True)
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except DevFailed as exc:
        print(f"simulated beamline failed to start: {exc.args[0].desc}", file=sys.stderr)
        raise SystemExit(1) from exc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the simulated phasebeam Tango beamline.")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the simulated world")
    args = parser.parse_args(argv)
    serve(seed=args.seed)


if __name__ == "__main__":
    main()
