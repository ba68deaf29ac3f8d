"""From a pattern's grid to the network's and back: the crop, the resize and the phase ramp."""

import numpy as np
import pytest

from phasebeam.analysis.cdi.data import DiffractionData
from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.analysis.cnn.pattern_grid import network_pattern, object_from_phase, object_on_pattern_grid
from phasebeam.simulators.strained_crystals import simulate_crystal


def _spectrum(obj):
    return np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(obj)))


@pytest.fixture(scope="module")
def crystal():
    return simulate_crystal(n=80, shape="wulff", phase_range=3.0, oversampling=4, seed=2)


def test_an_off_centre_peak_gives_back_the_object_without_a_ramp(crystal):
    # A phase ramp of 3 voxels' worth moves the peak 3 voxels off the array's centre along X.
    ramp = np.exp(2j * np.pi * 3 * (np.arange(80) - 40) / 80)[None, None, :]
    obj = crystal.obj * ramp
    spectrum = _spectrum(obj)
    pattern = network_pattern(DiffractionData.from_arrays(np.abs(spectrum) ** 2), grid=64, crop_vox=64)
    assert pattern.centre_vox == (40, 40, 43)
    box = tuple(slice(c - 32, c + 32) for c in pattern.centre_vox)
    back = object_on_pattern_grid(pattern, object_from_phase(pattern, np.angle(spectrum[box])))
    score = compare(back, obj, crystal.support)
    # Only the 64^3 of 80^3 frequencies kept blur it: a ramp left in would cost ~1 rad.
    assert score.dice > 0.97 and score.phase_rms_rad < 0.05 and not score.twin


def test_a_resized_pattern_keeps_its_object_on_the_pattern_grid(crystal):
    intensity = np.abs(_spectrum(crystal.obj)) ** 2
    pattern = network_pattern(DiffractionData.from_arrays(intensity), grid=64)
    assert pattern.crop_vox == 80 and pattern.intensity.shape == (64,) * 3
    # Resizing 80 -> 64 samples the pattern at 80/64 of its pixel: the field of view shrinks to
    # 64 of the object's voxels, whose size does not change. The crystal fits in the central 64^3.
    inner = crystal.obj[8:72, 8:72, 8:72]
    resampled = np.abs(_spectrum(inner)) ** 2
    correlation = np.corrcoef(np.sqrt(resampled).ravel(), np.sqrt(pattern.intensity).ravel())[0, 1]
    assert correlation > 0.99  # linear interpolation of the fringes is all that differs
    back = object_on_pattern_grid(pattern, inner)
    np.testing.assert_allclose(back, crystal.obj, atol=1e-5)


@pytest.mark.parametrize(
    ("shape", "crop", "message"),
    [
        ((48, 64, 64), None, "smaller than the network's 64-voxel grid"),
        ((80, 80, 80), 96, "crop_vox must be in"),
    ],
)
def test_a_pattern_too_small_for_the_network_is_refused(shape, crop, message):
    intensity = np.ones(shape, np.float32)
    with pytest.raises(ValueError, match=message):
        network_pattern(DiffractionData.from_arrays(intensity), grid=64, crop_vox=crop)


def test_nan_counts_are_refused():
    intensity = np.ones((64, 64, 64), np.float32)
    intensity[3, 4, 5] = np.nan
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        network_pattern(DiffractionData.from_arrays(intensity), grid=64)
