"""Restricted patterns: one measured 3-D pattern cropped and binned (seed 000, Tables S2/S3).

Cropping a pattern to M of its N pixels along an axis enlarges the reconstruction's voxel by
N / M (less of reciprocal space); binning by b afterwards keeps the voxel and shrinks the field
of view by b (coarser reciprocal sampling), while each bin holds b times the counts. Each
pattern records its voxel and r = voxel / lattice spacing, the ratio of seed 000's strain-energy
analysis.

Binning has a cost the counts do not show: summing b pixels convolves the intensity with a box,
which multiplies the autocorrelation by sinc(pi b x / N). At oversampling 4 and b = 2 that falls
to zero at the crystal's autocorrelation extent, the fringes lose contrast and the phased object
is smoothed along the binned axis (measured on 64^3 crystals: FWHM 12.6 -> 16-18 nm along it,
while the PRTF improved from 22 to 11 nm). At oversampling 8 the extra counts win: on crystals
with 300 counts at the peak the merge's FWHM was 15-25% below the original's on every axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Restriction:
    """How one restricted pattern is cut from the original.

    Attributes:
        crop: pixels kept along each axis (Z, Y, X), centred on the original's centre.
        binning: pixels per bin along each axis after cropping.
    """

    crop: tuple[int, int, int]
    binning: tuple[int, int, int] = (1, 1, 1)

    @property
    def name(self) -> str:
        return "crop {}x{}x{} bin {}x{}x{}".format(*self.crop, *self.binning)


@dataclass(frozen=True)
class RestrictedPattern:
    """A restricted pattern ready for phasing (zero frequency at N // 2 on each axis).

    Attributes:
        restriction: how it was cut.
        intensity: counts (Z, Y, X).
        bad_pixels: non-zero where not measured (CXI convention).
        voxel_m: the reconstruction's voxel along each axis (m).
        r: voxel / lattice spacing along each axis.
    """

    restriction: Restriction
    intensity: npt.NDArray[np.float32]
    bad_pixels: npt.NDArray[np.uint8]
    voxel_m: tuple[float, float, float]
    r: tuple[float, float, float]

    @property
    def mean_r(self) -> float:
        """The geometric mean of r over the axes."""
        return float(np.prod(self.r) ** (1 / 3))


def default_restrictions(
    shape: tuple[int, int, int], max_binning: tuple[int, int, int] = (1, 2, 2)
) -> tuple[Restriction, ...]:
    """A family like Table S2: the original; each binning up to ``max_binning`` (see
    :func:`max_binning_for`: a crystal of an eighth of the field allows 2) at full extent
    and cropped by two bins (one a side: a smaller crop leaves the same whole bins) on the binned
    axes; and the unbinned pattern cropped by 2 and 4 pixels. The crops are small, so every
    pattern keeps nearly the whole reciprocal extent (cropping more costs resolution); each has a
    slightly different voxel or field, so their grids and artefacts differ."""
    specs = [Restriction(shape)]
    binnings = {
        (bz, by, bx)
        for bz in range(1, max_binning[0] + 1)
        for by in range(1, max_binning[1] + 1)
        for bx in range(1, max_binning[2] + 1)
    } - {(1, 1, 1)}
    for binning in sorted(binnings):
        for shrink_bins in (0, 2):
            crop = tuple(n - shrink_bins * b if b > 1 else n for n, b in zip(shape, binning, strict=True))
            specs.append(Restriction((crop[0], crop[1], crop[2]), binning))
    for shrink in (2, 4):
        specs.append(Restriction((shape[0], shape[1] - shrink, shape[2] - shrink)))
    return tuple(specs)


def max_binning_for(
    support_extent_vox: tuple[int, int, int], shape: tuple[int, int, int]
) -> tuple[int, int, int]:
    """The largest binning per axis that keeps the oversampling (field / object) >= 4 after
    binning: the autocorrelation then keeps sinc(pi / 4) = 0.9 of its contrast at its edge. At
    oversampling 4 binning 2 blurred the reconstruction along the binned axis by 30-50%; at 8 it
    did not (module docstring)."""
    return tuple(max(1, int(n // (4 * max(e, 1)))) for n, e in zip(shape, support_extent_vox, strict=True))  # type: ignore[return-value]


def _centred_crop(a: npt.NDArray, crop: tuple[int, ...]) -> npt.NDArray:
    starts = [n // 2 - m // 2 for n, m in zip(a.shape, crop, strict=True)]
    return a[tuple(slice(s, s + m) for s, m in zip(starts, crop, strict=True))]


def _bin(a: npt.NDArray, binning: tuple[int, ...]) -> npt.NDArray:
    """Sum blocks, with the centre pixel N // 2 in bin M // 2 (in its middle for odd binning, at
    its start for even); pixels that do not fill a bin at the edges are dropped."""
    out = a
    for axis, b in enumerate(binning):
        if b == 1:
            continue
        n = out.shape[axis]
        count = n // b
        while True:
            start = n // 2 - (count // 2) * b - (b // 2 if b % 2 else 0)
            if start >= 0 and start + count * b <= n:
                break
            count -= 1
        taken = np.take(out, np.arange(start, start + count * b), axis=axis)
        shape = list(taken.shape)
        shape[axis : axis + 1] = [count, b]
        out = taken.reshape(shape).sum(axis=axis + 1)
    return out


def restrict(
    intensity: npt.ArrayLike,
    bad_pixels: npt.ArrayLike | None,
    voxel_m: tuple[float, float, float],
    d_spacing_m: float,
    restriction: Restriction,
    min_measured: float = 0.5,
) -> RestrictedPattern:
    """Cut one restricted pattern from the original.

    Args:
        intensity: the measured pattern (Z, Y, X), zero frequency at N // 2.
        bad_pixels: non-zero where not measured, or None.
        voxel_m: the original reconstruction's voxel along each axis (m).
        d_spacing_m: the reflection's lattice-plane spacing (m), for r.
        restriction: crop and binning.
        min_measured: a bin with fewer measured pixels than this share is unmeasured; the others
            are scaled up for their missing pixels.

    Raises:
        ValueError: a crop larger than the pattern or a binning that leaves fewer than 8 bins.
    """
    data = np.asarray(intensity, dtype=np.float64)
    if data.ndim != 3:
        raise ValueError(f"intensity must be 3-D (Z, Y, X), got shape {data.shape}")
    measured = np.ones(data.shape, bool) if bad_pixels is None else np.asarray(bad_pixels) == 0
    if measured.shape != data.shape:
        raise ValueError(f"mask shape {measured.shape} does not match intensity {data.shape}")
    crop, binning = restriction.crop, restriction.binning
    for axis in range(3):
        if not 1 <= crop[axis] <= data.shape[axis]:
            raise ValueError(f"crop {crop} must lie within the pattern {data.shape}")
        if binning[axis] < 1 or crop[axis] // binning[axis] < 8:
            raise ValueError(f"binning {binning} of crop {crop} leaves fewer than 8 bins on axis {axis}")
    if not d_spacing_m > 0:
        raise ValueError(f"d_spacing_m must be > 0, got {d_spacing_m}")
    cropped = _centred_crop(np.where(measured, data, 0.0), crop)
    cropped_measured = _centred_crop(measured, crop).astype(np.float64)
    summed = _bin(cropped, binning)
    fraction = _bin(cropped_measured, binning) / np.prod(binning)
    keep = fraction >= min_measured
    binned = np.where(keep, summed / np.maximum(fraction, 1e-12), 0.0).astype(np.float32)
    # The binned pattern spans the crop's reciprocal extent: voxel = original voxel * N / M.
    used = [binned.shape[a] * binning[a] for a in range(3)]
    voxel = tuple(float(voxel_m[a] * data.shape[a] / used[a]) for a in range(3))
    return RestrictedPattern(
        restriction,
        binned,
        (~keep).astype(np.uint8),
        (voxel[0], voxel[1], voxel[2]),
        (voxel[0] / d_spacing_m, voxel[1] / d_spacing_m, voxel[2] / d_spacing_m),
    )
