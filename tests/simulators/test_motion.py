import pytest

from phasebeam.simulators.motion import Axis, LimitError


def test_constant_velocity_move_and_arrival():
    axis = Axis("x", "um", initial_position=0.0, velocity=10.0, low=-100, high=100)
    axis.move_to(20.0, t=5.0)
    assert axis.position_at(5.0) == 0.0
    assert axis.position_at(6.0) == pytest.approx(10.0)
    assert axis.is_moving(6.0)
    assert axis.position_at(7.5) == 20.0
    assert not axis.is_moving(7.5)


def test_move_from_mid_flight_and_stop():
    axis = Axis("x", "um", velocity=10.0)
    axis.move_to(100.0, t=0.0)
    axis.move_to(-10.0, t=2.0)  # reverses from 20
    assert axis.position_at(3.0) == pytest.approx(10.0)
    axis.stop(3.0)
    assert axis.position_at(10.0) == pytest.approx(10.0)


def test_limits_name_the_limit_and_leave_the_axis_alone():
    axis = Axis("eta", "deg", initial_position=1.0, low=-5, high=5)
    with pytest.raises(LimitError, match="above the high limit 5 deg"):
        axis.move_to(7.0, t=0.0)
    with pytest.raises(LimitError, match="below the low limit -5 deg"):
        axis.move_to(-7.0, t=0.0)
    assert axis.position_at(100.0) == 1.0 and axis.target == 1.0


def test_velocity_change_keeps_the_distance_already_travelled():
    axis = Axis("x", "um", velocity=10.0)
    axis.move_to(100.0, t=0.0)
    axis.set_velocity(20.0, t=1.0)  # at 10
    assert axis.position_at(2.0) == pytest.approx(30.0)
    with pytest.raises(ValueError, match="velocity must be > 0"):
        axis.set_velocity(0.0, t=2.0)
