"""The training's augmentation: a symmetry of the cube moves a pattern and its phase consistently."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from phasebeam.cnn_training import _symmetry  # noqa: E402
from phasebeam.simulators.phase_training_set import phase_sample  # noqa: E402


def _spectrum(obj):
    return np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(obj)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_moved_phase_is_the_phase_of_the_moved_object(seed):
    sample = phase_sample(seed, n=32)
    intensity = torch.from_numpy(sample.intensity[None, None])
    phase = torch.from_numpy(sample.phase[None, None])
    moved_intensity, moved_phase = _symmetry(intensity, phase, np.random.default_rng(seed))
    # The same symmetry applied in real space: permute and mirror the object through its centre.
    obj = torch.from_numpy(sample.obj[None, None])
    moved_obj, _ = _symmetry(obj, obj, np.random.default_rng(seed))
    spectrum = _spectrum(moved_obj[0, 0].numpy())
    bright = moved_intensity[0, 0].numpy() > 1e-4
    np.testing.assert_allclose(
        np.abs(spectrum) ** 2 / np.max(np.abs(spectrum) ** 2), moved_intensity[0, 0].numpy(), atol=1e-5
    )
    difference = np.angle(np.exp(1j * (np.angle(spectrum[bright]) - moved_phase[0, 0].numpy()[bright])))
    assert np.abs(difference).max() < 1e-3
