"""A rocking scan's phasing start chosen from its metadata: random starts or seed 003's network."""

import numpy as np
import pytest

from phasebeam.analysis.cdi.evaluation import compare
from phasebeam.analysis.cdi.recipe import STANDARD_RECIPE
from phasebeam.analysis.cdi.rocking_scan import RockingIntensity, reconstruct_rocking_scan
from phasebeam.analysis.cnn.phasing import REFINEMENT_RECIPE
from phasebeam.callbacks.bragg_live import BcdiSettings, phasing_start
from phasebeam.callbacks.run_settings import overridden
from phasebeam.simulators.phase_training_set import phase_sample, poisson_counts

TEST_SEED = 10_000_000  # the held-out set of phasebeam.cnn_training


def test_random_starts_are_the_default_and_an_unknown_start_is_refused():
    begin = phasing_start(BcdiSettings())
    assert (begin.network, begin.recipe, begin.initialisation) == (None, STANDARD_RECIPE, "random")
    with pytest.raises(ValueError, match=r"init='net' is not one of \('random', 'cnn', 'auto'\)"):
        overridden(BcdiSettings(), {"init": "net"})


def test_a_missing_weights_file_is_named_before_the_scan_is_phased(tmp_path):
    pytest.importorskip("torch")
    settings = overridden(BcdiSettings(), {"init": "cnn", "cnn_weights": str(tmp_path / "none.pt")})
    with pytest.raises(FileNotFoundError, match=r"none\.pt not found"):
        phasing_start(settings)


def test_the_metadata_picks_the_network_which_starts_a_strained_crystal_in_the_right_shape():
    pytest.importorskip("torch")
    for init in ("cnn", "auto"):  # auto: PyTorch is installed here, so the network
        begin = phasing_start(overridden(BcdiSettings(), {"init": init}))
        assert begin.initialisation == "cnn" and begin.recipe == REFINEMENT_RECIPE
    sample = phase_sample(TEST_SEED + 11)  # held out; phase range above 2 pi
    assert sample.phase_range_rad > 2 * np.pi
    counts = poisson_counts(sample.intensity, 1e5, np.random.default_rng(11))
    scan = RockingIntensity(counts.astype(np.float32), np.linspace(-0.32, 0.32, counts.shape[0]), (0, 0))
    geometry = (2.2656e-10, 1.3776e-10, 5.35, 75e-6)  # Pt(111) at 9 keV, the Eiger at 5.35 m
    # A short refinement (120 iterations per threshold) succeeds from the network's start...
    crystal = reconstruct_rocking_scan(scan, *geometry, "HIO**60, ER**60", keep=3, network=begin.network)
    assert crystal.initialisation == "cnn"
    assert crystal.free_llk.shape == (3,) and np.all(np.diff(crystal.free_llk) >= 0)  # one per threshold
    assert 0 < crystal.mode_weights[0] <= 1
    found = compare(crystal.obj, sample.obj, sample.support)
    assert found.success(), found  # measured: Dice 0.999, phase RMS 0.08 rad
    # ...and not from random starts (measured: Dice 0.70, phase RMS 0.97 rad).
    crystal = reconstruct_rocking_scan(scan, *geometry, "HIO**60, ER**60", runs=3, keep=3)
    assert crystal.initialisation == "random"
    assert not compare(crystal.obj, sample.obj, sample.support).success()
