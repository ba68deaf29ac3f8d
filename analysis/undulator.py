"""Planar undulator tuning: the gap that puts harmonic n at a photon energy.

The relation (documented for the beamline's Energy device):

* on-axis energy of harmonic n:  E_n [keV] = n * 0.9496 * E_e^2 [GeV^2] / (lambda_u [cm] * (1 + K^2/2))
* deflection parameter:          K = 0.934 * lambda_u [cm] * B0 [T]
* peak field of a hybrid device: B0 = a * exp(b * (g / lambda_u) + c * (g / lambda_u)^2)
  (Halbach's fit, valid for 0.1 < g / lambda_u < 1; a = 3.33 T, b = -5.47, c = 1.8 by default).

A beamline with a measured gap table replaces :func:`undulator_gap_m` by an interpolation of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class UndulatorModel:
    """Parameters of a planar hybrid undulator and the storage ring."""

    electron_energy_gev: float = 6.0
    period_m: float = 0.027
    field_a_t: float = 3.33
    field_b: float = -5.47
    field_c: float = 1.8
    min_gap_m: float = 0.006
    max_gap_m: float = 0.030

    def k_from_gap(self, gap_m: float) -> float:
        x = gap_m / self.period_m
        b0 = self.field_a_t * math.exp(self.field_b * x + self.field_c * x * x)
        return 0.934 * (self.period_m * 100.0) * b0

    def energy_ev(self, gap_m: float, harmonic: int = 1) -> float:
        """Photon energy in eV of ``harmonic`` at ``gap_m``."""
        k = self.k_from_gap(gap_m)
        e1_kev = 0.9496 * self.electron_energy_gev**2 / (self.period_m * 100.0 * (1.0 + k * k / 2.0))
        return harmonic * e1_kev * 1000.0


def undulator_gap_m(energy_ev: float, harmonic: int = 1, model: UndulatorModel | None = None) -> float:
    """Gap in metres that tunes ``harmonic`` (odd, >= 1) of the undulator to ``energy_ev``.

    Raises:
        ValueError: when the energy cannot be reached by that harmonic inside the gap range.
    """
    model = model or UndulatorModel()
    if harmonic < 1 or harmonic % 2 == 0:
        raise ValueError(f"harmonic must be an odd integer >= 1, got {harmonic}")
    e_max = model.energy_ev(model.max_gap_m, harmonic)
    e_min = model.energy_ev(model.min_gap_m, harmonic)
    if not e_min <= energy_ev <= e_max:
        raise ValueError(
            f"energy_ev={energy_ev:.1f} eV is outside the range of harmonic {harmonic}: "
            f"[{e_min:.1f}, {e_max:.1f}] eV for gaps [{model.min_gap_m * 1e3:.1f}, "
            f"{model.max_gap_m * 1e3:.1f}] mm"
        )
    e1_kev = 0.9496 * model.electron_energy_gev**2 / (model.period_m * 100.0)
    k = math.sqrt(2.0 * (harmonic * e1_kev * 1000.0 / energy_ev - 1.0))
    b0 = k / (0.934 * model.period_m * 100.0)
    # Solve c x^2 + b x - ln(B0 / a) = 0 for x = g / lambda_u, taking the root in (0.1, 1).
    a, b, c = model.field_c, model.field_b, -math.log(b0 / model.field_a_t)
    disc = math.sqrt(b * b - 4.0 * a * c)
    x = (-b - disc) / (2.0 * a)
    return x * model.period_m
