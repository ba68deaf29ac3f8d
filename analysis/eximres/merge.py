"""Upsample reconstructions to a common grid, align them by centre of mass, merge (Fig. S4).

Each reconstruction is band-limited to its pattern's extent, so it is upsampled by Fourier
interpolation: its spectrum is zero-padded to round(n v / v_common) samples per axis (the
remaining voxel mismatch is below half a common voxel over the whole grid). The modulus is then
moved, sub-voxel, so that its centre of mass sits at the common grid's centre, flipped through
the centre when that matches the reference better (the twin of phase retrieval), registered to
the reference by cross-correlation to a tenth of a voxel (the centre of mass alone leaves
shifts of a voxel or so between images cut differently, which blur the merge), and the moduli
are averaged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft
from scipy import ndimage
from skimage.registration import phase_cross_correlation


@dataclass(frozen=True)
class MergedImage:
    """The merged modulus and its parts.

    Attributes:
        merged: mean of the aligned moduli on the common grid (Z, Y, X).
        aligned: each upsampled, aligned modulus.
        voxel_m: the common grid's voxel (m) along each axis.
        twin: whether each part was flipped through the centre.
    """

    merged: npt.NDArray[np.float64]
    aligned: tuple[npt.NDArray[np.float64], ...]
    voxel_m: tuple[float, float, float]
    twin: tuple[bool, ...]


def fourier_upsample(
    obj: npt.NDArray, voxel_m: tuple[float, ...], target_voxel_m: tuple[float, ...]
) -> npt.NDArray:
    """Band-limited interpolation of a centred complex object onto a grid of about ``target_voxel_m``
    (zero-padding its spectrum); the amplitude scale per voxel is kept."""
    spectrum = np.fft.fftshift(np.asarray(scipy.fft.fftn(np.fft.ifftshift(obj), workers=-1)))
    sizes = [max(n, round(n * v / t)) for n, v, t in zip(obj.shape, voxel_m, target_voxel_m, strict=True)]
    padded = np.zeros(sizes, dtype=np.complex128)
    starts = [s // 2 - n // 2 for s, n in zip(sizes, obj.shape, strict=True)]
    padded[tuple(slice(a, a + n) for a, n in zip(starts, obj.shape, strict=True))] = spectrum
    scale = np.prod(sizes) / np.prod(obj.shape)
    return np.fft.fftshift(np.asarray(scipy.fft.ifftn(np.fft.ifftshift(padded), workers=-1))) * scale


def _place(modulus: npt.NDArray[np.float64], shape: tuple[int, ...]) -> npt.NDArray[np.float64]:
    """Crop or pad centred to ``shape``, then shift the centre of mass to the centre."""
    out = np.zeros(shape)
    src = tuple(
        slice(max(0, n // 2 - s // 2), max(0, n // 2 - s // 2) + min(n, s))
        for n, s in zip(modulus.shape, shape, strict=True)
    )
    dst = tuple(
        slice(max(0, s // 2 - n // 2), max(0, s // 2 - n // 2) + min(n, s))
        for n, s in zip(modulus.shape, shape, strict=True)
    )
    out[dst] = modulus[src]
    weights = np.clip(out, 0, None) ** 2  # the crystal, not the low background around it
    centre = np.array(ndimage.center_of_mass(weights))
    return _shifted(out, np.array([s // 2 for s in shape]) - centre)


def _shifted(image: npt.NDArray[np.float64], shift: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``image`` moved by a sub-voxel ``shift`` (Fourier shift theorem), negative ringing cut."""
    return np.clip(np.fft.ifftn(ndimage.fourier_shift(np.fft.fftn(image), shift)).real, 0, None)


def merge(
    objects: list[npt.NDArray],
    voxels_m: list[tuple[float, float, float]],
    shape: tuple[int, int, int],
    common_voxel_m: tuple[float, float, float],
) -> MergedImage:
    """Upsample each object to ``common_voxel_m`` on a grid of ``shape``, centre each by its centre of
    mass, flip it through the centre if that matches the first (the reference) better, average."""
    if not objects or len(objects) != len(voxels_m):
        raise ValueError(f"give one voxel per object: {len(objects)} objects, {len(voxels_m)} voxels")
    aligned: list[npt.NDArray[np.float64]] = []
    twins: list[bool] = []
    for obj, voxel in zip(objects, voxels_m, strict=True):
        modulus = np.abs(fourier_upsample(np.asarray(obj), voxel, common_voxel_m))
        placed = _place(modulus, shape)
        twin = False
        if aligned:
            flipped = _place(modulus[::-1, ::-1, ::-1].copy(), shape)
            if np.sum(flipped * aligned[0]) > np.sum(placed * aligned[0]):
                placed, twin = flipped, True
            registration = phase_cross_correlation(
                aligned[0],
                placed,
                upsample_factor=10,
                normalization=None,  # pyright: ignore[reportArgumentType]
            )
            placed = _shifted(placed, np.asarray(registration[0], dtype=np.float64))
        aligned.append(placed)
        twins.append(twin)
    return MergedImage(np.mean(aligned, axis=0), tuple(aligned), common_voxel_m, tuple(twins))
