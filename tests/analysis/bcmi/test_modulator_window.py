"""The calibrated modulator cut out for a rocking scan: ramp, complex factor and sub-pixel window."""

import numpy as np
import pytest

from phasebeam.analysis.bcmi.calibration import modulator_window, window_corner_px
from phasebeam.analysis.bcmi.geometry import BcmiGeometry
from phasebeam.analysis.bcmi.modulator import random_binary_pattern
from phasebeam.analysis.bcmi.rocking_scan import CalibratedModulator

N = 32
METAL = 0.8 * np.exp(-2.45j)


def _binary_transmission(shape: tuple[int, int], feature_px: int) -> np.ndarray:
    pattern = random_binary_pattern(shape, feature_px, seed=4)
    return np.where(pattern, METAL, 1.0).astype(np.complex128)


def test_the_window_undoes_a_ramp_and_a_complex_factor_exactly():
    truth = _binary_transmission((96, 96), 6)
    y, x = np.indices(truth.shape)
    # What ptychography can return: the truth times a complex factor and a phase ramp.
    reconstructed = (1.7 * np.exp(0.9j)) * np.exp(1j * (0.05 * y - 0.11 * x)) * truth
    window = modulator_window(reconstructed, np.ones(truth.shape), (10.0, 23.0), N)
    np.testing.assert_allclose(window, truth[10 : 10 + N, 23 : 23 + N], atol=1e-4)


def test_a_half_pixel_corner_lands_between_the_whole_pixel_windows():
    truth = _binary_transmission((96, 96), 6)
    lit = np.ones(truth.shape)
    low, high = modulator_window(truth, lit, (20.0, 30.0), N), modulator_window(truth, lit, (21.0, 30.0), N)
    half = modulator_window(truth, lit, (20.5, 30.0), N)
    np.testing.assert_allclose(low, truth[20 : 20 + N, 30 : 30 + N], atol=1e-4)
    # At an edge along y the band-limited half-pixel value is the two levels' mean; elsewhere both
    # neighbours agree with it.
    edge = np.abs(low - high) > 0.5
    assert edge.sum() > 10
    mean = 0.5 * (low + high)
    assert np.median(np.abs(half - mean)[edge]) < 0.1
    assert np.median(np.abs(half - low)[edge]) > 0.5


def test_window_corner_from_the_modulator_position():
    assert window_corner_px((1e-6, -0.5e-6), (20.0, 30.0), 50e-9) == pytest.approx((40.0, 20.0))


def test_a_window_off_the_reconstruction_is_refused():
    truth = _binary_transmission((64, 64), 3)
    with pytest.raises(ValueError, match=r"corner_px \(40.00, 2.00\) puts the 32 x 32 window \(32 frame"):
        modulator_window(truth, np.ones(truth.shape), (40.0, 2.0), N)
    with pytest.raises(ValueError, match="position_m must be a finite"):
        window_corner_px((np.nan, 0.0), (0.0, 0.0), 50e-9)


def test_the_modulus_is_held_to_the_range_a_passive_modulator_can_have_and_the_phase_kept():
    truth = _binary_transmission((64, 64), 4)
    noisy = truth.copy()
    noisy[10, 12], noisy[20, 5] = 0.01 * np.exp(1.0j), 1.9 * np.exp(-0.4j)  # a noisy and an unlit pixel
    window = modulator_window(noisy, np.ones(truth.shape), (0.0, 0.0), N)
    assert window[10, 12] == pytest.approx(0.3 * np.exp(1.0j), abs=1e-5)
    assert window[20, 5] == pytest.approx(1.2 * np.exp(-0.4j), abs=1e-5)
    # Inside the range nothing changes (the two levels 1 and 0.8).
    np.testing.assert_allclose(window[:5], truth[:5, :N], atol=1e-4)


def _calibrated(pixel_m: float, upsample: int = 1):
    truth = _binary_transmission((96 * upsample, 96 * upsample), 6)
    origin = (30.0 * upsample, 20.0 * upsample)
    return truth, CalibratedModulator(
        truth, np.ones(truth.shape), origin, pixel_m, 1.35e-3, "cal-uid", upsample=upsample
    )


def test_a_stored_calibration_is_cut_where_the_modulator_stood():
    geometry = BcmiGeometry(frame_px=N)
    truth, calibrated = _calibrated(geometry.pixel_m)
    # (y, x) = (-5, +7) pixels from the calibration scan's (0, 0), whose corner is pixel (30, 20).
    window = calibrated.window((-5 * geometry.pixel_m, 7 * geometry.pixel_m), geometry)
    np.testing.assert_allclose(window, truth[25 : 25 + N, 27 : 27 + N], atol=1e-4)


def test_a_calibration_twice_as_fine_gives_a_window_twice_as_fine():
    geometry = BcmiGeometry(frame_px=N)
    truth, calibrated = _calibrated(geometry.pixel_m, upsample=2)
    # (-5, +7) frame pixels are (-10, +14) modulator pixels from the corner (60, 40).
    window = calibrated.window((-5 * geometry.pixel_m, 7 * geometry.pixel_m), geometry)
    assert window.shape == (2 * N, 2 * N)
    np.testing.assert_allclose(window, truth[50 : 50 + 2 * N, 54 : 54 + 2 * N], atol=1e-4)


def test_a_calibration_at_another_energy_is_refused_with_both_pixels():
    geometry = BcmiGeometry(frame_px=N, energy_ev=9000.0)
    _, calibrated = _calibrated(geometry.pixel_m * 9000.0 / 9050.0)  # the pixel scales as 1 / E
    with pytest.raises(ValueError, match=r"calibration of run cal-uid .*\(-0\.55%, allowed 0\.2%\)"):
        calibrated.window((0.0, 0.0), geometry)
