"""The world's BCMI frame model: the Bragg beam through the modulator on the nanogoniometer."""

import math

import numpy as np
import pytest

from phasebeam.analysis.bcmi.modulator import Modulator
from phasebeam.simulators.frame_models import bcmi_pixel_m, world_modulator
from phasebeam.simulators.world import World


def _frames(world: World, model: str) -> np.ndarray:
    world.set_frame_model("eiger", model)
    return world.expected_rate("eiger", world.now())


@pytest.fixture
def world(clock):
    world = World(seed=0, clock=clock)
    world.place("eta", math.degrees(world.crystal.bragg_angle_rad(world.wavelength_m())))
    return world


def test_the_modulator_passes_between_the_metals_and_the_vacuums_share_of_the_photons(world):
    bcdi = _frames(world, "bragg_rocking")
    bcmi = _frames(world, "bcmi")
    # A pure phase object would pass every photon; W absorbs: the share lies between the metal's
    # intensity transmission and 1 (the beam covers both), and the speckle differs from BCDI's.
    one_metal_pixel = Modulator(np.ones((1, 1), dtype=bool), 1e-7).transmission(world.energy_ev())
    metal = float(np.abs(one_metal_pixel[0, 0]) ** 2)
    share = bcmi.sum() / bcdi.sum()
    assert metal < share < 1.0
    correlation = np.corrcoef(bcmi.ravel(), bcdi.ravel())[0, 1]
    assert correlation < 0.9


def test_moving_the_modulator_changes_the_frame_and_moving_back_restores_it(world):
    first = _frames(world, "bcmi")
    world.place("nanogonio_x", 0.3)  # um
    moved = _frames(world, "bcmi")
    world.place("nanogonio_x", 0.0)
    assert np.abs(moved - first).sum() > 0.1 * first.sum()
    assert np.allclose(_frames(world, "bcmi"), first, rtol=1e-6, atol=1e-9 * first.max())


def test_the_modulator_is_sampled_at_the_geometrys_pixel(world):
    config = world.detectors["eiger"]
    pixel = bcmi_pixel_m(world, config, world.now())
    # lambda d2 / (N p) with d2 = 5.35 m - 1.35 mm, N = 128, p = 75 um at 9 keV: 76.7 nm.
    assert pixel == pytest.approx(world.wavelength_m() * (5.35 - 1.35e-3) / (128 * 75e-6), rel=1e-9)
    modulator = world_modulator(round(pixel, 12), round(world.energy_ev(), 1))
    assert modulator.pixel_m == pytest.approx(pixel)
    assert 0.35 < modulator.pattern.mean() < 0.65  # about 50% fill
