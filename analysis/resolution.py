"""Resolution: Fourier shell/ring correlation with their thresholds, and the PRTF.

FSC (3-D) and FRC (2-D) are the same computation over shells or rings of integer radius in
frequency-index units. Thresholds: the 1/2-bit and 1-bit curves of van Heel & Schatz (2005), which
depend on the number of voxels n in a shell, and fixed ones (1/4 and 1/7 are used for FRC). The
phase-retrieval transfer function (PRTF) is |FT of the mean aligned reconstruction| / sqrt(I),
averaged in shells; its resolution is where it falls below 1/e.

A shell of radius r holds the frequencies r / (N * pixel) (1/m); the resolution reported is its
inverse, the period N * pixel / r (m).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft


@dataclass(frozen=True)
class ShellCurve:
    """A quantity averaged in shells of the frequency index.

    Attributes:
        radius: shell radius in frequency-index units (0, 1, 2, ... up to N / 2).
        frequency_per_m: radius / (N * pixel_m).
        values: the curve (FSC, FRC or PRTF).
        counts: number of frequency samples in each shell.
    """

    radius: npt.NDArray[np.float64]
    frequency_per_m: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    counts: npt.NDArray[np.int64]


def _shells(shape: tuple[int, ...]) -> npt.NDArray[np.int64]:
    """Integer radius of every frequency sample, zero frequency at index N // 2 (fftshifted)."""
    grids = np.meshgrid(*[np.arange(n) - n // 2 for n in shape], indexing="ij")
    return np.rint(np.sqrt(sum(g.astype(np.float64) ** 2 for g in grids))).astype(np.int64)


def _centred_fft(a: npt.NDArray) -> npt.NDArray[np.complex128]:
    return scipy.fft.fftshift(scipy.fft.fftn(scipy.fft.ifftshift(a), workers=-1))


def _shell_axis(shape: tuple[int, ...], pixel_m: float) -> tuple[npt.NDArray[np.int64], int, float]:
    if len(set(shape)) != 1:
        raise ValueError(f"shell curves need equal sides, got shape {shape}")
    n = shape[0]
    return _shells(shape), n // 2, n * pixel_m


def _correlation(
    fa: npt.NDArray[np.complex128], fb: npt.NDArray[np.complex128], pixel_m: float
) -> ShellCurve:
    """Shell correlation of centred spectra; leading axes beyond the image's are summed in each shell."""
    image_shape = fa.shape[1:]
    shells, r_max, extent = _shell_axis(image_shape, pixel_m)
    inside = shells <= r_max
    idx = shells[inside]
    cross_power = np.real(fa * np.conj(fb)).sum(axis=0)
    cross = np.bincount(idx, cross_power[inside], minlength=r_max + 1)
    pa = np.bincount(idx, (np.abs(fa) ** 2).sum(axis=0)[inside], minlength=r_max + 1)
    pb = np.bincount(idx, (np.abs(fb) ** 2).sum(axis=0)[inside], minlength=r_max + 1)
    counts = np.bincount(idx, minlength=r_max + 1) * fa.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        values = cross / np.sqrt(pa * pb)
    radius = np.arange(r_max + 1, dtype=np.float64)
    return ShellCurve(radius, radius / extent, values, counts)


def fourier_shell_correlation(a: npt.ArrayLike, b: npt.ArrayLike, pixel_m: float = 1.0) -> ShellCurve:
    """FSC (3-D) or FRC (2-D) of two images of equal shape and equal sides, pixel ``pixel_m``."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return _correlation(_centred_fft(a)[None], _centred_fft(b)[None], pixel_m)


def stacked_ring_correlation(
    slices_1: npt.ArrayLike, slices_2: npt.ArrayLike, pixel_m: float, blackman_window: bool = True
) -> ShellCurve:
    """FRC of two (S, N, N) stacks of square slices, each ring summed over the stack.

    With ``blackman_window`` each slice is multiplied by a 2-D Blackman window first, against edge
    artefacts (seed 004, Eq. 16).
    """
    a = np.asarray(slices_1, dtype=np.float64)
    b = np.asarray(slices_2, dtype=np.float64)
    if a.ndim == 2:
        a, b = a[None], b[None]
    if a.shape != b.shape or a.ndim != 3 or a.shape[1] != a.shape[2]:
        raise ValueError(f"slices must be equal stacks of square images, got {a.shape} and {b.shape}")
    if blackman_window:
        window = np.outer(np.blackman(a.shape[1]), np.blackman(a.shape[1]))
        a, b = a * window, b * window
    spectra = [scipy.fft.fftshift(scipy.fft.fft2(s, workers=-1), axes=(-2, -1)) for s in (a, b)]
    return _correlation(spectra[0], spectra[1], pixel_m)


def half_bit_threshold(counts: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """van Heel & Schatz 1/2-bit threshold for shells of ``counts`` voxels."""
    root = np.sqrt(np.asarray(counts, dtype=np.float64))
    return (0.2071 + 1.9102 / root) / (1.2071 + 0.9102 / root)


def one_bit_threshold(counts: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """van Heel & Schatz 1-bit threshold for shells of ``counts`` voxels."""
    root = np.sqrt(np.asarray(counts, dtype=np.float64))
    return (0.5 + 2.4142 / root) / (1.5 + 1.4142 / root)


def resolution_m(curve: ShellCurve, threshold: float | npt.ArrayLike) -> float:
    """Period (m) at the first crossing of ``curve`` below ``threshold`` (a number or a curve).

    The crossing is interpolated linearly between shells; the zero shell is skipped. Returns the
    Nyquist period (that of the last shell) when the curve never falls below the threshold.
    """
    limit = np.broadcast_to(np.asarray(threshold, dtype=np.float64), curve.values.shape)
    above = curve.values - limit
    per_radius = curve.frequency_per_m[1]  # 1 / (N * pixel): the frequency of shell 1
    for r in range(1, len(above)):
        if above[r] < 0:
            fraction = above[r - 1] / (above[r - 1] - above[r])
            return float(1.0 / ((r - 1 + fraction) * per_radius))
    return float(1.0 / curve.frequency_per_m[-1])


def _physical_shells(
    shape: tuple[int, ...], voxel_m: tuple[float, ...]
) -> tuple[npt.NDArray[np.int64], int, float]:
    """Shells of equal spatial frequency for any box and voxel: the shell width is the coarsest
    axis's frequency step, and the shells end at the lowest Nyquist frequency among the axes.
    For a cube of equal voxels these are :func:`_shells` up to N // 2. Returns (shell of each
    sample, last shell, shell width in 1/m)."""
    steps = [1.0 / (n * v) for n, v in zip(shape, voxel_m, strict=True)]
    width = max(steps)
    grids = np.meshgrid(
        *[(np.arange(n) - n // 2) * f for n, f in zip(shape, steps, strict=True)], indexing="ij"
    )
    frequency = np.sqrt(sum(g**2 for g in grids))
    nyquist = min((n // 2) * f for n, f in zip(shape, steps, strict=True))
    return np.rint(frequency / width).astype(np.int64), int(nyquist / width + 1e-9), width


def prtf(
    reconstructions: list[npt.NDArray],
    intensity: npt.ArrayLike,
    measured: npt.ArrayLike | None = None,
    pixel_m: float | tuple[float, ...] = 1.0,
) -> ShellCurve:
    """Phase-retrieval transfer function of aligned reconstructions against the measured intensity.

    The reconstructions must be aligned to each other and scaled like the data (an orthonormal
    FFT of the object predicts the intensity). Unmeasured pixels are left out. ``pixel_m`` is one
    voxel size, or one per axis; the ratios are averaged in shells of equal spatial frequency
    (:func:`_physical_shells`), so boxes of unequal sides or voxels work too.
    """
    if not reconstructions:
        raise ValueError("prtf needs at least one reconstruction")
    mean = np.mean(np.stack([np.asarray(r) for r in reconstructions]), axis=0)
    data = np.asarray(intensity, dtype=np.float64)
    if mean.shape != data.shape:
        raise ValueError(f"reconstruction shape {mean.shape} does not match intensity {data.shape}")
    mask = np.ones(data.shape, dtype=bool) if measured is None else np.asarray(measured, dtype=bool)
    voxels = (pixel_m,) * data.ndim if isinstance(pixel_m, (int, float)) else tuple(pixel_m)
    shells, r_max, width = _physical_shells(data.shape, voxels)
    model = np.abs(_centred_fft(mean)) / math.sqrt(data.size)
    use = mask & (shells <= r_max) & (data > 0)
    idx = shells[use]
    ratio = np.bincount(idx, (model[use] / np.sqrt(data[use])), minlength=r_max + 1)
    counts = np.bincount(idx, minlength=r_max + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = ratio / counts
    radius = np.arange(r_max + 1, dtype=np.float64)
    return ShellCurve(radius, radius * width, values, counts)
