import numpy as np
import pytest
from scipy import ndimage

from phasebeam.analysis.eximres.merge import fourier_upsample, merge
from phasebeam.analysis.eximres.psf import blind_gaussian_psf
from phasebeam.analysis.eximres.restricted import Restriction, default_restrictions, max_binning_for, restrict
from phasebeam.simulators.strained_crystals import crystal_shape


def test_cropping_enlarges_the_voxel_and_binning_keeps_the_counts():
    rng = np.random.default_rng(0)
    pattern = rng.random((32, 40, 40))
    whole = restrict(pattern, None, (10e-9, 10e-9, 10e-9), 2e-10, Restriction((32, 40, 40)))
    assert whole.voxel_m == pytest.approx((10e-9, 10e-9, 10e-9)) and whole.r == pytest.approx((50, 50, 50))
    cropped = restrict(pattern, None, (10e-9, 10e-9, 10e-9), 2e-10, Restriction((32, 32, 32)))
    assert cropped.intensity.shape == (32, 32, 32)
    assert cropped.voxel_m == pytest.approx((10e-9, 12.5e-9, 12.5e-9))  # 40 / 32 times larger
    binned = restrict(pattern, None, (10e-9, 10e-9, 10e-9), 2e-10, Restriction((32, 40, 40), (1, 2, 2)))
    assert binned.intensity.shape == (32, 20, 20)
    assert binned.voxel_m == pytest.approx((10e-9, 10e-9, 10e-9))  # the whole extent: same voxel
    assert binned.intensity.sum() == pytest.approx(pattern.sum(), rel=1e-6)
    odd = restrict(pattern, None, (10e-9, 10e-9, 10e-9), 2e-10, Restriction((32, 40, 40), (1, 3, 3)))
    # 13 bins of 3 around the centre pixel: pixel 20 is the middle of bin 6.
    assert odd.intensity.shape == (32, 13, 13)
    assert odd.intensity[16, 6, 6] == pytest.approx(pattern[16, 19:22, 19:22].sum(), rel=1e-6)
    assert odd.voxel_m[1] == pytest.approx(10e-9 * 40 / 39)


def test_bins_missing_pixels_are_scaled_or_dropped():
    pattern = np.ones((16, 16, 16))
    bad = np.zeros(pattern.shape, np.uint8)
    bad[8, 8, 8] = 1  # one of the eight pixels of a 2x2x2 bin
    bad[0:2, 0:2, 0:2] = 1  # a whole bin
    out = restrict(pattern, bad, (1e-8,) * 3, 1e-10, Restriction((16, 16, 16), (2, 2, 2)))
    assert out.intensity[4, 4, 4] == pytest.approx(8.0)
    assert out.bad_pixels[0, 0, 0] == 1 and out.bad_pixels[4, 4, 4] == 0


def test_restrictions_are_checked_and_the_family_is_distinct():
    with pytest.raises(ValueError, match="crop"):
        restrict(np.ones((16, 16, 16)), None, (1e-8,) * 3, 1e-10, Restriction((16, 20, 16)))
    with pytest.raises(ValueError, match="fewer than 8 bins"):
        restrict(np.ones((16, 16, 16)), None, (1e-8,) * 3, 1e-10, Restriction((16, 16, 16), (1, 3, 3)))
    family = default_restrictions((48, 48, 48), (1, 2, 2))
    patterns = [
        restrict(np.random.default_rng(1).random((48, 48, 48)), None, (1e-8,) * 3, 1e-10, f) for f in family
    ]
    keys = {(p.intensity.shape, round(float(p.intensity.sum()), 3)) for p in patterns}
    assert len(keys) == len(family)  # no two restricted patterns are the same data
    # Binning keeps the oversampling >= 4: a 12-voxel crystal in 96 voxels may be binned by 2.
    assert max_binning_for((12, 12, 24), (96, 96, 96)) == (2, 2, 1)
    assert max_binning_for((12, 12, 12), (48, 48, 48)) == (1, 1, 1)


def test_fourier_upsampling_keeps_a_band_limited_object():
    rng = np.random.default_rng(2)
    spectrum = np.zeros((16, 16, 16), complex)
    spectrum[5:11, 5:11, 5:11] = rng.normal(size=(6, 6, 6)) + 1j * rng.normal(size=(6, 6, 6))
    coarse = np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(spectrum)))
    fine = fourier_upsample(coarse, (2.0, 2.0, 2.0), (1.0, 1.0, 1.0))
    assert fine.shape == (32, 32, 32)
    assert np.allclose(fine[::2, ::2, ::2], coarse)  # the original samples are kept


def test_merge_aligns_shifted_and_twinned_copies():
    crystal = crystal_shape("winterbottom", 40, 14, np.random.default_rng(3)).astype(np.complex128)
    crystal = ndimage.gaussian_filter(crystal.real, 0.7).astype(np.complex128)
    shifted = np.roll(crystal, (2, -3, 1), axis=(0, 1, 2))
    twin = np.conj(crystal[::-1, ::-1, ::-1])
    out = merge([crystal, shifted, twin], [(1.0, 1.0, 1.0)] * 3, (40, 40, 40), (1.0, 1.0, 1.0))
    assert out.twin == (False, False, True)
    for part in out.aligned[1:]:
        assert np.abs(part - out.aligned[0]).max() < 0.03 * out.aligned[0].max()


@pytest.mark.parametrize("sigma", [(0.6, 0.9, 1.3), (1.0, 1.5, 2.0)])
def test_blind_deconvolution_recovers_an_imposed_gaussian_blur(sigma):
    rng = np.random.default_rng(4)
    crystal = crystal_shape("wulff", 48, 16, rng).astype(float)
    image = ndimage.gaussian_filter(crystal, sigma, mode="constant") + rng.normal(0, 0.02, crystal.shape)
    fit = blind_gaussian_psf(image, (5e-9, 5e-9, 5e-9))
    assert fit.sigma_vox == pytest.approx(sigma, rel=0.05)
    assert fit.fwhm_m[0] == pytest.approx(2.3548 * sigma[0] * 5e-9, rel=0.05)
    assert fit.psf.sum() == pytest.approx(1.0)
