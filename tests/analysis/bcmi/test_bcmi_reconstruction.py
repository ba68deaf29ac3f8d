"""BCMI phase retrieval (seed 001, Appendix B) on frames simulated through a fine-grid modulator."""

import numpy as np
import pytest

from phasebeam.analysis.backend import get_backend
from phasebeam.analysis.bcmi.geometry import BcmiGeometry
from phasebeam.analysis.bcmi.reconstruction import (
    BcmiModel,
    back_projection,
    neighbour_median,
    phase_bcmi,
    refine_drift,
    rocking_projections,
)
from phasebeam.analysis.bcmi.support_guess import support_guess, thickness_from_autocorrelation
from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.simulators.bcmi import bcmi_crystal, bcmi_frames, make_modulator

GEOMETRY = BcmiGeometry(frame_px=128, d1_m=3.15e-3)  # seed 001's high-strain d1


def test_the_projections_are_the_fourier_slices_and_back_projection_inverts_them():
    rng = np.random.default_rng(0)
    rho = (rng.normal(size=(8, 16, 16)) + 1j * rng.normal(size=(8, 16, 16))).astype(np.complex64)
    projections = rocking_projections(rho)
    # Angle J // 2 (the Bragg peak) projects without a phase ramp: the plain sum over z'.
    assert np.allclose(projections[4], rho.sum(axis=0) / np.sqrt(8), atol=1e-5)
    # The frames are the 3-D transform's slices (Fourier slice theorem).
    slices = np.fft.fftshift(np.fft.fftn(rho, norm="ortho"), axes=0)
    assert np.allclose(np.fft.fft2(projections, norm="ortho"), slices, atol=1e-4)
    assert np.allclose(back_projection(projections), rho, atol=1e-5)


@pytest.mark.parametrize("upsample", [1, 2])
def test_the_model_operators_undo_each_other(upsample):
    be = get_backend("numpy")
    rng = np.random.default_rng(upsample)
    side = 128 * upsample  # the modulator on the conjugate pixel or a grid twice as fine
    modulator = np.exp(1j * rng.uniform(0, 2, (side, side))) * rng.uniform(0.8, 1.0, (side, side))
    model = BcmiModel(modulator, GEOMETRY, be)
    rho = np.zeros((4, 128, 128), dtype=np.complex64)
    rho[:, 60:68, 60:68] = rng.normal(size=(4, 8, 8))
    drift = rng.normal(0, 1, (4, 2))
    spectra = model.exit_waves(rho, drift)
    far_field = model.detector(spectra)
    assert far_field.shape == (4, side, side)
    assert np.allclose(model.back_to_sample(far_field), spectra, atol=1e-3)
    assert np.allclose(model.object_from(spectra, drift), rho, atol=1e-4)


def test_the_model_on_a_twice_finer_modulator_grid_reproduces_the_simulated_frames_exactly():
    # The simulator's modulator is drawn 4x finer than the conjugate pixel; on a 2x grid the model
    # holds all of it that the detector sees. Per-pixel averages on the 1x grid do not (17.6%).
    crystal = bcmi_crystal(128, size_px=10, rocking_steps=24, phase_range=7.0, offset_px=(5, -7), seed=1)
    modulator = make_modulator((200, 200), GEOMETRY.pixel_m, GEOMETRY.energy_ev, 300e-9, seed=3)
    frames = bcmi_frames(crystal.obj, GEOMETRY, modulator, (36, 37), max_count=1e12, seed=2).bcmi
    be = get_backend("numpy")
    drift = np.zeros((24, 2))

    def misfit(window: np.ndarray) -> float:
        calculated = BcmiModel(window, GEOMETRY, be).intensity(crystal.obj, drift)
        calculated *= frames.sum() / calculated.sum()
        return float(np.linalg.norm(np.sqrt(calculated) - np.sqrt(frames)) / np.linalg.norm(np.sqrt(frames)))

    assert misfit(modulator.band_limited((36, 37), 128, 2)) < 2e-3  # Poisson noise at 1e12 counts
    assert misfit(modulator.coarse()[36:164, 37:165]) > 0.15


def test_a_modulator_that_does_not_match_the_sampling_is_refused():
    with pytest.raises(ValueError, match=r"modulator array's shape \(100, 100\).*\(128, 128\)"):
        BcmiModel(np.ones((100, 100), dtype=np.complex64), GEOMETRY, get_backend("numpy"))


def test_thickness_from_the_rocking_autocorrelation_of_a_slab():
    rho = np.zeros((32, 16, 16), dtype=np.complex64)
    rho[10:19, 4:12, 4:12] = 1.0  # 9 voxels thick
    frames = np.abs(np.fft.fftshift(np.fft.fftn(rho), axes=0)) ** 2
    assert thickness_from_autocorrelation(frames) == 9


@pytest.fixture(scope="module")
def low_strain():
    crystal = bcmi_crystal(128, size_px=10, rocking_steps=24, phase_range=1.0, offset_px=(5, -7), seed=1)
    modulator = make_modulator((200, 200), GEOMETRY.pixel_m, GEOMETRY.energy_ev, 300e-9, seed=3)
    # A random walk: the sample drifts between angles, 0.6 px per step on each axis.
    drift = np.cumsum(np.random.default_rng(1).normal(0, 0.6, (24, 2)), axis=0)
    drift -= drift.mean(axis=0)
    frames = bcmi_frames(crystal.obj, GEOMETRY, modulator, (36.0, 37.0), drift_px=drift, seed=2)
    window = modulator.coarse()[36:164, 37:165]
    return crystal, frames, window


def test_bcmi_with_a_guessed_support_retrieves_the_crystal_and_its_drift(low_strain):
    crystal, frames, window = low_strain
    # 4 of the default 16 starts, to save time: here 5 of 8 single starts find the crystal.
    guess = support_guess(frames.bcmi, window, GEOMETRY, starts=4)
    outline_truth = crystal.support.any(axis=0)
    assert np.sum(guess.outline & outline_truth) >= 0.95 * outline_truth.sum()
    # A shorter recipe than the default is enough at low strain (the default is for 2 pi and up).
    result = phase_bcmi(frames.bcmi, window, GEOMETRY, guess.support, "HIO**100, ER**150", seed=1)
    score = compare(result.obj, crystal.obj, crystal.support)
    assert score.success(dice_min=0.9, phase_rms_max=0.2) and not score.twin, score
    imposed = frames.drift_px
    assert np.sqrt(np.mean(np.sum(imposed**2, axis=1))) > 0.8
    error = result.drift_px - imposed
    error -= error.mean(axis=0)  # a common shift belongs to the object
    assert np.sqrt(np.mean(np.sum(error**2, axis=1))) < 0.5


def test_neighbour_median_leaves_the_angle_out_and_takes_fewer_at_the_ends():
    drift = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [30.0, 0.0], [4.0, 0.0]])
    medians = neighbour_median(drift, 2)
    assert medians[3] == pytest.approx([2.0, 0.0])  # median of 1, 2, 4: its own 30 left out
    assert medians[0] == pytest.approx([1.5, 0.0])  # only angles 1 and 2
    assert medians[4] == pytest.approx([16.0, 0.0])  # angles 2 and 3


def test_an_angle_far_from_its_true_drift_is_brought_back_through_its_neighbours(low_strain):
    crystal, frames, _ = low_strain
    window = make_modulator((200, 200), GEOMETRY.pixel_m, GEOMETRY.energy_ev, 300e-9, seed=3).band_limited(
        (36, 37), 128, 2
    )
    be = get_backend("numpy")
    model = BcmiModel(window, GEOMETRY, be)
    amplitude = model.measurable(np.fft.ifftshift(np.sqrt(frames.bcmi), axes=(1, 2)).astype(np.float32))
    fit = model.measurable(np.ones(frames.bcmi.shape, dtype=bool))
    truth = frames.drift_px - np.median(frames.drift_px, axis=0)
    start = truth.copy()
    start[-1] += (6.0, 1.5)  # the weakest angle, where a local search got stuck in runs
    local_only = refine_drift(model, crystal.obj, start, amplitude, fit, neighbours=0)
    assert np.hypot(*(local_only[-1] - truth[-1])) > 3.0  # one call moves at most 1.94 px
    refined = refine_drift(model, crystal.obj, start, amplitude, fit)
    assert np.hypot(*(refined[-1] - truth[-1])) < 0.2
