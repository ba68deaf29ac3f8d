"""Simulated XSN images (seed 004): phantom projections through the partially coherent microscope.

The truth is computed on a grid ``oversample`` times finer than the camera, blurred by the
scintillator (Gaussian PSF, seed 004: 72 nm FWHM), binned to camera pixels, scaled to photons and
given Poisson noise. The 180 deg image is formed from the rotated sample with the same microscope and
recorded as the camera sees it: mirrored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter

from phasebeam.analysis.materials import transmittance_exponents
from phasebeam.analysis.optics import wavelength_m, zone_plate_focal_length_m
from phasebeam.analysis.xsn.forward import xsn_image
from phasebeam.analysis.xsn.optics import XsnOptics

from .knife_edge import PupilIllumination, projected_disc_illumination
from .xsn_phantoms import Phantom

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def seed_illumination(zone_plate_diameter_m: float = 300e-6) -> PupilIllumination:
    """Illumination filling 22% of the pupil (seed 004), off-centre, uneven and diffuser-blurred."""
    half = zone_plate_diameter_m / 2
    return projected_disc_illumination(0.22 * half, half, centre_m=0.02 * half, blur_m=0.02 * half, tilt=0.3)


@dataclass(frozen=True)
class XsnMicroscope:
    """A simulated XSN microscope (seed 004, Methods).

    Attributes:
        energy_ev: photon energy (eV).
        shape: camera frame (rows, columns).
        pixel_size_m: camera pixel at the sample plane (m).
        cutoff_edge_m: knife-edge position in the pupil plane (m); passes x >= it.
        photons_per_pixel: mean counts of an empty-field pixel.
        psf_fwhm_m: scintillator PSF at the sample plane (m).
        zone_plate_diameter_m, zone_plate_outer_zone_m: the objective (NA = lambda / (2 dr_n)).
        illumination: angular power spectral density in the pupil plane.
        oversample: truth grid refinement per camera pixel.
    """

    energy_ev: float = 8000.0
    shape: tuple[int, int] = (64, 128)
    pixel_size_m: float = 25e-9
    cutoff_edge_m: float = 0.0
    photons_per_pixel: float = 2e4
    psf_fwhm_m: float = 72e-9
    zone_plate_diameter_m: float = 300e-6
    zone_plate_outer_zone_m: float = 30e-9
    illumination: PupilIllumination = field(default_factory=seed_illumination)
    oversample: int = 2

    @property
    def wavelength_m(self) -> float:
        return float(wavelength_m(self.energy_ev))

    @property
    def focal_length_m(self) -> float:
        return zone_plate_focal_length_m(
            self.zone_plate_diameter_m, self.zone_plate_outer_zone_m, self.energy_ev
        )

    def optics(self, pixel_size_m: float | None = None) -> XsnOptics:
        """The microscope as the reconstruction sees it (true I_k, camera pixels by default)."""
        to_frequency = 1.0 / (self.wavelength_m * self.focal_length_m)
        frequency, weight = self.illumination.plane_waves(to_frequency)
        return XsnOptics(
            pixel_size_m=pixel_size_m or self.pixel_size_m,
            wavelength_m=self.wavelength_m,
            pupil_na=self.wavelength_m / (2 * self.zone_plate_outer_zone_m),
            cutoff_frequency_per_m=self.cutoff_edge_m * to_frequency,
            illumination_frequency_per_m=frequency,
            illumination_weight=weight,
        )

    def expected_image(self, alpha_fine: npt.NDArray, phi_fine: npt.NDArray) -> npt.NDArray[np.float64]:
        """Noise-free camera image (photons) of a transmittance given on the fine grid."""
        fine_pixel = self.pixel_size_m / self.oversample
        image = xsn_image(alpha_fine, phi_fine, self.optics(fine_pixel))
        image = gaussian_filter(image, self.psf_fwhm_m / FWHM_PER_SIGMA / fine_pixel, mode="wrap")
        rows, columns = self.shape
        s = self.oversample
        return self.photons_per_pixel * image.reshape(rows, s, columns, s).mean(axis=(1, 3))


@dataclass(frozen=True)
class SimulatedPair:
    """One 0/180 pair as recorded, with the truth it came from.

    Attributes:
        image_0, image_180: counts (Y, X); ``image_180`` mirrored as recorded.
        flat: the expected empty-field image (counts), for both orientations.
        alpha, phi: true absorption and phase at theta on the camera grid (binned).
    """

    image_0: npt.NDArray[np.float64]
    image_180: npt.NDArray[np.float64]
    flat: npt.NDArray[np.float64]
    alpha: npt.NDArray[np.float64]
    phi: npt.NDArray[np.float64]


def _bin(a: npt.NDArray, shape: tuple[int, int], s: int) -> npt.NDArray[np.float64]:
    return a.reshape(shape[0], s, shape[1], s).mean(axis=(1, 3))


def simulate_pair(
    phantom: Phantom,
    theta_deg: float,
    microscope: XsnMicroscope,
    rng: np.random.Generator,
    shift_180_px: tuple[float, float] = (0.0, 0.0),
) -> SimulatedPair:
    """Images at theta and theta + 180 deg; ``shift_180_px`` (rows, columns) moves the sample for the
    second image, as a rotation-axis error would (in the recorded, mirrored frame)."""
    s = microscope.oversample
    fine_shape = (microscope.shape[0] * s, microscope.shape[1] * s)
    fine_pixel = microscope.pixel_size_m / s
    lam = microscope.wavelength_m
    fields = []
    for angle in (theta_deg, theta_deg + 180.0):
        delta_path, beta_path = phantom.projected_index_m(angle, fine_shape, fine_pixel, microscope.energy_ev)
        fields.append(transmittance_exponents(delta_path, beta_path, lam))
    images = [microscope.expected_image(*f) for f in fields]
    if shift_180_px != (0.0, 0.0):
        from scipy.ndimage import shift as nd_shift

        images[1] = nd_shift(images[1], shift_180_px, order=3, mode="nearest")
    flat = np.full(microscope.shape, microscope.photons_per_pixel)
    noisy = [rng.poisson(np.clip(im, 0, None)).astype(np.float64) for im in images]
    alpha, phi = (_bin(a, microscope.shape, s) for a in fields[0])
    return SimulatedPair(noisy[0], noisy[1], flat, alpha, phi)
