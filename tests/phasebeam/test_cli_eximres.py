import h5py
import numpy as np

from phasebeam.cli import main
from phasebeam.simulators.strained_crystals import simulate_crystal


def test_reconstruct_eximres_writes_the_merge_and_both_psfs(tmp_path, capsys):
    crystal = simulate_crystal(n=32, shape="wulff", oversampling=4, max_count=1e3, seed=1)
    source = tmp_path / "pattern.npy"
    np.save(source, crystal.intensity)
    out = tmp_path / "eximres.h5"
    argv = [
        "reconstruct",
        "eximres",
        str(source),
        "--out",
        str(out),
        "--voxel-m",
        "10e-9",
        "--d-spacing-m",
        "2.265e-10",
    ]
    quick = ["--recipe", "HIO**60, ER**20", "--runs", "1", "--keep", "1", "--max-binning", "1", "2", "2"]
    assert main(argv + quick) == 0
    assert "restricted patterns" in capsys.readouterr().out
    with h5py.File(out, "r") as f:
        assert f["merged"].shape == (64, 64, 64)  # pyright: ignore[reportAttributeAccessIssue]
        names = [n.decode() for n in np.asarray(f["restricted/name"])]
        assert names[0] == "crop 32x32x32 bin 1x1x1" and len(names) == 9
        assert len(f["psf_merged"].attrs["fwhm_m"]) == 3
    assert out.with_suffix(".png").exists()


def test_bad_options_are_refused_in_one_line(tmp_path, capsys):
    source = tmp_path / "pattern.npy"
    np.save(source, np.ones((16, 16, 16)))
    base = ["reconstruct", "eximres", str(source), "--out", str(tmp_path / "o.h5"), "--d-spacing-m", "2e-10"]
    assert main([*base, "--voxel-m", "1e-8", "2e-8"]) == 2
    assert "--voxel-m takes one or three values" in capsys.readouterr().err
    assert main([*base, "--voxel-m", "1e-8", "--runs", "2", "--keep", "3"]) == 2
    assert "--keep must be in [1, --runs=2]" in capsys.readouterr().err
    np.save(source, np.full((16, 16, 16), np.nan))
    assert main([*base, "--voxel-m", "1e-8"]) == 2
    assert "NaN" in capsys.readouterr().err
