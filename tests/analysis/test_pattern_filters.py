"""Seed 002's pattern filters: Eq. 4 on Poisson noise, on a streak, and the weak-pattern test."""

import numpy as np
import pytest

from phasebeam.analysis.pattern_filters import dispersion_chi2, judge_pattern, ring_region


def test_chi2_of_a_flat_poisson_ring_is_its_pixel_count():
    region = ring_region((128, 128), 20.0, 6.0)
    n = int(region.sum())
    rng = np.random.default_rng(4)
    values = [dispersion_chi2(rng.poisson(50.0, (128, 128)), region) for _ in range(200)]
    # The index of dispersion of n Poisson counts is chi^2 with n - 1 degrees of freedom.
    assert np.mean(values) == pytest.approx(n - 1, abs=4 * np.sqrt(2 * (n - 1) / 200))
    assert np.std(values) == pytest.approx(np.sqrt(2 * (n - 1)), rel=0.15)


def test_a_streak_through_the_ring_raises_chi2_and_is_rejected():
    rng = np.random.default_rng(5)
    pattern = rng.poisson(50.0, (128, 128)).astype(float)
    region = ring_region(pattern.shape, 20.0, 6.0)
    clean = dispersion_chi2(pattern, region)
    streaked = pattern.copy()
    streaked[63:65, :] += rng.poisson(400.0, (2, 128))  # edge scattering along x
    verdict = judge_pattern(streaked, region, typical_total=float(pattern.sum()), chi2_threshold=1.6 * clean)
    assert verdict.chi2 > 3 * clean and not verdict.kept and verdict.reason == "streak"
    weak = judge_pattern(pattern / 11, region, typical_total=float(pattern.sum()), chi2_threshold=None)
    assert not weak.kept and weak.reason == "weak"
    fine = judge_pattern(pattern, region, typical_total=float(pattern.sum()), chi2_threshold=1.6 * clean)
    assert fine.kept and fine.reason == ""


def test_ring_arguments_are_checked():
    with pytest.raises(ValueError, match=r"width_px=0 > 0 px"):
        ring_region((16, 16), 2.0, 0)
    with pytest.raises(ValueError, match="holds no pixel"):
        ring_region((16, 16), 40.0, 2.0)
