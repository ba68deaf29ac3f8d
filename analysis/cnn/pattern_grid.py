"""Between a measured pattern's own grid and the network's cubic grid (seed 003, section 2.5.2).

The pattern is cropped to a cube around its centre of mass and resized to the network's grid;
the object computed there is interpolated back onto the real-space grid of the whole pattern,
with the phase ramp that the crop's off-centre zero frequency put on it taken off again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from ..cdi.data import DiffractionData


@dataclass(frozen=True)
class NetworkPattern:
    """A pattern on the network's grid and where it came from.

    Attributes:
        intensity: counts resized to (grid, grid, grid); unmeasured pixels hold 0.
        measured: where the resized pixels come from measured ones.
        centre_vox: the pattern's voxel (Z, Y, X) that sits at the crop's centre.
        crop_vox: side of the cube cropped from the pattern (voxels of the pattern).
        pattern_shape: the shape of the whole pattern.
    """

    intensity: npt.NDArray[np.float32]
    measured: npt.NDArray[np.bool_]
    centre_vox: tuple[int, int, int]
    crop_vox: int
    pattern_shape: tuple[int, int, int]

    @property
    def grid(self) -> int:
        return self.intensity.shape[0]


def _resize_cube(cube: npt.NDArray, grid: int, order: int) -> npt.NDArray:
    """Resample a cube of side M to side ``grid``, keeping the centre voxel (M // 2) at grid // 2."""
    m = cube.shape[0]
    scale = m / grid
    offset = m // 2 - scale * (grid // 2)
    return ndimage.affine_transform(cube, [scale] * 3, offset=offset, output_shape=(grid,) * 3, order=order)


def network_pattern(data: DiffractionData, grid: int, crop_vox: int | None = None) -> NetworkPattern:
    """Crop a cube around the pattern's centre of mass and resize it to ``grid`` voxels a side.

    Args:
        data: the checked pattern (finite, non-negative counts with some above zero;
            :meth:`DiffractionData.from_arrays` refuses anything else).
        grid: the network's grid (voxels a side).
        crop_vox: side of the crop (voxels); default the largest even cube around the centre
            of mass that lies inside the pattern, or ``grid`` if that is larger (the voxels
            beyond the pattern's edge then count as unmeasured).

    Raises:
        ValueError: a pattern that is not 3-D or is smaller than ``grid`` along an axis, or a
            ``crop_vox`` outside [grid, the largest cube].
    """
    if len(data.shape) != 3:
        raise ValueError(f"the pattern must be 3-D (Z, Y, X), got shape {data.shape}")
    if min(data.shape) < grid:
        raise ValueError(
            f"the pattern of shape {data.shape} is smaller than the network's {grid}-voxel grid along an axis"
        )
    intensity = data.intensity.astype(np.float64)
    measured = data.measured
    centre = tuple(int(c) for c in np.round(ndimage.center_of_mass(intensity)))
    # The largest even cube around the centre of mass inside the pattern; a pattern about the
    # grid's size may lose a few voxels at one edge, which then count as unmeasured.
    inside = 2 * min(min(c, n - c) for c, n in zip(centre, data.shape, strict=True))
    largest = max(inside, grid)
    if crop_vox is None:
        crop_vox = largest
    elif not grid <= crop_vox <= largest:
        raise ValueError(
            f"crop_vox must be in [{grid}, {largest}] voxels (the network's grid to the largest cube around "
            f"the centre of mass at {centre} in a pattern of shape {data.shape}), got {crop_vox}"
        )
    half = crop_vox // 2
    margin = max(
        0, *(max(half - c, c - half + crop_vox - n) for c, n in zip(centre, data.shape, strict=True))
    )
    intensity = np.pad(intensity, margin)
    measured = np.pad(measured, margin)
    box = tuple(slice(margin + c - half, margin + c - half + crop_vox) for c in centre)
    resized = np.clip(_resize_cube(intensity[box], grid, order=1), 0, None)
    valid = _resize_cube(measured[box].astype(np.float32), grid, order=1) > 0.999
    return NetworkPattern(
        intensity=np.where(valid, resized, 0).astype(np.float32),
        measured=valid,
        centre_vox=(centre[0], centre[1], centre[2]),
        crop_vox=crop_vox,
        pattern_shape=(data.shape[0], data.shape[1], data.shape[2]),
    )


def object_from_phase(pattern: NetworkPattern, phase: npt.NDArray) -> npt.NDArray[np.complex64]:
    """The object on the network's grid: inverse transform of sqrt(I) exp(i phase), centred."""
    if phase.shape != pattern.intensity.shape:
        raise ValueError(f"phase shape {phase.shape} does not match the pattern's {pattern.intensity.shape}")
    spectrum = np.sqrt(pattern.intensity) * np.exp(1j * phase)
    obj = np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(spectrum)))
    return obj.astype(np.complex64)


def object_on_pattern_grid(pattern: NetworkPattern, obj: npt.NDArray) -> npt.NDArray[np.complex64]:
    """Interpolate an object from the network's grid onto the real-space grid of the whole pattern.

    A crop of M voxels resized to G gives real-space voxels of N/M pattern voxels along an axis of
    N; the crop's centre, ``s`` voxels from the pattern's centre, multiplies the object by
    exp(-2 pi i s r / N), which is divided out.
    """
    axes = np.meshgrid(*(np.arange(n) - n // 2 for n in pattern.pattern_shape), indexing="ij", sparse=True)
    shape = pattern.pattern_shape
    points = [pattern.grid // 2 + r * pattern.crop_vox / n for r, n in zip(axes, shape, strict=True)]
    points = np.broadcast_arrays(*points)
    values = np.asarray(obj, dtype=np.complex128)

    def sample(part: npt.NDArray) -> npt.NDArray:
        return ndimage.map_coordinates(part, points, order=1, cval=0.0)

    moved = sample(values.real) + 1j * sample(values.imag)
    ramp = sum((c - n // 2) * r / n for r, n, c in zip(axes, shape, pattern.centre_vox, strict=True))
    return (moved * np.exp(2j * np.pi * ramp)).astype(np.complex64)
