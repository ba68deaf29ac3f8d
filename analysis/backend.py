"""The array backend: NumPy + scipy.fft on the CPU, CuPy on a GPU. Algorithms never import cupy.

``get_backend("numpy" | "cupy" | "auto")`` returns a :class:`Backend` whose ``xp`` is the array
module and whose FFTs are the fast ones of that device (scipy.fft with all cores on the CPU).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import scipy.fft


@dataclass(frozen=True)
class Backend:
    name: str
    xp: ModuleType
    _fft: Any

    def fftn(self, a, axes=None):
        """Orthonormal forward FFT (power-conserving), over all axes by default."""
        if self.name == "numpy":
            return self._fft.fftn(a, axes=axes, norm="ortho", workers=-1)
        return self._fft.fftn(a, axes=axes, norm="ortho")

    def ifftn(self, a, axes=None):
        if self.name == "numpy":
            return self._fft.ifftn(a, axes=axes, norm="ortho", workers=-1)
        return self._fft.ifftn(a, axes=axes, norm="ortho")

    def asarray(self, a, dtype=None):
        return self.xp.asarray(a, dtype=dtype)

    def asnumpy(self, a) -> np.ndarray:
        if self.name == "numpy":
            return np.asarray(a)
        return self.xp.asnumpy(a)

    def synchronize(self) -> None:
        """Wait for queued GPU work (for timing); a no-op on the CPU."""
        if self.name == "cupy":
            self.xp.cuda.Stream.null.synchronize()


_NUMPY = Backend("numpy", np, scipy.fft)


def cupy_available() -> bool:
    try:
        cupy = importlib.import_module("cupy")
        return bool(cupy.cuda.runtime.getDeviceCount() > 0)
    except Exception:  # no cupy, no driver or no device: all mean "not available"
        return False


def get_backend(name: str = "numpy") -> Backend:
    """``numpy`` (default), ``cupy`` (raises if unavailable) or ``auto`` (cupy when it works)."""
    if name == "numpy":
        return _NUMPY
    if name in ("cupy", "auto"):
        if cupy_available():
            cupy = importlib.import_module("cupy")
            return Backend("cupy", cupy, importlib.import_module("cupy.fft"))
        if name == "auto":
            return _NUMPY
        raise RuntimeError("backend 'cupy' requested but CuPy or a CUDA device is not available")
    raise ValueError(f"backend must be 'numpy', 'cupy' or 'auto', got {name!r}")
