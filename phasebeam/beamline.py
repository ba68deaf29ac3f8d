"""The beamline's devices and their Tango addresses: the one place that knows both.

A beamline is described by a mapping from *roles* (``"nanogoniometer.x"``) to Tango resource
locators. :data:`SIMULATED_ROLES` maps each role to the simulated server's device name; a real
beamline passes its own role -> address mapping (for example from a JSON file).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import tango
from ophyd_async.core import Device, NotConnectedError, StaticPathProvider, UUIDFilenameProvider

from phasebeam.devices import (
    AreaDetector,
    CutoffFilter,
    Diffractometer,
    Diffuser,
    Energy,
    MachineStatus,
    ModulatorNanogoniometer,
    SampleStage,
    TangoMotor,
    ThinLens,
    ZonePlate,
)
from phasebeam.devices.energy import RefocusRule

#: role -> Tango device name of the simulated beamline (``phasebeam sim start`` serves these).
SIMULATED_ROLES: dict[str, str] = {
    "nanogoniometer.x": "sim/nanogonio/x",
    "nanogoniometer.y": "sim/nanogonio/y",
    "nanogoniometer.z": "sim/nanogonio/z",
    "nanogoniometer.mchi": "sim/nanogonio/mchi",
    "nanogoniometer.mphi": "sim/nanogonio/mphi",
    "nanogoniometer.controller": "sim/nanogonio/ctrl",
    "cutoff_filter.edge": "sim/cutoff/edge",
    "cutoff_filter.axial": "sim/cutoff/axial",
    "cutoff_filter.actuator": "sim/cutoff/ctrl",
    "diffuser": "sim/diffuser/ctrl",
    "zone_plate.x": "sim/zoneplate/x",
    "zone_plate.y": "sim/zoneplate/y",
    "zone_plate.z": "sim/zoneplate/z",
    "energy.gap": "sim/energy/gap",
    "energy.bragg": "sim/energy/bragg",
    "diffractometer.eta": "sim/diffractometer/eta",
    "sample.theta": "sim/sample/theta",
    "sample.x": "sim/sample/x",
    "sample.y": "sim/sample/y",
    "sample.z": "sim/sample/z",
    "machine": "sim/machine/status",
    "eiger": "sim/detector/eiger",
    "camera": "sim/detector/camera",
}

#: Zone plate of seed 004: 300 um diameter, 30 nm outermost zone.
ZONE_PLATE_DIAMETER_M = 300e-6
ZONE_PLATE_OUTER_ZONE_M = 30e-9
#: The simulated far-field detector (an Eiger at seed 001's distance): pixel (m), distance (m).
SIMULATED_EIGER_PIXEL_M = 75e-6
SIMULATED_EIGER_DISTANCE_M = 5.35
#: The simulated microscope camera's pixel at the sample plane (m).
SIMULATED_CAMERA_PIXEL_M = 100e-9
#: The simulated camera's scintillator PSF at the sample plane (FWHM, m): seed 004's 72 nm.
SIMULATED_SCINTILLATOR_PSF_FWHM_M = 72e-9
#: Sample-to-camera distance of the simulated microscope (m); the refocus rule uses it.
SIMULATED_SAMPLE_TO_CAMERA_M = 1.3


@dataclass
class Beamline:
    nanogoniometer: ModulatorNanogoniometer
    cutoff_filter: CutoffFilter
    diffuser: Diffuser
    zone_plate: ZonePlate
    energy: Energy
    diffractometer: Diffractometer
    sample: SampleStage
    machine: MachineStatus
    eiger: AreaDetector
    camera: AreaDetector

    def devices(self) -> dict[str, Device]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def simulated_addresses(server_addresses: Mapping[str, str]) -> dict[str, str]:
    """role -> address, from the device name -> address map that ``phasebeam sim start`` prints."""
    missing = [name for name in SIMULATED_ROLES.values() if name not in server_addresses]
    if missing:
        raise KeyError(f"the simulated beamline does not serve {missing}")
    return {role: server_addresses[name] for role, name in SIMULATED_ROLES.items()}


def build_beamline(
    addresses: Mapping[str, str],
    frames_dir: Path,
    refocus: RefocusRule | None = None,
) -> Beamline:
    """Create (without connecting) every device from a role -> Tango address mapping."""
    missing = sorted(set(SIMULATED_ROLES) - set(addresses))
    if missing:
        raise KeyError(f"no Tango address for roles {missing}")
    a = addresses
    path_provider = StaticPathProvider(UUIDFilenameProvider(), frames_dir)
    bragg = TangoMotor(a["energy.bragg"])
    gap = TangoMotor(a["energy.gap"])
    zone_plate = ZonePlate(
        a["zone_plate.x"],
        a["zone_plate.y"],
        a["zone_plate.z"],
        diameter_m=ZONE_PLATE_DIAMETER_M,
        outer_zone_width_m=ZONE_PLATE_OUTER_ZONE_M,
    )
    energy = Energy(
        gap,
        bragg,
        zone_plate=zone_plate,
        refocus=refocus or ThinLens(SIMULATED_SAMPLE_TO_CAMERA_M),
    )
    return Beamline(
        nanogoniometer=ModulatorNanogoniometer(
            a["nanogoniometer.x"],
            a["nanogoniometer.y"],
            a["nanogoniometer.z"],
            a["nanogoniometer.mchi"],
            a["nanogoniometer.mphi"],
            a["nanogoniometer.controller"],
        ),
        cutoff_filter=CutoffFilter(
            a["cutoff_filter.edge"], a["cutoff_filter.axial"], a["cutoff_filter.actuator"]
        ),
        diffuser=Diffuser(a["diffuser"]),
        zone_plate=zone_plate,
        energy=energy,
        diffractometer=Diffractometer(a["diffractometer.eta"]),
        sample=SampleStage(a["sample.theta"], a["sample.x"], a["sample.y"], a["sample.z"]),
        machine=MachineStatus(a["machine"]),
        eiger=AreaDetector(a["eiger"], path_provider),
        camera=AreaDetector(a["camera"], path_provider),
    )


async def connect_beamline(beamline: Beamline, mock: bool = False, timeout: float = 10.0) -> None:
    """Name and connect every device; raise one error listing every device that failed."""
    devices = beamline.devices()
    for name, device in devices.items():
        device.set_name(name)
    results = await asyncio.gather(
        *(device.connect(mock=mock, timeout=timeout) for device in devices.values()),
        return_exceptions=True,
    )
    failures = {
        name: exc for name, exc in zip(devices, results, strict=True) if isinstance(exc, BaseException)
    }
    if failures:
        lines = "\n".join(f"  {name}: {_first_line(exc)}" for name, exc in failures.items())
        raise NotConnectedError(f"could not connect {len(failures)} device(s) within {timeout} s:\n{lines}")


def _first_line(exc: BaseException) -> str:
    """A short reason; Tango errors are reduced to their description and the device name."""
    if isinstance(exc, NotConnectedError) and isinstance(exc.sub_errors, dict) and exc.sub_errors:
        return "; ".join(f"{name}: {_first_line(sub)}" for name, sub in exc.sub_errors.items())
    if isinstance(exc, tango.DevFailed):
        return _tango_reason(exc)
    cause = exc.__cause__
    if isinstance(cause, tango.DevFailed):
        return f"{exc}: {_tango_reason(cause)}"
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:300]


def _tango_reason(exc: tango.DevFailed) -> str:
    lines = exc.args[0].desc.strip().splitlines()
    return lines[0].strip() if lines else exc.args[0].reason
