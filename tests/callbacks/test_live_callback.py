"""LiveCallback on hand-made documents: each run has its own worker, and a failing analysis is
published as failed while the documents keep flowing."""

import logging
import time

import h5py
import numpy as np
import pytest

from phasebeam.calibrations import CalibrationError
from phasebeam.callbacks.live import FrameItem, LiveCallback
from phasebeam.callbacks.xsn_live import XsnTomographyLive

FRAMES = 5


def _frames_file(path, value):
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=np.full((FRAMES, 4, 4), value, dtype=np.uint32))


def _feed(callback, uid, path, stop=True):
    """The documents of a step scan of FRAMES frames in ``path``, each event with a motor reading."""
    callback("start", {"uid": uid, "time": 0.0, "plan_name": "count"})
    callback(
        "descriptor",
        {"uid": f"{uid}-d", "name": "primary", "data_keys": {"det": {"external": "STREAM:"}, "m": {}}},
    )
    callback(
        "stream_resource",
        {
            "uid": f"{uid}-r",
            "data_key": "det",
            "uri": f"file://localhost{path}",
            "parameters": {"dataset": "data"},
        },
    )
    for i in range(FRAMES):
        callback(
            "stream_datum",
            {
                "stream_resource": f"{uid}-r",
                "descriptor": f"{uid}-d",
                "indices": {"start": i, "stop": i + 1},
                "seq_nums": {"start": i + 1, "stop": i + 2},
            },
        )
        callback("event", {"descriptor": f"{uid}-d", "seq_num": i + 1, "time": time.time(), "data": {"m": i}})
    if stop:
        callback("stop", {"run_start": uid})


class SumWithSlowEnd:
    """Sums the frames; the final result takes ``final_s``."""

    name = "sum"

    def __init__(self, final_s=0.0, fail_at=None):
        self.final_s, self.fail_at = final_s, fail_at

    def start(self, start_doc):
        self.total = 0.0
        self.motor = []

    def add(self, item: FrameItem):
        if item.seq_num == self.fail_at:
            raise RuntimeError(f"deliberate failure on frame {item.seq_num}")
        self.total += float(item.frame.sum())
        self.motor.append(item.positions["m"])

    def result(self, final):
        if final:
            time.sleep(self.final_s)
        return {"total": self.total, "motor": np.array(self.motor, dtype=float)}

    def draw(self, figure):
        figure.subplots().plot(self.motor)


def test_a_run_starts_at_once_while_the_previous_run_still_reconstructs(tmp_path):
    _frames_file(tmp_path / "a.h5", 1)
    _frames_file(tmp_path / "b.h5", 2)
    live = LiveCallback(SumWithSlowEnd(final_s=1.5), "det", tmp_path / "out", publish_period_s=0.1)
    _feed(live, "run-a", tmp_path / "a.h5")
    started = time.monotonic()
    _feed(live, "run-b", tmp_path / "b.h5")
    feeding_s = time.monotonic() - started
    live.wait(timeout=30)
    assert feeding_s < 0.5, feeding_s  # not held up by run a's 1.5 s final result
    for uid, value in (("run-a", 1), ("run-b", 2)):
        with h5py.File(live.published[uid]["h5"]) as f:
            assert f.attrs["status"] == "ok" and f.attrs["raw_uid"] == uid
            assert f.attrs["total"] == value * 16 * FRAMES
            assert np.array_equal(f["motor"][()], np.arange(FRAMES))
        assert live.final_latencies_s[uid] >= 1.5
    assert live.errors == []


def test_a_failing_analysis_is_logged_and_published_as_failed(tmp_path, caplog):
    _frames_file(tmp_path / "a.h5", 1)
    live = LiveCallback(SumWithSlowEnd(fail_at=3), "det", tmp_path / "out", publish_period_s=0.0)
    with caplog.at_level(logging.ERROR):
        _feed(live, "run-a", tmp_path / "a.h5")  # the documents keep flowing: nothing raises here
        live.wait(timeout=30)
    assert "deliberate failure on frame 3" in caplog.text
    assert [str(e) for e in live.errors] == ["deliberate failure on frame 3"]
    record = live.published["run-a"]
    assert record["status"] == "failed" and "png" not in record
    with h5py.File(record["h5"]) as f:
        assert f.attrs["status"] == "failed" and f.attrs["final"]
        assert f.attrs["error"] == "RuntimeError: deliberate failure on frame 3"
        assert "motor" not in f  # the partial result of frames 1-2 is not passed off as the result
    assert not (tmp_path / "out" / "run-a" / "sum.png").exists()


def test_a_missing_calibration_fails_the_analysis_with_its_message(tmp_path):
    def no_optics(start):
        raise CalibrationError("no xsn_optics calibration in /x: run knife_edge_calibration first")

    _frames_file(tmp_path / "a.h5", 1)
    live = LiveCallback(XsnTomographyLive(no_optics), "det", tmp_path / "out")
    _feed(live, "run-a", tmp_path / "a.h5")
    live.wait(timeout=30)
    with h5py.File(live.published["run-a"]["h5"]) as f:
        assert f.attrs["status"] == "failed"
        assert f.attrs["error"].startswith("CalibrationError: no xsn_optics calibration in /x")


def test_unaccepted_runs_are_ignored(tmp_path):
    _frames_file(tmp_path / "a.h5", 1)
    live = LiveCallback(SumWithSlowEnd(), "det", tmp_path / "out", accepts=lambda s: s["plan_name"] == "x")
    _feed(live, "run-a", tmp_path / "a.h5")
    live.wait(timeout=30)
    assert live.published == {} and live.errors == []


def test_bad_periods_are_refused():
    with pytest.raises(ValueError, match=r"publish_period_s=-1 .* must be >= 0 s"):
        LiveCallback(SumWithSlowEnd(), "det", ".", publish_period_s=-1)
