import numpy as np
import pytest

from phasebeam.analysis.xedm.accumulation import FilterSettings, StreamingAccumulator, beamstop_ring
from phasebeam.simulators.xedm import INVALID_UINT32, EnsembleSetup, simulate_frames


def small_setup() -> EnsembleSetup:
    return EnsembleSetup(
        shape=(256, 256), centre_px=(127.6, 128.3), beamstop_radius_px=10.0, first_gap_px=(180, 50)
    )


@pytest.fixture(scope="module")
def series():
    return simulate_frames(
        small_setup(), 1000, seed=7, bad_fractions={"frame": 0.06, "streak": 0.06, "background": 0.04}
    )


def test_filters_reject_bad_frames_and_keep_good_ones(series):
    accumulator = StreamingAccumulator(series.setup.mask, centre_px=series.setup.centre_px)
    for frame in series.frames:
        accumulator.add(frame)
    result = accumulator.result()
    kinds = np.array(series.kinds)
    reasons = np.array([v.reason for v in result.verdicts])
    assert [v.index for v in result.verdicts] == list(range(1000))
    bad = kinds != "good"
    rejected_bad = np.mean(reasons[bad] != "kept")
    rejected_good = np.mean(reasons[~bad] != "kept")
    print(
        f"bad frames rejected {100 * rejected_bad:.1f}% of {bad.sum()},"
        f" good rejected {100 * rejected_good:.2f}%"
    )
    assert rejected_bad >= 0.95
    assert rejected_good <= 0.02
    # Each kind of bad frame is caught by its own filter.
    assert np.mean(reasons[kinds == "frame"] == "weak") >= 0.95
    assert np.mean(reasons[kinds == "streak"] == "streak") >= 0.9
    assert np.mean(reasons[kinds == "background"] == "background") >= 0.95
    assert result.counts == {r: int(np.sum(reasons == r)) for r in ("kept", "weak", "streak", "background")}


def test_the_sums_are_the_kept_and_background_frames(series):
    accumulator = StreamingAccumulator(series.setup.mask, centre_px=series.setup.centre_px)
    for frame in series.frames[:120]:
        accumulator.add(frame)
    result = accumulator.result()
    reasons = np.array([v.reason for v in result.verdicts])
    frames = series.frames[:120].astype(np.float64)
    measured = ~series.setup.mask
    assert np.allclose(result.pattern[measured], frames[reasons == "kept"].sum(axis=0)[measured])
    assert np.allclose(result.background[measured], frames[reasons == "background"].mean(axis=0)[measured])
    assert np.all(np.isnan(result.pattern[series.setup.mask]))
    subtracted = result.background_subtracted(smoothing_px=0)
    expected = result.pattern - result.counts["kept"] * result.background
    assert np.allclose(subtracted[measured], expected[measured])


def test_pixels_invalid_in_one_frame_are_filled_from_the_others():
    setup = small_setup()
    series = simulate_frames(setup, 20, seed=2, bad_fractions={})
    frames = series.frames.copy()
    frames[12, 40, 40:44] = INVALID_UINT32  # a hot pixel flagged by the detector in one frame
    accumulator = StreamingAccumulator(setup.mask, FilterSettings(warmup=4), centre_px=setup.centre_px)
    for frame in frames:
        accumulator.add(frame)
    result = accumulator.result()
    assert result.counts["kept"] == 20
    others = np.delete(frames[:, 40, 40], 12).astype(np.float64)
    assert result.pattern[40, 40] == pytest.approx(others.mean() * 20)
    assert result.pattern[40, 70] == pytest.approx(frames[:, 40, 70].astype(np.float64).sum())
    assert result.verdicts[12].total == pytest.approx(
        np.sum(frames[12][~setup.mask & (frames[12] != INVALID_UINT32)])
    )


def test_a_short_stream_is_judged_on_flush():
    setup = small_setup()
    series = simulate_frames(setup, 3, seed=3, bad_fractions={})
    accumulator = StreamingAccumulator(setup.mask, centre_px=setup.centre_px)
    assert all(accumulator.add(f) == [] for f in series.frames)
    assert accumulator.result().pending == 3
    assert len(accumulator.flush()) == 3
    assert accumulator.result().counts["kept"] == 3


def test_bad_input_is_refused_and_nothing_is_lost():
    setup = small_setup()
    series = simulate_frames(setup, 10, seed=5, bad_fractions={})
    accumulator = StreamingAccumulator(setup.mask, FilterSettings(warmup=2), centre_px=setup.centre_px)
    for frame in series.frames[:5]:
        accumulator.add(frame)
    before = accumulator.result()
    with pytest.raises(ValueError, match=r"frame 5 has shape \(128, 128\), the mask has \(256, 256\)"):
        accumulator.add(np.zeros((128, 128), np.uint32))
    with pytest.raises(ValueError, match="frame 5 has no measured pixel"):
        accumulator.add(np.full((256, 256), INVALID_UINT32, np.uint32))
    with pytest.raises(ValueError, match="frame 5 has no measured pixel"):
        accumulator.add(np.full((256, 256), np.nan))
    after = accumulator.result()
    assert after.counts == before.counts
    assert np.array_equal(after.pattern, before.pattern, equal_nan=True)
    with pytest.raises(ValueError, match="marks every pixel"):
        StreamingAccumulator(np.ones((8, 8), bool))
    with pytest.raises(ValueError, match="2-D"):
        StreamingAccumulator(np.zeros((2, 8, 8), bool))
    with pytest.raises(ValueError, match=r"chi2_ratio=0.5 is outside \[1.0"):
        FilterSettings(chi2_ratio=0.5)


def test_the_ring_sits_next_to_the_beamstop():
    setup = small_setup()
    ring = beamstop_ring(setup.mask, width_px=3.0, centre_px=setup.centre_px)
    assert ring.radius_px == pytest.approx(setup.beamstop_radius_px, abs=1.0)
    # Without the beam's position the thickest masked patch is taken: right for a beamstop
    # wider than the 37-pixel module gaps, as on the full detector.
    full = EnsembleSetup()
    found = beamstop_ring(full.mask)
    assert found.centre_px == pytest.approx(full.centre_px, abs=0.6)
    assert found.radius_px == pytest.approx(full.beamstop_radius_px, abs=1.0)
    y, x = np.nonzero(ring.region)
    r = np.hypot(y - setup.centre_px[0], x - setup.centre_px[1])
    assert r.min() > setup.beamstop_radius_px and r.max() < setup.beamstop_radius_px + 5
    assert not np.any(ring.region & setup.mask)
