import pytest
from xsn_cases import seed_like_optics

from phasebeam.analysis.xsn.optics import XsnOptics


@pytest.fixture
def optics() -> XsnOptics:
    return seed_like_optics()
