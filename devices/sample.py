"""What the plans move on the sample side, and the storage ring's state.

Tango interfaces: ``Diffractometer.eta`` (deg, the rocking angle), ``SampleStage`` motors
``theta`` (deg, the tomography rotation; its ``velocity`` in deg/s sets fly-scan speed) and
``x``, ``y``, ``z`` piezos (um); ``MachineStatus`` with ``ring_current`` (r, mA) and
``injection`` (r, bool: a top-up injection is in progress) and ``time_to_injection`` (r, s: the
top-up countdown that top-up facilities publish; infinity when none is announced).
"""

from __future__ import annotations

import math
from typing import Annotated as A

from ophyd_async.core import DeviceMock, SignalR, StandardReadable, default_mock_class, set_mock_value
from ophyd_async.core import StandardReadableFormat as Format
from ophyd_async.tango.core import TangoDevice, TangoPolling

from .motor import POLL_S, TangoMotor


class Diffractometer(StandardReadable):
    """The diffractometer circle that rocks the crystal through its Bragg condition."""

    def __init__(self, eta_trl: str, name: str = "") -> None:
        with self.add_children_as_readables():
            self.eta = TangoMotor(eta_trl)
        super().__init__(name=name)


class SampleStage(StandardReadable):
    """Tomography rotation and x/y/z piezo stage of the sample."""

    def __init__(self, theta_trl: str, x_trl: str, y_trl: str, z_trl: str, name: str = "") -> None:
        with self.add_children_as_readables():
            self.theta = TangoMotor(theta_trl)
            self.x = TangoMotor(x_trl)
            self.y = TangoMotor(y_trl)
            self.z = TangoMotor(z_trl)
        super().__init__(name=name)


class MachineStatusMock(DeviceMock["MachineStatus"]):
    """Mock mode: a full ring (200 mA), no injection in progress or announced."""

    async def connect(self, device: MachineStatus) -> None:
        set_mock_value(device.ring_current, 200.0)
        set_mock_value(device.injection, False)
        set_mock_value(device.time_to_injection, math.inf)


@default_mock_class(MachineStatusMock)
class MachineStatus(TangoDevice, StandardReadable):
    """Storage-ring current and top-up injection flag, for suspenders."""

    ring_current: A[SignalR[float], TangoPolling(POLL_S), Format.HINTED_SIGNAL]
    injection: A[SignalR[bool], TangoPolling(POLL_S), Format.HINTED_SIGNAL]
    time_to_injection: A[SignalR[float], TangoPolling(POLL_S)]  # not read: infinity is not JSON

    def __init__(self, trl: str = "", name: str = "") -> None:
        super().__init__(trl, name=name, auto_fill_signals=False)
