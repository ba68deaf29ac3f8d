"""Centro-symmetry of centred arrays (zero frequency, or the object's origin, at index N // 2)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def mirror_through_centre(a: npt.NDArray) -> npt.NDArray:
    """a(-r) for a centred array: index i -> 2 (N // 2) - i (mod N) on every axis."""
    out = a
    for axis, n in enumerate(a.shape):
        out = np.roll(np.flip(out, axis=axis), 2 * (n // 2) - (n - 1), axis=axis)
    return out
