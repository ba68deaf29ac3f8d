import numpy as np
import pytest
import scipy.fft

from phasebeam.analysis.xedm.comparison import compare_to_model
from phasebeam.analysis.xedm.particles import core_shell, projected_density
from phasebeam.analysis.xedm.phasing import (
    GhioSettings,
    fourier_error,
    guided_hio,
    support_from_autocorrelation,
)

ENERGY_EV = 8821.0


def pattern_of(image: np.ndarray) -> np.ndarray:
    """|FT|^2 of a centred image, centred (orthonormal: the image's power is the pattern's)."""
    spectrum = np.fft.fftshift(scipy.fft.fft2(np.fft.ifftshift(image), norm="ortho"))
    return np.abs(spectrum) ** 2


def test_eq2_error():
    f = np.array([1.0, 2.0, 3.0])
    assert fourier_error(f, f, np.ones(3, bool)) == 0.0
    assert fourier_error(np.array([1.0, 2.0, 0.0]), f, np.ones(3, bool)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no measured amplitude"):
        fourier_error(f, np.zeros(3), np.ones(3, bool))


def test_the_support_is_half_the_autocorrelation():
    n = 193
    y, x = np.indices((n, n))
    disc = np.hypot(y - n // 2, x - n // 2) <= 6
    intensity = pattern_of(disc.astype(float))
    # A beamstop within the Guinier range (q Rg < 1 out to 7 pixels), filled by the Guinier law.
    available = np.hypot(y - n // 2, x - n // 2) > 4
    support = support_from_autocorrelation(intensity, available, threshold=0.01, margin_px=2)
    assert np.all(support[disc])
    assert support.sum() <= np.pi * 9**2


def test_ghio_recovers_a_core_shell_particle_without_its_central_speckle():
    n, pixel = 97, 3.8e-9
    model = projected_density(core_shell(), (n, n), pixel, ENERGY_EV)
    intensity = pattern_of(model)
    y, x = np.indices((n, n))
    r = np.hypot(y - n // 2, x - n // 2)
    measured = r > 5  # the removed central speckle: the first zero lies at r = 8.4 bins
    settings = GhioSettings(starts=8, generations=3, hio_iterations=200, er_iterations=20)
    result = guided_hio(intensity, measured, settings, available=r > 2, seed=1)
    assert result.errors[0] < 0.01
    assert list(result.errors) == sorted(result.errors)
    assert result.kept.shape == (2, n, n)  # the best 20% of 8
    assert compare_to_model(result.average, model).ssim > 0.97


def test_settings_are_checked():
    with pytest.raises(ValueError, match=r"starts=1 is outside \[2"):
        GhioSettings(starts=1)
    with pytest.raises(ValueError, match=r"beta=1.5 is outside"):
        GhioSettings(beta=1.5)
    with pytest.raises(ValueError, match="square"):
        guided_hio(np.ones((8, 9)), np.ones((8, 9), bool))
