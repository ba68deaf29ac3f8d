import pytest
from bluesky import RunEngine


@pytest.fixture(scope="session")
def RE() -> RunEngine:
    """One RunEngine for the whole session: pytango binds its executor to the first event loop."""
    return RunEngine(call_returns_result=False)


@pytest.fixture
def mock_beamline(RE, tmp_path):
    """Every device of the beamline, connected in ophyd-async mock mode."""
    from bluesky.run_engine import call_in_bluesky_event_loop

    from phasebeam.beamline import SIMULATED_ROLES, build_beamline, connect_beamline

    addresses = {role: f"tango://127.0.0.1:1/{name}#dbase=no" for role, name in SIMULATED_ROLES.items()}
    beamline = build_beamline(addresses, tmp_path)
    call_in_bluesky_event_loop(connect_beamline(beamline, mock=True))
    return beamline
