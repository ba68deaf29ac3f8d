"""The map between the detector's band and the modulator's finer grid."""

import numpy as np
import pytest
import scipy.fft

from phasebeam.analysis.bcmi.fine_grid import FineGrid


def test_pad_interpolates_and_crop_undoes_it():
    rng = np.random.default_rng(0)
    coarse = rng.normal(size=(16, 16)) + 1j * rng.normal(size=(16, 16))
    grid = FineGrid(16, 2, np)
    spectrum = scipy.fft.fft2(coarse, norm="ortho")
    fine = scipy.fft.ifft2(grid.pad(spectrum), norm="ortho")
    # Band-limited interpolation: the coarse samples come back on every other fine pixel, over u.
    np.testing.assert_allclose(2 * fine[::2, ::2], coarse, atol=1e-12)
    np.testing.assert_allclose(grid.crop(scipy.fft.fft2(fine, norm="ortho")), spectrum, atol=1e-12)


def test_crop_is_the_adjoint_of_pad():
    rng = np.random.default_rng(1)
    grid = FineGrid(8, 3, np)
    a = rng.normal(size=(8, 8)) + 1j * rng.normal(size=(8, 8))
    b = rng.normal(size=(24, 24)) + 1j * rng.normal(size=(24, 24))
    assert np.vdot(grid.pad(a), b) == pytest.approx(np.vdot(a, grid.crop(b)))


def test_the_band_holds_the_frequencies_of_a_centred_detector_crop():
    grid = FineGrid(8, 2, np)
    frequencies = np.fft.fftfreq(16, 1 / 16)[grid.band_mask()[0]]
    assert sorted(frequencies) == list(range(-4, 4))


def test_put_replaces_the_band_and_keeps_the_rest():
    grid = FineGrid(4, 2, np)
    spectrum = np.arange(64, dtype=complex).reshape(8, 8)
    kept = spectrum[~grid.band_mask()].copy()
    grid.put(spectrum, np.zeros((4, 4)))
    assert not spectrum[grid.band_mask()].any()
    np.testing.assert_array_equal(spectrum[~grid.band_mask()], kept)


def test_an_upsample_out_of_range_is_refused():
    with pytest.raises(ValueError, match="upsample must be an integer in \\[1, 8\\], got 0"):
        FineGrid(8, 0, np)
