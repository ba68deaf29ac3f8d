"""Registration of a 0/180 pair (seed 004, Methods: automatic image alignment).

Step 1: the shift of the mirrored-back 180 deg image that maximises the high-frequency content of
the difference I_0 - I_180. Phase contrast changes sign between the two views, so aligned phase
features add up in the difference: with both images high-passed by |u| (the seed's k_r^2 weight on
the power), the energy of the difference is largest where their cross-correlation is most negative.
scikit-image's upsampled cross-correlation finds that extremum to a fraction of a pixel.

Measured on simulated pairs (64 x 128 px, 25 nm): step 1 is within 0.2 px on the Al/SiO2/Cu
particles and 0.5-0.6 px on a 2 um NMC particle with 2 rad of phase, where the nonlinear contrast
biases it.

Step 2 (optional, off by default): a golden-section search of the x offset around step 1 that
makes the Fourier ring correlation between the reconstructed absorption and phase flattest over
low frequencies, the cost <|FRC / <FRC> - 1|> of the seed. The seed applies it to whole
tomograms; on single 64 x 128 pairs it moved the x offset about 1 px away from the truth, so it
runs only when :func:`register_pair` is given the optics (the pipeline does not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import fourier_shift
from skimage.registration import phase_cross_correlation

from .field import reconstruct_field
from .optics import XsnOptics
from .tomography import fourier_ring_correlation


@dataclass(frozen=True)
class PairRegistration:
    """Shift (rows, columns; pixels) to apply to the mirrored-back 180 deg image to align it.

    Attributes:
        shift_px: the final shift.
        high_frequency_shift_px: the shift from step 1 alone.
        flatness: the FRC flatness cost at the final shift (nan if step 2 was not run).
    """

    shift_px: tuple[float, float]
    high_frequency_shift_px: tuple[float, float]
    flatness: float


#: Band limit of step 1 in cycles per pixel (the seed's k_r < 0.3): higher frequencies are mostly noise.
BAND_LIMIT = 0.3


def _high_pass(image: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    u_y = np.fft.fftfreq(image.shape[0])[:, None]
    u_x = np.fft.fftfreq(image.shape[1])[None, :]
    radius = np.hypot(u_y, u_x)
    window = np.outer(np.hanning(image.shape[0]), np.hanning(image.shape[1]))
    spectrum = np.fft.fft2((image - image.mean()) * window)
    return np.fft.ifft2(spectrum * radius * (radius < BAND_LIMIT)).real


def shift_image(image: npt.NDArray[np.float64], shift_px: tuple[float, float]) -> npt.NDArray[np.float64]:
    """Sub-pixel shift by the Fourier shift theorem (periodic)."""
    return np.fft.ifft2(fourier_shift(np.fft.fft2(image), shift_px)).real


def flatness_cost(
    absorption: npt.NDArray[np.float64],
    phase: npt.NDArray[np.float64],
    pixel_size_m: float,
    max_frequency_per_m: float,
) -> float:
    """<|FRC(alpha, phi) / <FRC> - 1|> over rings up to ``max_frequency_per_m`` (seed 004, 1/um)."""
    n = min(absorption.shape)
    r0 = (absorption.shape[0] - n) // 2
    c0 = (absorption.shape[1] - n) // 2
    crop = (slice(r0, r0 + n), slice(c0, c0 + n))
    curve = fourier_ring_correlation(absorption[crop], phase[crop], pixel_size_m)
    use = (curve.frequency_per_m > 0) & (curve.frequency_per_m <= max_frequency_per_m)
    values = curve.values[use]
    if values.size < 2:
        raise ValueError("the image is too small for the FRC flatness: fewer than 2 rings below the limit")
    return float(np.mean(np.abs(values / values.mean() - 1.0)))


def register_pair(
    image_0: npt.ArrayLike,
    image_180: npt.ArrayLike,
    optics: XsnOptics | None = None,
    upsample_factor: int = 20,
    refine_range_px: float = 1.0,
    flatness_max_frequency_per_m: float | None = None,
) -> PairRegistration:
    """Shift of ``image_180`` (already mirrored back) onto ``image_0``; step 2 runs if ``optics``
    is given.

    Args:
        image_0, image_180: flat-fielded pair in the theta = 0 orientation (Y, X).
        optics: the microscope, needed for the FRC refinement (step 2).
        upsample_factor: sub-pixel precision of step 1 is 1 / this.
        refine_range_px: step 2 searches x within +- this around step 1 (pixels).
        flatness_max_frequency_per_m: highest FRC ring in the flatness cost; default the seed's
            1 um^-1, or the first 8 rings if that is more (small fields).
    """
    a = np.asarray(image_0, dtype=np.float64)
    b = np.asarray(image_180, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"image_0 {a.shape} and image_180 {b.shape} must be 2-D of the same shape")
    # The most negative correlation of the high-passed pair is the peak of a with -b.
    shift, _, _ = phase_cross_correlation(
        _high_pass(a),
        -_high_pass(b),
        upsample_factor=upsample_factor,
        normalization=None,  # type: ignore[arg-type]  # scikit-image documents None: plain correlation
    )
    first = (float(shift[0]), float(shift[1]))
    if optics is None:
        return PairRegistration(first, first, float("nan"))

    side = min(a.shape) * optics.pixel_size_m
    limit = flatness_max_frequency_per_m or max(1e6, 8.0 / side)

    def cost(dx: float) -> float:
        moved = shift_image(b, (first[0], dx))
        rec = reconstruct_field(a, moved, optics, iterations=1)
        return flatness_cost(rec.absorption, rec.phase, optics.pixel_size_m, limit)

    dx = golden_section_minimum(cost, first[1] - refine_range_px, first[1] + refine_range_px, 0.02)
    final = (first[0], dx)
    return PairRegistration(final, first, cost(dx))


def golden_section_minimum(function, low: float, high: float, tolerance: float) -> float:
    """Minimum of a unimodal ``function`` on [low, high] by golden-section search, to ``tolerance``."""
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = function(c), function(d)
    while b - a > tolerance:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = function(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = function(d)
    return float((a + b) / 2)
