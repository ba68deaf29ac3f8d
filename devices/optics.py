"""Optics of the transmission X-ray microscope (seed 004): cutoff filter, diffuser, zone plate.

Tango interfaces:

* ``CutoffFilter``: motors ``edge`` (knife-edge position across the pupil, um; the filter passes
  pupil coordinates >= edge) and ``axial`` (position along the beam, mm), and an in/out actuator
  with ``inserted`` (rw, bool).
* ``Diffuser``: one device with ``inserted`` (rw, bool), ``spinning`` (rw, bool), ``speed``
  (rw, Hz).
* ``ZonePlate``: motors ``x``, ``y`` (um) and ``z`` (mm, the focus stage: sample-to-zone-plate
  distance); diameter (m) and outermost zone width (m) are configuration given to the constructor.
"""

from __future__ import annotations

from typing import Annotated as A

from ophyd_async.core import SignalR, SignalRW, StandardReadable, derived_signal_r, soft_signal_r_and_setter
from ophyd_async.core import StandardReadableFormat as Format
from ophyd_async.tango.core import TangoDevice, TangoPolling

from phasebeam.analysis.optics import zone_plate_focal_length_m

from .motor import POLL_S, TangoMotor


class InOutActuator(TangoDevice, StandardReadable):
    """Puts an optic into the beam (``inserted`` True) or out of it."""

    inserted: A[SignalRW[bool], TangoPolling(POLL_S), Format.CONFIG_SIGNAL]

    def __init__(self, trl: str = "", name: str = "") -> None:
        super().__init__(trl, name=name, auto_fill_signals=False)


class CutoffFilter(StandardReadable):
    """Pupil-plane knife edge: edge position across the pupil, axial position, in/out."""

    def __init__(self, edge_trl: str, axial_trl: str, actuator_trl: str, name: str = "") -> None:
        with self.add_children_as_readables():
            self.edge = TangoMotor(edge_trl)
            self.axial = TangoMotor(axial_trl)
            self.actuator = InOutActuator(actuator_trl)
        super().__init__(name=name)


class Diffuser(TangoDevice, StandardReadable):
    """Rotating diffuser that makes the illumination partially coherent."""

    inserted: A[SignalRW[bool], TangoPolling(POLL_S), Format.CONFIG_SIGNAL]
    spinning: A[SignalRW[bool], TangoPolling(POLL_S), Format.CONFIG_SIGNAL]
    speed: A[SignalRW[float], TangoPolling(POLL_S), Format.CONFIG_SIGNAL]

    def __init__(self, trl: str = "", name: str = "") -> None:
        super().__init__(trl, name=name, auto_fill_signals=False)


class ZonePlate(StandardReadable):
    """Fresnel zone plate on an x/y/z stage; focal length f = D * dr / lambda.

    Args:
        x_trl, y_trl, z_trl: Tango devices of the stage axes.
        diameter_m: zone-plate diameter D (m); seed 004: 300e-6.
        outer_zone_width_m: outermost zone width dr (m); seed 004: 30e-9.
        energy_ev: a signal with the photon energy (eV); when given, ``focal_length`` (m) is a
            readable derived from it.
    """

    def __init__(
        self,
        x_trl: str,
        y_trl: str,
        z_trl: str,
        diameter_m: float,
        outer_zone_width_m: float,
        energy_ev: SignalR[float] | None = None,
        name: str = "",
    ) -> None:
        if not diameter_m > 0 or not outer_zone_width_m > 0:
            raise ValueError(
                f"diameter_m={diameter_m} and outer_zone_width_m={outer_zone_width_m} must be > 0 m"
            )
        with self.add_children_as_readables():
            self.x = TangoMotor(x_trl)
            self.y = TangoMotor(y_trl)
            self.z = TangoMotor(z_trl)
        with self.add_children_as_readables(Format.CONFIG_SIGNAL):
            self.diameter, _ = soft_signal_r_and_setter(float, diameter_m, units="m")
            self.outer_zone_width, _ = soft_signal_r_and_setter(float, outer_zone_width_m, units="m")
            if energy_ev is not None:
                self.focal_length = derived_signal_r(
                    self._focal_length,
                    derived_units="m",
                    energy_ev=energy_ev,
                    diameter=diameter_m,
                    zone=outer_zone_width_m,
                )
        self.diameter_m = diameter_m
        self.outer_zone_width_m = outer_zone_width_m
        super().__init__(name=name)

    @staticmethod
    def _focal_length(energy_ev: float, diameter: float, zone: float) -> float:
        return zone_plate_focal_length_m(diameter, zone, energy_ev)

    def focal_length_m(self, energy_ev: float) -> float:
        """f = D * dr / lambda at ``energy_ev`` (m)."""
        return zone_plate_focal_length_m(self.diameter_m, self.outer_zone_width_m, energy_ev)
