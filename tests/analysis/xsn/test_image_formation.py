"""Eq. 1 of seed 004 against its linearisation, its mirror symmetry, and its input checks."""

import numpy as np
import pytest
from xsn_cases import PUPIL_NA, WAVELENGTH_8KEV_M, seed_like_optics, sphere_path_m

from phasebeam.analysis.materials import refractive_index, transmittance_exponents
from phasebeam.analysis.xsn.forward import xsn_image
from phasebeam.analysis.xsn.optics import XsnOptics, grid_model, point_spread_functions, transfer_functions

SHAPE = (48, 96)


def test_empty_field_images_to_one_and_transfer_functions_at_zero_frequency(optics):
    assert np.allclose(xsn_image(np.zeros(SHAPE), np.zeros(SHAPE), optics), 1.0, atol=1e-6)
    for orientation in (0, 180):
        h_alpha, h_phi = transfer_functions(grid_model(optics, SHAPE, orientation))
        # A pure absorber exp(alpha): intensity 1 + 2 alpha; a uniform phase is invisible.
        assert h_alpha[0, 0] == pytest.approx(2.0, abs=1e-12)
        assert abs(h_phi[0, 0]) < 1e-12
        # Real PSFs: Hermitian transfer functions.
        psf_alpha, psf_phi = point_spread_functions(grid_model(optics, SHAPE, orientation))
        assert np.allclose(np.fft.fft2(psf_alpha), h_alpha, atol=1e-9)
        assert np.allclose(np.fft.fft2(psf_phi), h_phi, atol=1e-9)


@pytest.mark.parametrize("orientation", [0, 180])
def test_weak_object_image_is_the_linear_model(optics, orientation):
    path = sphere_path_m(SHAPE, 25e-9, (20, 40), 300e-9)
    alpha = -0.004 * path / path.max()
    phi = -0.02 * path / path.max()
    image = xsn_image(alpha, phi, optics, orientation)
    h_alpha, h_phi = transfer_functions(grid_model(optics, SHAPE, orientation))
    linear = 1 + np.fft.ifft2(h_alpha * np.fft.fft2(alpha) + h_phi * np.fft.fft2(phi)).real
    contrast = np.abs(image - 1).max()
    # Second-order terms are of the order of the contrast squared (0.02^2 of a 0.02 signal: 2%).
    assert np.abs(image - linear).max() < 0.05 * contrast
    assert contrast > 5e-3


def test_180_degree_image_is_the_mirrored_object_through_the_mirrored_microscope(optics):
    path = sphere_path_m(SHAPE, 25e-9, (20, 30), 400e-9)
    alpha, phi = -0.3 * path / path.max(), -2.0 * path / path.max()
    recorded = xsn_image(alpha[:, ::-1], phi[:, ::-1], optics, 0)  # the rotated sample, as the camera sees it
    assert np.allclose(recorded[:, ::-1], xsn_image(alpha, phi, optics, 180), atol=2e-6)
    # Schlieren contrast is directional: the two views differ.
    assert np.abs(recorded[:, ::-1] - xsn_image(alpha, phi, optics, 0)).max() > 0.1


def test_transmittance_from_tabulated_index():
    delta, beta = refractive_index("W", 19.3, 9000.0)
    alpha, phi = transmittance_exponents(delta * 1.5e-6, beta * 1.5e-6, 1.3776e-10)
    # DESIGN.md reference: 1.5 um of W at 9 keV shifts the phase by about 2.4-2.5 rad.
    assert -2.5 <= float(phi) <= -2.4
    assert float(alpha) < 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cutoff_frequency_per_m": 1.01 * PUPIL_NA / WAVELENGTH_8KEV_M}, "outside the pupil"),
        ({"cutoff_frequency_per_m": -1.5 * PUPIL_NA / WAVELENGTH_8KEV_M}, "outside the pupil"),
        ({"illumination_weight": -np.ones(61)}, "negative"),
        ({"illumination_weight": np.zeros(61)}, "all zero"),
        ({"illumination_weight": np.ones(60)}, "same"),
        ({"pixel_size_m": 0.0}, "pixel_size_m"),
    ],
)
def test_bad_optics_are_refused_with_the_parameter_named(change, message):
    base = seed_like_optics()
    fields = {
        "pixel_size_m": base.pixel_size_m,
        "wavelength_m": base.wavelength_m,
        "pupil_na": base.pupil_na,
        "cutoff_frequency_per_m": base.cutoff_frequency_per_m,
        "illumination_frequency_per_m": base.illumination_frequency_per_m,
        "illumination_weight": base.illumination_weight,
    }
    fields.update(change)
    with pytest.raises(ValueError, match=message):
        XsnOptics(**fields)


def test_knife_edge_blocking_every_mode_is_refused():
    optics = seed_like_optics(cutoff_fraction=0.5)  # beyond the illumination (22% of the pupil)
    with pytest.raises(ValueError, match="no illumination mode passes"):
        grid_model(optics, SHAPE)
