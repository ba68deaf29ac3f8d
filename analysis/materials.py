"""Optical constants from xraydb and the thin-object transmittance they give (seeds 001, 004)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import xraydb


@lru_cache(maxsize=256)
def refractive_index(formula: str, density_g_cm3: float, energy_ev: float) -> tuple[float, float]:
    """(delta, beta) of n = 1 - delta + i beta for a compound at ``energy_ev``, from xraydb.

    Raises:
        ValueError: for an unknown formula, a density <= 0 or an energy outside xraydb's tables.
    """
    if not density_g_cm3 > 0:
        raise ValueError(f"density_g_cm3 must be > 0, got {density_g_cm3}")
    if not 10.0 <= energy_ev <= 1e6:
        raise ValueError(f"energy_ev must be in [10, 1e6] eV, got {energy_ev}")
    try:
        delta, beta, _ = xraydb.xray_delta_beta(formula, density_g_cm3, energy_ev)
    except Exception as exc:  # xraydb raises several types for a bad formula
        raise ValueError(f"formula {formula!r} is not understood by xraydb: {exc}") from exc
    return float(delta), float(beta)


def transmittance_exponents(
    delta_path_m: npt.ArrayLike, beta_path_m: npt.ArrayLike, wavelength_m: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(alpha, phi) of the thin-object transmittance exp(alpha + i phi).

    phi = -(2 pi / lambda) * integral of delta dz and alpha = -(2 pi / lambda) * integral of beta dz,
    with the path integrals given in metres (delta and beta are dimensionless).
    """
    if not wavelength_m > 0:
        raise ValueError(f"wavelength_m must be > 0, got {wavelength_m}")
    k = 2.0 * math.pi / wavelength_m
    return -k * np.asarray(beta_path_m, dtype=np.float64), -k * np.asarray(delta_path_m, dtype=np.float64)
