"""The BCMI planes: sampling from the seed's geometry, and propagation between them."""

import numpy as np
import pytest

from phasebeam.analysis.bcmi.geometry import BcmiGeometry
from phasebeam.analysis.bcmi.propagation import angular_spectrum_transfer, far_field, propagate
from phasebeam.analysis.optics import HC_EV_M


def test_pixel_is_lambda_d2_over_n_p_for_the_seeds_geometry():
    geometry = BcmiGeometry(frame_px=256, d1_m=1.35e-3)
    wavelength = HC_EV_M / 9000.0
    assert geometry.pixel_m == pytest.approx(wavelength * (5.35 - 1.35e-3) / (256 * 75e-6), rel=1e-12)
    assert geometry.pixel_m == pytest.approx(38.38e-9, abs=0.01e-9)
    # Half the frame, twice the pixel.
    assert BcmiGeometry(frame_px=128).pixel_m == pytest.approx(2 * geometry.pixel_m, rel=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"d1_m": 0.0}, "d1_m"),
        ({"d1_m": -1e-3}, "d1_m"),
        ({"d1_m": 6.0}, "d1_m"),
        ({"frame_px": 8}, "frame_px"),
        ({"energy_ev": 0.0}, "energy_ev"),
    ],
)
def test_bad_geometry_is_refused_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BcmiGeometry(**kwargs)


def test_a_crystal_whose_beam_overfills_the_window_is_refused():
    geometry = BcmiGeometry(frame_px=128, d1_m=3.15e-3)
    geometry.check_fits(20)
    with pytest.raises(ValueError, match="d1_m"):
        BcmiGeometry(frame_px=128, d1_m=20e-3).check_fits(20)


def _gaussian(n: int, pixel: float, waist: float) -> np.ndarray:
    r = (np.arange(n) - n // 2) * pixel
    return np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / waist**2).astype(np.complex64)


def test_a_gaussian_beam_widens_as_the_paraxial_formula_says():
    # w(z) = w0 sqrt(1 + (z / zR)^2), zR = pi w0^2 / lambda, with w the 1/e^2 intensity radius.
    geometry = BcmiGeometry(frame_px=256)
    pixel, wavelength = geometry.pixel_m, geometry.wavelength_m
    waist = 4 * pixel
    z = 2e-3
    field = propagate(
        _gaussian(256, pixel, waist), angular_spectrum_transfer((256, 256), pixel, wavelength, z)
    )
    intensity = np.abs(field) ** 2
    r = (np.arange(256) - 128) * pixel
    r2 = r[:, None] ** 2 + r[None, :] ** 2
    w_measured = np.sqrt(2 * np.sum(r2 * intensity) / np.sum(intensity))  # <r^2> = w^2 / 2
    z_r = np.pi * waist**2 / wavelength
    assert w_measured == pytest.approx(waist * np.sqrt(1 + (z / z_r) ** 2), rel=0.01)


def test_propagation_conserves_power_and_back_propagation_undoes_it():
    geometry = BcmiGeometry(frame_px=128)
    rng = np.random.default_rng(0)
    field = _gaussian(128, geometry.pixel_m, 10 * geometry.pixel_m) * np.exp(
        1j * rng.uniform(0, 1, (128, 128))
    )
    forward = angular_spectrum_transfer((128, 128), geometry.pixel_m, geometry.wavelength_m, geometry.d1_m)
    back = angular_spectrum_transfer((128, 128), geometry.pixel_m, geometry.wavelength_m, -geometry.d1_m)
    there = propagate(field, forward)
    assert np.sum(np.abs(there) ** 2) == pytest.approx(np.sum(np.abs(field) ** 2), rel=1e-4)
    assert np.allclose(propagate(there, back), field, atol=1e-4)
    assert np.sum(np.abs(far_field(there)) ** 2) == pytest.approx(np.sum(np.abs(there) ** 2), rel=1e-4)


def test_the_band_limit_drops_the_frequencies_a_long_distance_would_alias():
    # Matsushima & Shimobaba: |f| <= 1 / (lambda sqrt((2 df z)^2 + 1)), df = 1 / (N pixel).
    pixel, wavelength, n, z = 50e-9, 1.4e-10, 128, 0.1
    transfer = angular_spectrum_transfer((n, n), pixel, wavelength, z)
    limit = 1 / (wavelength * np.sqrt((2 * z / (n * pixel)) ** 2 + 1))
    f = np.fft.fftfreq(n, d=pixel)
    kept = np.abs(transfer[0]) > 0
    assert np.all(np.abs(f[kept]) <= limit) and np.all(np.abs(f[~kept]) > limit)
