"""An announced top-up injection during a snake scan: the scan pauses, takes no frame without beam, and
completes every point by itself."""

import threading
import time

import numpy as np
import pytest
import tango
from bluesky.run_engine import call_in_bluesky_event_loop

from phasebeam.plans.snake import snake_scan
from phasebeam.storage import read_frames


def test_injection_pauses_the_snake_scan_and_every_point_has_beam(RE_tiled, sim, beamline, storage):
    control = tango.DeviceProxy(sim.addresses["sim/world/control"])
    injections: list[tuple[float, float]] = []

    def inject() -> None:
        # Two announced injections, each longer than a frame, timed to land inside the scan.
        # Top-up announces each one ahead (here 1 s); the scan must not start a frame into it.
        for delay in (0.5, 1.0):
            time.sleep(delay)
            # The world starts the countdown when the call arrives, somewhere between these two
            # instants; only what lies inside the window for every such instant is checked.
            before = time.time()
            control.ScheduleInjection([1.0, 1.2])
            after = time.time()
            injections.append((after + 1.0, before + 2.2))
            time.sleep(2.2)

    thread = threading.Thread(target=inject)
    started = time.monotonic()
    thread.start()
    try:
        (uid,) = RE_tiled(
            snake_scan(
                [beamline.eiger],
                beamline.sample,
                beamline.machine,
                x_start_um=0.0,
                x_stop_um=30.0,
                y_start_um=0.0,
                y_stop_um=20.0,
                step_um=10.0,
                exposure_s=0.2,
                settle_s=0.3,
            )
        )
    finally:
        thread.join()
    elapsed = time.monotonic() - started
    assert len(injections) == 2
    frames = read_frames(storage.runs, uid, "eiger")
    # Every point of the 4 x 3 snake, in order, once.
    assert frames.frames.shape[0] == 12
    assert list(frames.positions["sample-x"]) == pytest.approx([0, 10, 20, 30, 30, 20, 10, 0, 0, 10, 20, 30])
    assert list(frames.positions["sample-y"]) == pytest.approx([0] * 4 + [10] * 4 + [20] * 4)
    # No frame without beam: every total is near the median (a frame during an injection is dark).
    totals = frames.frames.reshape(12, -1).sum(axis=1)
    assert totals.min() > 0.5 * np.median(totals), totals
    # No event was saved while an injection was in progress.
    # No frame overlapped an injection: each event is stamped when its frame was read, at least
    # one exposure after the frame started.
    times = np.asarray(frames.positions["time"])
    for start, stop in injections:
        assert not np.any((times > start) & (times - 0.2 < stop)), (times, injections)
    # Every event holds the beam it saw.
    assert not np.any(frames.positions["machine-injection"])
    assert np.all(frames.positions["machine-ring_current"] > 10.0)
    # The scan waited: 12 frames of 0.2 s take ~3 s of exposure plus motion; two 1.2 s
    # injections plus 0.3 s settling each add at least 3 s.
    assert elapsed > 3.0


def test_snake_scan_beyond_the_piezo_range_is_refused_before_anything_moves(RE, beamline):
    from phasebeam.devices import MoveRefusedError

    x, y = beamline.sample.x, beamline.sample.y
    before = [call_in_bluesky_event_loop(m.position.get_value(cached=False)) for m in (x, y)]
    documents = []
    token = RE.subscribe(lambda name, doc: documents.append(name))
    try:
        with pytest.raises(MoveRefusedError, match=r"above the high limit 5000\.0 um"):
            RE(
                snake_scan(
                    [beamline.eiger], beamline.sample, beamline.machine, 4900.0, 5100.0, 0.0, 20.0, 50.0
                )
            )
    finally:
        RE.unsubscribe(token)
    after = [call_in_bluesky_event_loop(m.position.get_value(cached=False)) for m in (x, y)]
    assert documents == [] and after == before
