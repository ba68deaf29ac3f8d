import numpy as np
import pytest

from phasebeam.analysis.cdi.align import align, shift_array, twin_of
from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.analysis.cdi.likelihood import poisson_llk
from phasebeam.analysis.cdi.support import autocorrelation_support, shrink_wrap
from phasebeam.simulators.strained_crystals import simulate_crystal


@pytest.fixture(scope="module")
def crystal():
    return simulate_crystal(n=32, shape="winterbottom", phase_range=2.0, seed=4, max_count=1e6)


def test_alignment_undoes_twin_shift_and_phase_offset(crystal):
    moved = shift_array(twin_of(crystal.obj), (1.5, -2.25, 0.5)) * np.exp(0.7j)
    result = align(crystal.obj, moved)
    assert result.twin
    assert result.correlation > 0.99
    score = compare(moved, crystal.obj, crystal.support)
    assert score.dice > 0.97 and score.phase_rms_rad < 0.05


def test_a_wrong_object_scores_badly(crystal):
    other = simulate_crystal(n=32, shape="sphere", phase_range=2.0, seed=9)
    score = compare(other.obj, crystal.obj, crystal.support)
    assert not score.success()


def test_autocorrelation_support_contains_the_crystal(crystal):
    support = autocorrelation_support(crystal.intensity, np.ones_like(crystal.support), threshold=0.1)
    assert np.all(support[crystal.support])
    assert support.sum() < 8 * crystal.support.sum()  # about twice the extent per axis


def test_shrink_wrap_of_the_true_modulus_finds_the_crystal_and_border_only_keeps_the_interior(crystal):
    found = shrink_wrap(np.abs(crystal.obj), sigma=0.5, threshold=0.5)
    dice = 2 * np.sum(found & crystal.support) / (found.sum() + crystal.support.sum())
    assert dice > 0.95
    blob = np.zeros(crystal.support.shape, dtype=bool)
    blob[8:24, 8:24, 8:24] = True
    refined = shrink_wrap(np.abs(crystal.obj), 0.5, 0.5, current=blob, border_only=True)
    from scipy import ndimage

    interior = ndimage.binary_erosion(blob)
    outside = ~ndimage.binary_dilation(blob)
    assert np.array_equal(refined[interior], blob[interior])
    assert not refined[outside].any()


def test_poisson_llk_is_about_half_per_pixel_for_a_correct_model():
    rng = np.random.default_rng(2)
    expected = np.full((40, 40, 40), 200.0)
    observed = rng.poisson(expected).astype(float)
    pixels = np.ones(expected.shape, dtype=bool)
    assert poisson_llk(expected, observed, pixels) == pytest.approx(0.5, abs=0.02)
    assert poisson_llk(expected * 1.2, observed, pixels) > 2.0
