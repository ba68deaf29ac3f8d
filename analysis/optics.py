"""X-ray optics relations used by the instrument: wavelength, crystal Bragg angles, zone plates.

All functions take SI units or say their unit in the argument name (``energy_ev``).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import constants

#: h * c in eV * m, from CODATA (scipy.constants).
HC_EV_M: float = constants.h * constants.c / constants.e

#: Si(111) lattice-plane spacing in metres (a = 5.4310 A / sqrt(3)).
SI111_D_SPACING_M: float = 3.1356e-10

FloatOrArray = float | npt.NDArray[np.float64]


def _check_positive(name: str, value: FloatOrArray) -> None:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")


def wavelength_m(energy_ev: FloatOrArray) -> FloatOrArray:
    """Photon wavelength in metres for a photon energy in eV."""
    _check_positive("energy_ev", energy_ev)
    return HC_EV_M / energy_ev


def bragg_angle_deg(energy_ev: float, d_spacing_m: float = SI111_D_SPACING_M) -> float:
    """Bragg angle theta in degrees where lambda = 2 d sin(theta) (first order).

    Raises:
        ValueError: if the energy is below the cut-off energy hc / (2 d) of that reflection.
    """
    _check_positive("d_spacing_m", d_spacing_m)
    sin_theta = wavelength_m(energy_ev) / (2.0 * d_spacing_m)
    if sin_theta >= 1.0:
        minimum = HC_EV_M / (2.0 * d_spacing_m)
        raise ValueError(
            f"energy_ev={energy_ev} is below the Bragg cut-off of {minimum:.1f} eV "
            f"for d = {d_spacing_m * 1e10:.4f} A"
        )
    return math.degrees(math.asin(sin_theta))


def energy_ev_from_bragg_angle(theta_deg: float, d_spacing_m: float = SI111_D_SPACING_M) -> float:
    """Photon energy in eV diffracted at Bragg angle ``theta_deg`` (first order)."""
    if not 0.0 < theta_deg < 90.0:
        raise ValueError(f"theta_deg must be in (0, 90) deg, got {theta_deg}")
    return HC_EV_M / (2.0 * d_spacing_m * math.sin(math.radians(theta_deg)))


def zone_plate_focal_length_m(diameter_m: float, outer_zone_width_m: float, energy_ev: float) -> float:
    """Zone-plate focal length f = D * dr_n / lambda, in metres."""
    _check_positive("diameter_m", diameter_m)
    _check_positive("outer_zone_width_m", outer_zone_width_m)
    return diameter_m * outer_zone_width_m / float(wavelength_m(energy_ev))


def thin_lens_object_distance_m(focal_length_m: float, object_to_image_m: float) -> float:
    """Object distance p of a thin lens with 1/p + 1/q = 1/f and p + q = L fixed (p < q branch).

    This is where a zone plate sits, measured from the sample, so that the sample stays in focus on
    a detector at a fixed distance L: p = L/2 * (1 - sqrt(1 - 4 f / L)).
    """
    _check_positive("focal_length_m", focal_length_m)
    if object_to_image_m < 4.0 * focal_length_m:
        raise ValueError(
            f"object_to_image_m={object_to_image_m} m must be >= 4 f = {4 * focal_length_m:.6g} m "
            "for a real image"
        )
    return 0.5 * object_to_image_m * (1.0 - math.sqrt(1.0 - 4.0 * focal_length_m / object_to_image_m))


def scattering_vector_magnitude_per_m(d_spacing_m: float) -> float:
    """|G| = 2 pi / d of a reflection, in 1/m."""
    _check_positive("d_spacing_m", d_spacing_m)
    return 2.0 * math.pi / d_spacing_m
