"""A rocking scan's frames to the 3-D intensity: sorted by angle, cropped around the peak."""

import math

import numpy as np
import pytest

from phasebeam.analysis.cdi.rocking_scan import rocking_intensity, rocking_voxel_m


def test_frames_are_sorted_by_angle_and_cropped_around_the_peak():
    rng = np.random.default_rng(0)
    frames = np.zeros((6, 40, 50))
    frames[:, 30, 12] = 100.0  # the peak's centre of mass at row 30, column 12
    frames += rng.uniform(0, 1e-6, frames.shape)
    angles = np.array([0.3, 0.1, 0.5, 0.0, 0.2, 0.4])
    scan = rocking_intensity(frames, angles, crop_px=16)
    assert np.array_equal(scan.eta_deg, np.sort(angles))
    assert scan.corner_px == (22, 4) and scan.intensity.shape == (6, 16, 16)
    order = np.argsort(angles)
    assert np.array_equal(scan.intensity, frames[order][:, 22:38, 4:20].astype(np.float32))
    # Near an edge the window stays inside the frame.
    frames[:] = 0
    frames[:, 1, 48] = 5.0
    assert rocking_intensity(frames, angles, crop_px=16).corner_px == (0, 34)


def test_bad_scans_are_refused_with_the_reason():
    frames = np.ones((6, 40, 50))
    with pytest.raises(ValueError, match="crop_px=15 must be even"):
        rocking_intensity(frames, np.arange(6.0), crop_px=15)
    with pytest.raises(ValueError, match="at least 4 angles"):
        rocking_intensity(frames[:3], np.arange(3.0), crop_px=16)
    with pytest.raises(ValueError, match="no counts"):
        rocking_intensity(np.zeros((6, 40, 50)), np.arange(6.0), crop_px=16)


def test_voxel_sizes_are_the_reciprocals_of_the_sampled_q_ranges():
    d, wavelength, distance, pixel = 2.2655e-10, 1.55e-10, 5.35, 75e-6
    z, y, x = rocking_voxel_m((21, 64, 32), 0.01, d, wavelength, distance, pixel)
    assert z == pytest.approx(d / (21 * math.radians(0.01)))  # 2 pi / (N |G| d_eta), |G| = 2 pi / d
    assert y == pytest.approx(wavelength * distance / (64 * pixel)) and x == pytest.approx(2 * y)
