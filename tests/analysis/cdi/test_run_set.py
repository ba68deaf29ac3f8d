"""Figures of merit of a set of runs: mode weight, FSC of the two best, modulus histogram."""

import numpy as np
import pytest

from phasebeam.analysis.cdi.evaluation import Comparison, classify
from phasebeam.analysis.cdi.run_set import crystal_cube, run_set_figures


def _crystal(shift=(0, 0, 0)) -> np.ndarray:
    obj = np.zeros((24, 32, 32), dtype=np.complex64)
    z, y, x = np.indices(obj.shape)
    inside = (z - 12) ** 2 / 36 + (y - 16) ** 2 / 64 + (x - 16) ** 2 / 49 <= 1
    obj[inside] = np.exp(1j * 0.3 * (y[inside] - 16))
    return np.roll(obj, shift, axis=(0, 1, 2))


def test_copies_of_one_object_agree_completely():
    best = _crystal()
    # The same crystal shifted, conjugated-and-flipped (its twin) and with a phase offset: all
    # equivalent once aligned, so one mode carries all the weight and the FSC never drops.
    twin = np.conj(best[::-1, ::-1, ::-1])
    runs = [best, np.roll(best, (1, -2, 3), axis=(0, 1, 2)) * np.exp(0.7j), twin]
    figures = run_set_figures(runs, pixel_m=10e-9)
    assert figures.first_mode_weight == pytest.approx(1.0, abs=1e-4)
    assert np.all(figures.fsc.values[1:] > 0.99)
    assert figures.fsc_resolution_m == pytest.approx(2 * 10e-9, rel=0.1)  # the Nyquist period
    # A uniform modulus: every voxel of the support in the top bin.
    assert figures.modulus_peak == pytest.approx(0.99)


def test_two_unrelated_runs_share_half_the_weight_and_no_resolution():
    rng = np.random.default_rng(0)
    a = _crystal()
    b = np.abs(a) * np.exp(2j * np.pi * rng.random(a.shape)).astype(np.complex64)
    figures = run_set_figures([a, b], pixel_m=10e-9, keep=2)
    # Two objects of equal norm, nearly orthogonal: two modes of about equal weight.
    assert figures.first_mode_weight == pytest.approx(0.5, abs=0.05)
    assert figures.fsc_resolution_m > 4 * 10e-9


def test_the_cube_around_a_crystal_has_equal_sides_and_holds_it():
    obj = _crystal()
    cube = crystal_cube(obj)
    sides = {s.stop - s.start for s in cube}
    assert len(sides) == 1
    assert np.abs(obj[cube]).sum() == pytest.approx(np.abs(obj).sum())


def test_one_run_is_refused():
    with pytest.raises(ValueError, match="at least 2 runs, got 1"):
        run_set_figures([_crystal()], pixel_m=1e-8)


@pytest.mark.parametrize(
    ("dice", "rms", "twin", "outcome"),
    [
        (0.95, 0.1, False, "correct"),
        (0.95, 0.1, True, "conjugated"),
        (0.95, 0.3, False, "incorrect"),
        (0.85, 0.1, True, "incorrect"),
    ],
)
def test_outcomes_are_classified_as_seed_001_counts_them(dice, rms, twin, outcome):
    assert classify(Comparison(dice, rms, twin, 0.9)) == outcome
