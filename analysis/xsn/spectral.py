"""Hyperspectral XSN: element densities across an absorption edge and a Kramers-Kronig check.

Element densities (seed 004, Eqs. 17-18), with reference values from xraydb at the energies used:

    sigma_E  = sigma_E,ref (beta(E1) - beta(E2)) / (beta_E,ref(E1) - beta_E,ref(E2))
    sigma_XY = (beta(E1) - sigma_E beta_E,ref(E1) / sigma_E,ref) * mean over X, Y of sigma_ref / beta_ref(E1)

E1 below and E2 above the edge of element E (seed: Ni, 8326 and 8366 eV); the others (Mn, Co) absorb
about equally at both energies. beta_E,ref is the beta of the pure element at its density sigma_E,ref.

Kramers-Kronig: for n = 1 - delta + i beta, delta(E) = -(2 / pi) P integral E' beta(E') / (E'^2 - E^2) dE'.
A measured beta spectrum over a window predicts delta there as the tabulated delta plus the transform
of (measured - tabulated) beta over the window (the rest of the spectrum is the table's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xraydb

from ..materials import refractive_index


def element_reference(element: str, energy_ev: float) -> tuple[float, float]:
    """(density g/cm^3, beta) of the pure element at ``energy_ev``, from xraydb."""
    density = float(xraydb.atomic_density(element))
    return density, refractive_index(element, density, energy_ev)[1]


def edge_element_density(
    beta_below: npt.ArrayLike,
    beta_above: npt.ArrayLike,
    element: str,
    energy_below_ev: float,
    energy_above_ev: float,
) -> npt.NDArray[np.float64]:
    """Eq. 17: partial density (g/cm^3) of ``element`` from beta tomograms below and above its edge."""
    if not energy_below_ev < energy_above_ev:
        raise ValueError(f"energy_below_ev={energy_below_ev} must be below energy_above_ev={energy_above_ev}")
    k_edge = xraydb.xray_edge(element, "K")
    if k_edge is None:
        raise ValueError(f"xraydb has no K edge for element {element!r}")
    edge = float(k_edge.energy)
    if not energy_below_ev < edge < energy_above_ev:
        raise ValueError(
            f"the {element} K edge at {edge:.0f} eV must lie between energy_below_ev={energy_below_ev} "
            f"and energy_above_ev={energy_above_ev} eV"
        )
    density, ref_below = element_reference(element, energy_below_ev)
    _, ref_above = element_reference(element, energy_above_ev)
    below = np.asarray(beta_below, dtype=np.float64)
    above = np.asarray(beta_above, dtype=np.float64)
    return density * (below - above) / (ref_below - ref_above)


def remaining_element_density(
    beta_below: npt.ArrayLike,
    edge_density: npt.ArrayLike,
    edge_element: str,
    others: Sequence[str],
    energy_below_ev: float,
) -> npt.NDArray[np.float64]:
    """Eq. 18: combined density (g/cm^3) of ``others`` (seed: Mn and Co) from the pre-edge beta."""
    if not others:
        raise ValueError("others must name at least one element")
    density, ref_below = element_reference(edge_element, energy_below_ev)
    rest = np.asarray(beta_below, dtype=np.float64) - np.asarray(edge_density) * ref_below / density
    ratios = [element_reference(e, energy_below_ev) for e in others]
    return rest * float(np.mean([d / b for d, b in ratios]))


def _segment_antiderivative(x: float, a: float, slope: float, energy: float) -> float:
    """Antiderivative of (a + slope x) x / (x^2 - E^2):
    1/2 [(a + slope E) ln|x - E| + (a - slope E) ln(x + E)] + slope x.

    At x = E the logarithm's terms of the two segments meeting there cancel (principal value), so
    both drop it.
    """
    near = 0.0 if x == energy else (a + slope * energy) * math.log(abs(x - energy))
    return 0.5 * (near + (a - slope * energy) * math.log(x + energy)) + slope * x


def kramers_kronig_delta_change(
    energies_ev: npt.ArrayLike, beta_change: npt.ArrayLike, at_ev: npt.ArrayLike | None = None
) -> npt.NDArray[np.float64]:
    """Change of delta caused by a change of beta that is piecewise linear over ``energies_ev``
    and zero outside, evaluated at ``at_ev`` (default: the same energies); exact integral per segment.
    """
    e = np.asarray(energies_ev, dtype=np.float64)
    b = np.asarray(beta_change, dtype=np.float64)
    if e.ndim != 1 or e.shape != b.shape or e.size < 2 or np.any(np.diff(e) <= 0) or e[0] <= 0:
        raise ValueError("energies_ev must increase, be > 0 and match beta_change (1-D, >= 2 points)")
    targets = e if at_ev is None else np.asarray(at_ev, dtype=np.float64)
    out = np.empty(targets.shape)
    for i, energy in enumerate(targets.flat):
        total = 0.0
        for j in range(e.size - 1):
            e0, e1 = e[j], e[j + 1]
            slope = (b[j + 1] - b[j]) / (e1 - e0)
            a = b[j] - slope * e0  # beta = a + slope * E' on this segment
            upper = _segment_antiderivative(e1, a, slope, energy)
            total += upper - _segment_antiderivative(e0, a, slope, energy)
        out.flat[i] = -2.0 / math.pi * total
    return out


@dataclass(frozen=True)
class KramersKronigCheck:
    """Measured delta against the delta the measured beta predicts (all at ``energies_ev``).

    Attributes:
        energies_ev: the energies of the scan.
        delta_measured: delta measured at each energy.
        delta_predicted: tabulated delta plus the KK transform of (measured - tabulated) beta.
        rms_relative_deviation: RMS of (measured - predicted) / predicted.
    """

    energies_ev: npt.NDArray[np.float64]
    delta_measured: npt.NDArray[np.float64]
    delta_predicted: npt.NDArray[np.float64]
    rms_relative_deviation: float


def kramers_kronig_check(
    energies_ev: npt.ArrayLike,
    delta_measured: npt.ArrayLike,
    beta_measured: npt.ArrayLike,
    formula: str,
    density_g_cm3: float,
) -> KramersKronigCheck:
    """Consistency of a measured delta spectrum with the measured beta spectrum (seed 004, Fig. 3b)."""
    e = np.asarray(energies_ev, dtype=np.float64)
    d = np.asarray(delta_measured, dtype=np.float64)
    b = np.asarray(beta_measured, dtype=np.float64)
    if not (e.shape == d.shape == b.shape) or e.ndim != 1:
        raise ValueError(f"energies {e.shape}, delta {d.shape} and beta {b.shape} must be 1-D and match")
    table = np.array([refractive_index(formula, density_g_cm3, float(x)) for x in e])
    predicted = table[:, 0] + kramers_kronig_delta_change(e, b - table[:, 1])
    rms = float(np.sqrt(np.mean(((d - predicted) / predicted) ** 2)))
    return KramersKronigCheck(e, d, predicted, rms)
