"""Supports: from the thresholded autocorrelation, shrink-wrap, and border-only refinement."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage


def autocorrelation_support(
    intensity: npt.NDArray, measured: npt.NDArray[np.bool_], threshold: float = 0.1, sigma: float = 1.0
) -> npt.NDArray[np.bool_]:
    """Support from |FT^-1(I)| (the object's autocorrelation, twice its extent), thresholded.

    ``intensity`` is centred (zero frequency at N // 2); the support is centred too. Unmeasured
    pixels count as zero.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    data = np.where(measured, intensity, 0.0)
    auto = np.abs(np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(data))))
    if sigma > 0:
        auto = ndimage.gaussian_filter(auto, sigma)
    return auto > threshold * auto.max()


def shrink_wrap(
    obj_modulus: npt.NDArray,
    sigma: float,
    threshold: float,
    current: npt.NDArray[np.bool_] | None = None,
    border_only: bool = False,
) -> npt.NDArray[np.bool_]:
    """Support where the Gaussian-blurred modulus exceeds ``threshold`` x its maximum.

    With ``border_only`` (seed 003's refinement), only voxels at the border of ``current`` (within
    one voxel of its surface, inside or out) may change.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    blurred = ndimage.gaussian_filter(obj_modulus, sigma) if sigma > 0 else obj_modulus
    new = blurred > threshold * blurred.max()
    if not border_only:
        return new
    if current is None:
        raise ValueError("border_only needs the current support")
    border = np.asarray(ndimage.binary_dilation(current), dtype=bool) & ~np.asarray(
        ndimage.binary_erosion(current), dtype=bool
    )
    return np.where(border, new, current)
