"""CXI files in and out, and ``phasebeam reconstruct cdi`` end to end on a simulated crystal."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.analysis.cxi import CXI_DATA, CXI_MASK, read_intensity, write_reconstruction
from phasebeam.simulators.strained_crystals import simulate_crystal


@pytest.fixture(scope="module")
def crystal():
    return simulate_crystal(n=32, shape="wulff", phase_range=1.0, seed=0, beamstop_radius=1)


def _write_cxi(path, intensity, mask=None):
    with h5py.File(path, "w") as f:
        f[CXI_DATA] = intensity
        if mask is not None:
            f[CXI_MASK] = mask


def test_inputs_of_every_format_read_back(tmp_path, crystal):
    _write_cxi(tmp_path / "in.cxi", crystal.intensity, crystal.bad_pixels)
    data, mask = read_intensity(tmp_path / "in.cxi")
    assert np.array_equal(data, crystal.intensity) and np.array_equal(mask, crystal.bad_pixels)
    np.save(tmp_path / "in.npy", crystal.intensity)
    assert np.array_equal(read_intensity(tmp_path / "in.npy")[0], crystal.intensity)
    np.savez(tmp_path / "in.npz", a=crystal.intensity, b=crystal.bad_pixels)
    with pytest.raises(ValueError, match="name the intensity with --dataset"):
        read_intensity(tmp_path / "in.npz")
    assert np.array_equal(read_intensity(tmp_path / "in.npz", "a")[0], crystal.intensity)
    with h5py.File(tmp_path / "in.h5", "w") as f:
        f["scan/pattern"] = crystal.intensity
    assert np.array_equal(read_intensity(tmp_path / "in.h5", "scan/pattern")[0], crystal.intensity)
    with pytest.raises(KeyError, match="no dataset 'scan/nope'"):
        read_intensity(tmp_path / "in.h5", "scan/nope")


def test_cxi_output_round_trip(tmp_path, crystal):
    write_reconstruction(tmp_path / "out.cxi", crystal.obj, crystal.support, {"recipe": "ER**1", "llk": 0.5})
    with h5py.File(tmp_path / "out.cxi", "r") as f:
        assert f["cxi_version"][()] == 150
        assert np.array_equal(f["entry_1/image_1/data"][()], crystal.obj)
        assert np.array_equal(f["entry_1/data_1/support"][()].astype(bool), crystal.support)
        assert f["entry_1/image_1/process_1/recipe"][()].decode() == "ER**1"
        assert f["entry_1/image_1"].attrs["NX_class"] == "NXdata"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-P", "-m", "phasebeam", "reconstruct", "cdi", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_reconstruct_cdi_command_recovers_the_crystal(tmp_path, crystal):
    _write_cxi(tmp_path / "in.cxi", crystal.intensity, crystal.bad_pixels)
    done = _cli(
        str(tmp_path / "in.cxi"),
        "--out",
        str(tmp_path / "out.cxi"),
        "--recipe",
        "HIO**150, RAAR**300, ER**100",
        "--runs",
        "3",
        "--keep",
        "2",
    )
    assert done.returncode == 0, done.stderr
    assert "first mode" in done.stdout and "phasing" in done.stderr
    with h5py.File(tmp_path / "out.cxi", "r") as f:
        obj = f["entry_1/image_1/data"][()]
        weights = f["entry_1/image_1/process_1/mode_weights"][()]
        free_llk = f["entry_1/image_1/process_1/free_llk"][()]
    assert compare(obj, crystal.obj, crystal.support).success()
    assert weights[0] > 0.9 and np.isfinite(free_llk)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda c: np.where(c.intensity > 100, np.nan, c.intensity), "NaN or infinite"),
        (lambda c: c.intensity - 50, "negative measured pixels"),
        (lambda c: np.zeros_like(c.intensity), "no counts"),
        (lambda c: c.intensity[0], "must be 3-D"),
    ],
)
def test_reconstruct_cdi_refuses_bad_input_in_one_line(tmp_path, crystal, make, message):
    np.save(tmp_path / "bad.npy", make(crystal))
    done = _cli(str(tmp_path / "bad.npy"), "--out", str(tmp_path / "out.cxi"))
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.cxi").exists()


def test_mismatched_mask_and_bad_options_are_refused(tmp_path, crystal):
    _write_cxi(tmp_path / "in.cxi", crystal.intensity, crystal.bad_pixels[:, :, :-1])
    done = _cli(str(tmp_path / "in.cxi"), "--out", str(tmp_path / "out.cxi"))
    assert done.returncode == 2 and "does not match intensity shape" in done.stderr
    _write_cxi(tmp_path / "ok.cxi", crystal.intensity)
    done = _cli(str(tmp_path / "ok.cxi"), "--out", str(tmp_path / "out.cxi"), "--recipe", "XX**3")
    assert done.returncode == 2 and "algorithm must be one of" in done.stderr


def test_output_opens_in_silx_and_cdiutils_when_installed(tmp_path, crystal):
    silx_io = pytest.importorskip("silx.io")
    cdiutils_cxi = pytest.importorskip("cdiutils.io.cxi")
    write_reconstruction(tmp_path / "out.cxi", crystal.obj, crystal.support, {"llk": 0.5})
    with silx_io.open(str(tmp_path / "out.cxi")) as f:
        assert np.array_equal(f["entry_1/data_1/data"][()], crystal.obj)
    loaded = cdiutils_cxi.load_cxi(str(tmp_path / "out.cxi"), "entry_1/image_1/data")
    assert np.array_equal(np.asarray(loaded), crystal.obj)
