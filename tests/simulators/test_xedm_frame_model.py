"""The ``xedm`` frame model: the snake scan's frames from the membrane under the beam."""

import dataclasses

import numpy as np
import pytest

from phasebeam.simulators.world import DetectorConfig, World
from phasebeam.simulators.xedm import EnsembleMembrane


def _world(clock) -> World:
    world = World(seed=3, clock=clock)
    world.detectors["eiger"] = DetectorConfig((256, 256), 75e-6, 2.08, "xedm")
    return world


def _find(membrane: EnsembleMembrane, kind: str) -> tuple[float, float]:
    """A stage position (um) whose membrane cell is of ``kind`` (cells are 10 um)."""
    for i in range(2000):
        y_um, x_um = 5.0 + 10 * (i // 40), 5.0 + 10 * (i % 40)
        if membrane.state_at(-y_um * 1e-6, -x_um * 1e-6)[0] == kind:
            return y_um, x_um
    raise AssertionError(f"no {kind} cell found")


def test_frames_follow_the_membrane_under_the_beam(clock):
    world = _world(clock)
    membrane = world.membrane
    totals = {}
    for kind in ("good", "background", "streak"):
        y_um, x_um = _find(membrane, kind)
        world.place("sample_y", y_um)
        world.place("sample_x", x_um)
        totals[kind] = world.expected_rate("eiger", world.now()).sum()
    world.place("sample_x", 300.0)  # the silicon frame, beyond the 250 um half-width window
    totals["frame"] = world.expected_rate("eiger", world.now()).sum()
    assert totals["frame"] < 0.1 * totals["good"]
    assert totals["background"] < 0.5 * totals["good"]
    # The same place gives the same frame; the flux scales it.
    y_um, x_um = _find(membrane, "good")
    world.place("sample_y", y_um)
    world.place("sample_x", x_um)
    first = world.expected_rate("eiger", world.now())
    assert np.array_equal(first, world.expected_rate("eiger", world.now()))
    world.ring_current_ma = world.settings.nominal_ring_current_ma / 2
    assert world.expected_rate("eiger", world.now()).sum() == pytest.approx(first.sum() / 2, rel=1e-6)


def test_a_frame_counts_poisson_around_the_rate(clock):
    world = _world(clock)
    y_um, x_um = _find(world.membrane, "good")
    world.place("sample_y", y_um)
    world.place("sample_x", x_um)
    rate = world.expected_rate("eiger", world.now())
    frame = world.acquire("eiger", world.now(), 60.0)
    assert frame.dtype == np.uint32
    assert frame.sum() == pytest.approx(60.0 * rate.sum(), rel=0.01)
    assert np.all(frame[rate == 0] == 0)  # gaps and beamstop count nothing


def test_the_membrane_is_reproducible_and_configurable():
    membrane = EnsembleMembrane(seed=5)
    assert membrane.state_at(12e-6, -31e-6) == membrane.state_at(12e-6, -31e-6)
    assert membrane.state_at(0.0, 260e-6)[0] == "frame"
    assert membrane.state_at(245e-6, 0.0)[0] == "streak"  # the window's edge
    bare = dataclasses.replace(membrane, bare_fraction=1.0, dust_fraction=0.0)
    assert bare.state_at(12e-6, -31e-6)[0] == "background"
