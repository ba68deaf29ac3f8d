"""Foucault test: the gradient across the field vanishes where the edge is in the focal plane."""

import numpy as np
import pytest

from phasebeam.analysis.foucault import foucault_focus, relative_gradient_per_px
from phasebeam.simulators.world import World, WorldSettings


@pytest.mark.parametrize("focus_mm", [0.0, 0.8])
def test_focus_is_recovered_from_the_simulated_background(focus_mm):
    world = World(WorldSettings(cutoff_focus_mm=focus_mm), seed=2)
    world.set_frame_model("camera", "knife_edge")
    world.cutoff_inserted = True
    world.place("cutoff_edge", 0.0)
    axial = np.arange(-1.5, 2.51, 0.5)
    images = []
    for position in axial:
        world.place("cutoff_axial", float(position))
        images.append(world.acquire("camera", world.now(), 0.1))
    result = foucault_focus(axial, np.asarray(images, dtype=float))
    assert result.focus_mm == pytest.approx(focus_mm, abs=0.1)
    # The gradient changes sign through the focus.
    assert np.sign(result.gradients_per_px[0]) != np.sign(result.gradients_per_px[-1])


def test_gradient_of_a_linear_ramp_and_bad_input():
    x = np.arange(64) - 31.5
    image = np.tile(100.0 + 0.5 * x, (8, 1))
    assert relative_gradient_per_px(image) == pytest.approx(0.005)
    assert relative_gradient_per_px(image, reference=image) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="at least 3 distinct positions"):
        foucault_focus([0.0, 1.0], np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match="does not change with the axial position"):
        foucault_focus([0.0, 1.0, 2.0], np.ones((3, 4, 4)))
