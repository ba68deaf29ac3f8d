"""The same fused kernels as :mod:`phasebeam.analysis.kernels_cpu`, as CuPy elementwise kernels.

Imported only by :mod:`phasebeam.analysis.backend` when CuPy is in use.
"""

from __future__ import annotations

import cupy  # pyright: ignore[reportMissingImports]

_modulus = cupy.ElementwiseKernel(
    "float32 amplitude, bool fit",
    "complex64 psi",
    """
    if (fit) {
        float m = abs(psi);
        psi = m > 1e-20f ? psi * (amplitude / m) : complex<float>(amplitude, 0.0f);
    }
    """,
    "phasebeam_modulus_projection",
)

_update = cupy.ElementwiseKernel(
    "complex64 projected, bool support, int32 algorithm, float32 beta, float32 scale",
    "complex64 obj",
    """
    complex<float> p = projected * scale;
    if (support) { obj = p; }
    else if (algorithm == 0) { obj = complex<float>(0.0f, 0.0f); }
    else if (algorithm == 1) { obj = obj - beta * p; }
    else { obj = beta * obj + (1.0f - 2.0f * beta) * p; }
    """,
    "phasebeam_support_update",
)


def modulus_projection(psi, amplitude, fit) -> None:
    _modulus(amplitude, fit, psi)


def support_update(obj, projected, support, algorithm, beta, scale) -> None:
    _update(projected, support, algorithm, beta, scale, obj)
