"""Regions of interest of a tomogram and the energies of an edge sweep."""

import numpy as np
import pytest
import xraydb

from phasebeam.analysis.xsn.sweep_regions import box_region, edge_energies_ev, k_edge_ev, threshold_region


def test_threshold_region_is_the_dense_sphere():
    z, y, x = np.indices((40, 40, 40)) - 19.5
    sphere = x**2 + y**2 + z**2 < 8.0**2  # 2,100 voxels: 3% of the volume, above the 99.9th percentile
    delta = np.where(sphere, 2e-5, 0.0) + np.where((np.abs(x) < 20) & (np.abs(y) < 3), 4e-6, 0.0)
    region = threshold_region(delta, 0.5)
    assert np.array_equal(region, sphere)  # the thin 4e-6 slab is below half of 2e-5


def test_threshold_region_refuses_an_empty_or_bad_tomogram():
    with pytest.raises(ValueError, match="no sample"):
        threshold_region(np.zeros((8, 8, 8)))
    with pytest.raises(ValueError, match="finite 3-D"):
        threshold_region(np.full((8, 8), 1.0))
    with pytest.raises(ValueError, match=r"fraction=1.5 must be in \(0, 1\)"):
        threshold_region(np.ones((8, 8, 8)), 1.5)


def test_box_region_counts_its_voxels_and_names_a_bad_axis():
    region = box_region((10, 20, 30), (1, 4, 0, 20, 10, 15))
    assert region.sum() == 3 * 20 * 5 and region[1, 0, 10] and not region[4, 0, 10]
    with pytest.raises(ValueError, match=r"axis Y range \[5, 25\) must lie within \[0, 20\)"):
        box_region((10, 20, 30), (0, 1, 5, 25, 0, 1))
    with pytest.raises(ValueError, match="z0, z1, y0, y1, x0, x1"):
        box_region((10, 20, 30), (0, 1, 0, 1))


def test_edge_energies_are_the_nearest_below_and_the_highest_above():
    edge = float(xraydb.xray_edge("Ni", "K").energy)
    assert k_edge_ev("Ni") == edge and 8330 < edge < 8335
    energies = np.arange(8313.0, 8354.0, 4.0)  # seed 004's 40 eV across the edge
    assert edge_energies_ev(energies[::-1], "Ni") == (8329.0, 8353.0)
    with pytest.raises(ValueError, match=r"8200.0-8300.0 eV do not straddle the Ni K edge at 833\d.\d eV"):
        edge_energies_ev([8200.0, 8300.0], "Ni")
    with pytest.raises(ValueError, match="Xx"):
        k_edge_ev("Xx")
