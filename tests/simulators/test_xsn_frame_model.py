"""The simulated microscope's 'xsn' frame model: what a 0/180 pair of camera frames reconstructs to."""

import numpy as np
import pytest

from phasebeam.analysis.optics import bragg_angle_deg, wavelength_m
from phasebeam.analysis.xsn.field import reconstruct_field
from phasebeam.simulators.frame_models import _delta_beta, _flat_field, xsn_optics_of_world
from phasebeam.simulators.projection import projected_thickness_m
from phasebeam.simulators.world import World


def test_xsn_frames_of_the_tomography_sample_reconstruct_to_its_phase():
    world = World(seed=1)
    world.cutoff_inserted = True
    world.place("cutoff_edge", 0.0)
    world.set_frame_model("camera", "xsn")
    config = world.detectors["camera"]
    t = world.now()
    frames = []
    for theta in (0.0, 180.0):
        world.place("theta", theta)
        frames.append(world.expected_rate("camera", t))
    # Flat field: the model's background level times the condenser profile.
    flat = _flat_field(config.shape)
    level = np.median(frames[0][:4] / flat[:4])
    optics = xsn_optics_of_world(world, config, t)
    assert optics is not None
    result = reconstruct_field(
        frames[0] / flat / level, (frames[1] / flat / level)[:, ::-1], optics, edge_reference_px=4
    )
    sample = world.tomography_sample
    delta, _ = _delta_beta(sample.formula, sample.density_g_cm3, round(world.energy_ev(t), 3))
    phase = (
        -2
        * np.pi
        / world.wavelength_m(t)
        * delta
        * projected_thickness_m(sample, 0.0, config.shape, config.sample_pixel_m)
    )
    assert phase.min() < -1.5  # NiO spheres of 2-3 um: strong phase objects
    assert np.sqrt(np.mean((result.phase - phase) ** 2)) < 0.03 * -phase.min()


def test_knife_edge_scan_with_xsn_frames_darkens_as_the_edge_closes():
    world = World(seed=1)
    world.cutoff_inserted = True
    world.set_frame_model("camera", "xsn")
    means = []
    for edge_um in (-60.0, 0.0, 30.0, 60.0):
        world.place("cutoff_edge", edge_um)
        means.append(world.expected_rate("camera", world.now()).mean())
    assert np.all(np.diff(means) < 0)
    assert means[-1] < 0.05 * means[0]


def test_xsn_frames_across_the_ni_k_edge_follow_the_absorption_of_nio():
    """An energy sweep with XSN frames: the reconstructed absorption of the spheres jumps at the
    Ni K edge (8333 eV) by xraydb's beta ratio."""
    world = World(seed=1)
    world.cutoff_inserted = True
    world.place("cutoff_edge", 0.0)
    world.set_frame_model("camera", "xsn")
    config = world.detectors["camera"]
    flat = _flat_field(config.shape)
    sample = world.tomography_sample
    path = projected_thickness_m(sample, 0.0, config.shape, config.sample_pixel_m)
    core = path > 0.8 * path.max()
    absorption = {}
    for energy in (8313.0, 8353.0):
        world.place("dcm_bragg", bragg_angle_deg(energy))
        t = world.now()
        frames = []
        for theta in (0.0, 180.0):
            world.place("theta", theta)
            frames.append(world.expected_rate("camera", t) / flat)
        level = np.median(frames[0][:4])
        optics = xsn_optics_of_world(world, config, t)
        assert optics is not None
        result = reconstruct_field(frames[0] / level, frames[1][:, ::-1] / level, optics, edge_reference_px=4)
        absorption[energy] = float(np.mean(result.absorption[core]))
    _, beta_below = _delta_beta(sample.formula, sample.density_g_cm3, 8313.0)
    _, beta_above = _delta_beta(sample.formula, sample.density_g_cm3, 8353.0)
    # alpha = -(2 pi / lambda) beta t: the ratio of alpha across the edge is that of beta / lambda.
    expected = (beta_above / float(wavelength_m(8353.0))) / (beta_below / float(wavelength_m(8313.0)))
    print(f"alpha ratio {absorption[8353.0] / absorption[8313.0]:.3f}, expected {expected:.3f}")
    assert expected > 5  # the edge
    assert absorption[8353.0] / absorption[8313.0] == pytest.approx(expected, rel=0.05)
