import pytest
from bluesky import RunEngine


@pytest.fixture(scope="session")
def RE() -> RunEngine:
    """One RunEngine for the whole session: pytango binds its executor to the first event loop."""
    return RunEngine(call_returns_result=False)
