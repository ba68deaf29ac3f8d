"""0/180 registration, and I_k from a knife-edge scan (seed 004, Eq. 6)."""

import numpy as np
import pytest

from phasebeam.analysis.knife_edge import angular_spectrum_from_knife_edge
from phasebeam.analysis.xsn.registration import golden_section_minimum, register_pair
from phasebeam.simulators.knife_edge import knife_edge_background
from phasebeam.simulators.world import World
from phasebeam.simulators.xsn_imaging import XsnMicroscope, simulate_pair
from phasebeam.simulators.xsn_phantoms import reference_particles


@pytest.mark.parametrize(
    ("theta_deg", "shift_px"), [(30.0, (0.0, 2.3)), (100.0, (-1.4, -3.7)), (75.0, (0.6, 0.4))]
)
def test_registration_recovers_an_imposed_offset_within_half_a_pixel(theta_deg, shift_px):
    microscope = XsnMicroscope(shape=(64, 128), photons_per_pixel=1e5)
    pair = simulate_pair(reference_particles(), theta_deg, microscope, np.random.default_rng(2), shift_px)
    image_0 = pair.image_0 / pair.flat
    image_180 = (pair.image_180 / pair.flat)[:, ::-1]
    found = register_pair(image_0, image_180).shift_px
    # The recorded image moved by (dy, dx); mirrored back that is (dy, -dx), undone by (-dy, dx).
    expected = (-shift_px[0], shift_px[1])
    error = float(np.hypot(found[0] - expected[0], found[1] - expected[1]))
    print(f"imposed {expected} px, found {found} px, error {error:.2f} px")
    assert error <= 0.5


def test_golden_section_finds_a_parabola_minimum():
    assert golden_section_minimum(lambda x: (x - 0.37) ** 2, -1.0, 1.0, 1e-4) == pytest.approx(0.37, abs=1e-4)


def test_angular_spectrum_from_a_simulated_knife_edge_scan_matches_the_illumination():
    world = World(seed=3)
    illumination = world.illumination
    focal = world.zone_plate_focal_length_m(8000.0)
    field_x = (np.arange(128) - 64) * 100e-9
    edges = np.linspace(-60e-6, 60e-6, 121)
    rng = np.random.default_rng(0)
    photons = 1e6  # per pixel with the edge out, summed over a row of 128 pixels per position
    mean = [
        rng.poisson(photons * knife_edge_background(illumination, e, True, 0.0, focal, field_x)).mean()
        for e in edges
    ]
    spectrum = angular_spectrum_from_knife_edge(edges, mean, 1.5498e-10, focal)
    truth = illumination.density_at(spectrum.edge_m)
    truth_norm = truth / np.trapezoid(truth, spectrum.edge_m)
    error = np.linalg.norm(spectrum.density_per_m - truth_norm) / np.linalg.norm(truth_norm)
    print(f"I_k relative error {100 * error:.2f}%")
    assert error <= 0.05
    frequency, weight = spectrum.illumination_modes()
    assert weight.sum() == pytest.approx(1.0)
    assert np.sum(frequency * weight) == pytest.approx(
        np.sum(spectrum.edge_m * truth_norm * np.gradient(spectrum.edge_m)) / (1.5498e-10 * focal), rel=0.05
    )
