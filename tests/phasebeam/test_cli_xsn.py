"""``phasebeam reconstruct xsn`` / ``xsn-tomo`` on simulated files, and their refusals of bad input."""

import h5py
import numpy as np
import pytest

from phasebeam.analysis.xsn.pair_file import write_pair, write_stack
from phasebeam.cli import main
from phasebeam.simulators.xsn_imaging import XsnMicroscope, simulate_pair
from phasebeam.simulators.xsn_phantoms import reference_particles

MICROSCOPE = XsnMicroscope(shape=(48, 128), photons_per_pixel=1e5)


@pytest.fixture(scope="module")
def pair():
    return simulate_pair(reference_particles(), 10.0, MICROSCOPE, np.random.default_rng(0))


def test_reconstruct_xsn_writes_phase_and_absorption(tmp_path, pair, capsys):
    path = tmp_path / "pair.h5"
    write_pair(path, pair.image_0, pair.image_180, MICROSCOPE.optics(), pair.flat, pair.flat, 72e-9)
    out = str(tmp_path / "out.h5")
    assert main(["reconstruct", "xsn", str(path), "--out", out, "--edge-reference-px", "4"]) == 0
    assert "wrote" in capsys.readouterr().out
    with h5py.File(tmp_path / "out.h5") as f:
        phase = f["phase"][()]
        assert f["settings"].attrs["iterations"] == 7
        assert f["optics/pixel_size_m"][()] == MICROSCOPE.pixel_size_m
    inside = pair.phi < 0.5 * pair.phi.min()
    assert np.mean(phase[inside]) == pytest.approx(np.mean(pair.phi[inside]), rel=0.2)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f.__setitem__("image_180", np.ones((48, 127))), "same shape"),
        (lambda f: f["image_0"].__setitem__((0, 0), np.nan), "NaN"),
        (lambda f: f["cutoff_frequency_per_m"].write_direct(np.array(1e9)), "outside the pupil"),
        (
            lambda f: f["illumination_weight"].write_direct(-np.ones(f["illumination_weight"].shape)),
            "negative",
        ),
        (
            lambda f: f["illumination_weight"].write_direct(np.zeros(f["illumination_weight"].shape)),
            "all zero",
        ),
    ],
)
def test_bad_pair_files_fail_in_one_line(tmp_path, pair, capsys, edit, message):
    path = tmp_path / "pair.h5"
    write_pair(path, pair.image_0, pair.image_180, MICROSCOPE.optics())
    with h5py.File(path, "r+") as f:
        if message == "same shape":
            del f["image_180"]
        edit(f)
    assert main(["reconstruct", "xsn", str(path), "--out", str(tmp_path / "out.h5")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.h5").exists()


def test_reconstruct_xsn_tomo_from_a_stack_file(tmp_path, capsys):
    angles = np.arange(12) * 15.0
    rng = np.random.default_rng(1)
    pairs = [simulate_pair(reference_particles(), a, MICROSCOPE, rng) for a in angles]
    path = tmp_path / "stack.h5"
    write_stack(
        path,
        [p.image_0 for p in pairs],
        [p.image_180 for p in pairs],
        angles,
        MICROSCOPE.optics(),
        pairs[0].flat,
        pairs[0].flat,
    )
    out = tmp_path / "tomo.h5"
    assert main(["reconstruct", "xsn-tomo", str(path), "--out", str(out), "--iterations", "2"]) == 0
    with h5py.File(out) as f:
        assert f["delta"].shape == (128, 48, 128)
        assert f["phase"].shape == (12, 48, 128)
        assert f["delta"][()].max() > 2e-6  # Al (8.6e-6) and Cu (2.5e-5) are in there
    assert main(["reconstruct", "xsn-tomo", "--out", str(out)]) == 2
    assert "either a stack file or --run" in capsys.readouterr().err
    assert main(["reconstruct", "xsn-tomo", str(path), "--flat-run", "abc", "--out", str(out)]) == 2
    assert "--flat-run goes with --run" in capsys.readouterr().err
