"""An energy sweep across the Ni K edge: the absorption of NiO spheres follows xraydb's edge."""

import bluesky.plan_stubs as bps
import numpy as np
import pytest
import tango
import xraydb

from phasebeam.analysis.optics import wavelength_m
from phasebeam.plans.energy_sweep import energy_sweep
from phasebeam.simulators.projection import default_spheres, projected_thickness_m
from phasebeam.storage import read_frames


def test_count_sweep_across_the_ni_k_edge_measures_the_edge_jump(RE_tiled, sim, beamline, storage):
    camera = tango.DeviceProxy(sim.addresses["sim/detector/camera"])
    previous = camera.sim_frame_model
    camera.sim_frame_model = "absorption_projection"
    try:
        RE_tiled(bps.mv(beamline.sample.theta, 0.0, beamline.sample.x, 0.0, beamline.sample.y, 0.0))
        (uid,) = RE_tiled(
            energy_sweep([beamline.camera], beamline.energy, 8313.0, 8353.0, 8.0, exposure_s=1.0)
        )
    finally:
        camera.sim_frame_model = previous
        RE_tiled(bps.mv(beamline.energy, 8000.0))
    frames = read_frames(storage.runs, uid, "camera")
    energies = np.array([8313.0, 8321.0, 8329.0, 8337.0, 8345.0, 8353.0])
    assert frames.positions["energy"] == pytest.approx(energies, abs=1e-3)
    # I_E / I_E0 = (flux ratio) * exp(-(mu_E - mu_E0) * path): the flat field cancels, and the
    # flux ratio cancels against a pixel with no sphere in front of it.
    sample = default_spheres()
    path = projected_thickness_m(sample, 0.0, (128, 128), 100e-9)
    centre = np.unravel_index(np.argmax(path), path.shape)
    window = (slice(centre[0] - 1, centre[0] + 2), slice(centre[1] - 1, centre[1] + 2))
    background = (slice(5, 20), slice(5, 20))
    assert path[background].max() == 0.0
    counts = frames.frames.astype(float)
    measured = -np.log(counts[:, window[0], window[1]].sum((1, 2)) / counts[0, window[0], window[1]].sum())
    measured += np.log(counts[:, background[0], background[1]].sum((1, 2)) / counts[0][background].sum())

    def mu_per_m(e: float) -> float:
        _, beta, _ = xraydb.xray_delta_beta(sample.formula, sample.density_g_cm3, e)
        return 4 * np.pi * beta / float(wavelength_m(e))

    expected = np.array([(mu_per_m(e) - mu_per_m(energies[0])) * path[window].mean() for e in energies])
    assert expected[-1] > 0.3  # the edge: 1.35x less light through the sphere above it
    assert measured == pytest.approx(expected, abs=0.03 * expected[-1])
