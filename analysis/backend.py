"""The array backend: NumPy + scipy.fft on the CPU, CuPy on a GPU. Algorithms never import cupy.

``get_backend("numpy" | "cupy" | "auto")`` returns a :class:`Backend` whose ``xp`` is the array
module, whose FFTs are the fast ones of that device (scipy.fft with all cores on the CPU), and
whose fused kernels (numba on the CPU, CuPy elementwise kernels on the GPU) do the phasing loop's
element-wise work in one pass, in place.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import scipy.fft

ALGORITHM_CODES = {"ER": 0, "HIO": 1, "RAAR": 2}


@dataclass(frozen=True)
class Backend:
    name: str
    xp: ModuleType
    _fft: Any
    _kernels: Any

    def fftn(self, a, axes=None):
        """Orthonormal forward FFT (power-conserving), over all axes by default."""
        if self.name == "numpy":
            return self._fft.fftn(a, axes=axes, norm="ortho", workers=-1)
        return self._fft.fftn(a, axes=axes, norm="ortho")

    def ifftn(self, a, axes=None):
        """Orthonormal inverse FFT, over all axes by default."""
        if self.name == "numpy":
            return self._fft.ifftn(a, axes=axes, norm="ortho", workers=-1)
        return self._fft.ifftn(a, axes=axes, norm="ortho")

    def rfftn(self, a, axes=None):
        """Orthonormal forward FFT of a real array (the half spectrum along the last axis)."""
        if self.name == "numpy":
            return self._fft.rfftn(a, axes=axes, norm="ortho", workers=-1)
        return self._fft.rfftn(a, axes=axes, norm="ortho")

    def irfftn(self, a, shape, axes=None):
        """Inverse of :meth:`rfftn`: the real array of ``shape`` along ``axes``."""
        if self.name == "numpy":
            return self._fft.irfftn(a, s=shape, axes=axes, norm="ortho", workers=-1)
        return self._fft.irfftn(a, s=shape, axes=axes, norm="ortho")

    def fftn_unscaled(self, a):
        """Forward FFT with no normalisation (sum over the array); ``a`` is kept."""
        if self.name == "numpy":
            return self._fft.fftn(a, norm="backward", workers=-1)
        return self._fft.fftn(a, norm="backward")

    def ifftn_unscaled_inplace(self, a):
        """Inverse FFT with no normalisation (N times the usual inverse), reusing ``a``'s memory.

        The phasing loop folds the 1/N into its own kernels: on a GPU a separate scaling pass
        costs about a tenth of an FFT.
        """
        if self.name == "numpy":
            return self._fft.ifftn(a, norm="forward", workers=-1, overwrite_x=True)
        return self._fft.ifftn(a, norm="forward", overwrite_x=True)

    def modulus_projection(self, psi, amplitude, fit) -> None:
        """In place: psi <- amplitude * psi / |psi| where ``fit`` (all arrays the same shape)."""
        self._kernels.modulus_projection(psi.reshape(-1), amplitude.reshape(-1), fit.reshape(-1))

    def support_update(
        self, obj, projected, support, algorithm: str, beta: float, scale: float = 1.0
    ) -> None:
        """In place: the real-space step of ER, HIO or RAAR, with p = scale * projected."""
        self._kernels.support_update(
            obj.reshape(-1),
            projected.reshape(-1),
            support.reshape(-1),
            ALGORITHM_CODES[algorithm],
            np.float32(beta),
            np.float32(scale),
        )

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


def _numpy_backend() -> Backend:
    from . import kernels_cpu

    return Backend("numpy", np, scipy.fft, kernels_cpu)


def cupy_available() -> bool:
    try:
        cupy = importlib.import_module("cupy")
        return bool(cupy.cuda.runtime.getDeviceCount() > 0)
    except Exception:  # no cupy, no driver or no device: all mean "not available"
        return False


def get_backend(name: str = "numpy") -> Backend:
    """``numpy`` (default), ``cupy`` (raises if unavailable) or ``auto`` (cupy when it works)."""
    if name == "numpy":
        return _numpy_backend()
    if name in ("cupy", "auto"):
        if cupy_available():
            cupy = importlib.import_module("cupy")
            kernels = importlib.import_module("phasebeam.analysis.kernels_gpu")
            return Backend("cupy", cupy, importlib.import_module("cupyx.scipy.fft"), kernels)
        if name == "auto":
            return _numpy_backend()
        raise RuntimeError("backend 'cupy' requested but CuPy or a CUDA device is not available")
    raise ValueError(f"backend must be 'numpy', 'cupy' or 'auto', got {name!r}")
