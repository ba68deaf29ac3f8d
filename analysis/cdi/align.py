"""Align a reconstruction to a reference up to the ambiguities of phase retrieval.

The ambiguities are a translation, a constant phase, and the twin (the complex conjugate
mirrored through the centre, rho*(-r)), which gives the same diffraction pattern.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft
from scipy import ndimage
from skimage.registration import phase_cross_correlation

from .symmetry import mirror_through_centre


@dataclass(frozen=True)
class Alignment:
    """``aligned`` is the input moved onto the reference: shifted, twin-flipped if needed, rephased.

    Attributes:
        shift_vox: the sub-voxel shift applied (Z, Y, X).
        twin: whether the conjugate mirror was used.
        phase_offset_rad: the constant phase added.
        correlation: |<ref, aligned>| / (|ref| |aligned|), 1 for a perfect match.
    """

    aligned: npt.NDArray[np.complex64]
    shift_vox: tuple[float, ...]
    twin: bool
    phase_offset_rad: float
    correlation: float


def twin_of(obj: npt.NDArray) -> npt.NDArray:
    """rho*(-r) for a centred array."""
    return np.conj(mirror_through_centre(obj))


def shift_array(obj: npt.NDArray, shift: npt.ArrayLike) -> npt.NDArray[np.complex64]:
    """Sub-voxel shift by the Fourier shift theorem (periodic)."""
    spectrum = ndimage.fourier_shift(scipy.fft.fftn(obj, workers=-1), np.asarray(shift, dtype=float))
    return np.asarray(scipy.fft.ifftn(spectrum, workers=-1), dtype=np.complex64)


def align(reference: npt.NDArray, obj: npt.NDArray, upsample: int = 10) -> Alignment:
    """Move ``obj`` (or its twin, whichever matches better) onto ``reference``."""
    if reference.shape != obj.shape:
        raise ValueError(f"shapes differ: reference {reference.shape}, object {obj.shape}")
    best: Alignment | None = None
    ref_norm = float(np.linalg.norm(reference))
    for twin in (False, True):
        candidate = twin_of(obj) if twin else obj
        # normalization=None (documented by scikit-image) correlates the moduli themselves, which
        # is robust for compact objects; the type stub only admits strings.
        shift, _, _ = phase_cross_correlation(
            np.abs(reference),
            np.abs(candidate),
            upsample_factor=upsample,
            normalization=None,  # pyright: ignore[reportArgumentType]
        )
        moved = shift_array(candidate, shift)
        overlap = np.vdot(moved, reference)
        offset = float(np.angle(overlap))
        moved = (moved * np.exp(1j * offset)).astype(np.complex64)
        correlation = float(np.abs(overlap) / max(ref_norm * float(np.linalg.norm(moved)), 1e-30))
        if best is None or correlation > best.correlation:
            best = Alignment(moved, tuple(float(s) for s in shift), twin, offset, correlation)
    assert best is not None
    return best
