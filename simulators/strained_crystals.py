"""Strained nanocrystals for Bragg CDI: shapes, strain phase fields and noisy diffraction patterns.

Shapes (seed 003): sphere, faceted Wulff-like polyhedra ({100} and {111} facets), Winterbottom
shapes (a Wulff shape truncated by a substrate plane), and cubes cut by random planes. Phase
fields (G . u): two Gaussians, two cosines, or a correlated random field, scaled to a chosen
peak-to-peak range inside the crystal. Patterns are |FT|^2 with the object's extent at most
1/oversampling of the grid on each axis, scaled to a maximum count, with Poisson noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

SHAPES = ("sphere", "wulff", "winterbottom", "random_cuts")
STRAIN_FIELDS = ("two_gaussians", "two_cosines", "random_field")


def _coordinates(n: int, rotation: npt.NDArray | None = None) -> tuple[npt.NDArray, npt.NDArray, npt.NDArray]:
    """Centred voxel coordinates (Z, Y, X), in the crystal's frame when ``rotation`` is given."""
    axis = np.arange(n, dtype=np.float64) - n // 2
    z, y, x = np.meshgrid(axis, axis, axis, indexing="ij")
    if rotation is None:
        return z, y, x
    r = np.asarray(rotation, dtype=np.float64)
    if r.shape != (3, 3) or not np.allclose(r @ r.T, np.eye(3), atol=1e-6):
        raise ValueError(f"rotation must be a 3x3 orthogonal matrix, got {r!r}")
    return (
        r[0, 0] * z + r[0, 1] * y + r[0, 2] * x,
        r[1, 0] * z + r[1, 1] * y + r[1, 2] * x,
        r[2, 0] * z + r[2, 1] * y + r[2, 2] * x,
    )


def crystal_shape(
    kind: str, n: int, size_vox: float, rng: np.random.Generator, rotation: npt.NDArray | None = None
) -> npt.NDArray[np.bool_]:
    """A boolean crystal of about ``size_vox`` voxels across, centred in an n^3 grid (Z, Y, X).

    ``rotation`` (3x3, orthogonal) turns the crystal's facets away from the grid axes.
    """
    if kind not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, got {kind!r}")
    if not 2 < size_vox < n:
        raise ValueError(f"size_vox must be in (2, {n}) voxels, got {size_vox}")
    z, y, x = _coordinates(n, rotation)
    half = size_vox / 2
    if kind == "sphere":
        return x * x + y * y + z * z <= half * half
    if kind == "random_cuts":
        cube = (np.abs(x) <= half) & (np.abs(y) <= half) & (np.abs(z) <= half)
        for _ in range(int(rng.integers(2, 6))):
            normal = rng.normal(size=3)
            normal /= np.linalg.norm(normal)
            offset = rng.uniform(0.3, 0.8) * half
            cube &= normal[0] * z + normal[1] * y + normal[2] * x <= offset
        return cube
    # Wulff-like: {100} facets at `half`; {111} facets cut the cube's corners (which lie at
    # |x| + |y| + |z| = 3 half) at a random depth between a cuboctahedron (2 half) and a small cut.
    shape = (np.abs(x) <= half) & (np.abs(y) <= half) & (np.abs(z) <= half)
    shape &= np.abs(x) + np.abs(y) + np.abs(z) <= half * rng.uniform(1.8, 2.6)
    if kind == "winterbottom":
        shape &= z >= -half * rng.uniform(0.2, 0.6)
    return shape


def strain_phase(
    kind: str, support: npt.NDArray[np.bool_], phase_range: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """A smooth phase field (rad) with peak-to-peak ``phase_range`` inside ``support``."""
    if kind not in STRAIN_FIELDS:
        raise ValueError(f"strain field must be one of {STRAIN_FIELDS}, got {kind!r}")
    if phase_range < 0:
        raise ValueError(f"phase_range must be >= 0 rad, got {phase_range}")
    n = support.shape[0]
    z, y, x = _coordinates(n)
    extent = max(float(np.ptp(np.nonzero(support)[0])), 2.0)
    if kind == "two_gaussians":
        field = np.zeros(support.shape)
        for sign in (1.0, -1.0):
            centre = rng.uniform(-0.3, 0.3, size=3) * extent
            width = rng.uniform(0.15, 0.35) * extent
            r2 = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2
            field += sign * np.exp(-r2 / (2 * width**2))
    elif kind == "two_cosines":
        field = np.zeros(support.shape)
        for _ in range(2):
            k = rng.normal(size=3)
            k *= 2 * np.pi * rng.uniform(0.4, 1.0) / (extent * np.linalg.norm(k))
            field += np.cos(k[0] * z + k[1] * y + k[2] * x + rng.uniform(0, 2 * np.pi))
    else:
        field = ndimage.gaussian_filter(rng.normal(size=support.shape), sigma=0.15 * extent, mode="wrap")
    inside = field[support]
    span = float(np.ptp(inside))
    if span == 0:
        return np.zeros(support.shape)
    scaled = (field - inside.min()) / span * phase_range
    return scaled - phase_range / 2


@dataclass(frozen=True)
class SimulatedCrystal:
    """A crystal, its complex object and its measured-like pattern (all centred, Z, Y, X).

    Attributes:
        obj: complex object, modulus 1 inside the crystal, phase = the strain field.
        support: the crystal's shape.
        intensity: counts (float32) with Poisson noise.
        bad_pixels: non-zero where the detector did not measure (gaps, beamstop), CXI style.
    """

    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    intensity: npt.NDArray[np.float32]
    bad_pixels: npt.NDArray[np.uint8]


def simulate_crystal(
    n: int = 64,
    shape: str = "wulff",
    phase_range: float = 1.0,
    strain: str = "two_gaussians",
    oversampling: float = 2.5,
    max_count: float = 1e5,
    seed: int = 0,
    gap_width: int = 0,
    beamstop_radius: int = 0,
) -> SimulatedCrystal:
    """Simulate a strained crystal and its Bragg pattern.

    Args:
        n: grid size (voxels per axis).
        shape: one of :data:`SHAPES`.
        phase_range: peak-to-peak phase inside the crystal (rad); > 2 pi is "highly strained".
        strain: one of :data:`STRAIN_FIELDS`.
        oversampling: grid size / crystal size per axis (>= 2 for phasing).
        max_count: counts in the brightest pixel before noise.
        seed: random seed.
        gap_width: width (pixels) of a detector gap through the centre along Y (0: none).
        beamstop_radius: radius (pixels) of a masked disc around the central pixel (0: none).
    """
    if oversampling < 2:
        raise ValueError(f"oversampling must be >= 2 per axis, got {oversampling}")
    if not max_count > 0:
        raise ValueError(f"max_count must be > 0, got {max_count}")
    rng = np.random.default_rng(seed)
    support = crystal_shape(shape, n, n / oversampling, rng)
    phase_field = strain_phase(strain, support, phase_range, rng)
    obj = (support * np.exp(1j * phase_field)).astype(np.complex64)
    pattern = np.abs(np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(obj)))) ** 2
    pattern *= max_count / pattern.max()
    intensity = rng.poisson(pattern).astype(np.float32)
    bad = np.zeros(intensity.shape, dtype=np.uint8)
    c = n // 2
    if gap_width:
        bad[:, :, c - gap_width // 2 : c - gap_width // 2 + gap_width] = 1
    if beamstop_radius:
        z, y, x = _coordinates(n)
        bad[(z * z + y * y + x * x) <= beamstop_radius**2] = 1
    return SimulatedCrystal(obj, support, intensity, bad)
