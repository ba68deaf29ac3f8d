"""Recipes and data: parsed and checked, with errors that name the problem."""

import numpy as np
import pytest

from phasebeam.analysis.cdi.data import DiffractionData
from phasebeam.analysis.cdi.recipe import STANDARD_RECIPE, Step, parse_recipe


def test_standard_recipe_parses():
    assert parse_recipe(STANDARD_RECIPE) == (Step("HIO", 400), Step("RAAR", 1000), Step("ER", 300))
    assert parse_recipe("er") == (Step("ER", 1),)


@pytest.mark.parametrize(
    ("recipe", "message"),
    [
        ("HIO**10, DM**5", "algorithm must be one of"),
        ("HIO**0", "iterations must be >= 1"),
        ("HIO*10", "not of the form"),
    ],
)
def test_bad_recipes(recipe, message):
    with pytest.raises(ValueError, match=message):
        parse_recipe(recipe)


def _pattern() -> np.ndarray:
    return np.random.default_rng(0).poisson(10.0, size=(8, 8, 8)).astype(float)


@pytest.mark.parametrize(
    ("mutate", "mask", "message"),
    [
        (lambda a: a[0], None, "must be 3-D"),
        (lambda a: np.where(a > 12, np.nan, a), None, "NaN or infinite"),
        (lambda a: a - 20, None, "negative measured pixels"),
        (lambda a: a * 0, None, "no counts"),
        (lambda a: a, np.zeros((8, 8, 7)), "does not match intensity shape"),
    ],
)
def test_bad_data_is_refused(mutate, mask, message):
    with pytest.raises(ValueError, match=message):
        DiffractionData.from_arrays(mutate(_pattern()), mask)


def test_masked_bad_values_are_accepted_and_zeroed():
    data = _pattern()
    mask = np.zeros(data.shape, dtype=np.uint8)
    data[0, 0, 0], mask[0, 0, 0] = np.nan, 1
    checked = DiffractionData.from_arrays(data, mask)
    assert not checked.measured[0, 0, 0] and checked.intensity[0, 0, 0] == 0


def test_free_pixels_are_friedel_pairs_of_measured_pixels():
    data = DiffractionData.from_arrays(np.ones((16, 16, 16)))
    free = data.free_pixels(0.05, np.random.default_rng(1))
    assert 0.03 < free.mean() < 0.06
    # The Friedel mate of index i about the centre 8 is 16 - i (mod 16).
    mate = np.roll(np.flip(free), 1, axis=(0, 1, 2))
    assert np.array_equal(free, mate)
