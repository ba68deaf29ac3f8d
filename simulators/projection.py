"""Absorption projections of spheres turning on the sample's rotation axis (parallel beam).

The rotation axis is vertical (detector rows, Y) through the field's centre. A sphere at (x, y, z)
seen at rotation theta sits at x' = x cos(theta) + z sin(theta) across the field, so a projection at
theta + 180 deg is the projection at theta mirrored left to right. The sample stage's x and y
translations sit under the rotation: they move the axis, and the whole projection, across the field
(so a flat field is taken by moving the sample out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class SpheresSample:
    """Spheres of one material for tomography.

    Attributes:
        centres_m: (n, 3) centres (x, y, z) relative to the rotation axis (m); y is vertical.
        radii_m: (n,) radii (m).
        formula: chemical formula, for xraydb.
        density_g_cm3: density (g/cm^3).
    """

    centres_m: npt.NDArray[np.float64]
    radii_m: npt.NDArray[np.float64]
    formula: str
    density_g_cm3: float


def projected_thickness_m(
    sample: SpheresSample,
    theta_deg: float,
    shape: tuple[int, int],
    pixel_m: float,
    translation_m: tuple[float, float] = (0.0, 0.0),
) -> npt.NDArray[np.float64]:
    """Path length through the spheres along the beam for each detector pixel (Y, X), in m.

    ``translation_m`` is the stage's (x, y) offset (m), which moves the rotation axis in the field.
    """
    rows, columns = shape
    y = (np.arange(rows, dtype=np.float64) - (rows - 1) / 2)[:, None] * pixel_m - translation_m[1]
    x = (np.arange(columns, dtype=np.float64) - (columns - 1) / 2)[None, :] * pixel_m - translation_m[0]
    theta = np.deg2rad(theta_deg)
    thickness = np.zeros(shape)
    for (cx, cy, cz), radius in zip(sample.centres_m, sample.radii_m, strict=True):
        across = cx * np.cos(theta) + cz * np.sin(theta)
        chord_sq = radius**2 - (x - across) ** 2 - (y + 0 * x - cy) ** 2
        thickness += 2 * np.sqrt(np.clip(chord_sq, 0.0, None))
    return thickness


def default_spheres() -> SpheresSample:
    """Three NiO spheres of 1-2 um in a 12.8 um field, off the axis so that they move as it turns."""
    return SpheresSample(
        centres_m=np.array(
            [[2.5e-6, 1.5e-6, 1.0e-6], [-2.0e-6, -2.5e-6, -1.5e-6], [0.5e-6, 3.5e-6, -3.0e-6]]
        ),
        radii_m=np.array([1.5e-6, 1.0e-6, 1.2e-6]),
        formula="NiO",
        density_g_cm3=6.67,
    )
