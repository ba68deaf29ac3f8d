"""Core and shell diameters by grid search on seed 002's error metric (Eq. 2, Fig. 3).

The model's amplitude is G = c sqrt(Omega) |F(q)| for a core-shell particle of the given
diameters (materials from xraydb), with c the least-squares scale (the seed's "multiplier");
the error is sum over D |F - G| / sum over D |F| over the measured region D outside the central
speckle. A coarse grid finds the basin, a finer one around its minimum the diameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .particles import core_shell, form_factor, pixel_q_per_m, pixel_solid_angle_sr
from .phasing import fourier_error


@dataclass(frozen=True)
class CoreShellFit:
    """The best core-shell model and the error matrix around it (Fig. 3 of seed 002).

    Attributes:
        core_diameter_m: fitted core diameter (m).
        outer_diameter_m: fitted outer diameter (m).
        error: Eq. 2 at the best model (a fraction).
        core_grid_m: the fine grid's core diameters (m).
        outer_grid_m: the fine grid's outer diameters (m).
        error_matrix: Eq. 2 on the fine grid (core, outer).
        coarse_core_grid_m: the coarse grid's core diameters (m).
        coarse_outer_grid_m: the coarse grid's outer diameters (m).
        coarse_error_matrix: Eq. 2 on the coarse grid.
    """

    core_diameter_m: float
    outer_diameter_m: float
    error: float
    core_grid_m: npt.NDArray[np.float64]
    outer_grid_m: npt.NDArray[np.float64]
    error_matrix: npt.NDArray[np.float64]
    coarse_core_grid_m: npt.NDArray[np.float64]
    coarse_outer_grid_m: npt.NDArray[np.float64]
    coarse_error_matrix: npt.NDArray[np.float64]


def binned_q_and_solid_angle(
    n: int, binned_pixel_m: float, distance_m: float, energy_ev: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """|q| (1/m) and solid angle (sr) of each bin of a centred N x N pattern."""
    centre = (n // 2, n // 2)
    return (
        pixel_q_per_m((n, n), binned_pixel_m, distance_m, energy_ev, centre),
        pixel_solid_angle_sr((n, n), binned_pixel_m, distance_m, centre),
    )


def model_amplitude(
    core_m: float,
    outer_m: float,
    q: npt.NDArray[np.float64],
    omega: npt.NDArray[np.float64],
    energy_ev: float,
    core: tuple[str, float],
    shell: tuple[str, float],
) -> npt.NDArray[np.float64]:
    """sqrt(Omega) |F(q)| of one core-shell particle (unscaled)."""
    return np.sqrt(omega) * np.abs(form_factor(core_shell(core_m, outer_m, core, shell), q, energy_ev))


def _error_grid(
    amplitude: npt.NDArray, region: npt.NDArray[np.bool_], cores, outers, q, omega, energy_ev, core, shell
) -> npt.NDArray[np.float64]:
    measured = amplitude[region]
    q_d, omega_d = q[region], omega[region]
    errors = np.full((len(cores), len(outers)), np.inf)
    for i, c in enumerate(cores):
        for j, o in enumerate(outers):
            if c >= o:
                continue
            g = model_amplitude(c, o, q_d, omega_d, energy_ev, core, shell)
            scale = float(np.dot(measured, g) / max(float(np.dot(g, g)), 1e-300))
            errors[i, j] = fourier_error(scale * g, measured, np.ones(measured.shape, dtype=bool))
    return errors


def fit_core_shell(
    intensity: npt.ArrayLike,
    region: npt.ArrayLike,
    binned_pixel_m: float,
    distance_m: float,
    energy_ev: float,
    core_range_m: tuple[float, float] = (14e-9, 24e-9),
    outer_range_m: tuple[float, float] = (48e-9, 60e-9),
    coarse_step_m: float = 0.5e-9,
    fine_step_m: float = 0.1e-9,
    core: tuple[str, float] = ("Au", 19.3),
    shell: tuple[str, float] = ("SiO2", 2.2),
) -> CoreShellFit:
    """Grid search of Eq. 2 over core and outer diameters.

    Args:
        intensity: the centred, background-subtracted pattern (counts), N x N.
        region: D, the bins to compare (measured, outside the central speckle).
        binned_pixel_m: the pattern's pixel on the detector (m).
        distance_m: sample to detector (m).
        energy_ev: photon energy (eV).
        core_range_m: searched core diameters (m), seed 002: 16-21 nm.
        outer_range_m: searched outer diameters (m), seed 002: 53-58 nm.
        coarse_step_m: the first grid's step (m).
        fine_step_m: the second grid's step (m), one coarse step either side of the first minimum.
        core: core material (formula, g/cm^3).
        shell: shell material (formula, g/cm^3).
    """
    data = np.asarray(intensity, dtype=np.float64)
    d = np.asarray(region, dtype=bool) & np.isfinite(data)
    if data.ndim != 2 or data.shape[0] != data.shape[1] or d.shape != data.shape:
        raise ValueError(f"intensity {data.shape} and region {d.shape} must be the same square 2-D shape")
    for name, (low, high) in (("core_range_m", core_range_m), ("outer_range_m", outer_range_m)):
        if not 0 < low < high:
            raise ValueError(f"{name}={(low, high)} must satisfy 0 < low < high (m)")
    if not 0 < fine_step_m <= coarse_step_m:
        raise ValueError(f"steps must satisfy 0 < fine_step_m={fine_step_m} <= coarse_step_m={coarse_step_m}")
    if d.sum() < 10:
        raise ValueError("the region D holds fewer than 10 bins")
    amplitude = np.sqrt(np.clip(data, 0.0, None))
    q, omega = binned_q_and_solid_angle(data.shape[0], binned_pixel_m, distance_m, energy_ev)
    args = (q, omega, energy_ev, core, shell)
    coarse_cores = np.arange(core_range_m[0], core_range_m[1] + coarse_step_m / 2, coarse_step_m)
    coarse_outers = np.arange(outer_range_m[0], outer_range_m[1] + coarse_step_m / 2, coarse_step_m)
    coarse = _error_grid(amplitude, d, coarse_cores, coarse_outers, *args)
    i, j = np.unravel_index(int(np.argmin(coarse)), coarse.shape)
    steps = np.arange(-coarse_step_m, coarse_step_m + fine_step_m / 2, fine_step_m)
    fine_cores = coarse_cores[i] + steps
    fine_outers = coarse_outers[j] + steps
    fine = _error_grid(amplitude, d, fine_cores, fine_outers, *args)
    k, m = np.unravel_index(int(np.argmin(fine)), fine.shape)
    return CoreShellFit(
        float(fine_cores[k]),
        float(fine_outers[m]),
        float(fine[k, m]),
        fine_cores,
        fine_outers,
        fine,
        coarse_cores,
        coarse_outers,
        coarse,
    )
