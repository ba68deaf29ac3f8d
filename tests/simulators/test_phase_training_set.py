"""Training crystals for the phase network: reproducible, in range, and self-consistent."""

import numpy as np
import pytest

from phasebeam.simulators.phase_training_set import HIGH_STRAIN_RAD, phase_sample, poisson_counts


def _spectrum(obj):
    return np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(obj)))


@pytest.mark.parametrize("seed", [0, 7])
def test_the_phase_and_intensity_are_those_of_the_object(seed):
    sample = phase_sample(seed, n=48)
    spectrum = _spectrum(sample.obj)
    intensity = np.abs(spectrum) ** 2
    np.testing.assert_allclose(intensity / intensity.max(), sample.intensity, atol=1e-5)
    bright = sample.intensity > 1e-4
    difference = np.angle(np.exp(1j * (np.angle(spectrum[bright]) - sample.phase[bright])))
    assert np.abs(difference).max() < 1e-3


def test_samples_are_highly_strained_oversampled_and_centred():
    for seed in range(6):
        sample = phase_sample(seed, n=48)
        assert HIGH_STRAIN_RAD[0] <= sample.phase_range_rad <= HIGH_STRAIN_RAD[1]
        assert sample.oversampling > 2
        com = [np.average(np.indices(sample.intensity.shape)[a], weights=sample.intensity) for a in range(3)]
        assert np.all(
            np.abs(np.asarray(com) - 24) <= 1.0
        )  # rounded to a voxel; the rolled tails move it a little
        assert sample.shape in ("wulff", "winterbottom", "random_cuts")


def test_the_same_seed_gives_the_same_crystal():
    a, b = phase_sample(3, n=32), phase_sample(3, n=32)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert not np.array_equal(a.intensity, phase_sample(4, n=32).intensity)


def test_poisson_counts_peak_at_the_requested_count():
    sample = phase_sample(1, n=32)
    counts = poisson_counts(sample.intensity, 1e4, np.random.default_rng(0))
    assert abs(counts.max() - 1e4) < 5 * np.sqrt(1e4)
    with pytest.raises(ValueError, match="max_count must be > 0"):
        poisson_counts(sample.intensity, 0, np.random.default_rng(0))
