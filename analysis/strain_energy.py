"""Strain field energy of a crystal from its displacement image (seed 000, section S1).

The energy stored by a strain field along the scattering vector q, for a bulk modulus K, is

    E_s = (3 K / 2) * integral of (du_q/dq)^2 dV.

The seed's text has lost the fraction's denominator; the 1/2 is linear elasticity's
energy density sigma * eps / 2 with sigma = 3 K eps.

An image does not see the lattice. A voxel holds r = voxel / a lattice planes along q, and its
displacement U_i is their mean, so the voxel-level strain (U_{i+1} - U_{i-1}) / (2 r a) misses
the lattice-scale fluctuations. Seed 000 models the lattice displacement correlation as a
decaying Gaussian f(d) = A exp(-d^2 / (2 sigma^2)) + c (d in lattice spacings; c cancels), so

    4 r^2 V_x(r) = C * (F_same(r) - F_apart(r)),     L_t = C * (f(0) - f(1)),

where V_x(r) is the energy computed from voxels of r planes, F_same is f averaged over the pairs
of planes inside one voxel and F_apart over the pairs in voxels i - 1 and i + 1 (both follow from
expanding the squared differences; C = 3 K V / a^2 absorbs A). L_t, the energy the lattice itself
holds (forward differences between neighbouring planes), is what the fit of 4 r^2 V_x over
several r gives.

The seed evaluates f at the pairs' RMS distance instead of averaging it. On a stationary
Gaussian-correlated lattice field that makes L_t 14-18% low, while the pair average used here
recovers it within 1% (tests/analysis/test_strain_energy.py), so this module averages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import curve_fit


@dataclass(frozen=True)
class LatticeStrainEnergy:
    """The lattice-level strain field energy extrapolated from voxel-level energies.

    Attributes:
        voxel_to_lattice: the ratios r (voxel size / lattice spacing along q) that were fitted.
        voxel_energy_j: V_x(r), the energy computed from the voxels at each r (J).
        fitted_energy_j: the model's V_x at each r (J), to judge the fit.
        lattice_energy_j: L_t, the energy held at the lattice scale (J).
        correlation_length_lattice: sigma of the displacement correlation (lattice spacings).
    """

    voxel_to_lattice: tuple[float, ...]
    voxel_energy_j: tuple[float, ...]
    fitted_energy_j: tuple[float, ...]
    lattice_energy_j: float
    correlation_length_lattice: float


def strain_field_energy_j(
    strain: npt.NDArray, support: npt.NDArray[np.bool_], voxel_m: float, bulk_modulus_pa: float
) -> float:
    """E_s = (3 K / 2) * sum of strain^2 * voxel volume over the support's finite voxels (J).

    Args:
        strain: strain along q (dimensionless); NaN voxels (outside the support, or at its
            border where a gradient is undefined) are skipped.
        support: the crystal's support.
        voxel_m: voxel edge (m).
        bulk_modulus_pa: bulk modulus K (Pa), e.g. 180e9 for gold, 230e9 for platinum.
    """
    _require_positive(voxel_m=voxel_m, bulk_modulus_pa=bulk_modulus_pa)
    if strain.shape != support.shape:
        raise ValueError(f"strain {strain.shape} and support {support.shape} differ in shape")
    values = strain[support]
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no finite strain inside the support")
    return float(1.5 * bulk_modulus_pa * np.sum(values.astype(np.float64) ** 2) * voxel_m**3)


def fit_lattice_strain_energy(
    voxel_to_lattice: Sequence[float] | npt.NDArray, voxel_energy_j: Sequence[float] | npt.NDArray
) -> LatticeStrainEnergy:
    """Fit 4 r^2 V_x(r) with seed 000's Gaussian correlation model and return L_t.

    Args:
        voxel_to_lattice: r for each image (voxel size / lattice spacing along q), at least 3
            distinct values, each >= 1.
        voxel_energy_j: the strain field energy computed from each image (J), e.g. with
            :func:`strain_field_energy_j`.
    """
    r = np.asarray(voxel_to_lattice, dtype=np.float64)
    energy = np.asarray(voxel_energy_j, dtype=np.float64)
    if r.shape != energy.shape or r.ndim != 1:
        raise ValueError(
            f"voxel_to_lattice ({r.shape}) and voxel_energy_j ({energy.shape}) must be 1-D and equal"
        )
    if len(np.unique(r)) < 3:
        raise ValueError(f"voxel_to_lattice needs at least 3 distinct values, got {r.tolist()}")
    if np.any(~np.isfinite(r)) or np.any(r < 1):
        raise ValueError(f"voxel_to_lattice must be >= 1, got {r.tolist()}")
    if np.any(~np.isfinite(energy)) or np.any(energy <= 0):
        raise ValueError(f"voxel_energy_j must be finite and > 0 J, got {energy.tolist()}")
    scale = float(np.max(4 * r**2 * energy))

    def model(r_values: npt.NDArray, amplitude: float, log_sigma: float) -> npt.NDArray:
        return amplitude * _pair_difference(r_values, float(np.exp(log_sigma)))

    best: tuple[float, float] | None = None
    best_cost = np.inf
    # The fit has one nonlinear parameter; starting it at several correlation lengths keeps
    # curve_fit from settling in the flat region on either side of the data's r.
    for sigma0 in np.geomspace(0.5, 4 * r.max(), 12):
        amplitude0 = 1.0 / max(float(np.max(_pair_difference(r, sigma0))), 1e-300)
        try:
            params, _ = curve_fit(
                model, r, 4 * r**2 * energy / scale, p0=[amplitude0, np.log(sigma0)], maxfev=4000
            )
        except RuntimeError:
            continue
        cost = float(np.sum((model(r, *params) - 4 * r**2 * energy / scale) ** 2))
        if np.all(np.isfinite(params)) and cost < best_cost:
            best, best_cost = (float(params[0]), float(params[1])), cost
    if best is None:
        raise ValueError("the Gaussian correlation model could not be fitted to voxel_energy_j")
    amplitude, log_sigma = best
    sigma = float(np.exp(log_sigma))
    fitted = model(r, amplitude, log_sigma) * scale / (4 * r**2)
    lattice = amplitude * scale * (1.0 - np.exp(-1.0 / (2 * sigma**2)))
    return LatticeStrainEnergy(
        voxel_to_lattice=tuple(float(v) for v in r),
        voxel_energy_j=tuple(float(v) for v in energy),
        fitted_energy_j=tuple(float(v) for v in fitted),
        lattice_energy_j=float(lattice),
        correlation_length_lattice=sigma,
    )


def lattice_strain_energy(
    displacement_m: npt.NDArray,
    support: npt.NDArray[np.bool_],
    voxel_m: float,
    lattice_m: float,
    bulk_modulus_pa: float,
    q_axis: int = 0,
    binning: Sequence[int] = (1, 2, 3, 4, 6),
) -> LatticeStrainEnergy:
    """L_t from one displacement image, binned along q to make the series of r that is fitted.

    Each binning b averages b voxels along q (only where all b are inside the support), so
    r = b * voxel / lattice; the strain is the central difference along q.

    Args:
        displacement_m: displacement along q (m), NaN outside the support.
        support: the crystal's support.
        voxel_m: voxel edge (m).
        lattice_m: lattice plane spacing along q (m).
        bulk_modulus_pa: bulk modulus K (Pa).
        q_axis: array axis parallel to the scattering vector.
        binning: the binnings along q, at least 3 distinct values, each >= 1.
    """
    _require_positive(voxel_m=voxel_m, lattice_m=lattice_m, bulk_modulus_pa=bulk_modulus_pa)
    if displacement_m.shape != support.shape:
        raise ValueError(f"displacement {displacement_m.shape} and support {support.shape} differ in shape")
    if not 0 <= q_axis < displacement_m.ndim:
        raise ValueError(f"q_axis must be in [0, {displacement_m.ndim}), got {q_axis}")
    if len(set(binning)) < 3 or min(binning) < 1:
        raise ValueError(f"binning needs at least 3 distinct values >= 1, got {list(binning)}")
    volume_m3 = float(np.count_nonzero(support)) * voxel_m**3
    if volume_m3 == 0:
        raise ValueError("support is empty")
    field = np.moveaxis(np.where(support, displacement_m, np.nan).astype(np.float64), q_axis, 0)
    energies = []
    for b in binning:
        n = field.shape[0] // b
        if n < 3:
            raise ValueError(
                f"binning {b} leaves {n} voxels along q; at most {field.shape[0] // 3} is allowed"
            )
        binned = field[: n * b].reshape(n, b, *field.shape[1:]).mean(axis=1)  # NaN if any is outside
        strain = (binned[2:] - binned[:-2]) / (2 * b * voxel_m)
        finite = strain[np.isfinite(strain)]
        if finite.size == 0:
            raise ValueError(f"binning {b} leaves no voxel with both neighbours inside the support")
        energies.append(1.5 * bulk_modulus_pa * volume_m3 * float(np.mean(finite**2)))
    return fit_lattice_strain_energy([b * voxel_m / lattice_m for b in binning], energies)


def _pair_difference(r_values: npt.NDArray, sigma: float) -> npt.NDArray:
    """F_same(r) - F_apart(r) for f(d) = exp(-d^2 / (2 sigma^2)), d in lattice spacings.

    The pairs of planes (k, l) in one voxel of r planes are at d = k - l with the triangular
    weight r - |d|; the pairs across voxels i - 1 and i + 1 are at 2 r + d with the same weight.
    """
    out = np.empty(len(np.atleast_1d(r_values)))
    for i, r in enumerate(np.atleast_1d(r_values)):
        extent = int(np.ceil(r))
        d = np.arange(-extent + 1, extent, dtype=np.float64)
        weight = np.clip(r - np.abs(d), 0.0, None)
        weight /= weight.sum()
        same = np.sum(weight * np.exp(-(d**2) / (2 * sigma**2)))
        apart = np.sum(weight * np.exp(-((2 * r + d) ** 2) / (2 * sigma**2)))
        out[i] = same - apart
    return out


def _require_positive(**values: float) -> None:
    for name, value in values.items():
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be > 0, got {value}")
