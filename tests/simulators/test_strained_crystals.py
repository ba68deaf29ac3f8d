import numpy as np
import pytest

from phasebeam.simulators.strained_crystals import (
    SHAPES,
    STRAIN_FIELDS,
    crystal_shape,
    simulate_crystal,
    strain_phase,
)


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_respect_the_oversampling(shape):
    rng = np.random.default_rng(3)
    support = crystal_shape(shape, 48, 48 / 2.4, rng)
    extent = [np.ptp(idx) + 1 for idx in np.nonzero(support)]
    assert max(extent) <= 48 / 2.4 + 1
    assert support.sum() > 0.2 * (48 / 2.4) ** 3


@pytest.mark.parametrize("strain", STRAIN_FIELDS)
def test_strain_fields_span_the_requested_phase_range(strain):
    rng = np.random.default_rng(5)
    support = crystal_shape("wulff", 48, 20, rng)
    field = strain_phase(strain, support, 4 * np.pi, rng)
    assert np.ptp(field[support]) == pytest.approx(4 * np.pi, rel=1e-9)
    assert np.std(np.diff(field, axis=0)[support[1:] & support[:-1]]) < 1.0  # smooth, not noise
    crystal = simulate_crystal(n=48, strain=strain, phase_range=4 * np.pi, oversampling=2.4, seed=3)
    inside = crystal.obj[crystal.support]
    assert np.allclose(np.abs(inside), 1.0)


def test_pattern_is_poisson_counts_with_the_requested_maximum():
    crystal = simulate_crystal(n=32, max_count=5e4, seed=1)
    assert np.all(crystal.intensity == np.round(crystal.intensity))
    assert 5e4 - 5 * np.sqrt(5e4) < crystal.intensity.max() < 5e4 + 5 * np.sqrt(5e4)
    assert crystal.intensity.argmax() == np.ravel_multi_index((16, 16, 16), crystal.intensity.shape)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="oversampling must be >= 2"):
        simulate_crystal(oversampling=1.5)
    with pytest.raises(ValueError, match="shape must be one of"):
        simulate_crystal(shape="cube")
