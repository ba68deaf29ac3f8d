import math

import numpy as np
import pytest
from scipy.special import erf

from phasebeam.analysis.knife_edge import angular_spectrum_from_knife_edge
from phasebeam.analysis.rocking_curve import rocking_curve


def test_knife_edge_derivative_of_error_function_is_gaussian():
    # An edge closing on a Gaussian spectrum leaves erfc-shaped background.
    sigma, centre = 12e-6, 5e-6
    edge = np.linspace(-80e-6, 80e-6, 161)
    mean = 1000.0 * 0.5 * (1 - erf((edge - centre) / (sigma * math.sqrt(2))))
    spectrum = angular_spectrum_from_knife_edge(edge, mean, 1.4e-10, 0.06)
    gauss = np.exp(-0.5 * ((spectrum.edge_m - centre) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    assert np.max(np.abs(spectrum.density_per_m - gauss)) < 0.01 * gauss.max()
    assert spectrum.k_x_per_m[0] == pytest.approx(2 * math.pi * spectrum.edge_m[0] / (1.4e-10 * 0.06))
    assert spectrum.total_intensity == pytest.approx(1000.0, rel=1e-6)


def test_knife_edge_rejects_bad_scans():
    with pytest.raises(ValueError, match="equal length"):
        angular_spectrum_from_knife_edge([0, 1, 2], [1, 2], 1e-10, 0.06)
    with pytest.raises(ValueError, match="does not fall"):
        angular_spectrum_from_knife_edge([0, 1, 2], [1, 2, 3], 1e-10, 0.06)
    with pytest.raises(ValueError, match="finite"):
        angular_spectrum_from_knife_edge([0, 1, 2], [3, np.nan, 1], 1e-10, 0.06)


def test_rocking_curve_of_a_gaussian():
    angles = np.linspace(17.0, 18.0, 201)
    sigma = 0.05
    counts = 1e5 * np.exp(-0.5 * ((angles - 17.43) / sigma) ** 2)
    curve = rocking_curve(angles, counts)
    assert curve.centre_deg == pytest.approx(17.43, abs=1e-6)
    assert curve.fwhm_deg == pytest.approx(2 * math.sqrt(2 * math.log(2)) * sigma, rel=2e-3)
    assert curve.peak_deg == pytest.approx(17.43, abs=0.005)
    with pytest.raises(ValueError, match="not all zero"):
        rocking_curve(angles, np.zeros_like(angles))
