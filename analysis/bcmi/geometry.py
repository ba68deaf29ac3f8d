"""The BCMI geometry of seed 001: sample, modulator at d1, detector at d1 + d2.

The far field from the modulator plane to the detector sets the pixel of every computational plane
(object and modulator): lambda d2 / (N p) for N detector pixels of pitch p. The near field from the
object to the modulator keeps that pixel (angular spectrum). Planes are in the detector-conjugate
frame of the CXI convention: z' along the exit beam, x' and y' across it; the rocking angles step
the Bragg condition along z' (the orthogonal approximation of the seed's slice-by-slice model).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..optics import wavelength_m

#: Seed 001: 9 keV, 5.35 m from sample to detector (Eiger 2M, 75 um pixels).
SEED_ENERGY_EV = 9000.0
SEED_DETECTOR_DISTANCE_M = 5.35
SEED_DETECTOR_PIXEL_M = 75e-6
#: The two sample-to-modulator distances of the seed (low- and high-strain crystals).
SEED_D1_M = (1.35e-3, 3.15e-3)


@dataclass(frozen=True)
class BcmiGeometry:
    """Where the planes are and how they are sampled.

    Attributes:
        frame_px: detector frame side N (pixels); frames are N x N.
        d1_m: sample to modulator (m).
        energy_ev: photon energy (eV).
        detector_distance_m: sample to detector, d1 + d2 (m).
        detector_pixel_m: detector pixel pitch p (m).
    """

    frame_px: int = 128
    d1_m: float = SEED_D1_M[0]
    energy_ev: float = SEED_ENERGY_EV
    detector_distance_m: float = SEED_DETECTOR_DISTANCE_M
    detector_pixel_m: float = SEED_DETECTOR_PIXEL_M

    def __post_init__(self) -> None:
        if not (isinstance(self.frame_px, int) and 16 <= self.frame_px <= 4096):
            raise ValueError(f"frame_px must be an integer in [16, 4096], got {self.frame_px}")
        if not self.detector_distance_m > 0:
            raise ValueError(f"detector_distance_m must be > 0 m, got {self.detector_distance_m}")
        if not 0 < self.d1_m < self.detector_distance_m:
            raise ValueError(
                f"d1_m must be in (0, {self.detector_distance_m}) m (between sample and detector), "
                f"got {self.d1_m}"
            )
        if not self.detector_pixel_m > 0:
            raise ValueError(f"detector_pixel_m must be > 0 m, got {self.detector_pixel_m}")
        if not self.energy_ev > 0:
            raise ValueError(f"energy_ev must be > 0 eV, got {self.energy_ev}")

    @property
    def wavelength_m(self) -> float:
        return float(wavelength_m(self.energy_ev))

    @property
    def d2_m(self) -> float:
        """Modulator to detector (m)."""
        return self.detector_distance_m - self.d1_m

    @property
    def pixel_m(self) -> float:
        """Pixel of the object and modulator planes, lambda d2 / (N p) (m)."""
        return self.wavelength_m * self.d2_m / (self.frame_px * self.detector_pixel_m)

    @property
    def window_m(self) -> float:
        """Side of the computational window in the object and modulator planes (m)."""
        return self.frame_px * self.pixel_m

    def spread_px(self, distance_m: float | None = None) -> float:
        """How far (pixels) the highest measured angle carries a point over ``distance_m`` (default d1).

        lambda / (2 pixel) is the largest angle the frame records; over d1 it moves a ray by
        d1 lambda / (2 pixel), which the window must hold on both sides of the crystal.
        """
        distance = self.d1_m if distance_m is None else distance_m
        return distance * self.wavelength_m / (2.0 * self.pixel_m) / self.pixel_m

    def check_fits(self, object_px: float) -> None:
        """Raise if an object ``object_px`` wide, spread over d1, does not fit in the window."""
        needed = object_px + 2.0 * self.spread_px()
        if needed > self.frame_px:
            raise ValueError(
                f"an object {object_px:.0f} px wide spreads to {needed:.0f} px at the modulator "
                f"(d1_m={self.d1_m}), more than frame_px={self.frame_px}: reduce d1_m or crop the "
                "frames less"
            )
