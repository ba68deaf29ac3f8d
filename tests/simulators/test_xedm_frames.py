import h5py
import numpy as np
import pytest

from phasebeam.simulators.xedm import (
    EIGER_GAP_PX,
    INVALID_UINT32,
    EnsembleSetup,
    simulate_frames,
    write_frame_file,
)


def small_setup(**changes) -> EnsembleSetup:
    """A 256 x 256 corner of the detector: fast, with one gap of each direction and the beamstop."""
    values = dict(shape=(256, 256), centre_px=(127.6, 128.3), beamstop_radius_px=10.0, first_gap_px=(180, 50))
    values.update(changes)
    return EnsembleSetup(**values)  # pyright: ignore[reportArgumentType]


def test_mask_has_module_gaps_beamstop_and_arm():
    setup = small_setup()
    mask = setup.mask
    assert mask[180 : 180 + EIGER_GAP_PX[0], 5].all() and not mask[179, 5] and not mask[217, 5]
    assert mask[5, 50 : 50 + EIGER_GAP_PX[1]].all() and not mask[5, 60]
    assert mask[128, 128] and mask[128, 250]  # beamstop and the arm running to the right
    assert not mask[128, 20]


def test_frame_kinds_have_their_physics():
    setup = small_setup()
    series = simulate_frames(
        setup, 200, seed=4, bad_fractions={"frame": 0.1, "streak": 0.1, "background": 0.1}
    )
    kinds = np.array(series.kinds)
    assert set(kinds) == {"good", "frame", "streak", "background"}
    frames = series.frames.astype(np.float64)
    assert np.all(series.frames[:, setup.mask] == INVALID_UINT32)
    totals = np.where(setup.mask, 0.0, frames).sum(axis=(1, 2))
    good = np.median(totals[kinds == "good"])
    # Frame hits pass frame_transmission of the beam; background-only frames hold
    # background_fraction of a typical frame's signal.
    assert np.median(totals[kinds == "frame"]) / good == pytest.approx(setup.frame_transmission, rel=0.1)
    measured = ~setup.mask
    background_share = (
        setup.background[measured].sum()
        / (setup.background + setup.particles_per_footprint * setup.single_particle)[measured].sum()
    )
    assert np.median(totals[kinds == "background"]) / good == pytest.approx(background_share, rel=0.1)
    assert np.all(series.particles[kinds == "background"] == 0)


def test_frame_file_has_the_documented_layout(tmp_path):
    setup = small_setup()
    series = simulate_frames(setup, 5, seed=1)
    write_frame_file(series, tmp_path / "frames.h5")
    with h5py.File(tmp_path / "frames.h5", "r") as f:
        assert f["frames"].shape == (5, 256, 256)  # pyright: ignore[reportAttributeAccessIssue]
        assert np.array_equal(np.asarray(f["mask"]) != 0, setup.mask)
        assert f.attrs["energy_ev"] == setup.energy_ev
        assert f.attrs["detector_distance_m"] == setup.distance_m
        assert f.attrs["detector_pixel_m"] == setup.pixel_m


def test_bad_fractions_are_checked():
    with pytest.raises(ValueError, match="bad_fractions"):
        simulate_frames(small_setup(), 3, bad_fractions={"dust": 0.1})
