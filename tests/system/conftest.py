"""Session fixtures: the simulated Tango beamline and an embedded Tiled server, started once."""

from collections.abc import Iterator

import pytest
from bluesky.run_engine import call_in_bluesky_event_loop
from event_model import DocumentNames, schema_validators

from phasebeam.beamline import Beamline, build_beamline, connect_beamline, simulated_addresses
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
