import numpy as np
import pytest

from phasebeam.analysis.eximres.pipeline import eximres
from phasebeam.analysis.eximres.restricted import Restriction
from phasebeam.simulators.strained_crystals import simulate_crystal


def test_eximres_on_a_photon_starved_crystal():
    crystal = simulate_crystal(n=32, shape="wulff", phase_range=1.0, oversampling=4, max_count=300, seed=3)
    specs = (
        Restriction((32, 32, 32)),
        Restriction((32, 32, 32), (1, 2, 2)),
        Restriction((32, 32, 32), (2, 2, 2)),
    )
    done = []
    result = eximres(
        crystal.intensity,
        crystal.bad_pixels,
        (10e-9, 10e-9, 10e-9),
        2.265e-10,
        specs,
        recipe="HIO**150, ER**50",
        runs=2,
        keep=2,
        progress=lambda d, t: done.append((d, t)),
    )
    assert done[-1] == (3, 3)
    assert result.merged.merged.shape == (64, 64, 64)  # upsampled twice
    assert result.merged.voxel_m == pytest.approx((5e-9, 5e-9, 5e-9))
    original, binned = result.results[0], result.results[2]
    assert original.pattern.r == pytest.approx((10e-9 / 2.265e-10,) * 3)
    # Eight pixels a bin: the binned pattern's high frequencies are phased more consistently.
    assert binned.prtf_half_period_m < original.prtf_half_period_m
    for fit in (result.psf_original, result.psf_merged):
        assert all(5e-9 < f < 40e-9 for f in fit.fwhm_m)
    print(
        "PSF FWHM (Z, Y, X) nm: original",
        np.round(np.array(result.psf_original.fwhm_m) * 1e9, 2),
        "merged",
        np.round(np.array(result.psf_merged.fwhm_m) * 1e9, 2),
        "PRTF nm",
        [round(r.prtf_half_period_m * 1e9, 1) for r in result.results],
    )


def test_the_first_restriction_must_be_the_original():
    with pytest.raises(ValueError, match="whole pattern"):
        eximres(np.ones((16, 16, 16)), None, (1e-8,) * 3, 1e-10, (Restriction((16, 16, 16), (1, 2, 2)),))
