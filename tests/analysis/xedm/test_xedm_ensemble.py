"""Seed 002 end to end on a simulated silica-gold ensemble with bad frames mixed in."""

import numpy as np
import pytest

from phasebeam.analysis.xedm.accumulation import StreamingAccumulator
from phasebeam.analysis.xedm.phasing import GhioSettings
from phasebeam.analysis.xedm.pipeline import EnsembleGeometry, reconstruct_ensemble
from phasebeam.simulators.xedm import EnsembleSetup, simulate_frames


def test_core_shell_ensemble_is_filtered_reconstructed_and_fitted():
    setup = EnsembleSetup()  # Eiger 16M crop, 19 / 54 nm Au / SiO2 at 8.821 keV and 2.08 m
    series = simulate_frames(
        setup, 160, seed=11, bad_fractions={"frame": 0.06, "streak": 0.06, "background": 0.04}
    )
    accumulator = StreamingAccumulator(setup.mask)  # the beamstop found in the mask
    for frame in series.frames:
        accumulator.add(frame)
    accumulated = accumulator.result()
    kinds = np.array(series.kinds)
    kept = np.array([v.reason == "kept" for v in accumulated.verdicts])
    assert np.mean(~kept[kinds != "good"]) >= 0.95
    assert np.mean(~kept[kinds == "good"]) <= 0.02

    result = reconstruct_ensemble(
        accumulated.background_subtracted(),
        ~setup.mask,
        EnsembleGeometry(setup.energy_ev, setup.distance_m, setup.pixel_m),
        settings=GhioSettings(starts=8, generations=3),
    )
    assert result.prepared.centre_px == pytest.approx(setup.centre_px, abs=0.15)
    assert result.fit is not None and result.comparison is not None
    print(
        f"core {result.fit.core_diameter_m * 1e9:.2f} nm, outer {result.fit.outer_diameter_m * 1e9:.2f} nm, "
        f"Eq. 2 error {100 * result.fit.error:.1f}%, SSIM {result.comparison.ssim:.3f}, "
        f"PRTF 1/e half-period {result.prtf_half_period_m * 1e9:.2f} nm"
        f" (pixel {result.object_pixel_m * 1e9:.2f} nm)"
    )
    assert result.fit.core_diameter_m == pytest.approx(19e-9, abs=1e-9)
    assert result.fit.outer_diameter_m == pytest.approx(54e-9, abs=1e-9)
    assert result.comparison.ssim >= 0.85
    assert result.object_pixel_m <= result.prtf_half_period_m < 3 * result.object_pixel_m
