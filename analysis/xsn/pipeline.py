"""From recorded pairs to fields and tomograms: flat field, mirror, deconvolve, register, reconstruct."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .field import (
    DEFAULT_EPSILON,
    DEFAULT_ITERATIONS,
    DEFAULT_OTF_TRIM,
    FieldReconstruction,
    check_pair,
    reconstruct_field,
)
from .optics import XsnOptics
from .registration import PairRegistration, register_pair, shift_image
from .scintillator import gaussian_otf, wiener_deconvolve

#: Width (pixels) of the frame whose median is taken as the background when no flat is given.
BACKGROUND_FRAME_PX = 4


@dataclass(frozen=True)
class PairResult:
    """A reconstructed pair: the fields and the registration applied (None if not registered)."""

    field: FieldReconstruction
    registration: PairRegistration | None


def normalise(
    image: npt.NDArray[np.float64], flat: npt.NDArray[np.float64] | None
) -> npt.NDArray[np.float64]:
    """Image over its flat; without one, over the median of its outer frame (taken as empty)."""
    if flat is not None:
        if flat.shape != image.shape:
            raise ValueError(f"flat {flat.shape} and image {image.shape} must have the same shape")
        if np.any(flat <= 0) or not np.all(np.isfinite(flat)):
            raise ValueError("flat fields must be finite and > 0 everywhere")
        return image / flat
    w = BACKGROUND_FRAME_PX
    frame = np.concatenate(
        [image[:w].ravel(), image[-w:].ravel(), image[:, :w].ravel(), image[:, -w:].ravel()]
    )
    level = float(np.median(frame))
    if not level > 0:
        raise ValueError("the image's outer frame is dark: give a flat field")
    return image / level


@dataclass(frozen=True)
class PreparedPair:
    """A pair ready for Algorithm 1: flat-fielded, 180 deg image mirrored back, deconvolved (Y, X)."""

    image_0: npt.NDArray[np.float64]
    image_180: npt.NDArray[np.float64]


def prepare_pair(
    image_0: npt.ArrayLike,
    image_180_recorded: npt.ArrayLike,
    pixel_size_m: float,
    flat_0: npt.ArrayLike | None = None,
    flat_180: npt.ArrayLike | None = None,
    scintillator_psf_fwhm_m: float | None = None,
    noise_to_signal: float = 1e-2,
) -> PreparedPair:
    """Check a recorded pair, divide by its flats, mirror the 180 deg image back, Wiener-deconvolve."""
    a, b = check_pair(image_0, image_180_recorded)
    f0 = None if flat_0 is None else np.asarray(flat_0, dtype=np.float64)
    f1 = None if flat_180 is None else np.asarray(flat_180, dtype=np.float64)
    i0 = normalise(a, f0)
    i1 = normalise(b, f1)[:, ::-1]
    if scintillator_psf_fwhm_m:
        otf = gaussian_otf((a.shape[0], a.shape[1]), pixel_size_m, scintillator_psf_fwhm_m)
        i0 = wiener_deconvolve(i0, otf, noise_to_signal)
        i1 = wiener_deconvolve(i1, otf, noise_to_signal)
    return PreparedPair(i0, i1)


def field_of_prepared(
    pair: PreparedPair,
    optics: XsnOptics,
    shift_180_px: tuple[float, float] = (0.0, 0.0),
    iterations: int = DEFAULT_ITERATIONS,
    epsilon: float = DEFAULT_EPSILON,
    otf_trim: float = DEFAULT_OTF_TRIM,
    edge_reference_px: int = 0,
    backend: str = "numpy",
) -> FieldReconstruction:
    """Algorithm 1 on a prepared pair, its 180 deg image moved by ``shift_180_px`` (rows, columns; px)."""
    i1 = pair.image_180 if shift_180_px == (0.0, 0.0) else shift_image(pair.image_180, shift_180_px)
    # Deconvolution ringing can dip below zero; intensities cannot.
    return reconstruct_field(
        np.clip(pair.image_0, 0, None),
        np.clip(i1, 0, None),
        optics,
        iterations,
        epsilon,
        otf_trim,
        edge_reference_px,
        backend,
    )


def reconstruct_pair(
    image_0: npt.ArrayLike,
    image_180_recorded: npt.ArrayLike,
    optics: XsnOptics,
    flat_0: npt.ArrayLike | None = None,
    flat_180: npt.ArrayLike | None = None,
    scintillator_psf_fwhm_m: float | None = None,
    noise_to_signal: float = 1e-2,
    register: bool = True,
    offset_180_px: tuple[float, float] = (0.0, 0.0),
    iterations: int = DEFAULT_ITERATIONS,
    epsilon: float = DEFAULT_EPSILON,
    otf_trim: float = DEFAULT_OTF_TRIM,
    edge_reference_px: int = 0,
    backend: str = "numpy",
) -> PairResult:
    """One pair as recorded to alpha and phi at theta (mirror, flat, Wiener, register, Algorithm 1).

    ``offset_180_px`` (rows, columns; px) moves the mirrored-back 180 deg image on top of the
    registration, e.g. the global offset found by :func:`.offset_refinement.refine_global_offset`.
    """
    pair = prepare_pair(
        image_0,
        image_180_recorded,
        optics.pixel_size_m,
        flat_0,
        flat_180,
        scintillator_psf_fwhm_m,
        noise_to_signal,
    )
    registration = register_pair(pair.image_0, pair.image_180) if register else None
    step = registration.shift_px if registration is not None else (0.0, 0.0)
    shift = (step[0] + offset_180_px[0], step[1] + offset_180_px[1])
    field = field_of_prepared(pair, optics, shift, iterations, epsilon, otf_trim, edge_reference_px, backend)
    return PairResult(field, registration)


def reconstruct_pairs(
    images_0: npt.ArrayLike,
    images_180_recorded: npt.ArrayLike,
    optics: XsnOptics,
    progress: Callable[[int, int], None] | None = None,
    **options,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[PairResult]]:
    """(alpha stack, phi stack, results) for (pairs, Y, X) stacks; options as :func:`reconstruct_pair`."""
    a = np.asarray(images_0, dtype=np.float64)
    b = np.asarray(images_180_recorded, dtype=np.float64)
    if a.ndim != 3 or a.shape != b.shape:
        raise ValueError(f"images_0 {a.shape} and images_180 {b.shape} must be equal (pairs, Y, X) stacks")
    results = []
    for i in range(a.shape[0]):
        results.append(reconstruct_pair(a[i], b[i], optics, **options))
        if progress is not None:
            progress(i + 1, a.shape[0])
    alpha = np.stack([r.field.absorption for r in results])
    phi = np.stack([r.field.phase for r in results])
    return alpha, phi, results


def pairs_from_frames(
    frames: npt.ArrayLike, angles_deg: npt.ArrayLike, tolerance_deg: float = 0.05
) -> tuple[npt.NDArray, npt.NDArray, npt.NDArray[np.float64]]:
    """Match frames at theta and theta + 180 deg: (images_0, images_180, theta) sorted by theta."""
    stack = np.asarray(frames)
    angles = np.asarray(angles_deg, dtype=np.float64)
    if stack.ndim != 3 or angles.shape != (stack.shape[0],):
        raise ValueError(f"frames {stack.shape} and angles {angles.shape} must be (n, Y, X) and (n,)")
    first, second, theta = [], [], []
    for i, angle in enumerate(angles):
        partner = np.nonzero(np.abs(angles - (angle + 180.0)) <= tolerance_deg)[0]
        if partner.size:
            first.append(stack[i])
            second.append(stack[partner[0]])
            theta.append(angle)
    if not theta:
        raise ValueError("no frame has a partner 180 deg away: is this a 0/180 tomography?")
    order = np.argsort(theta)
    return np.stack(first)[order], np.stack(second)[order], np.asarray(theta)[order]
