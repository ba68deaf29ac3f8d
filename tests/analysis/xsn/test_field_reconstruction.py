"""Algorithm 1 of seed 004 against the truth of simulated pairs."""

import numpy as np
import pytest

from phasebeam.analysis.xsn.field import reconstruct_field
from phasebeam.analysis.xsn.pipeline import reconstruct_pair
from phasebeam.analysis.xsn.scintillator import gaussian_otf, wiener_deconvolve
from phasebeam.simulators.xsn_imaging import XsnMicroscope, simulate_pair
from phasebeam.simulators.xsn_phantoms import Material, Phantom, sphere

GOLD = Material("Au", 19.32)


def _row_referenced(image: np.ndarray, edge: int = 4) -> np.ndarray:
    ends = np.concatenate([image[:, :edge], image[:, -edge:]], axis=1)
    return image - np.median(ends, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def gold_pair():
    # A 1.2 um gold sphere at 8 keV: 64% transmission and 2.3 rad of phase at its centre.
    phantom = Phantom("gold sphere", (sphere((0.2e-6, 0.0, 0.0), 0.6e-6, GOLD),))
    microscope = XsnMicroscope(shape=(64, 128), photons_per_pixel=1e6)
    return microscope, simulate_pair(phantom, 0.0, microscope, np.random.default_rng(0))


def test_quasi_newton_error_falls_monotonically_below_the_linear_one(gold_pair):
    microscope, pair = gold_pair
    assert pair.alpha.min() < -0.2 and pair.phi.min() < -2.0
    otf = gaussian_otf(microscope.shape, microscope.pixel_size_m, microscope.psf_fwhm_m)
    image_0 = wiener_deconvolve(pair.image_0 / pair.flat, otf, 1e-2)
    image_180 = wiener_deconvolve((pair.image_180 / pair.flat)[:, ::-1], otf, 1e-2)
    inside = pair.alpha < 0.2 * pair.alpha.min()
    errors = []

    def record(_j, alpha, phi):
        e_alpha = np.sqrt(np.mean((_row_referenced(alpha) - pair.alpha)[inside] ** 2)) / -pair.alpha.min()
        e_phi = np.sqrt(np.mean((_row_referenced(phi) - pair.phi)[inside] ** 2)) / -pair.phi.min()
        errors.append((e_alpha, e_phi))

    result = reconstruct_field(image_0, image_180, microscope.optics(), on_iteration=record)
    errors = np.array(errors)
    print("relative RMS error (alpha, phi) per iteration:", np.round(errors, 4).tolist())
    assert len(errors) == 7
    # Iteration 1 is the linear (Tikhonov) reconstruction; it underestimates a strong absorber.
    assert errors[0, 0] > 0.1 and errors[0, 1] > 0.1
    assert np.all(np.diff(errors[:, 0]) < 0) and np.all(np.diff(errors[:, 1]) < 0)
    assert errors[-1, 0] < 0.25 * errors[0, 0] and errors[-1, 1] < 0.25 * errors[0, 1]
    # The data misfit falls too.
    assert np.all(np.diff(result.residual) < 0)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ((np.ones((32, 32)), np.ones((32, 31))), "same shape"),
        ((np.ones((32, 32)), np.full((32, 32), np.nan)), "NaN"),
        ((np.ones((32,)), np.ones((32,))), "2-D"),
    ],
)
def test_bad_images_are_refused(optics, images, message):
    with pytest.raises(ValueError, match=message):
        reconstruct_pair(images[0], images[1], optics)
    with pytest.raises(ValueError, match=message):
        reconstruct_field(images[0], images[1], optics)
