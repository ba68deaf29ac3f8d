"""The BCMI modulator (seed 001): phase shift of 1.5 um of W at 9 keV, and the random pattern."""

import numpy as np
import pytest
from scipy import ndimage

from phasebeam.analysis.bcmi.modulator import Modulator, modulator_phase_shift, random_binary_pattern


def test_tungsten_modulator_shifts_the_phase_as_the_seed_reports():
    shift = modulator_phase_shift("W", 1.5e-6, 9000.0)
    print(f"1.5 um W at 9 keV: {shift:.3f} rad")
    assert 2.4 <= shift <= 2.5  # seed 001: 2.4 rad calculated, 2.45 rad from ptychography
    assert modulator_phase_shift("W", 3e-6, 9000.0) == pytest.approx(2 * shift)


def test_transmission_carries_that_phase_where_the_pattern_is():
    pattern = random_binary_pattern((64, 64), feature_px=3, seed=1)
    t = Modulator(pattern, 20e-9).transmission(9000.0)
    shift = modulator_phase_shift("W", 1.5e-6, 9000.0)
    assert np.allclose(np.angle(t[pattern]), -shift)
    assert np.allclose(t[~pattern], 1.0)
    assert 0.5 < np.abs(t[pattern]).min() < 1.0  # W absorbs a little at 9 keV


def test_random_pattern_has_half_fill_and_no_isolated_bits():
    pattern = random_binary_pattern((256, 256), feature_px=3, fill=0.5, seed=2)
    assert pattern.mean() == pytest.approx(0.5, abs=0.05)
    # No island of material and no hole smaller than a 3 x 3 feature (the frame's edge cuts some).
    for phase in (pattern, ~pattern):
        labels, count = ndimage.label(phase)
        edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
        sizes = np.bincount(labels.ravel())
        inner = np.setdiff1d(np.arange(1, count + 1), edge)
        assert inner.size > 20 and sizes[inner].min() >= 9, sizes[inner].min()
    assert not np.array_equal(pattern, random_binary_pattern((256, 256), feature_px=3, seed=3))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shape": (8, 8)}, r"shape \(8, 8\) must be 2-D with sides >= 4 \* feature_px = 12"),
        ({"shape": (64, 64), "fill": 0.95}, r"fill must be in \[0.1, 0.9\], got 0.95"),
    ],
)
def test_bad_pattern_requests_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        random_binary_pattern(**kwargs)


def test_bad_modulator_material_and_thickness_are_refused():
    with pytest.raises(ValueError, match="thickness_m must be > 0, got 0"):
        modulator_phase_shift("W", 0.0, 9000.0)
    with pytest.raises(ValueError, match="material 'Xx' is not an element"):
        modulator_phase_shift("Xx", 1e-6, 9000.0)
