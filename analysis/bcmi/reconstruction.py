"""BCMI phase retrieval (seed 001, Appendix B): the slice-by-slice model and its inverse.

    psi_j = F_{m->D} M P_{o->m} { T_j R Q_j rho },   rho = sum_j Q_j* R^dagger T_j^-1 P^-1 M^-1 F^-1 {psi_j}

R Q_j rho, the projection along z' of the object times the rocking angle's phase ramp
exp(-2 pi i j z' / J), is for all J angles at once the Fourier transform of rho along z' (the
Fourier slice theorem); its back-projection sum_j Q_j* R^dagger is the inverse transform.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.fft


def rocking_projections(rho: npt.NDArray) -> npt.NDArray[np.complex64]:
    """R Q_j rho for every angle j: (J, Y, X), angle J // 2 at the Bragg peak (orthonormal)."""
    spectrum = np.asarray(scipy.fft.fft(rho, axis=0, norm="ortho", workers=-1))
    return np.fft.fftshift(spectrum, axes=0).astype(np.complex64)


def back_projection(projections: npt.NDArray) -> npt.NDArray[np.complex64]:
    """sum_j Q_j* R^dagger of (J, Y, X) projections: the inverse of :func:`rocking_projections`."""
    spectrum = np.fft.ifftshift(projections, axes=0)
    return np.asarray(scipy.fft.ifft(spectrum, axis=0, norm="ortho", workers=-1), dtype=np.complex64)
