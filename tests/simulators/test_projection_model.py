"""Absorption projections: Beer-Lambert through a sphere, and the 0/180 mirror symmetry."""

import numpy as np
import pytest

from phasebeam.simulators.frame_models import absorption_projection_frame
from phasebeam.simulators.projection import SpheresSample, projected_thickness_m
from phasebeam.simulators.world import World


def test_a_sphere_on_the_axis_has_its_diameter_as_central_path():
    sample = SpheresSample(np.array([[0.0, 0.0, 0.0]]), np.array([1e-6]), "NiO", 6.67)
    path = projected_thickness_m(sample, 37.0, (65, 65), 50e-9)
    assert path[32, 32] == pytest.approx(2e-6)
    # Volume = sum of the path times the pixel area.
    assert path.sum() * (50e-9) ** 2 == pytest.approx(4 / 3 * np.pi * 1e-18, rel=0.01)


def test_projection_at_theta_plus_180_is_the_mirror_image():
    world = World()
    config = world.detectors["camera"]
    world.place("theta", 30.0)
    at_30 = absorption_projection_frame(world, config, world.now())
    world.place("theta", 210.0)
    at_210 = absorption_projection_frame(world, config, world.now())
    assert not np.allclose(at_30, at_30[:, ::-1], rtol=1e-3)
    assert np.allclose(at_210, at_30[:, ::-1], rtol=1e-9)
    # NiO spheres of 1-1.5 um absorb a few per cent at 8 keV: exp(-mu d) with mu from xraydb.
    assert 0.5 < at_30.min() / np.median(at_30) < 0.99
