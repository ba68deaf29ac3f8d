import numpy as np
import pytest

from phasebeam.analysis.xedm.model_fit import binned_q_and_solid_angle, fit_core_shell, model_amplitude

ENERGY_EV, DISTANCE_M, BIN_M = 8821.0, 2.08, 225e-6


def test_the_grid_search_finds_the_diameters_of_a_poisson_pattern():
    n = 171
    q, omega = binned_q_and_solid_angle(n, BIN_M, DISTANCE_M, ENERGY_EV)
    amplitude = model_amplitude(18.6e-9, 55.3e-9, q, omega, ENERGY_EV, ("Au", 19.3), ("SiO2", 2.2))
    expected = amplitude**2 * (2e6 / amplitude[n // 2, n // 2 + 20] ** 2)
    counts = np.random.default_rng(0).poisson(expected).astype(float)
    y, x = np.indices((n, n))
    region = np.hypot(y - n // 2, x - n // 2) > 20
    fit = fit_core_shell(counts, region, BIN_M, DISTANCE_M, ENERGY_EV, (16e-9, 21e-9), (52e-9, 58e-9))
    assert fit.core_diameter_m == pytest.approx(18.6e-9, abs=0.2e-9)
    assert fit.outer_diameter_m == pytest.approx(55.3e-9, abs=0.2e-9)
    assert fit.error == pytest.approx(float(np.min(fit.error_matrix)))
    assert fit.coarse_error_matrix.shape == (11, 13)


def test_bad_ranges_are_refused():
    with pytest.raises(ValueError, match="core_range_m"):
        fit_core_shell(np.ones((9, 9)), np.ones((9, 9), bool), BIN_M, DISTANCE_M, ENERGY_EV, (20e-9, 10e-9))
