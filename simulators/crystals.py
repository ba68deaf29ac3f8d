"""Simple 3-D crystal densities on a voxel grid (axis order Z, Y, X)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def ellipsoid(
    grid_shape: tuple[int, int, int], semi_axes_vox: tuple[float, float, float]
) -> npt.NDArray[np.bool_]:
    """Boolean ellipsoid centred in the grid, semi-axes in voxels (Z, Y, X)."""
    if any(a <= 0 for a in semi_axes_vox):
        raise ValueError(f"semi_axes_vox must be > 0, got {semi_axes_vox}")
    coords = np.meshgrid(*[np.arange(n) - (n - 1) / 2 for n in grid_shape], indexing="ij")
    r2 = sum((c / a) ** 2 for c, a in zip(coords, semi_axes_vox, strict=True))
    return np.asarray(r2 <= 1.0, dtype=bool)


def box(grid_shape: tuple[int, int, int], sides_vox: tuple[int, int, int]) -> npt.NDArray[np.bool_]:
    """Boolean rectangular box centred in the grid, sides in voxels (Z, Y, X)."""
    out = np.zeros(grid_shape, dtype=bool)
    slices = []
    for n, s in zip(grid_shape, sides_vox, strict=True):
        if not 0 < s <= n:
            raise ValueError(f"box side {s} must be in (0, {n}] voxels")
        start = (n - s) // 2
        slices.append(slice(start, start + s))
    out[tuple(slices)] = True
    return out
