"""``phasebeam reconstruct cdi --init cnn``: the shipped network and border-only refinement from a file."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

pytest.importorskip("torch")

from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.simulators.phase_training_set import phase_sample, poisson_counts


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-P", "-m", "phasebeam", "reconstruct", "cdi", *args],
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_cnn_initialisation_from_a_file_recovers_a_strained_crystal(tmp_path):
    sample = phase_sample(10_000_000 + 13)  # held out from training
    path = tmp_path / "pattern.npy"
    np.save(path, poisson_counts(sample.intensity, 1e5, np.random.default_rng(13)))
    out = tmp_path / "out.cxi"
    done = _cli(str(path), "--init", "cnn", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "CNN start" in done.stdout and "CNN + refinement" in done.stderr
    with h5py.File(out) as f:
        obj = f["entry_1/image_1/data"][()]
        assert f["entry_1/image_1/process_1/init"][()] == b"cnn"
    assert compare(obj, sample.obj, sample.support).success()


@pytest.mark.parametrize(
    ("shape", "options", "message"),
    [
        ((48, 64, 64), (), "smaller than the network's 64-voxel grid"),
        ((64, 64, 64), ("--weights", "/nonexistent/weights.pt"), "weights.pt not found"),
        ((64, 64, 64), ("--crop", "200"), "crop_vox must be in [64, 64]"),
        ("nan", (), "1 NaN or infinite"),
    ],
)
def test_bad_input_is_refused_in_one_line(tmp_path, shape, options, message):
    pattern = np.ones((64, 64, 64) if shape == "nan" else shape, np.float32)
    if shape == "nan":
        pattern[1, 2, 3] = np.nan
    path = tmp_path / "pattern.npy"
    np.save(path, pattern)
    done = _cli(str(path), "--init", "cnn", "--out", str(tmp_path / "out.cxi"), *options)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
