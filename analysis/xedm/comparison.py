"""How close a reconstruction is to a model image: SSIM (scikit-image) after alignment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
from skimage.metrics import structural_similarity
from skimage.registration import phase_cross_correlation

from ..cdi.align import shift_array


@dataclass(frozen=True)
class ModelComparison:
    """A reconstruction set beside a model.

    Attributes:
        ssim: structural similarity over the window around the particle (1: identical).
        aligned: the reconstruction moved onto the model and scaled to it (least squares).
        shift_px: the shift applied (row, column).
        window: the compared window (slices), a square of ``window_factor`` times the model's
            extent.
    """

    ssim: float
    aligned: npt.NDArray[np.float64]
    shift_px: tuple[float, float]
    window: tuple[slice, slice]


def compare_to_model(
    image: npt.ArrayLike, model: npt.ArrayLike, window_factor: float = 1.5
) -> ModelComparison:
    """Align ``image`` to ``model`` (sub-pixel), scale it, and take the SSIM over a window of
    ``window_factor`` times the model's diameter around its centre.

    The window keeps the empty field, where both are zero and trivially alike, from inflating
    the SSIM. ``data_range`` is the model's range.
    """
    rec = np.asarray(image, dtype=np.float64)
    ref = np.asarray(model, dtype=np.float64)
    if rec.shape != ref.shape or rec.ndim != 2:
        raise ValueError(f"image {rec.shape} and model {ref.shape} must be the same 2-D shape")
    if not np.any(ref > 0):
        raise ValueError("the model image is empty")
    registration = phase_cross_correlation(
        ref,
        rec,
        upsample_factor=20,
        normalization=None,  # pyright: ignore[reportArgumentType]
    )
    shift = np.asarray(registration[0], dtype=np.float64)
    moved = shift_array(rec, shift).real.astype(np.float64)
    moved *= float(np.sum(moved * ref) / max(float(np.sum(moved * moved)), 1e-300))
    rows, cols = np.nonzero(ref > 0.01 * ref.max())
    cy, cx = (rows.min() + rows.max()) / 2, (cols.min() + cols.max()) / 2
    half = max(7, round(window_factor * max(rows.max() - rows.min(), cols.max() - cols.min()) / 2))
    window = (
        slice(max(0, round(cy) - half), min(ref.shape[0], round(cy) + half + 1)),
        slice(max(0, round(cx) - half), min(ref.shape[1], round(cx) + half + 1)),
    )
    a, b = ref[window], moved[window]
    # Without full=True it returns the mean SSIM alone; the stub admits a tuple too.
    ssim = float(cast(float, structural_similarity(b, a, data_range=float(a.max() - a.min()))))
    return ModelComparison(ssim, moved, (float(shift[0]), float(shift[1])), window)
