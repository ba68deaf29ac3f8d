import math

import pytest

from phasebeam.analysis.optics import (
    bragg_angle_deg,
    energy_ev_from_bragg_angle,
    thin_lens_object_distance_m,
    wavelength_m,
    zone_plate_focal_length_m,
)
from phasebeam.analysis.undulator import UndulatorModel, undulator_gap_m

# Independent constants (CODATA 2018, exact SI values) typed here on purpose.
H = 6.62607015e-34
C = 299792458.0
E = 1.602176634e-19


def test_wavelength_matches_hc_over_e():
    assert wavelength_m(12398.419843320026) == pytest.approx(1e-10, rel=1e-12)
    assert wavelength_m(9000.0) == pytest.approx(H * C / (E * 9000.0), rel=1e-12)


@pytest.mark.parametrize("energy_ev", [5000.0, 8000.0, 8333.0 - 50.0, 9000.0, 12000.0, 17000.0])
def test_si111_bragg_angle_against_independent_formula(energy_ev):
    d = 5.4310e-10 / math.sqrt(3)  # Si lattice constant 5.4310 A, (111) planes
    expected = math.degrees(math.asin(H * C / (E * energy_ev) / (2 * d)))
    assert bragg_angle_deg(energy_ev) == pytest.approx(expected, abs=2e-4)
    assert energy_ev_from_bragg_angle(bragg_angle_deg(energy_ev)) == pytest.approx(energy_ev, rel=1e-12)


def test_bragg_angle_below_cutoff_is_refused():
    with pytest.raises(ValueError, match="below the Bragg cut-off"):
        bragg_angle_deg(1500.0)


def test_zone_plate_focal_length_seed_004():
    # D = 300 um, dr = 30 nm at 8 keV: f = D dr / lambda = 58.07 mm.
    lam = H * C / (E * 8000.0)
    f = zone_plate_focal_length_m(300e-6, 30e-9, 8000.0)
    assert f == pytest.approx(300e-6 * 30e-9 / lam, rel=1e-12)
    assert f == pytest.approx(0.05807, abs=1e-5)


def test_thin_lens_object_distance_satisfies_lens_equation():
    f, total = 0.06, 1.3
    p = thin_lens_object_distance_m(f, total)
    assert 1 / p + 1 / (total - p) == pytest.approx(1 / f, rel=1e-12)
    assert p < total / 2
    with pytest.raises(ValueError, match="4 f"):
        thin_lens_object_distance_m(0.5, 1.0)


@pytest.mark.parametrize("energy_ev", [4000.0, 8333.0, 9000.0, 12000.0])
def test_undulator_gap_round_trip(energy_ev):
    model = UndulatorModel()
    gap = undulator_gap_m(energy_ev, 1, model)
    assert model.min_gap_m <= gap <= model.max_gap_m
    assert model.energy_ev(gap, 1) == pytest.approx(energy_ev, rel=1e-10)


def test_undulator_energy_falls_as_gap_closes_and_range_is_enforced():
    model = UndulatorModel()
    assert model.energy_ev(0.010) < model.energy_ev(0.015)
    with pytest.raises(ValueError, match="outside the range of harmonic 1"):
        undulator_gap_m(20000.0, 1, model)
    with pytest.raises(ValueError, match="odd integer"):
        undulator_gap_m(9000.0, 2, model)
    # The third harmonic reaches energies the first cannot.
    gap = undulator_gap_m(20000.0, 3, model)
    assert model.energy_ev(gap, 3) == pytest.approx(20000.0, rel=1e-10)
