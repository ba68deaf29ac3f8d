"""``phasebeam reconstruct ptycho`` / ``bcmi`` on HDF5 files: layouts, outputs and bad input.

The reconstructions' quality is tested in tests/analysis/bcmi; here the files, the wiring and
the errors are, on small frames and few iterations.
"""

import h5py
import numpy as np
import pytest

from phasebeam.analysis.bcmi.geometry import BcmiGeometry
from phasebeam.cli import main
from phasebeam.plans.trajectories import fermat_spiral_um
from phasebeam.simulators.bcmi import (
    bcmi_crystal,
    bcmi_frames,
    bragg_beam_at_modulator,
    make_modulator,
    ptycho_frames,
)

GEOMETRY = BcmiGeometry(frame_px=64, d1_m=3.15e-3)
ATTRIBUTES = {
    "energy_ev": GEOMETRY.energy_ev,
    "detector_distance_m": GEOMETRY.detector_distance_m,
    "detector_pixel_m": GEOMETRY.detector_pixel_m,
    "d1_m": GEOMETRY.d1_m,
}


@pytest.fixture(scope="module")
def simulated():
    crystal = bcmi_crystal(64, size_px=6, rocking_steps=12, phase_range=1.0, seed=0)
    modulator = make_modulator((100, 100), GEOMETRY.pixel_m, GEOMETRY.energy_ev, 450e-9, seed=0)
    probe = bragg_beam_at_modulator(crystal.obj, GEOMETRY)
    positions = fermat_spiral_um(1.5, 1.5, 0.3)[:, ::-1] * 1e-6
    ptycho = ptycho_frames(probe, modulator, positions / GEOMETRY.pixel_m + 18, 1e6, seed=1)
    rocking = bcmi_frames(crystal.obj, GEOMETRY, modulator, (18, 18), seed=2).bcmi
    return ptycho, positions, rocking, modulator.coarse()[18:82, 18:82]


def _write(path, frames, attributes=ATTRIBUTES, **datasets):
    with h5py.File(path, "w") as f:
        f["frames"] = frames
        for name, value in datasets.items():
            f[name] = value
        f.attrs.update(attributes)
    return str(path)


def test_ptycho_writes_the_calibration_with_positions_from_a_text_file(simulated, tmp_path, capsys):
    ptycho, positions, _, _ = simulated
    source = _write(tmp_path / "scan.h5", ptycho)
    np.savetxt(tmp_path / "positions.txt", positions)
    out = tmp_path / "cal.h5"
    argv = ["reconstruct", "ptycho", source, "--positions", str(tmp_path / "positions.txt")]
    assert main([*argv, "--out", str(out), "--epochs", "3", "--position-start-epoch", "-1"]) == 0
    with h5py.File(out) as f:
        assert f["probe"].shape == (64, 64)
        assert f["positions_m"].shape == positions.shape
        assert f["modulator"].shape == f["illumination"].shape
        # The modulator twice as finely sampled as the frames' conjugate pixel, by default.
        assert f.attrs["upsample"] == 2
        assert all(side % 2 == 0 for side in f["modulator"].shape)
        assert len(f["error_history"]) == 3
        # lambda d2 / (N p), from the input's attributes
        assert f.attrs["pixel_m"] == pytest.approx(
            12.398419843320026e-7 / GEOMETRY.energy_ev * (5.35 - 3.15e-3) / (64 * 75e-6), rel=1e-6
        )
        assert 0.5e-3 <= f.attrs["d1_m"] <= 5e-3
    assert "modulator phase shift" in capsys.readouterr().out


def test_bcmi_cuts_a_calibration_at_the_modulator_position(simulated, tmp_path, capsys):
    ptycho, positions, rocking, _ = simulated
    scan = _write(tmp_path / "scan.h5", ptycho, positions_m=positions)
    calibration = str(tmp_path / "cal.h5")
    assert main(["reconstruct", "ptycho", scan, "--out", calibration, "--epochs", "3"]) == 0
    rocking_file = _write(tmp_path / "rocking.h5", rocking)
    out = tmp_path / "bcmi.h5"
    argv = ["reconstruct", "bcmi", rocking_file, "--modulator", calibration, "--out", str(out)]
    quick = ["--runs", "2", "--keep", "2", "--starts", "1", "--recipe", "ER**5"]
    assert main([*argv, *quick]) == 2
    assert "is a calibration ('reconstruct ptycho' output): give --modulator-position-m" in (
        capsys.readouterr().err
    )
    assert main([*argv, *quick, "--modulator-position-m", "0", "5e-6"]) == 2
    error = capsys.readouterr().err
    assert "puts the 128 x 128 window (64 frame pixels of 2 x 2 modulator pixels) outside" in error
    assert main([*argv, *quick, "--modulator-position-m", "0", "0"]) == 0
    with h5py.File(out) as f:
        assert f["object"].shape == rocking.shape


def test_a_positions_file_of_the_wrong_length_is_refused_before_any_work(simulated, tmp_path, capsys):
    ptycho, positions, _, _ = simulated
    source = _write(tmp_path / "scan.h5", ptycho)
    np.savetxt(tmp_path / "positions.txt", positions[:-3])
    out = tmp_path / "cal.h5"
    argv = [
        "reconstruct",
        "ptycho",
        source,
        "--positions",
        str(tmp_path / "positions.txt"),
        "--out",
        str(out),
    ]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert f"positions.txt lists {len(positions) - 3} positions but" in error
    assert f"holds {len(positions)} frames" in error
    assert not out.exists()


def test_a_d1_of_zero_is_refused(simulated, tmp_path, capsys):
    ptycho, positions, _, _ = simulated
    source = _write(tmp_path / "scan.h5", ptycho, {**ATTRIBUTES, "d1_m": 0.0}, positions_m=positions)
    assert main(["reconstruct", "ptycho", source, "--out", str(tmp_path / "cal.h5")]) == 2
    assert "d1_m must be in (0, 5.35) m" in capsys.readouterr().err


def test_bcmi_writes_the_first_mode_and_its_figures(simulated, tmp_path):
    _, _, rocking, window = simulated
    source = _write(tmp_path / "rocking.h5", rocking)
    with h5py.File(tmp_path / "modulator.h5", "w") as f:
        f["modulator"] = np.pad(window, 5, constant_values=1)
    out = tmp_path / "bcmi.h5"
    argv = ["reconstruct", "bcmi", source, "--modulator", str(tmp_path / "modulator.h5"), "--out", str(out)]
    options = [
        "--window-corner",
        "5",
        "5",
        "--runs",
        "2",
        "--keep",
        "2",
        "--starts",
        "1",
        "--recipe",
        "ER**5",
    ]
    assert main([*argv, *options]) == 0
    with h5py.File(out) as f:
        assert f["object"].shape == rocking.shape
        assert f["drift_px"].shape == (12, 2)
        assert list(f["free_llk"][()]) == sorted(f["free_llk"][()])
        assert 0 < f.attrs["first_mode_weight"] <= 1


def test_a_modulator_that_does_not_match_the_frames_is_refused(simulated, tmp_path, capsys):
    _, _, rocking, window = simulated
    source = _write(tmp_path / "rocking.h5", rocking)
    with h5py.File(tmp_path / "modulator.h5", "w") as f:
        f["modulator"] = window[:60, :60]
    argv = ["reconstruct", "bcmi", source, "--modulator", str(tmp_path / "modulator.h5")]
    assert main([*argv, "--out", str(tmp_path / "bcmi.h5")]) == 2
    assert "modulator array's shape (60, 60) does not match the frames' (64, 64)" in capsys.readouterr().err
    assert main([*argv, "--out", str(tmp_path / "bcmi.h5"), "--window-corner", "0", "0"]) == 2
    assert "outside the modulator (60, 60)" in capsys.readouterr().err
    assert not (tmp_path / "bcmi.h5").exists()
