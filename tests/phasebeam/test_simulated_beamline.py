import contextlib
import json
import os
import time

import pytest

from phasebeam.simulated_beamline import SimulatedBeamline, SimulatedBeamlineError

ADDRESSES = {"sim/sample/x": "tango://127.0.0.1:40123/sim/sample/x#dbase=no"}


@pytest.fixture
def pipe():
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_the_address_map_is_found_when_it_arrives_in_one_read_with_tangos_message(pipe):
    # Both lines in one read: a buffered readline kept the second where select() cannot see it,
    # and the start waited out its whole timeout.
    read_fd, write_fd = pipe
    os.write(write_fd, b"Ready to accept request\n" + json.dumps(ADDRESSES).encode() + b"\n")
    t0 = time.monotonic()
    assert SimulatedBeamline(start_timeout_s=5.0)._read_addresses(read_fd) == ADDRESSES
    assert time.monotonic() - t0 < 1.0


def test_the_address_map_is_found_across_reads_and_behind_tangos_message_on_its_line(pipe):
    read_fd, write_fd = pipe
    line = b"Ready to accept request" + json.dumps(ADDRESSES).encode() + b"\n"
    os.write(write_fd, line[:30])
    os.write(write_fd, line[30:])
    assert SimulatedBeamline(start_timeout_s=5.0)._read_addresses(read_fd) == ADDRESSES


def test_a_beamline_that_never_reports_gives_an_error_naming_the_timeout(pipe):
    read_fd, write_fd = pipe
    os.write(write_fd, b"Ready to accept request\n")
    with pytest.raises(SimulatedBeamlineError, match=r"not ready within 0\.3 s"):
        SimulatedBeamline(start_timeout_s=0.3)._read_addresses(read_fd)
