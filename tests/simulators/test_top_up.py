"""Announced top-up injections in the simulated world: countdown, flag and beam."""

import math

import pytest

from phasebeam.simulators.world import World


def test_countdown_flag_and_beam_follow_the_announced_window():
    now = [100.0]
    world = World(clock=lambda: now[0])
    assert world.seconds_to_injection() == math.inf and not world.injection
    rate = world.photon_rate()
    assert rate > 0
    world.schedule_injection(delay_s=5.0, duration_s=2.0)
    assert world.seconds_to_injection() == pytest.approx(5.0)
    now[0] = 104.0
    assert world.seconds_to_injection() == pytest.approx(1.0) and world.photon_rate() == rate
    now[0] = 105.5
    assert world.injection and world.seconds_to_injection() == 0.0 and world.photon_rate() == 0.0
    now[0] = 107.0
    assert not world.injection and world.seconds_to_injection() == math.inf and world.photon_rate() == rate
    world.injection = True  # switched on by hand, unannounced
    assert world.photon_rate() == 0.0
    with pytest.raises(ValueError, match=r"duration_s=0\.0 > 0 s"):
        world.schedule_injection(1.0, 0.0)
