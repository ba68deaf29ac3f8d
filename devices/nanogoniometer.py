"""The modulator's 5-axis nanogoniometer on the diffractometer's eta circle (seed 001).

Tango devices: five :class:`~phasebeam.devices.motor.TangoMotor` axes, translations ``x``, ``y``
(perpendicular to the diffracted beam, um) and ``z`` (along it, um; increasing z moves the
modulator away from the sample), rotations ``mchi`` and ``mphi`` (deg); and a controller with
``d1`` (r, mm: sample-to-modulator distance) and ``d1_min`` (rw, mm: the collision limit).
"""

from __future__ import annotations

from typing import Annotated as A

from ophyd_async.core import SignalR, SignalRW, StandardReadable
from ophyd_async.core import StandardReadableFormat as Format
from ophyd_async.tango.core import TangoDevice, TangoPolling

from .motor import POLL_S, MoveRefusedError, TangoMotor


class NanogoniometerController(TangoDevice, StandardReadable):
    """Sample-to-modulator distance and its collision limit."""

    d1: A[SignalR[float], TangoPolling(POLL_S), Format.HINTED_SIGNAL]
    d1_min: A[SignalRW[float], TangoPolling(POLL_S), Format.CONFIG_SIGNAL]

    def __init__(self, trl: str = "", name: str = "") -> None:
        super().__init__(trl, name=name, auto_fill_signals=False)


class ModulatorNanogoniometer(StandardReadable):
    """Wavefront-modulator positioner with a collision guard on the sample distance d1.

    A move of ``z`` that would bring d1 below ``d1_min`` is refused before anything moves, with an
    error naming the limit. The server enforces the same limit for clients that bypass this class.
    """

    def __init__(
        self,
        x_trl: str,
        y_trl: str,
        z_trl: str,
        mchi_trl: str,
        mphi_trl: str,
        controller_trl: str,
        name: str = "",
    ) -> None:
        with self.add_children_as_readables():
            self.x = TangoMotor(x_trl)
            self.y = TangoMotor(y_trl)
            self.z = TangoMotor(z_trl)
            self.mchi = TangoMotor(mchi_trl)
            self.mphi = TangoMotor(mphi_trl)
            self.controller = NanogoniometerController(controller_trl)
        self.z.add_guard(self._check_d1)
        super().__init__(name=name)

    async def _check_d1(self, z_target_um: float) -> None:
        z_now = await self.z.position.get_value(cached=False)
        d1_now = await self.controller.d1.get_value(cached=False)
        d1_min = await self.controller.d1_min.get_value(cached=False)
        d1_target = d1_now + (z_target_um - z_now) * 1e-3
        if d1_target < d1_min:
            raise MoveRefusedError(
                f"{self.name}: moving z to {z_target_um} um would put the modulator at "
                f"d1 = {d1_target:.4f} mm, below the collision limit d1_min = {d1_min} mm"
            )
