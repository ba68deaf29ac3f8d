"""The WCA loss (seed 003, Eqs. 1-2): zero for a perfect prediction, blind to what the pattern cannot tell."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from phasebeam.analysis.cnn.wca_loss import log_normalised, wca_loss  # noqa: E402


@pytest.fixture
def case():
    rng = np.random.default_rng(4)
    truth = torch.from_numpy(rng.uniform(-np.pi, np.pi, (2, 1, 8, 8, 8)))
    intensity = torch.from_numpy(rng.exponential(100.0, (2, 1, 8, 8, 8)))
    return truth, log_normalised(intensity), rng


def test_log_normalised_input_spans_zero_to_one(case):
    _, x, _ = case
    assert float(x.min()) >= 0
    np.testing.assert_allclose(x.amax(dim=(1, 2, 3, 4)).numpy(), 1.0, rtol=1e-6)


def test_a_perfect_prediction_costs_nothing(case):
    truth, x, _ = case
    np.testing.assert_allclose(wca_loss(truth, truth, x).numpy(), 0.0, atol=1e-6)


def test_blind_to_offset_wraps_and_twin_sign(case):
    truth, x, rng = case
    wraps = 2 * np.pi * torch.from_numpy(rng.integers(-3, 4, truth.shape))
    for predicted in (truth + 1.234, truth + wraps, -truth, -truth - 0.7 + wraps):
        np.testing.assert_allclose(wca_loss(predicted, truth, x).numpy(), 0.0, atol=1e-6)


def test_a_wrong_prediction_costs_about_one(case):
    truth, x, rng = case
    unrelated = torch.from_numpy(rng.uniform(-np.pi, np.pi, truth.shape))
    assert float(wca_loss(unrelated, truth, x).min()) > 0.7


def test_the_loss_is_the_smaller_of_the_two_signs(case):
    truth, x, rng = case
    noise = torch.from_numpy(rng.normal(0, 0.3, truth.shape))
    near_twin = -truth + noise
    weights = x / x.sum(dim=(1, 2, 3, 4), keepdim=True)
    # Eq. 1 with the minus sign: |sum w exp(i(-truth - predicted))| = |sum w exp(-i noise)|.
    expected = 1 - torch.abs((weights * torch.exp(-1j * noise)).sum(dim=(1, 2, 3, 4)))
    np.testing.assert_allclose(wca_loss(near_twin, truth, x).numpy(), expected.numpy(), rtol=1e-5)
