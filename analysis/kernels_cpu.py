"""Fused, parallel CPU kernels for the phasing loop (numba), in place and in one pass each.

With NumPy the modulus projection and the HIO update cost as much as an FFT each (temporaries,
several passes over memory); fused they cost a few per cent of it.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(parallel=True, fastmath=True, cache=True)
def modulus_projection(psi, amplitude, fit):  # pragma: no cover - compiled
    """psi <- amplitude * psi / |psi| where ``fit``; left alone elsewhere. Flat arrays."""
    for i in numba.prange(psi.size):
        if fit[i]:
            # Single precision throughout: abs() of a complex64 goes through a slower hypot.
            re = psi[i].real
            im = psi[i].imag
            power = re * re + im * im
            if power > 1e-38:
                scale = amplitude[i] / np.sqrt(power)
                psi[i] = complex(re * scale, im * scale)
            else:
                psi[i] = amplitude[i]


@numba.njit(parallel=True, fastmath=True, cache=True)
def support_update(obj, projected, support, algorithm, beta, scale):  # pragma: no cover - compiled
    """With p = scale * projected: obj <- p inside the support; outside: 0 (ER, 0),
    obj - beta p (HIO, 1), beta obj + (1 - 2 beta) p (RAAR, 2). Flat arrays."""
    for i in numba.prange(obj.size):
        p = projected[i] * scale
        if support[i]:
            obj[i] = p
        elif algorithm == 0:
            obj[i] = 0
        elif algorithm == 1:
            obj[i] = obj[i] - beta * p
        else:
            obj[i] = beta * obj[i] + (1 - 2 * beta) * p
