"""0/180 registration, and I_k from a knife-edge scan (seed 004, Eq. 6)."""

import numpy as np
import pytest

from phasebeam.analysis.knife_edge import angular_spectrum_from_knife_edge
from phasebeam.analysis.xsn.calibration import MODES_PER_STEP, optics_from_knife_edge
from phasebeam.analysis.xsn.offset_refinement import flatness_cost, refine_global_offset
from phasebeam.analysis.xsn.pipeline import prepare_pair
from phasebeam.analysis.xsn.registration import register_pair
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


def test_global_offset_from_the_flattest_delta_beta_frc_recovers_an_imposed_offset():
    """Step 2 on tomograms: every 180 deg image displaced by 0.8 px, step 1 skipped, 30 pairs."""
    microscope = XsnMicroscope(shape=(48, 128), photons_per_pixel=4e6)
    rng = np.random.default_rng(1)
    angles = np.arange(30) * 6.0
    imposed_px = 0.8
    pairs = []
    for angle in angles:
        sim = simulate_pair(reference_particles(), angle, microscope, rng, (0.0, imposed_px))
        pairs.append(prepare_pair(sim.image_0, sim.image_180, microscope.pixel_size_m, sim.flat, sim.flat))
    found = refine_global_offset(
        pairs, angles, microscope.optics(), search_px=1.5, register=False, edge_reference_px=4
    )
    print(f"imposed {imposed_px} px, found {found.offset_px:.3f} px in {len(found.trials)} trials")
    assert found.offset_px == pytest.approx(imposed_px, abs=0.15)
    assert found.cost == min(cost for _, cost in found.trials)


def test_flatness_needs_two_rings_below_the_limit():
    volume = np.ones((16, 2, 16))
    with pytest.raises(ValueError, match=r"max_frequency_per_m=1e\+06 1/m holds 1 FRC ring"):
        flatness_cost(volume, volume, 100e-9)  # a 1.6 um field: one ring below 1 um^-1


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
    # The optics file's modes: interpolated between the scan's samples, centroid as the truth's.
    optics = optics_from_knife_edge(edges, mean, 8000.0, 100e-9).optics
    frequency, weight = optics.illumination_frequency_per_m, optics.illumination_weight
    assert weight.sum() == pytest.approx(1.0)
    scan_step = np.diff(spectrum.k_x_per_m).mean() / (2 * np.pi)
    assert np.median(np.diff(frequency)) == pytest.approx(scan_step / MODES_PER_STEP, rel=1e-3)
    assert np.sum(frequency * weight) == pytest.approx(
        np.sum(spectrum.edge_m * truth_norm * np.gradient(spectrum.edge_m)) / (1.5498e-10 * focal), rel=0.05
    )


def test_optics_from_a_knife_edge_scan_refuses_a_pixel_too_coarse_for_every_mode():
    edges = np.linspace(-60e-6, 60e-6, 25)
    mean = 1e4 * np.clip((50e-6 - edges) / 40e-6, 0, 1)  # illumination over x in [10, 50] um
    with pytest.raises(ValueError, match=r"no illumination mode below the Nyquist frequency"):
        optics_from_knife_edge(edges, mean, 8000.0, 1e-6)
    with pytest.raises(ValueError, match=r"energy_ev must be > 0, got -1"):
        optics_from_knife_edge(edges, mean, -1.0, 100e-9)
    # Nyquist of 100 nm pixels, 5 1/um, is the pupil position 5e6 * lambda * f = 45 um (lambda * f =
    # D * dr = 9e-12 m^2): 5 of the 40 um of illumination lie beyond it.
    found = optics_from_knife_edge(edges, mean, 8000.0, 100e-9)
    assert found.beyond_nyquist == pytest.approx(5 / 40, abs=0.01)
    assert found.optics.illumination_weight.sum() == pytest.approx(1.0)
