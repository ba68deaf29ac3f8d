import h5py
import numpy as np
import pytest

from phasebeam.cli import main
from phasebeam.simulators.xedm import INVALID_UINT32, EnsembleSetup, simulate_frames, write_frame_file

QUICK = [
    "--starts",
    "4",
    "--generations",
    "1",
    "--hio",
    "30",
    "--er",
    "5",
    "--binning",
    "2",
    "--speckle-diameter-px",
    "20",
]


@pytest.fixture(scope="module")
def frames_file(tmp_path_factory):
    setup = EnsembleSetup(
        shape=(256, 256), centre_px=(127.6, 128.3), beamstop_radius_px=10.0, first_gap_px=(180, 50)
    )
    path = tmp_path_factory.mktemp("xedm") / "frames.h5"
    write_frame_file(simulate_frames(setup, 24, seed=3), path)
    return path


def test_reconstruct_xedm_writes_the_documented_results(frames_file, tmp_path, capsys):
    out = tmp_path / "xedm.h5"
    assert main(["reconstruct", "xedm", str(frames_file), "--out", str(out), "--no-fit", *QUICK]) == 0
    assert "24 frames:" in capsys.readouterr().out
    with h5py.File(out, "r") as f:
        kept = int(f["accumulated"].attrs["frames_kept"])
        verdicts = np.asarray(f["accumulated/verdict"])
        assert verdicts.shape == (24,) and np.sum(verdicts == 0) == kept
        assert f["reconstruction/average"].ndim == 2  # pyright: ignore[reportAttributeAccessIssue]
        assert f["prtf"].attrs["half_period_resolution_m"] > 0
        assert "fit" not in f
    assert out.with_suffix(".png").exists()


def test_bad_files_are_refused_in_one_line(frames_file, tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    with h5py.File(frames_file, "r") as src, h5py.File(bad, "w") as f:
        f.create_dataset("frames", data=np.asarray(src["frames"]))
        f.create_dataset("mask", data=np.zeros((100, 100), np.uint8))
        f.attrs.update(dict(src.attrs))
    assert main(["reconstruct", "xedm", str(bad), "--out", str(tmp_path / "o.h5")]) == 2
    assert "mask shape (100, 100) does not match the frames' (256, 256)" in capsys.readouterr().err

    with h5py.File(frames_file, "r") as src, h5py.File(bad, "w") as f:
        frames = np.asarray(src["frames"])
        frames[9] = INVALID_UINT32
        f.create_dataset("frames", data=frames)
        f.create_dataset("mask", data=np.asarray(src["mask"]))
        f.attrs.update(dict(src.attrs))
    assert main(["reconstruct", "xedm", str(bad), "--out", str(tmp_path / "o.h5")]) == 2
    assert "frame 9 has no measured pixel" in capsys.readouterr().err

    with h5py.File(bad, "a") as f:
        del f.attrs["detector_distance_m"]
    assert main(["reconstruct", "xedm", str(bad), "--out", str(tmp_path / "o.h5")]) == 2
    assert "lacks the attributes ['detector_distance_m']" in capsys.readouterr().err
