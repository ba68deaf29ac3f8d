"""From a reconstructed Bragg object to displacement and strain (axis order Z, Y, X).

The phase of a Bragg CDI object is phi = G . u (seed 001): after unwrapping and removing the
ramp (a reciprocal-space offset of the data's centre) and the offset (an ambiguity), the
displacement along the scattering vector is u = phi / |G| and the strain along it is du/dq.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from skimage.restoration import unwrap_phase


@dataclass(frozen=True)
class StrainMaps:
    """Phase, displacement and strain inside the support (NaN outside).

    Attributes:
        phase_rad: unwrapped phase, ramp and mean removed.
        displacement_m: u = phase / |G|.
        strain: du/dq along the scattering-vector axis (dimensionless).
        ramp_rad_per_voxel: the removed linear ramp (Z, Y, X).
    """

    phase_rad: npt.NDArray[np.float64]
    displacement_m: npt.NDArray[np.float64]
    strain: npt.NDArray[np.float64]
    ramp_rad_per_voxel: tuple[float, ...]


def unwrapped_phase(obj: npt.NDArray, support: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Phase of ``obj`` unwrapped inside ``support`` (scikit-image's reliability-guided unwrapping)."""
    if obj.shape != support.shape:
        raise ValueError(f"object {obj.shape} and support {support.shape} differ in shape")
    if not support.any():
        raise ValueError("support is empty")
    wrapped = np.ma.masked_array(np.angle(obj), mask=~support)
    return np.asarray(np.ma.filled(unwrap_phase(wrapped), np.nan), dtype=np.float64)


def remove_ramp(phase: npt.NDArray, support: npt.NDArray[np.bool_]) -> tuple[npt.NDArray, tuple[float, ...]]:
    """Subtract the least-squares plane a + b . r inside the support; return the phase and b."""
    coords = np.nonzero(support)
    design = np.column_stack([np.ones(len(coords[0]))] + [c.astype(np.float64) for c in coords])
    coefficients, *_ = np.linalg.lstsq(design, phase[support], rcond=None)
    grids = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in phase.shape], indexing="ij")
    plane = coefficients[0] + sum(c * g for c, g in zip(coefficients[1:], grids, strict=True))
    return np.where(support, phase - plane, np.nan), tuple(float(c) for c in coefficients[1:])


def strain_maps(
    obj: npt.NDArray,
    support: npt.NDArray[np.bool_],
    d_spacing_m: float,
    voxel_m: float,
    q_axis: int = 0,
    remove_phase_ramp: bool = True,
) -> StrainMaps:
    """Displacement and strain along the scattering vector, which lies along array axis ``q_axis``.

    Args:
        obj: reconstructed complex object.
        support: the crystal's support.
        d_spacing_m: lattice spacing of the reflection (m); |G| = 2 pi / d.
        voxel_m: voxel size (m).
        q_axis: array axis parallel to the scattering vector (0 = Z).
        remove_phase_ramp: subtract a linear phase ramp (True) or only the mean.
    """
    if not d_spacing_m > 0 or not voxel_m > 0:
        raise ValueError(f"d_spacing_m={d_spacing_m} and voxel_m={voxel_m} must be > 0 m")
    if not 0 <= q_axis < obj.ndim:
        raise ValueError(f"q_axis must be in [0, {obj.ndim}), got {q_axis}")
    phase = unwrapped_phase(obj, support)
    if remove_phase_ramp:
        phase, ramp = remove_ramp(phase, support)
    else:
        phase, ramp = np.where(support, phase - np.nanmean(phase[support]), np.nan), (0.0,) * obj.ndim
    displacement = phase * d_spacing_m / (2 * np.pi)
    strain = np.gradient(displacement, voxel_m, axis=q_axis)
    return StrainMaps(phase, displacement, strain, ramp)


def modulus_histogram(
    obj: npt.NDArray, support: npt.NDArray[np.bool_], bins: int = 50
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Histogram (density) of |obj| / max |obj| inside the support: (density, bin edges)."""
    modulus = np.abs(obj[support])
    if modulus.size == 0:
        raise ValueError("support is empty")
    density, edges = np.histogram(modulus / modulus.max(), bins=bins, range=(0.0, 1.0), density=True)
    return density.astype(np.float64), edges
