"""The shipped phase network on a CPU: it loads, it predicts, and a bad file or input is refused."""

import importlib.util

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from phasebeam.analysis.cdi.data import DiffractionData  # noqa: E402
from phasebeam.analysis.cdi.evaluation import compare  # noqa: E402
from phasebeam.analysis.cnn import weights_file  # noqa: E402
from phasebeam.analysis.cnn.network import PhaseUNet, parameter_count  # noqa: E402
from phasebeam.analysis.cnn.phasing import cnn_phase, cnn_start  # noqa: E402
from phasebeam.analysis.cnn.weights_file import (  # noqa: E402
    SHIPPED_WEIGHTS,
    TorchMissingError,
    load_network,
    save_network,
    training_record,
)
from phasebeam.simulators.phase_training_set import phase_sample, poisson_counts  # noqa: E402

TEST_SEED = 10_000_000  # the held-out set of phasebeam.cnn_training


@pytest.fixture(scope="module")
def network():
    return load_network()


def test_the_shipped_network_is_small_and_documented(network):
    assert parameter_count(network) <= 10_000_000
    assert SHIPPED_WEIGHTS.stat().st_size <= 40e6
    record = training_record()
    assert record["parameters"] == parameter_count(network)
    assert (SHIPPED_WEIGHTS.parent / "MODEL_CARD.md").is_file()


def test_cnn_and_refinement_recover_a_held_out_strained_crystal(network):
    sample = phase_sample(TEST_SEED + 11)
    assert sample.phase_range_rad > 2 * np.pi
    counts = poisson_counts(sample.intensity, 1e5, np.random.default_rng(11))
    result = cnn_phase(DiffractionData.from_arrays(counts), network)
    start = compare(result.start.obj, sample.obj, sample.support)
    refined = compare(result.refined.obj, sample.obj, sample.support)
    assert start.dice > 0.8  # the network alone finds the crystal's shape
    assert refined.success(), refined
    assert result.refined.free_llk < 1.0


def test_a_pattern_smaller_than_the_network_grid_is_refused_before_inference(network):
    data = DiffractionData.from_arrays(np.ones((48, 64, 64), np.float32))
    with pytest.raises(ValueError, match="smaller than the network's 64-voxel grid"):
        cnn_start(data, network)


def test_missing_weights_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.pt not found"):
        load_network(tmp_path / "nowhere.pt")


def test_weights_of_another_network_are_refused_in_one_line(tmp_path):
    other = tmp_path / "other.pt"
    save_network(PhaseUNet(base_channels=8), other, {})
    payload = torch.load(other, weights_only=True)
    payload["base_channels"] = 16  # claims the shipped shape, holds a smaller network
    torch.save(payload, other)
    with pytest.raises(ValueError, match="do not fit the phase network: size mismatch"):
        load_network(other)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a torch file", "cannot be read as a PyTorch file"), (None, "not phasebeam")],
)
def test_a_file_that_is_not_phase_network_weights_is_refused(tmp_path, content, message):
    path = tmp_path / "weights.pt"
    if content is None:
        torch.save({"state_dict": {}}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_network(path)


def test_without_torch_the_message_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "torch" else real(name))
    with pytest.raises(TorchMissingError, match=r"pip install 'phasebeam\[ml\]'"):
        weights_file.load_network()
