"""Poisson log-likelihood of a model intensity, on the fitted or the free (held-out) pixels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def poisson_llk(calculated: npt.NDArray, observed: npt.NDArray, pixels: npt.NDArray[np.bool_]) -> float:
    """Mean over ``pixels`` of the Poisson negative log-likelihood, 0 for a perfect model.

    llk = < calc - obs * ln(calc) - (obs - obs * ln(obs)) >, the normalisation used by PyNX: for
    Poisson noise on a correct model it is about 0.5 per pixel.
    """
    n = int(np.count_nonzero(pixels))
    if n == 0:
        return float("nan")
    calc = np.maximum(calculated[pixels].astype(np.float64), 1e-12)
    obs = observed[pixels].astype(np.float64)
    obs_log_obs = np.where(obs > 0, obs * np.log(np.maximum(obs, 1e-12)), 0.0)
    return float(np.sum(calc - obs * np.log(calc) - obs + obs_log_obs) / n)
