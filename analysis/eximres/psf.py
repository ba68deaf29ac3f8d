"""Spatial resolution from a Gaussian point-spread function found by blind deconvolution (Fig. S3).

A Bragg CDI crystal has a uniform modulus inside a sharp surface, so its image is that binary
object blurred by the point-spread function. Blind deconvolution alternates between the two
unknowns: the object is the image deconvolved by the current PSF (Richardson-Lucy) and cut at
half its interior level (where a blurred edge crosses half height), and the PSF is the
anisotropic Gaussian that, applied to that object, best reproduces the image (least squares).
FWHM = 2 sqrt(2 ln 2) sigma per axis, in voxels and in metres.

One round (the object from the image deconvolved by a one-voxel Gaussian) recovers imposed
widths of 0.6-2 voxels within 3%; further rounds feed the fitted PSF back into the deconvolution
and, on strongly blurred images, drift (2.0 voxels came out at 2.6 after four rounds), so one is
the default.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage, optimize
from skimage.restoration import richardson_lucy

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


@dataclass(frozen=True)
class PsfFit:
    """The fitted Gaussian PSF.

    Attributes:
        sigma_vox: standard deviation along each axis (voxels).
        fwhm_m: full width at half maximum along each axis (m).
        psf: the Gaussian, normalised to sum 1, on a box of about 4 sigma either side.
        residual: RMS misfit of the blurred object to the image, relative to the image's peak.
    """

    sigma_vox: tuple[float, ...]
    fwhm_m: tuple[float, ...]
    psf: npt.NDArray[np.float64]
    residual: float


def gaussian_kernel(sigma_vox: npt.ArrayLike, half_width: int) -> npt.NDArray[np.float64]:
    sigma = np.asarray(sigma_vox, dtype=np.float64)
    grids = np.meshgrid(*[np.arange(-half_width, half_width + 1)] * sigma.size, indexing="ij")
    kernel = np.exp(-0.5 * sum((g / s) ** 2 for g, s in zip(grids, sigma, strict=True)))
    return kernel / kernel.sum()


def _misfit(
    params: npt.NDArray[np.float64], shape: npt.NDArray, image: npt.NDArray
) -> npt.NDArray[np.float64]:
    """Residual of a x (object blurred by a Gaussian of sigmas params[:-1]) against the image."""
    blurred = ndimage.gaussian_filter(shape, np.abs(params[:-1]) + 1e-3, mode="constant")
    return (params[-1] * blurred - image).ravel()


def blind_gaussian_psf(
    image: npt.ArrayLike, voxel_m: tuple[float, ...], rounds: int = 1, rl_iterations: int = 15
) -> PsfFit:
    """Blind deconvolution of a uniform-modulus object's image with an anisotropic Gaussian PSF.

    Raises:
        ValueError: an image that is empty or whose voxel does not match its dimensions.
    """
    data = np.clip(np.asarray(image, dtype=np.float64), 0.0, None)
    if len(voxel_m) != data.ndim:
        raise ValueError(f"voxel_m {voxel_m} does not match an image of {data.ndim} dimensions")
    if not np.any(data > 0):
        raise ValueError("the image is empty")
    peak = float(np.percentile(data[data > 0.5 * data.max()], 90))
    normalised = data / peak
    sigma = np.ones(data.ndim)
    obj = normalised > 0.5
    residual = math.inf
    for _ in range(rounds):
        half = math.ceil(4 * sigma.max())
        kernel = gaussian_kernel(sigma, half)
        deconvolved = np.asarray(richardson_lucy(normalised, kernel, num_iter=rl_iterations, clip=False))
        core = np.asarray(ndimage.binary_erosion(obj, iterations=2), dtype=bool)
        interior = deconvolved[core] if core.any() else deconvolved[obj]
        level = float(np.median(interior)) if interior.size else 1.0
        obj = deconvolved > 0.5 * level
        shape = obj.astype(np.float64)
        misfit = functools.partial(_misfit, shape=shape, image=normalised)
        fit = optimize.least_squares(misfit, np.append(sigma, level), x_scale="jac")
        sigma = np.abs(fit.x[:-1]) + 1e-3
        residual = float(np.sqrt(np.mean(fit.fun**2)))
    half = math.ceil(4 * sigma.max())
    fwhm = tuple(float(FWHM_PER_SIGMA * s * v) for s, v in zip(sigma, voxel_m, strict=True))
    return PsfFit(tuple(float(s) for s in sigma), fwhm, gaussian_kernel(sigma, half), residual)
