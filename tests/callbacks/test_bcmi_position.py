"""Where the modulator stood during a BCMI rocking scan, from the nanogoniometer's readings."""

import pytest

from phasebeam.callbacks.bragg_live import modulator_position_m

PIXEL_M = 77e-9  # the simulated BCMI geometry's pixel at 9 keV


def test_the_position_is_the_readings_in_metres_as_y_x():
    position = modulator_position_m([0.1, 0.1, 0.1], [-0.05, -0.05, -0.05], PIXEL_M)
    assert position == pytest.approx((-5e-8, 1e-7))


def test_a_modulator_that_moved_during_the_scan_is_refused():
    with pytest.raises(ValueError, match=r"the modulator moved by 30\.0 nm .* BCMI needs it still"):
        modulator_position_m([0.1, 0.13, 0.1], [0.0, 0.0, 0.0], PIXEL_M)
