"""The simulated servers through a plain pytango DeviceProxy, as any Tango client sees them."""

import time

import numpy as np
import pytest
import tango

from phasebeam.simulators.world import AXES

MOTORS = {
    "sim/nanogonio/x": "nanogonio_x",
    "sim/nanogonio/y": "nanogonio_y",
    "sim/nanogonio/z": "nanogonio_z",
    "sim/nanogonio/mchi": "nanogonio_mchi",
    "sim/nanogonio/mphi": "nanogonio_mphi",
    "sim/cutoff/edge": "cutoff_edge",
    "sim/cutoff/axial": "cutoff_axial",
    "sim/zoneplate/x": "zoneplate_x",
    "sim/zoneplate/y": "zoneplate_y",
    "sim/zoneplate/z": "zoneplate_z",
    "sim/energy/gap": "undulator_gap",
    "sim/energy/bragg": "dcm_bragg",
    "sim/diffractometer/eta": "eta",
    "sim/sample/theta": "theta",
    "sim/sample/x": "sample_x",
    "sim/sample/y": "sample_y",
    "sim/sample/z": "sample_z",
}


def _wait_on(proxy: tango.DeviceProxy, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while proxy.state() != tango.DevState.ON:
        assert time.monotonic() < deadline, f"{proxy.name()} still {proxy.state()}"
        time.sleep(0.02)


@pytest.mark.parametrize("device", sorted(MOTORS))
def test_every_motor_moves_moving_then_on(sim, device):
    proxy = tango.DeviceProxy(sim.addresses[device])
    config = proxy.get_attribute_config("position")
    assert config.unit == AXES[MOTORS[device]].unit
    start = proxy.position
    velocity = proxy.velocity
    step = 0.25 * velocity  # a quarter of a second of travel
    target = start + step if start + step <= float(config.max_value) else start - step
    proxy.position = target
    assert proxy.state() == tango.DevState.MOVING
    _wait_on(proxy)
    assert proxy.position == pytest.approx(target)
    proxy.position = start
    _wait_on(proxy)


def test_out_of_limit_write_is_refused_by_tango(sim):
    proxy = tango.DeviceProxy(sim.addresses["sim/diffractometer/eta"])
    before = proxy.position
    with pytest.raises(tango.DevFailed, match="above the maximum"):
        proxy.position = 1e4
    assert proxy.state() == tango.DevState.ON and proxy.position == before


def test_detector_last_image_through_device_proxy(sim, tmp_path):
    det = tango.DeviceProxy(sim.addresses["sim/detector/camera"])
    det.saving_directory = str(tmp_path)
    det.saving_prefix = "proxy"
    det.acq_expo_time = 0.05
    det.acq_nb_frames = 2
    det.prepareAcq()
    det.startAcq()
    deadline = time.monotonic() + 5
    while det.acq_status != "Ready":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    image = det.last_image
    assert det.last_image_saved == 1
    assert image.shape == (det.image_height, det.image_width)
    assert image.dtype == np.uint32 and image.mean() > 100
    assert det.last_file == str(tmp_path / "proxy.h5")
