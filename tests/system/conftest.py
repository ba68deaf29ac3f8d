"""Session fixtures: the simulated Tango beamline and an embedded Tiled server, started once."""

from collections.abc import Iterator

import bluesky.plan_stubs as bps
import bluesky.plans as bp
import numpy as np
import pytest
import tango
from bluesky.run_engine import call_in_bluesky_event_loop
from event_model import DocumentNames, schema_validators

from phasebeam.beamline import Beamline, build_beamline, connect_beamline, simulated_addresses
from phasebeam.live_analyses import energy_in_start_document
from phasebeam.plans.common import prepare_exposure
from phasebeam.settings import Settings
from phasebeam.simulated_beamline import SimulatedBeamline
from phasebeam.storage import Storage


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/system/" in str(item.fspath):
            item.add_marker(pytest.mark.system)


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatedBeamline]:
    with SimulatedBeamline(seed=1) as beamline:
        yield beamline


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("phasebeam-data"))


@pytest.fixture(scope="session")
def storage(settings) -> Iterator[Storage]:
    with Storage(settings) as store:
        yield store


@pytest.fixture(scope="session")
def beamline(sim, settings, RE) -> Beamline:
    bl = build_beamline(simulated_addresses(sim.addresses), settings.frames_dir)
    call_in_bluesky_event_loop(connect_beamline(bl))
    return bl


@pytest.fixture
def RE_tiled(RE, storage):
    """The RunEngine writing to Tiled; every document it emits is checked against event-model."""
    invalid: list[str] = []

    def validate(name, doc):
        try:
            schema_validators[DocumentNames[name]].validate(doc)
        except Exception as error:
            invalid.append(f"{name}: {error}")

    tokens = [RE.subscribe(storage.writer), RE.subscribe(validate)]
    yield RE
    for token in tokens:
        RE.unsubscribe(token)
    assert invalid == [], invalid[:3]


@pytest.fixture
def RE_energy(RE_tiled, beamline):
    """RE_tiled, with the energy in every start document as the beamline's wiring does."""
    RE_tiled.preprocessors.append(energy_in_start_document(beamline.energy))
    yield RE_tiled
    RE_tiled.preprocessors.pop()


@pytest.fixture
def xsn_camera(sim, RE, beamline):
    """The simulated camera records XSN frames; afterwards the cutoff filter is out, the sample
    back on the axis and the energy at 8 keV."""
    camera = tango.DeviceProxy(sim.addresses["sim/detector/camera"])
    previous = camera.sim_frame_model
    camera.sim_frame_model = "xsn"
    yield
    camera.sim_frame_model = previous
    cutoff = beamline.cutoff_filter
    RE(bps.mv(cutoff.actuator.inserted, False, cutoff.edge, 0.0, beamline.sample.x, 0.0))
    RE(bps.mv(beamline.energy, 8000.0))


@pytest.fixture
def bcmi_frames(sim, RE, beamline):
    """The simulated Eiger records the Bragg beam through the modulator (seed 001); afterwards the
    modulator is back at x = y = 0."""
    eiger = tango.DeviceProxy(sim.addresses["sim/detector/eiger"])
    previous = eiger.sim_frame_model
    eiger.sim_frame_model = "bcmi"
    yield
    eiger.sim_frame_model = previous
    nano = beamline.nanogoniometer
    RE(bps.mv(nano.x, 0.0, nano.y, 0.0))


def _rms_widths_m(density: np.ndarray, voxel_m) -> np.ndarray:
    """RMS extent of a density along Z, Y and X about its centroid (m)."""
    weights = density / density.sum()
    widths = []
    for axis, step in enumerate(voxel_m):
        profile = weights.sum(axis=tuple(a for a in range(3) if a != axis))
        x = np.arange(profile.size) * step
        mean = np.sum(profile * x)
        widths.append(np.sqrt(np.sum(profile * (x - mean) ** 2)))
    return np.array(widths)


@pytest.fixture
def rms_widths_m():
    """rms_widths_m(density, voxel_m): a density's RMS extent along Z, Y and X (m)."""
    return _rms_widths_m


def _weighted_rms(values: np.ndarray, weights: np.ndarray) -> float:
    """RMS of ``values`` about their weighted mean, each weighted by ``weights``."""
    mean = np.average(values, weights=weights)
    return float(np.sqrt(np.average((values - mean) ** 2, weights=weights)))


@pytest.fixture
def weighted_rms():
    """weighted_rms(values, weights): RMS about the weighted mean (a displacement's spread, weighted
    by |rho|^2 so that the noise phase of faint edge voxels counts little)."""
    return _weighted_rms


@pytest.fixture
def take_flats(RE_tiled, beamline):
    """take_flats(count, exposure_s) runs ``count`` frames of the camera (move the sample out
    first) and returns the run's uid."""

    def plan(count: int, exposure_s: float):
        yield from prepare_exposure([beamline.camera], exposure_s)
        return (yield from bp.count([beamline.camera], count))

    def take(count: int, exposure_s: float) -> str:
        (uid,) = RE_tiled(plan(count, exposure_s))
        return uid

    return take
