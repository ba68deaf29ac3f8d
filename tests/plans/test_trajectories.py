"""Scan geometry on its own: counts, spacing, order and the errors for bad arguments."""

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree

from phasebeam.plans.trajectories import (
    energies_ev,
    fermat_spiral_um,
    fly_angles_deg,
    knife_edge_positions_um,
    pair_angles_deg,
    rocking_offsets_deg,
    snake_raster_um,
)


def test_fermat_spiral_of_seed_001_covers_the_area_at_the_step():
    points = fermat_spiral_um(6.0, 6.0, 0.12)
    # Each point covers step^2 on average: about (6 / 0.12)^2 = 2500 points.
    assert len(points) == pytest.approx(2500, rel=0.03)
    assert np.all(np.abs(points) <= 3.0 + 1e-12)
    spacing, _ = cKDTree(points).query(points, k=2)
    nearest = spacing[:, 1]
    assert 0.8 * 0.12 < np.median(nearest) < 1.2 * 0.12
    assert nearest.min() > 0.05  # no two points on top of each other
    assert np.linalg.norm(points[0]) == 0.0  # starts at the centre


def test_snake_raster_order_and_count():
    points = snake_raster_um(0.0, 20.0, 0.0, 10.0, 10.0)
    assert points.tolist() == [[0, 0], [10, 0], [20, 0], [20, 10], [10, 10], [0, 10]]
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    assert steps.max() == 10.0  # snake order never jumps back across the row


def test_rocking_defaults_are_seed_001():
    offsets = rocking_offsets_deg()
    assert len(offsets) == 201 and offsets[0] == -0.5 and offsets[-1] == 0.5
    assert np.allclose(np.diff(offsets), 0.005)


def test_pairs_and_fly_angles():
    pairs = pair_angles_deg(4)
    assert pairs.tolist() == [[0, 180], [45, 225], [90, 270], [135, 315]]
    angles = fly_angles_deg()
    assert len(angles) == 900 and angles[0] == pytest.approx(0.2)
    assert angles[-1] - angles[0] == pytest.approx(359.6)


def test_energy_list_of_seed_004():
    energies = energies_ev(8313.0, 8353.0, 4.0)
    assert len(energies) == 11 and energies[0] == 8313 and energies[-1] == 8353
    assert energies_ev(values_ev=[8300.0, 8400.0]).tolist() == [8300.0, 8400.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fermat_spiral_um(6, 6, 0), r"step_um=0 is outside the allowed range \(0, 6"),
        (lambda: fermat_spiral_um(-1, 6, 0.1), r"width_um=-1 is outside the allowed range"),
        (lambda: snake_raster_um(10, 0, 0, 10, 1), "x_stop=0 must be >= x_start=10"),
        (lambda: rocking_offsets_deg(0.5, -0.5, 0.005), r"stop_deg=-0.5 is outside the allowed range"),
        (lambda: pair_angles_deg(0), r"pairs=0 is outside the allowed range \[1, 100000\]"),
        (lambda: fly_angles_deg(speed_deg_per_s=-0.2), "speed_deg_per_s=-0.2 is outside"),
        (lambda: energies_ev(8300, 8400, 0), r"step_ev=0 is outside"),
        (
            lambda: energies_ev(values_ev=[8300, 50000]),
            r"energy_ev=50000.0 is outside the allowed range \[2000",
        ),
        (lambda: energies_ev(8300, 8400, 4, values_ev=[1.0]), "not both"),
        (lambda: knife_edge_positions_um(-500, 0, 5), r"start_um=-500 is outside the allowed range \[-225"),
        (lambda: fermat_spiral_um(6, 6, math.nan), "step_um=nan"),
    ],
)
def test_bad_arguments_name_the_parameter_value_and_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()
