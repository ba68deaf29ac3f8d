"""The Lima-like acquisition: frames when due, appended to a never-overwritten HDF5 file."""

import h5py
import numpy as np
import pytest

from phasebeam.simulators.acquisition import AcquisitionError, SimulatedAcquisition
from phasebeam.simulators.frame_file import DATASET_PATH
from phasebeam.simulators.frame_models import register_frame_model
from phasebeam.simulators.world import World


@register_frame_model("test_theta_map")
def _theta_map(world, config, t):
    """Counts per second equal to the rotation angle in degrees, in every pixel."""
    return np.full(config.shape, world.position("theta", t) * 1000.0)


def _prepared(world: World, tmp_path, prefix="scan") -> SimulatedAcquisition:
    acq = SimulatedAcquisition(world, "camera")
    acq.saving_directory = str(tmp_path)
    acq.saving_prefix = prefix
    acq.prepare()
    return acq


def test_frames_appear_when_their_exposure_ends_and_are_saved(clock, tmp_path):
    world = World(seed=0, clock=clock)
    acq = _prepared(world, tmp_path)
    acq.set_exposure(0.1)
    acq.set_nb_frames(3)
    acq.start()
    clock.advance(0.15)
    acq.catch_up()
    assert (acq.last_image_saved, acq.status) == (0, "Running")
    clock.advance(0.2)
    acq.catch_up()
    assert (acq.last_image_saved, acq.status) == (2, "Ready")
    acq.start()  # a step scan: the next point appends to the same file
    clock.advance(1.0)
    acq.catch_up()
    assert acq.last_image_saved == 5
    with h5py.File(tmp_path / "scan.h5", "r") as f:
        frames = f[DATASET_PATH][()]
    assert frames.shape == (6, *world.detectors["camera"].shape) and frames.dtype == np.uint32
    assert np.array_equal(frames[-1], acq.last_image)
    assert frames.mean() > 1000  # photons, not zeros


def test_fly_scan_frames_see_the_axis_at_mid_exposure(clock, tmp_path):
    world = World(seed=0, clock=clock)
    world.set_frame_model("camera", "test_theta_map")
    world.axes["theta"].set_velocity(10.0, world.now())
    acq = _prepared(world, tmp_path)
    acq.set_exposure(0.5)
    acq.set_nb_frames(4)
    world.move("theta", 100.0)
    acq.start()
    clock.advance(2.0)
    acq.catch_up()
    with h5py.File(tmp_path / "scan.h5", "r") as f:
        means = f[DATASET_PATH][()].mean(axis=(1, 2))
    # theta at mid exposure: 2.5, 7.5, 12.5, 17.5 deg -> rate 1000 * theta, times 0.5 s
    assert np.allclose(means, 500.0 * np.array([2.5, 7.5, 12.5, 17.5]), rtol=0.01)


def test_refuses_to_overwrite_and_to_start_unprepared(clock, tmp_path):
    world = World(seed=0, clock=clock)
    _prepared(world, tmp_path, "same")
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        _prepared(world, tmp_path, "same")
    fresh = SimulatedAcquisition(world, "camera")
    with pytest.raises(AcquisitionError, match="prepareAcq first"):
        fresh.start()
    with pytest.raises(ValueError, match="acq_expo_time must be in"):
        fresh.set_exposure(-1.0)


def test_a_failing_frame_model_faults_but_keeps_saved_frames(clock, tmp_path):
    world = World(seed=0, clock=clock)
    acq = _prepared(world, tmp_path)
    acq.set_nb_frames(4)
    acq.start()
    clock.advance(0.25)
    acq.catch_up()
    assert acq.last_image_saved == 1
    world.detectors["camera"] = world.detectors["camera"].__class__(
        **{**world.detectors["camera"].__dict__, "frame_model": "no_such_model"}
    )
    clock.advance(1.0)
    acq.catch_up()
    assert acq.status == "Fault" and "no_such_model" in acq.fault_message
    with h5py.File(tmp_path / "scan.h5", "r") as f:
        assert f[DATASET_PATH].shape[0] == 2
