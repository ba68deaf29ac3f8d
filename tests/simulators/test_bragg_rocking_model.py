"""Bragg rocking frames: peak at the Bragg angle; counts scale with crystal volume and exposure."""

import math

import numpy as np
import pytest

from phasebeam.simulators.bragg_rocking import BraggCrystal
from phasebeam.simulators.crystals import ellipsoid
from phasebeam.simulators.world import World


def _integrated(world: World, etas_deg) -> np.ndarray:
    out = []
    for eta in etas_deg:
        world.place("eta", float(eta))
        out.append(world.expected_rate("eiger", world.now()).sum())
    return np.array(out)


def _bragg_deg(world: World) -> float:
    return math.degrees(world.crystal.bragg_angle_rad(world.wavelength_m()))


def test_integrated_intensity_peaks_at_the_bragg_angle(clock):
    world = World(seed=0, clock=clock)
    theta_b = _bragg_deg(world)
    offsets = np.linspace(-0.2, 0.2, 81)
    curve = _integrated(world, theta_b + offsets)
    assert abs(offsets[np.argmax(curve)]) <= 0.0026
    assert np.allclose(curve, curve[::-1], rtol=1e-6)  # a centro-symmetric crystal rocks symmetrically
    assert curve[0] < 0.05 * curve.max()


def test_peak_moves_with_energy_as_bragg_law_says(clock):
    world = World(seed=0, clock=clock)
    world.place("dcm_bragg", 13.44978)  # about 8.5 keV on Si(111)
    theta_b = math.degrees(math.asin(world.wavelength_m() / (2 * world.crystal.d_spacing_m)))
    offsets = np.linspace(-0.1, 0.1, 41)
    curve = _integrated(world, theta_b + offsets)
    assert abs(offsets[np.argmax(curve)]) <= 0.003


def test_total_counts_scale_with_crystal_volume(clock):
    # Sum over a rocking range wide enough to hold (nearly) all of |F|^2: Parseval gives sum |rho|^2.
    world = World(seed=0, clock=clock)
    theta_b = _bragg_deg(world)
    offsets = np.linspace(-0.6, 0.6, 241)
    totals = []
    volumes = []
    for semi_axes in [(6.0, 7.0, 8.0), (7.6, 8.8, 10.1)]:
        shape = ellipsoid((32, 32, 32), semi_axes)
        world.crystal = BraggCrystal(shape.astype(np.complex128), 20e-9, world.crystal.d_spacing_m)
        totals.append(_integrated(world, theta_b + offsets).sum())
        volumes.append(shape.sum())
    assert volumes[1] / volumes[0] == pytest.approx(2.0, rel=0.05)
    assert totals[1] / totals[0] == pytest.approx(volumes[1] / volumes[0], rel=0.05)


def test_counts_scale_with_exposure(clock):
    world = World(seed=1, clock=clock)
    short = world.acquire("eiger", world.now(), 0.5).sum(dtype=np.int64)
    long = world.acquire("eiger", world.now(), 2.0).sum(dtype=np.int64)
    expected = world.expected_rate("eiger", world.now()).sum()
    assert short == pytest.approx(0.5 * expected, abs=5 * math.sqrt(0.5 * expected))
    assert long == pytest.approx(2.0 * expected, abs=5 * math.sqrt(2.0 * expected))


def test_no_beam_no_counts(clock):
    world = World(seed=1, clock=clock)
    world.injection = True
    assert world.acquire("eiger", world.now(), 1.0).sum() == 0
    world.injection = False
    world.ring_current_ma = 0.0
    assert world.acquire("eiger", world.now(), 1.0).sum() == 0
