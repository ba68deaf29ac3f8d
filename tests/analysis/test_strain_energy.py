"""Strain field energy: an analytic uniform strain, and the lattice energy recovered from voxels."""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d

from phasebeam.analysis.strain_energy import (
    fit_lattice_strain_energy,
    lattice_strain_energy,
    strain_field_energy_j,
)

GOLD_BULK_MODULUS_PA = 180e9


def test_uniform_strain_energy_is_three_halves_k_eps_squared_v():
    n, voxel, eps = 20, 4e-9, 2e-3
    support = np.zeros((n, n, n), bool)
    support[3:17, 2:18, 5:15] = True
    z = np.arange(n)[:, None, None] * voxel * np.ones((1, n, n))
    strain = np.gradient(np.where(support, eps * z, np.nan), voxel, axis=0)
    energy = strain_field_energy_j(strain, support, voxel, GOLD_BULK_MODULUS_PA)
    # np.gradient leaves NaN on the two faces of the support normal to z: 12 of 14 planes count.
    expected = 1.5 * GOLD_BULK_MODULUS_PA * eps**2 * (12 * 16 * 10) * voxel**3
    assert energy == pytest.approx(expected, rel=1e-9)


def _gaussian_correlated_lattice(
    n_planes: int, transverse: int, sigma_planes: float, seed: int
) -> np.ndarray:
    """Displacement (in lattice spacings) of each lattice plane along axis 0, independent columns."""
    noise = np.random.default_rng(seed).standard_normal((n_planes, transverse, transverse))
    # Filtering white noise with a Gaussian of width s gives a Gaussian correlation of width s*sqrt(2).
    u = gaussian_filter1d(noise, sigma_planes / np.sqrt(2), axis=0, mode="wrap")
    return u * 1e-3 / np.sqrt(np.mean(np.diff(u, axis=0) ** 2))  # lattice strain RMS 1e-3


def test_lattice_energy_is_recovered_from_binned_voxels():
    lattice_m, r0, sigma_planes = 4.08e-10, 2, 5.0
    u_planes = _gaussian_correlated_lattice(16384, 8, sigma_planes, seed=3)
    # The "image": voxels of r0 planes, each the mean displacement of its planes (in m).
    voxel_m = r0 * lattice_m
    image = u_planes.reshape(-1, r0, 8, 8).mean(axis=1) * lattice_m
    support = np.ones(image.shape, bool)
    # Truth: forward differences between neighbouring planes, over the image's volume.
    volume_m3 = support.sum() * voxel_m**3
    truth_j = 1.5 * GOLD_BULK_MODULUS_PA * volume_m3 * np.mean(np.diff(u_planes, axis=0) ** 2)
    result = lattice_strain_energy(
        image, support, voxel_m, lattice_m, GOLD_BULK_MODULUS_PA, binning=(1, 2, 3, 4, 6, 8)
    )
    assert result.lattice_energy_j == pytest.approx(truth_j, rel=0.02)
    assert result.correlation_length_lattice == pytest.approx(sigma_planes, rel=0.05)
    # The voxels alone underestimate the lattice's energy, more so the coarser they are.
    assert all(np.diff(result.voxel_energy_j) < 0)
    assert result.voxel_energy_j[0] < truth_j
    assert np.allclose(result.fitted_energy_j, result.voxel_energy_j, rtol=0.03)


def test_fit_recovers_its_own_model():
    r = np.array([5.0, 10.0, 15.0, 20.0, 30.0])
    sigma = 12.0
    d = np.arange(-40, 41, dtype=float)

    def pair_difference(rv: float) -> float:
        w = np.clip(rv - np.abs(d), 0, None)
        w /= w.sum()
        return float(
            np.sum(w * np.exp(-(d**2) / (2 * sigma**2)))
            - np.sum(w * np.exp(-((2 * rv + d) ** 2) / (2 * sigma**2)))
        )

    lattice_j = 3.0e-15
    c = lattice_j / (1 - np.exp(-1 / (2 * sigma**2)))
    energies = [c * pair_difference(rv) / (4 * rv**2) for rv in r]
    result = fit_lattice_strain_energy(r, energies)
    assert result.lattice_energy_j == pytest.approx(lattice_j, rel=1e-4)
    assert result.correlation_length_lattice == pytest.approx(sigma, rel=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"voxel_to_lattice": [2, 3], "voxel_energy_j": [1.0, 0.5]}, "at least 3 distinct"),
        ({"voxel_to_lattice": [0.5, 2, 3], "voxel_energy_j": [1.0, 0.5, 0.2]}, "must be >= 1"),
        (
            {"voxel_to_lattice": [1, 2, 3], "voxel_energy_j": [1.0, -0.5, 0.2]},
            "voxel_energy_j must be finite and > 0 J",
        ),
    ],
)
def test_fit_refuses_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fit_lattice_strain_energy(**kwargs)


def test_energy_refuses_bad_input():
    support = np.ones((4, 4, 4), bool)
    with pytest.raises(ValueError, match="bulk_modulus_pa must be > 0, got -1"):
        strain_field_energy_j(np.zeros((4, 4, 4)), support, 1e-9, -1.0)
    with pytest.raises(ValueError, match="differ in shape"):
        strain_field_energy_j(np.zeros((4, 4, 5)), support, 1e-9, 1e9)
    with pytest.raises(ValueError, match="binning 2 leaves 2 voxels along q; at most 1"):
        lattice_strain_energy(np.zeros((4, 4, 4)), support, 1e-9, 4e-10, 1e9, binning=(1, 2, 3))
