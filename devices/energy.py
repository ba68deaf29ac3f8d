"""Photon energy: undulator gap + Si(111) double-crystal monochromator (+ zone-plate refocus).

Setting the energy E (eV) moves, together and after checking every target first:

* the DCM Bragg angle to theta = asin(lambda / 2d), d = 3.1356 A for Si(111);
* the undulator gap to :func:`phasebeam.analysis.undulator.undulator_gap_m` (E, harmonic), the
  documented gap(E) relation (a beamline with a measured gap table passes its own ``gap_mm``);
* optionally the zone plate's focus stage ``z`` by a :class:`RefocusRule`.

The readback is the energy that the monochromator's Bragg-angle readback selects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Protocol

from ophyd_async.core import (
    DeviceMock,
    MovableLogic,
    StandardMovable,
    StandardReadable,
    TimeoutCalculator,
    default_mock_class,
    derived_signal_r,
    soft_signal_rw,
)
from ophyd_async.core import StandardReadableFormat as Format

from phasebeam.analysis.optics import (
    SI111_D_SPACING_M,
    bragg_angle_deg,
    energy_ev_from_bragg_angle,
    thin_lens_object_distance_m,
    zone_plate_focal_length_m,
)
from phasebeam.analysis.undulator import UndulatorModel, undulator_gap_m

from .motor import MoveRefusedError, TangoMotor
from .optics import ZonePlate


class RefocusRule(Protocol):
    """Where the zone plate's focus stage (sample-to-zone-plate distance, m) goes for a new energy."""

    def target_m(
        self, focal_length: Callable[[float], float], z_now_m: float, e_now_ev: float, e_target_ev: float
    ) -> float: ...


@dataclass(frozen=True)
class FocalShift:
    """Move the zone plate by the change of its focal length, df = f(E') - f(E) (default).

    This is the high-magnification limit of the thin-lens equation (image far away).
    """

    def target_m(self, focal_length, z_now_m, e_now_ev, e_target_ev):
        return z_now_m + focal_length(e_target_ev) - focal_length(e_now_ev)


@dataclass(frozen=True)
class LinearRate:
    """Move by a fixed rate in m/eV; seed 004 used 4.8e-6 m/eV across the Ni K edge."""

    m_per_ev: float

    def target_m(self, focal_length, z_now_m, e_now_ev, e_target_ev):
        return z_now_m + self.m_per_ev * (e_target_ev - e_now_ev)


@dataclass(frozen=True)
class ThinLens:
    """Put the zone plate where 1/p + 1/q = 1/f with the sample-to-detector distance p + q fixed."""

    sample_to_detector_m: float

    def target_m(self, focal_length, z_now_m, e_now_ev, e_target_ev):
        return thin_lens_object_distance_m(focal_length(e_target_ev), self.sample_to_detector_m)


@dataclass(frozen=True)
class _Refocus:
    zone_plate: ZonePlate
    rule: RefocusRule


@dataclass
class EnergyLogic(MovableLogic[float]):
    energy: Energy

    async def check_move(self, new_position: float) -> None:
        await self.energy.plan_move(new_position)

    async def calculate_timeout(self, old_position: float, new_position: float) -> float | None:
        targets = await self.energy.plan_move(new_position)
        positions = await asyncio.gather(*(motor.position.get_value() for motor in targets))
        timeouts = await asyncio.gather(
            *(
                motor.movable_logic.calculate_timeout(here, target)
                for (motor, target), here in zip(targets.items(), positions, strict=True)
            )
        )
        return max(timeouts)

    async def move(self, new_position: float, timeout: TimeoutCalculator) -> None:
        targets = await self.energy.plan_move(new_position)
        await self.setpoint.set(new_position)
        await asyncio.gather(*(motor.set(target, timeout=timeout()) for motor, target in targets.items()))


# In mock mode the axes' own mocks move them and the readback follows from the Bragg angle.
@default_mock_class(DeviceMock)
class Energy(StandardReadable, StandardMovable[float]):
    """Movable photon energy in eV (see the module docstring).

    Args:
        gap: undulator gap motor (mm).
        bragg: DCM Bragg-angle motor (deg).
        harmonic: undulator harmonic used (odd).
        undulator: gap(E) model; ignored when ``gap_mm`` is given.
        gap_mm: optional function energy_ev -> gap (mm) from a measured table.
        zone_plate: move its ``z`` stage with ``refocus`` when given.
        refocus: the refocus rule, :class:`FocalShift` by default.
        d_spacing_m: monochromator crystal spacing (m), Si(111) by default.
    """

    def __init__(
        self,
        gap: TangoMotor,
        bragg: TangoMotor,
        harmonic: int = 1,
        undulator: UndulatorModel | None = None,
        gap_mm: Callable[[float], float] | None = None,
        zone_plate: ZonePlate | None = None,
        refocus: RefocusRule | None = None,
        d_spacing_m: float = SI111_D_SPACING_M,
        name: str = "",
    ) -> None:
        self.d_spacing_m = d_spacing_m
        self.harmonic = harmonic
        model = undulator or UndulatorModel()
        self._gap_mm = gap_mm or (lambda e: 1e3 * undulator_gap_m(e, harmonic, model))
        # Held outside the device tree: the zone plate is a device of its own, not a child of this one.
        self._refocus = _Refocus(zone_plate, refocus or FocalShift()) if zone_plate else None
        with self.add_children_as_readables():
            self.gap = gap
            self.bragg = bragg
        with self.add_children_as_readables(Format.HINTED_SIGNAL):
            self.readback = derived_signal_r(
                _energy_from_bragg, derived_units="eV", theta_deg=bragg.position, d=d_spacing_m
            )
        self.setpoint = soft_signal_rw(float, units="eV")
        super().__init__(name=name)

    def set_name(self, name: str, *, child_name_separator: str | None = None) -> None:
        super().set_name(name, child_name_separator=child_name_separator)
        self.readback.set_name(name)

    @cached_property
    def movable_logic(self) -> EnergyLogic:
        return EnergyLogic(setpoint=self.setpoint, readback=self.readback, energy=self)

    async def plan_move(self, energy_ev: float) -> dict[TangoMotor, float]:
        """Targets of every axis for ``energy_ev``, each checked; raises before anything moves."""
        try:
            theta = bragg_angle_deg(energy_ev, self.d_spacing_m)
            gap = self._gap_mm(energy_ev)
        except ValueError as exc:
            raise MoveRefusedError(f"{self.name}: {exc}") from exc
        targets: dict[TangoMotor, float] = {self.bragg: theta, self.gap: gap}
        if self._refocus is not None:
            zp = self._refocus.zone_plate
            e_now = await self.readback.get_value(cached=False)
            z_now_m = await zp.z.position.get_value(cached=False) * 1e-3
            focal = partial(zone_plate_focal_length_m, zp.diameter_m, zp.outer_zone_width_m)
            try:
                targets[zp.z] = 1e3 * self._refocus.rule.target_m(focal, z_now_m, e_now, energy_ev)
            except ValueError as exc:
                raise MoveRefusedError(f"{self.name}: zone-plate refocus: {exc}") from exc
        for motor, target in targets.items():
            await motor.movable_logic.check_move(target)
        return targets


def _energy_from_bragg(theta_deg: float, d: float) -> float:
    return energy_ev_from_bragg_angle(theta_deg, d) if 0 < theta_deg < 90 else float("nan")


__all__ = ["Energy", "FocalShift", "LinearRate", "RefocusRule", "ThinLens"]
