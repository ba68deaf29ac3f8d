"""Resolution functions on analytic cases."""

import numpy as np
import pytest

from phasebeam.analysis.cdi.modes import mode_decomposition
from phasebeam.analysis.resolution import (
    fourier_shell_correlation,
    half_bit_threshold,
    one_bit_threshold,
    prtf,
    resolution_m,
)


def test_fsc_of_a_volume_with_itself_is_one():
    volume = np.random.default_rng(0).normal(size=(32, 32, 32))
    curve = fourier_shell_correlation(volume, volume, pixel_m=10e-9)
    assert np.allclose(curve.values, 1.0)
    assert curve.frequency_per_m[16] == pytest.approx(16 / (32 * 10e-9))
    assert resolution_m(curve, half_bit_threshold(curve.counts)) == pytest.approx(20e-9)  # Nyquist


def test_fsc_of_independent_noise_is_zero_with_spread_one_over_sqrt_n():
    rng = np.random.default_rng(1)
    z_scores = []
    for _ in range(4):
        curve = fourier_shell_correlation(rng.normal(size=(48, 48, 48)), rng.normal(size=(48, 48, 48)))
        shells = slice(3, 24)
        # van Heel & Schatz: for independent noise the FSC of a shell of n voxels has sigma 1/sqrt(n).
        z_scores.append(curve.values[shells] * np.sqrt(curve.counts[shells]))
    z = np.concatenate(z_scores)
    assert abs(z.mean()) < 0.3
    assert z.std() == pytest.approx(1.0, abs=0.1)


def test_frc_of_images_works_in_2d():
    image = np.random.default_rng(2).normal(size=(64, 64))
    assert np.allclose(fourier_shell_correlation(image, image).values, 1.0)


def test_thresholds_equal_van_heel_formulas():
    assert half_bit_threshold(1) == pytest.approx((0.2071 + 1.9102) / (1.2071 + 0.9102))
    assert one_bit_threshold(1) == pytest.approx((0.5 + 2.4142) / (1.5 + 1.4142))
    assert half_bit_threshold(1e12) == pytest.approx(0.2071 / 1.2071, rel=1e-5)
    assert one_bit_threshold(1e12) == pytest.approx(0.5 / 1.5, rel=1e-5)
    n = np.array([10, 100, 1000])
    expected = (0.2071 + 1.9102 / np.sqrt(n)) / (1.2071 + 0.9102 / np.sqrt(n))
    assert np.allclose(half_bit_threshold(n), expected)


def test_resolution_interpolates_the_crossing_of_a_fixed_threshold():
    # A Gaussian-filtered copy of a volume: FSC falls with frequency.
    rng = np.random.default_rng(3)
    volume = rng.normal(size=(32, 32, 32))
    blurred_a = volume + 0.05 * rng.normal(size=volume.shape)
    from scipy import ndimage

    blurred_b = ndimage.gaussian_filter(volume, 1.5) + 0.05 * rng.normal(size=volume.shape)
    curve = fourier_shell_correlation(blurred_a, blurred_b, pixel_m=1.0)
    res = resolution_m(curve, 1 / 7)
    r = 1 / res / curve.frequency_per_m[1]  # crossing radius
    lo = int(np.floor(r))
    assert curve.values[lo] >= 1 / 7 > curve.values[lo + 1]


def test_prtf_of_perfect_runs_is_one():
    rng = np.random.default_rng(4)
    obj = np.zeros((32, 32, 32), dtype=np.complex64)
    obj[10:22, 12:20, 11:21] = np.exp(1j * rng.uniform(0, 1, size=(12, 8, 10)))
    intensity = np.abs(np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(obj), norm="ortho"))) ** 2
    curve = prtf([obj, obj, obj], intensity)
    valid = curve.counts > 0
    assert np.allclose(curve.values[valid], 1.0, atol=1e-5)


def test_modes_of_copies_and_of_orthogonal_objects():
    rng = np.random.default_rng(5)
    obj = rng.normal(size=(8, 8, 8)) + 1j * rng.normal(size=(8, 8, 8))
    copies = [obj * np.exp(0j), obj + 0.01 * rng.normal(size=obj.shape), obj]
    modes = mode_decomposition(copies)
    assert modes.weights[0] > 0.999
    assert np.allclose(modes.first, obj, atol=0.05 * np.abs(obj).max())
    a = np.zeros(16, dtype=complex)
    b = np.zeros(16, dtype=complex)
    a[:8], b[8:] = 1, 1
    split = mode_decomposition([a, b])
    assert split.weights == pytest.approx([0.5, 0.5])
