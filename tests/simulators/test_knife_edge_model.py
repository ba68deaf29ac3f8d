"""The knife-edge frame model against Eq. 6 of seed 004: d<I>/dx_cut recovers the world's I_k."""

import numpy as np
import pytest

from phasebeam.analysis.knife_edge import angular_spectrum_from_knife_edge
from phasebeam.simulators.world import World


def _mean_background(world: World, edges_um) -> np.ndarray:
    means = []
    for edge in edges_um:
        world.place("cutoff_edge", float(edge))
        means.append(world.acquire("camera", world.now(), exposure_s=0.1).mean())
    return np.array(means)


def test_derivative_of_mean_background_recovers_the_illumination_spectrum(clock):
    world = World(seed=3, clock=clock)
    world.cutoff_inserted = True
    edges_um = np.arange(-70.0, 70.1, 2.0)
    means = _mean_background(world, edges_um)
    energy = world.energy_ev()
    spectrum = angular_spectrum_from_knife_edge(
        edges_um * 1e-6, means, world.wavelength_m(), world.zone_plate_focal_length_m(energy)
    )
    truth = world.illumination.density_at(spectrum.edge_m)
    truth /= np.sum(truth * np.diff(edges_um * 1e-6))
    relative_error = np.linalg.norm(spectrum.density_per_m - truth) / np.linalg.norm(truth)
    assert relative_error <= 0.05, relative_error
    # The uneven illumination (tilt) must show: a symmetric guess would fail.
    assert np.linalg.norm(spectrum.density_per_m - truth[::-1]) / np.linalg.norm(truth) > 0.1


def test_edge_out_passes_everything_and_edge_closed_blocks_everything(clock):
    world = World(seed=4, clock=clock)
    open_mean = world.acquire("camera", world.now(), 0.1).mean()
    world.cutoff_inserted = True
    world.place("cutoff_edge", 200.0)  # beyond the illuminated part of the pupil
    assert world.acquire("camera", world.now(), 0.1).mean() == 0.0
    world.place("cutoff_edge", -200.0)
    assert np.isclose(world.acquire("camera", world.now(), 0.1).mean(), open_mean, rtol=1e-3)


def test_foucault_defocused_edge_darkens_with_a_gradient_in_focus_uniformly(clock):
    world = World(seed=5, clock=clock)
    reference = world.expected_rate("camera", world.now())
    world.cutoff_inserted = True
    world.place("cutoff_edge", 10.0)  # the middle of the illumination
    in_focus = (world.expected_rate("camera", world.now()) / reference).mean(axis=0)
    contrast = {}
    for defocus_mm in (3.0, 6.0):  # behind the back focal plane
        world.place("cutoff_axial", defocus_mm)
        profile = (world.expected_rate("camera", world.now()) / reference).mean(axis=0)
        assert np.all(np.diff(profile) < 0)  # monotonic across the field
        contrast[defocus_mm] = np.ptp(profile)
    assert np.ptp(in_focus) < 1e-9
    assert contrast[3.0] > 0.005
    # The effective cut moves by defocus * field / f: the gradient is linear in the defocus.
    assert contrast[6.0] / contrast[3.0] == pytest.approx(2.0, rel=0.02)
