"""Registration of a 0/180 pair (seed 004, Methods: automatic image alignment).

Step 1: the shift of the mirrored-back 180 deg image that maximises the high-frequency content of
the difference I_0 - I_180. Phase contrast changes sign between the two views, so aligned phase
features add up in the difference: with both images high-passed by |u| (the seed's k_r^2 weight on
the power), the energy of the difference is largest where their cross-correlation is most negative.
scikit-image's upsampled cross-correlation finds that extremum to a fraction of a pixel.

Measured on simulated pairs (64 x 128 px, 25 nm): step 1 is within 0.2 px on the Al/SiO2/Cu
particles and 0.5-0.6 px on a 2 um NMC particle with 2 rad of phase, where the nonlinear contrast
biases it. On the simulated beamline's NiO spheres (2.1 rad, 100 nm pixels, illumination centred
1.35 1/um off axis) it is biased by -1.45 px at every angle even without noise; on the same
spheres scaled to weak phase (0.05-0.8 rad) by +0.4 px. The bias depends on the object, so it is
not corrected here; with an exact rotation axis, leave registration out.

Step 2, the global x offset that makes the FRC between the delta and beta tomograms flattest,
needs whole tomograms: :mod:`.offset_refinement`. Applied per pair (64 x 128 px) it moved x about
1 px away from the truth, so it is not offered per pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import fourier_shift
from skimage.registration import phase_cross_correlation


@dataclass(frozen=True)
class PairRegistration:
    """Shift (rows, columns; pixels) to apply to the mirrored-back 180 deg image to align it."""

    shift_px: tuple[float, float]


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


def register_pair(
    image_0: npt.ArrayLike, image_180: npt.ArrayLike, upsample_factor: int = 20
) -> PairRegistration:
    """Shift of ``image_180`` (already mirrored back) onto ``image_0`` by step 1.

    Args:
        image_0, image_180: flat-fielded pair in the theta = 0 orientation (Y, X).
        upsample_factor: sub-pixel precision is 1 / this (pixels).
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
    return PairRegistration((float(shift[0]), float(shift[1])))
