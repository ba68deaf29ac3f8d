"""Displacement and strain from a known displacement field."""

import numpy as np
import pytest

from phasebeam.analysis.strain import modulus_histogram, strain_maps
from phasebeam.simulators.strained_crystals import crystal_shape


def test_known_quadratic_displacement_gives_linear_strain_through_a_wrap():
    n, voxel, d = 48, 5e-9, 2.2656e-10
    support = crystal_shape("sphere", n, 30, np.random.default_rng(0))
    z = (np.arange(n) - n // 2)[:, None, None] * voxel * np.ones((1, n, n))
    # u = a z^2 (m), strain du/dz = 2 a z; a keeps the phase gradient under 1 rad/voxel at the
    # crystal's edge (15 voxels out), so that it is sampled without aliasing.
    a = d / (2 * np.pi * 2 * 15 * voxel * voxel)
    u = a * z**2
    phase = 2 * np.pi * u / d  # several multiples of 2 pi across the crystal
    assert np.ptp(phase[support]) > 2 * np.pi
    obj = support * np.exp(1j * (phase + 0.8))  # with a phase offset
    maps = strain_maps(obj, support, d_spacing_m=d, voxel_m=voxel, q_axis=0, remove_phase_ramp=False)
    interior = support & np.roll(support, 1, 0) & np.roll(support, -1, 0)
    expected = 2 * a * z
    assert (
        np.nanmax(np.abs(maps.strain[interior] - expected[interior])) < 1e-3 * np.abs(expected).max() + 1e-9
    )
    # The displacement is recovered up to a constant.
    offset = np.nanmean(maps.displacement_m[support] - u[support])
    assert np.nanmax(np.abs(maps.displacement_m[support] - u[support] - offset)) < 1e-3 * d


def test_ramp_is_removed_and_reported():
    n = 24
    support = crystal_shape("sphere", n, 14, np.random.default_rng(0))
    grids = np.meshgrid(*[np.arange(n, dtype=float)] * 3, indexing="ij")
    obj = support * np.exp(1j * (0.3 * grids[0] - 0.2 * grids[2]))
    maps = strain_maps(obj, support, d_spacing_m=2e-10, voxel_m=1e-8)
    assert maps.ramp_rad_per_voxel == pytest.approx((0.3, 0.0, -0.2), abs=1e-6)
    assert np.nanmax(np.abs(maps.phase_rad)) < 1e-6


def test_modulus_histogram_of_a_homogeneous_crystal_peaks_at_one():
    support = crystal_shape("wulff", 32, 14, np.random.default_rng(1))
    density, edges = modulus_histogram(support * 3.0 * np.exp(0.5j), support, bins=20)
    assert edges[np.argmax(density)] >= 0.95 - 1e-9
    with pytest.raises(ValueError, match="support is empty"):
        modulus_histogram(support, np.zeros_like(support))
