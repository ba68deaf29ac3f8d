"""Foucault knife-edge test for the axial position of the pupil-plane cutoff filter (seed 004).

With the edge partly in the beam, an edge in the back focal plane cuts every field point's
light alike and the field darkens uniformly; out of that plane it cuts field points on one side
first, and the field acquires a gradient across the edge direction, proportional to the defocus.
The filter is in focus where the gradient crosses zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class FoucaultResult:
    """Where the field darkens uniformly.

    Attributes:
        focus_mm: axial position where the gradient crosses zero (mm).
        gradients_per_px: each image's relative gradient across x (1/px).
        gradient_per_mm: slope of the gradient against the axial position (1/(px mm)).
        residual_rms_per_px: RMS of the linear fit's residuals (1/px).
    """

    focus_mm: float
    gradients_per_px: tuple[float, ...]
    gradient_per_mm: float
    residual_rms_per_px: float


def relative_gradient_per_px(image: npt.NDArray, reference: npt.NDArray | None = None) -> float:
    """Slope of the column-mean profile across x (axis -1), divided by its mean (1/px).

    ``reference`` (an image without the edge, or a flat field) divides out the illumination's own
    profile; without one, a profile symmetric about the centre (vignetting) has no slope.
    """
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (Y, X), got shape {image.shape}")
    profile = np.asarray(image, dtype=np.float64).mean(axis=0)
    if reference is not None:
        if reference.shape != image.shape:
            raise ValueError(f"reference {reference.shape} and image {image.shape} differ in shape")
        profile = profile / np.asarray(reference, dtype=np.float64).mean(axis=0)
    if not np.all(np.isfinite(profile)) or profile.mean() <= 0:
        raise ValueError("image has no positive, finite counts")
    x = np.arange(profile.size, dtype=np.float64) - (profile.size - 1) / 2
    slope = np.polyfit(x, profile, 1)[0]
    return float(slope / profile.mean())


def foucault_focus(axial_mm: npt.ArrayLike, images: npt.NDArray) -> FoucaultResult:
    """Axial position (mm) where the field darkens uniformly, from images at several positions.

    Args:
        axial_mm: the filter's axial position for each image (mm), at least 3 distinct.
        images: (n, Y, X) images with the edge partly in the beam, the sample out.
    """
    axial = np.asarray(axial_mm, dtype=np.float64)
    if images.ndim != 3 or len(images) != axial.size:
        raise ValueError(f"images must be (n, Y, X) with n = {axial.size} positions, got {images.shape}")
    if len(np.unique(axial)) < 3:
        raise ValueError(f"axial_mm needs at least 3 distinct positions, got {axial.tolist()}")
    gradients = np.array([relative_gradient_per_px(image) for image in images])
    slope, intercept = np.polyfit(axial, gradients, 1)
    if abs(slope) < 1e-12:
        raise ValueError("the gradient does not change with the axial position: is the edge in the beam?")
    residual = gradients - (slope * axial + intercept)
    return FoucaultResult(
        focus_mm=float(-intercept / slope),
        gradients_per_px=tuple(float(g) for g in gradients),
        gradient_per_mm=float(slope),
        residual_rms_per_px=float(np.sqrt(np.mean(residual**2))),
    )
