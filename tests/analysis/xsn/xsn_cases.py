import numpy as np

from phasebeam.analysis.xsn.optics import XsnOptics

WAVELENGTH_8KEV_M = 1.5498e-10
PUPIL_NA = WAVELENGTH_8KEV_M / (2 * 30e-9)  # zone plate with 30 nm outer zones (seed 004)


def seed_like_optics(cutoff_fraction: float = 0.0, pixel_size_m: float = 25e-9) -> XsnOptics:
    """Illumination over 22% of the pupil, uneven (tilt 0.3), knife edge at cutoff_fraction * NA / lambda."""
    radius = PUPIL_NA / WAVELENGTH_8KEV_M
    f = np.linspace(-0.22 * radius, 0.22 * radius, 61)
    u = f / (0.22 * radius)
    w = np.sqrt(np.clip(1 - u**2, 0, None)) * (1 + 0.3 * u)
    return XsnOptics(pixel_size_m, WAVELENGTH_8KEV_M, PUPIL_NA, cutoff_fraction * radius, f, w)


def sphere_path_m(shape: tuple[int, int], pixel_m: float, centre_px: tuple[float, float], radius_m: float):
    y, x = np.indices(shape)
    r2 = ((x - centre_px[1]) ** 2 + (y - centre_px[0]) ** 2) * pixel_m**2
    return 2 * np.sqrt(np.clip(radius_m**2 - r2, 0, None))
