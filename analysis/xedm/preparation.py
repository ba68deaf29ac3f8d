"""From the accumulated pattern to the amplitudes to phase (seed 002, section 2.2).

1. Centre: the pattern of a real object is centro-symmetric, I(c + q) = I(c - q); the centre is
   found by correlating the pattern with its point reflection (masked), then refined to a tenth of
   a pixel by minimising the difference between measured Friedel pairs.
2. Missing data: pixels not measured, or negative after background subtraction, are missing;
   where the Friedel partner was measured it patches them.
3. Binning (3 x 3 by default), with bins centred on the centre.
4. The central speckle, out to a chosen diameter, is set missing before phasing (it carries the
   particles' distribution on the membrane rather than one particle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage, optimize
from skimage.registration import phase_cross_correlation


@dataclass(frozen=True)
class PreparedPattern:
    """Binned, centred, symmetrised counts ready for phasing (zero frequency at N // 2).

    Attributes:
        intensity: counts per bin (0 where missing).
        measured: True where the bin holds data (False in the removed central speckle and
            wherever neither a pixel nor its Friedel partner was measured).
        centre_px: the centre found on the detector (row, column), unbinned pixels.
        binning: pixels per bin along each axis.
        detector_pixel_m: the binned pixel (m).
        speckle_diameter_px: the removed central disc, binned pixels.
        patched_fraction: share of the pattern's bins filled from their Friedel partner.
    """

    intensity: npt.NDArray[np.float64]
    measured: npt.NDArray[np.bool_]
    centre_px: tuple[float, float]
    binning: int
    detector_pixel_m: float
    speckle_diameter_px: float
    patched_fraction: float

    def object_pixel_m(self, wavelength_m: float, distance_m: float) -> float:
        """The real-space pixel lambda D / (N p) of a reconstruction of this pattern (m)."""
        return wavelength_m * distance_m / (self.intensity.shape[0] * self.detector_pixel_m)


def _friedel_mismatch(
    values: npt.NDArray[np.float64], measured: npt.NDArray[np.bool_], points: npt.NDArray, centre: npt.NDArray
) -> float:
    partners = 2.0 * centre[:, None] - points
    inside = ndimage.map_coordinates(measured.astype(np.float32), partners, order=1, cval=0.0) > 0.999
    if inside.sum() < 100:
        return math.inf
    mirrored = ndimage.map_coordinates(values, partners[:, inside], order=1)
    own = values[points[0, inside].astype(int), points[1, inside].astype(int)]
    return float(np.mean((own - mirrored) ** 2))


def _coarse_centre(values: npt.NDArray[np.float64], good: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Centre to a pixel or two: masked correlation of the pattern with its point reflection, on
    2 x 2 blocks when the pattern is large (four times faster, and fine enough to start from)."""
    step = 2 if min(values.shape) > 512 else 1
    rows, cols = (values.shape[0] // step) * step, (values.shape[1] // step) * step
    shape = (rows // step, step, cols // step, step)
    coarse = values[:rows, :cols].reshape(shape).sum(axis=(1, 3))
    coarse_good = np.asarray(good[:rows, :cols].reshape(shape).all(axis=(1, 3)), dtype=bool)
    shift = phase_cross_correlation(
        coarse, coarse[::-1, ::-1], reference_mask=coarse_good, moving_mask=coarse_good[::-1, ::-1]
    )[0]
    # A block's centre sits at (step - 1) / 2 in pixels; the reflection's centre at the middle.
    centre_blocks = (np.array(coarse.shape) - 1 + np.asarray(shift, dtype=float)) / 2.0
    return centre_blocks * step + (step - 1) / 2.0


def find_centre(
    pattern: npt.ArrayLike,
    measured: npt.ArrayLike,
    inner_radius_px: float = 0.0,
    outer_radius_px: float | None = None,
) -> tuple[float, float]:
    """The centre of symmetry of a diffraction pattern (row, column), to about 0.1 pixel.

    The square root of the counts is compared (it makes Poisson noise uniform), over measured
    pixels between ``inner_radius_px`` and ``outer_radius_px`` of the first estimate.

    Raises:
        ValueError: shapes that differ, or too few measured Friedel pairs to compare.
    """
    counts = np.asarray(pattern, dtype=np.float64)
    good = np.asarray(measured, dtype=bool) & np.isfinite(counts)
    if counts.shape != good.shape or counts.ndim != 2:
        raise ValueError(f"pattern {counts.shape} and measured {good.shape} must be the same 2-D shape")
    values = np.sqrt(np.clip(np.where(good, counts, 0.0), 0.0, None))
    first = _coarse_centre(values, good)
    y, x = np.nonzero(good)
    r = np.hypot(y - first[0], x - first[1])
    outer = outer_radius_px if outer_radius_px is not None else 0.45 * min(values.shape)
    use = (r >= inner_radius_px) & (r <= outer)
    points = np.stack([y[use], x[use]]).astype(np.float64)
    if points.shape[1] > 200_000:  # a regular subset is as good and keeps this under a second
        points = points[:, :: points.shape[1] // 200_000 + 1]
    if not np.isfinite(_friedel_mismatch(values, good, points, first)):
        raise ValueError("too few measured Friedel pairs to find the centre")
    best = optimize.minimize(
        lambda c: _friedel_mismatch(values, good, points, c),
        first,
        method="Nelder-Mead",
        options={
            "xatol": 0.02,
            "fatol": 1e-9,
            "initial_simplex": [first, first + np.array([0.7, 0.0]), first + np.array([0.0, 0.7])],
        },
    )
    return float(best.x[0]), float(best.x[1])


def symmetrise(
    pattern: npt.ArrayLike, measured: npt.ArrayLike, centre_px: tuple[float, float]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], float]:
    """Crop an odd square around the centre (rounded to a pixel) and patch each missing pixel
    from its Friedel partner. Returns (counts, measured, share of pixels patched)."""
    counts = np.asarray(pattern, dtype=np.float64)
    good = np.asarray(measured, dtype=bool) & np.isfinite(counts) & (counts >= 0)
    cy, cx = (round(c) for c in centre_px)
    half = min(cy, cx, counts.shape[0] - 1 - cy, counts.shape[1] - 1 - cx)
    if half < 4:
        raise ValueError(f"centre {centre_px} is within 4 pixels of the pattern's edge")
    window = (slice(cy - half, cy + half + 1), slice(cx - half, cx + half + 1))
    c, m = np.where(good, counts, 0.0)[window], good[window]
    c_mirror, m_mirror = c[::-1, ::-1], m[::-1, ::-1]
    patch = ~m & m_mirror
    return np.where(patch, c_mirror, c), m | m_mirror, float(patch.mean())


def bin_pattern(
    counts: npt.NDArray[np.float64], measured: npt.NDArray[np.bool_], binning: int, min_fraction: float = 0.5
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Sum ``binning`` x ``binning`` blocks of an odd square centred pattern, the centre pixel in
    the centre bin. A block's missing pixels are filled by its measured ones' mean; a block less
    than ``min_fraction`` measured is missing."""
    if binning < 1:
        raise ValueError(f"binning must be >= 1, got {binning}")
    n = counts.shape[0]
    half_bins = ((n // binning) - 1) // 2
    if half_bins < 2:
        raise ValueError(f"a pattern of {n} pixels is too small for {binning} x {binning} binning")
    size = (2 * half_bins + 1) * binning
    start = n // 2 - size // 2
    window = (slice(start, start + size),) * 2
    c, m = counts[window] * measured[window], measured[window].astype(np.float64)
    shape = (2 * half_bins + 1, binning, 2 * half_bins + 1, binning)
    total = c.reshape(shape).sum(axis=(1, 3))
    fraction = m.reshape(shape).mean(axis=(1, 3))
    keep = fraction >= min_fraction
    return np.where(keep, total / np.maximum(fraction, 1e-12), 0.0), keep


def central_speckle_diameter_px(counts: npt.NDArray[np.float64], measured: npt.NDArray[np.bool_]) -> float:
    """Diameter (pixels) of the central speckle: twice the radius of the azimuthal average's first
    minimum outside the beamstop."""
    n = counts.shape[0]
    y, x = np.indices(counts.shape)
    r = np.hypot(y - n // 2, x - n // 2).astype(int)
    sums = np.bincount(r[measured], counts[measured], minlength=n)
    hits = np.bincount(r[measured], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        profile = sums / hits
    start = int(np.argmax(hits > 0))
    for radius in range(start + 2, n // 2 - 1):
        if hits[radius] and profile[radius] < profile[radius - 1] and profile[radius] <= profile[radius + 1]:
            return 2.0 * radius
    raise ValueError("the azimuthal average has no minimum: no central speckle to remove")


def prepare_pattern(
    pattern: npt.ArrayLike,
    measured: npt.ArrayLike,
    detector_pixel_m: float,
    binning: int = 3,
    speckle_diameter_px: float | None = None,
    speckle_fraction: float = 0.7,
    centre_px: tuple[float, float] | None = None,
) -> PreparedPattern:
    """Centre, patch, bin and remove the central speckle.

    Args:
        pattern: background-subtracted counts (NaN or negative where missing), (rows, columns).
        measured: True where the detector measured.
        detector_pixel_m: unbinned detector pixel (m).
        binning: pixels per bin along each axis (seed 002: 3).
        speckle_diameter_px: diameter of the removed central disc in binned pixels; by default
            ``speckle_fraction`` of the central speckle's (the first minimum's) diameter.
        speckle_fraction: see above.
        centre_px: the pattern's centre if known (row, column); found by symmetry otherwise.
    """
    counts = np.asarray(pattern, dtype=np.float64)
    good = np.asarray(measured, dtype=bool) & np.isfinite(counts) & (counts >= 0)
    if not good.any():
        raise ValueError("the pattern has no measured, non-negative pixel")
    if centre_px is None:
        unmeasured = ~np.asarray(measured, dtype=bool)
        inner = (
            float(np.asarray(ndimage.distance_transform_edt(unmeasured)).max()) + 2 if unmeasured.any() else 0
        )
        centre_px = find_centre(counts, good, inner_radius_px=inner)
    symmetric, sym_measured, patched = symmetrise(counts, good, centre_px)
    binned, binned_measured = bin_pattern(symmetric, sym_measured, binning)
    if speckle_diameter_px is None:
        speckle_diameter_px = speckle_fraction * central_speckle_diameter_px(binned, binned_measured)
    if speckle_diameter_px < 0:
        raise ValueError(f"speckle_diameter_px must be >= 0, got {speckle_diameter_px}")
    n = binned.shape[0]
    y, x = np.ogrid[:n, :n]
    central = (y - n // 2) ** 2 + (x - n // 2) ** 2 <= (speckle_diameter_px / 2) ** 2
    return PreparedPattern(
        np.where(binned_measured, binned, 0.0),
        binned_measured & ~central,
        (float(centre_px[0]), float(centre_px[1])),
        binning,
        detector_pixel_m * binning,
        float(speckle_diameter_px),
        patched,
    )
