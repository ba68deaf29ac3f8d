"""0/180 tomography on the simulated beamline: mirrored pairs in step mode, angles in fly mode."""

import bluesky.plan_stubs as bps
import numpy as np
import pytest
import tango
from bluesky.run_engine import call_in_bluesky_event_loop

from phasebeam.plans.tomography import tomography_0_180
from phasebeam.simulators.frame_models import absorption_projection_frame
from phasebeam.simulators.world import World
from phasebeam.storage import read_frames


@pytest.fixture
def projection_camera(sim, RE, beamline):
    RE(bps.mv(beamline.sample.x, 0.0, beamline.sample.y, 0.0))  # the spheres in the field
    camera = tango.DeviceProxy(sim.addresses["sim/detector/camera"])
    previous = camera.sim_frame_model
    camera.sim_frame_model = "absorption_projection"
    yield
    camera.sim_frame_model = previous


def test_step_mode_pairs_are_mirror_images(RE_tiled, beamline, storage, projection_camera):
    (uid,) = RE_tiled(
        tomography_0_180([beamline.camera], beamline.sample.theta, mode="step", pairs=2, exposure_s=0.5)
    )
    frames = read_frames(storage.runs, uid, "camera")
    assert list(frames.positions["sample-theta"]) == pytest.approx([0.0, 90.0, 180.0, 270.0])
    image = frames.frames.astype(float)
    for first, second in ((0, 2), (1, 3)):
        mirrored = image[second][:, ::-1]
        # Equal within Poisson noise: (a - b)^2 / (a + b) is 1 per pixel on average.
        chi2 = np.mean((image[first] - mirrored) ** 2 / (image[first] + mirrored + 1))
        assert chi2 < 1.2, chi2
        # ...and not merely because the image is symmetric.
        chi2_unmirrored = np.mean((image[first] - image[second]) ** 2 / (image[first] + image[second] + 1))
        assert chi2_unmirrored > 3, chi2_unmirrored


def test_fly_mode_frames_follow_the_rotation(RE_tiled, beamline, storage, projection_camera):
    theta = beamline.sample.theta
    velocity = call_in_bluesky_event_loop(theta.velocity.get_value())
    (uid,) = RE_tiled(
        tomography_0_180(
            [beamline.camera], theta, mode="fly", images=24, speed_deg_per_s=30.0, exposure_s=0.1
        )
    )
    assert call_in_bluesky_event_loop(theta.velocity.get_value()) == velocity  # restored
    run = storage.runs[uid]
    frames = read_frames(storage.runs, uid, "camera")
    assert frames.frames.shape == (24, 128, 128)
    angles = np.asarray(run.metadata["start"]["angles_deg"])
    assert angles[0] == pytest.approx(1.5) and angles[-1] == pytest.approx(70.5)
    # Each frame's angle, found by matching it against noise-free projections on a 0.1 deg grid.
    world = World()
    config = world.detectors["camera"]
    grid = np.arange(0.0, 75.0, 0.1)
    models = []
    for angle in grid:
        world.place("theta", float(angle))
        model = absorption_projection_frame(world, config, world.now())
        models.append(model / np.median(model))
    models = np.asarray(models)
    measured = frames.frames.astype(float)
    measured /= np.median(measured, axis=(1, 2), keepdims=True)
    fitted = grid[[int(np.argmin(((models - m) ** 2).sum(axis=(1, 2)))) for m in measured]]
    # Frames are 3 deg apart: each frame's fitted angle is nearer its own mid-exposure angle than
    # either neighbour's (under 1.5 deg, which allows a start offset between the rotation and the
    # detector of up to ~30 ms on a loaded machine plus the fit's ~0.3 deg scatter)...
    assert np.max(np.abs(fitted - angles)) < 1.5, fitted - angles
    # ...and the frames advance at the rotation speed times the frame period, 30 deg/s x 0.1 s.
    step_deg = np.polyfit(np.arange(len(fitted)), fitted, 1)[0]
    assert step_deg == pytest.approx(3.0, rel=0.02), step_deg
