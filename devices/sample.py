"""What the plans move on the sample side, and the storage ring's state.

Tango interfaces: ``Diffractometer.eta`` (deg, the rocking angle), ``SampleStage`` motors
``theta`` (deg, the tomography rotation; its ``velocity`` in deg/s sets fly-scan speed) and
``x``, ``y``, ``z`` piezos (um); ``MachineStatus`` with ``ring_current`` (r, mA) and
``injection`` (r, bool: a top-up injection is in progress).
"""

from __future__ import annotations

from typing import Annotated as A

from ophyd_async.core import SignalR, StandardReadable
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


class MachineStatus(TangoDevice, StandardReadable):
    """Storage-ring current and top-up injection flag, for suspenders."""

    ring_current: A[SignalR[float], TangoPolling(POLL_S), Format.HINTED_SIGNAL]
    injection: A[SignalR[bool], TangoPolling(POLL_S), Format.HINTED_SIGNAL]

    def __init__(self, trl: str = "", name: str = "") -> None:
        super().__init__(trl, name=name, auto_fill_signals=False)
