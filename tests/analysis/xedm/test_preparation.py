import numpy as np
import pytest

from phasebeam.analysis.xedm.particles import sphere_function
from phasebeam.analysis.xedm.preparation import (
    bin_pattern,
    central_speckle_diameter_px,
    find_centre,
    prepare_pattern,
    symmetrise,
)
from phasebeam.simulators.xedm import EnsembleSetup, expected_frame


def small_setup() -> EnsembleSetup:
    return EnsembleSetup(
        shape=(256, 256), centre_px=(127.6, 128.3), beamstop_radius_px=10.0, first_gap_px=(180, 50)
    )


def test_the_centre_of_symmetry_is_found_to_a_tenth_of_a_pixel():
    setup = small_setup()
    pattern = np.random.default_rng(0).poisson(expected_frame(setup, 20 * 25000)).astype(float)
    centre = find_centre(pattern, ~setup.mask, inner_radius_px=12)
    assert centre == pytest.approx(setup.centre_px, abs=0.1)


def test_missing_pixels_are_patched_from_their_friedel_partners():
    rng = np.random.default_rng(1)
    half = rng.random((33, 33))
    symmetric = half + half[::-1, ::-1]  # exactly centro-symmetric about (16, 16)
    pattern = np.pad(symmetric, ((3, 0), (5, 0)))  # centre now at (19, 21)
    measured = np.ones(pattern.shape, bool)
    measured[25:28, 10:30] = False  # a gap band, measured on the other side of the centre
    patched, now_measured, share = symmetrise(np.where(measured, pattern, np.nan), measured, (19.2, 20.9))
    assert patched.shape == (33, 33)
    assert now_measured.all()
    assert np.allclose(patched, symmetric)
    assert share == pytest.approx(60 / 33**2)


def test_binning_keeps_the_counts_and_the_centre():
    pattern = np.zeros((31, 31))
    pattern[15, 15] = 9.0
    pattern[15, 16] = 3.0
    measured = np.ones(pattern.shape, bool)
    binned, ok = bin_pattern(pattern, measured, 3)
    assert binned.shape == (9, 9) and ok.all()
    assert binned[4, 4] == 12.0 and binned.sum() == 12.0
    measured[14, 14] = False  # one of nine missing: the bin's mean of the others stands in
    binned, _ = bin_pattern(pattern, measured, 3)
    assert binned[4, 4] == pytest.approx(12.0 * 9 / 8)


def test_the_central_speckle_ends_at_the_form_factors_first_zero():
    n, q_step = 101, 0.01e9  # 1/m per bin
    y, x = np.indices((n, n))
    q = np.hypot(y - n // 2, x - n // 2) * q_step
    radius = 27e-9
    pattern = sphere_function(q * radius) ** 2
    measured = q > 3 * q_step
    # The first zero of the sphere's amplitude: q R = 4.4934.
    assert central_speckle_diameter_px(pattern, measured) == pytest.approx(
        2 * 4.4934 / (radius * q_step), abs=2
    )


def test_prepare_pattern_refuses_a_pattern_without_data():
    with pytest.raises(ValueError, match="no measured"):
        prepare_pattern(np.full((64, 64), np.nan), np.ones((64, 64), bool), 75e-6)
