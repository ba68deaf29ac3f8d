"""Far-field frames: power conservation, the Gaussian probe's analytic pattern, stage translation."""

import dataclasses
import math

import numpy as np
import pytest

from phasebeam.simulators.far_field import SphereParticles
from phasebeam.simulators.world import World


def _far_field_world(clock, beamstop: float = 0.0) -> World:
    world = World(seed=2, clock=clock)
    world.settings.beamstop_radius_px = beamstop
    world.set_frame_model("eiger", "far_field")
    return world


def test_empty_membrane_conserves_power_and_gives_the_gaussian_transform(clock):
    world = _far_field_world(clock)
    world.particles = SphereParticles(np.zeros((0, 2)), 150e-9)
    rate = world.expected_rate("eiger", world.now())
    assert rate.sum() == pytest.approx(world.photon_rate(), rel=1e-9)
    # |FT|^2 of a Gaussian of intensity sigma_I is a Gaussian of sigma_f = 1 / (4 pi sigma_I).
    config = world.detectors["eiger"]
    n = config.shape[0]
    dx = world.wavelength_m() * config.distance_m / (n * config.pixel_m)
    sigma_i = world.settings.probe_fwhm_m / (2 * math.sqrt(2 * math.log(2)))
    sigma_px = n * dx / (4 * math.pi * sigma_i)
    profile = rate.sum(axis=0)
    u = np.arange(n) - n // 2
    variance = np.sum(profile * u**2) / profile.sum()
    assert math.sqrt(variance) == pytest.approx(sigma_px, rel=0.02)


def test_particles_scatter_out_of_the_direct_beam(clock):
    world = _far_field_world(clock, beamstop=8.0)
    world.particles = SphereParticles(np.zeros((0, 2)), 150e-9)
    empty = world.expected_rate("eiger", world.now()).sum()
    world.particles = SphereParticles(np.array([[0.0, 0.0], [0.3e-6, -0.4e-6]]), 150e-9)
    with_particles = world.expected_rate("eiger", world.now()).sum()
    assert with_particles > 10 * empty


def test_moving_the_stage_equals_moving_the_particles(clock):
    world = _far_field_world(clock, beamstop=8.0)
    centres = np.random.default_rng(0).uniform(-3e-6, 3e-6, size=(12, 2))
    world.particles = SphereParticles(centres, 150e-9)
    world.place("sample_x", 2.0)
    world.place("sample_y", -1.0)
    moved_stage = world.expected_rate("eiger", world.now())
    world.place("sample_x", 0.0)
    world.place("sample_y", 0.0)
    world.particles = dataclasses.replace(world.particles, centres_m=centres + np.array([-1.0e-6, 2.0e-6]))
    moved_particles = world.expected_rate("eiger", world.now())
    assert np.allclose(moved_stage, moved_particles, rtol=1e-9, atol=1e-9 * moved_stage.max())
    assert moved_stage[world.detectors["eiger"].shape[0] // 2, world.detectors["eiger"].shape[1] // 2] == 0.0
