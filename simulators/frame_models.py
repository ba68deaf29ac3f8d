"""Frame models: expected counts per second per pixel from the world's state at an instant.

A frame model is a function ``(world, detector_config, t) -> rate`` registered under a name with
:func:`register_frame_model`. Each imaging method adds its own; a detector picks one by name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import xraydb
from scipy.ndimage import gaussian_filter

from phasebeam.analysis.bcmi.propagation import angular_spectrum_transfer, propagate
from phasebeam.analysis.materials import transmittance_exponents
from phasebeam.analysis.xsn.forward import xsn_image
from phasebeam.analysis.xsn.optics import XsnOptics

from .bcmi import FineModulator, make_modulator, through_modulator
from .bragg_rocking import detector_q_axes, rocking_amplitude, rocking_q_z, rocking_slice
from .far_field import beamstop_mask, far_field_intensity, gaussian_probe, transmission_window
from .knife_edge import knife_edge_background
from .projection import projected_thickness_m
from .xedm import membrane_rate

if TYPE_CHECKING:
    from .world import DetectorConfig, World

FrameModel = Callable[["World", "DetectorConfig", float], npt.NDArray[np.float64]]

FRAME_MODELS: dict[str, FrameModel] = {}

#: Counts per second per (voxel^2 of |F|^2) at the reference photon flux, Bragg geometry.
BRAGG_EFFICIENCY = 1e-4


def register_frame_model(name: str) -> Callable[[FrameModel], FrameModel]:
    def decorate(model: FrameModel) -> FrameModel:
        FRAME_MODELS[name] = model
        return model

    return decorate


def _flat_field(shape: tuple[int, int]) -> npt.NDArray[np.float64]:
    """A smooth illumination profile of mean 1 (condenser vignetting)."""
    y = np.linspace(-1, 1, shape[0])[:, None]
    x = np.linspace(-1, 1, shape[1])[None, :]
    profile = 1.0 - 0.15 * (x**2 + y**2)
    return profile / profile.mean()


@register_frame_model("knife_edge")
def knife_edge_frame(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """Transmission-microscope background with the pupil knife edge (seed 004, Eq. 6)."""
    energy = world.energy_ev(t)
    focal = world.zone_plate_focal_length_m(energy)
    field_x = (np.arange(config.shape[1], dtype=np.float64) - config.shape[1] // 2) * config.sample_pixel_m
    defocus = (world.position("cutoff_axial", t) - world.settings.cutoff_focus_mm) * 1e-3
    passed = knife_edge_background(
        world.illumination,
        world.position("cutoff_edge", t) * 1e-6,
        world.cutoff_inserted,
        defocus,
        focal,
        field_x,
    )
    per_pixel = world.photon_rate(t) / (config.shape[0] * config.shape[1])
    return per_pixel * _flat_field(config.shape) * passed[None, :]


@register_frame_model("bragg_rocking")
def bragg_rocking_frame(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """Slice of |FT|^2 of the world's crystal at the diffractometer angle eta (seed 001)."""
    wavelength = world.wavelength_m(t)
    q_z = rocking_q_z(world.position("eta", t), world.crystal, wavelength)
    q_y, q_x = detector_q_axes(config.shape, config.pixel_m, config.distance_m, wavelength)
    relative_flux = world.photon_rate(t) / world.settings.photon_flux
    return BRAGG_EFFICIENCY * relative_flux * rocking_slice(world.crystal, q_z, q_y, q_x)


@lru_cache(maxsize=16)
def _delta_beta(formula: str, density_g_cm3: float, energy_ev: float) -> tuple[float, float]:
    delta, beta, _ = xraydb.xray_delta_beta(formula, density_g_cm3, energy_ev)
    return float(delta), float(beta)


#: The simulated BCMI modulator (seed 001): 1.5 um of W, 300 nm features, 20 um wide, centred
#: on the diffracted beam at nanogoniometer x = y = 0.
MODULATOR_SPAN_M = 20e-6
MODULATOR_FEATURE_M = 300e-9


@lru_cache(maxsize=4)
def world_modulator(pixel_m: float, energy_ev: float, seed: int = 1) -> FineModulator:
    """The world's modulator sampled for a computational pixel (cached: the pattern is fixed)."""
    side = int(np.ceil(MODULATOR_SPAN_M / pixel_m))
    return make_modulator((side, side), pixel_m, energy_ev, MODULATOR_FEATURE_M, seed=seed)


def bcmi_pixel_m(world: World, config: DetectorConfig, t: float) -> float:
    """The computational pixel lambda d2 / (N p) of the BCMI geometry at the nominal d1 (m)."""
    d2 = config.distance_m - 1e-3 * world.settings.d1_at_zero_mm
    return world.wavelength_m(t) * d2 / (config.shape[1] * config.pixel_m)


@register_frame_model("bcmi")
def bcmi_frame(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """The Bragg beam of the world's crystal through the modulator (seed 001, BCMI and its calibration).

    The exit wave at the rocking angle eta is the inverse transform of the crystal's amplitude at
    the detector's q points, on the grid conjugate to the detector; it propagates d1 (from the
    nanogoniometer's z) to the modulator, whose point under the beam is set by the
    nanogoniometer's x and y, and on to the detector. Without absorption the counts equal the
    ``bragg_rocking`` model's, so a rocking scan with the modulator in records BCMI frames and a
    ptychographic scan of the nanogoniometer at the Bragg angle records the calibration frames.
    """
    if config.shape[0] != config.shape[1]:
        raise ValueError(f"the bcmi frame model needs a square detector, got {config.shape}")
    n = config.shape[1]
    wavelength = world.wavelength_m(t)
    q_z = rocking_q_z(world.position("eta", t), world.crystal, wavelength)
    q_y, q_x = detector_q_axes(config.shape, config.pixel_m, config.distance_m, wavelength)
    amplitude = rocking_amplitude(world.crystal, q_z, q_y, q_x)
    # Voxel r_n = n * pixel and q_k = k * 2 pi / (N pixel): F is the DFT of the exit wave.
    exit_wave = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(amplitude), norm="ortho"))
    pixel = bcmi_pixel_m(world, config, t)
    d1 = 1e-3 * world.d1_mm(t)
    at_modulator = propagate(exit_wave, angular_spectrum_transfer((n, n), pixel, wavelength, d1))
    modulator = world_modulator(round(pixel, 12), round(world.energy_ev(t), 1))
    side = modulator.transmission.shape[0] // modulator.upsample
    corner = (
        (side - n) / 2 + 1e-6 * world.position("nanogonio_y", t) / pixel,
        (side - n) / 2 + 1e-6 * world.position("nanogonio_x", t) / pixel,
    )
    detected = through_modulator(at_modulator, modulator, corner)
    relative_flux = world.photon_rate(t) / world.settings.photon_flux
    intensity = detected.real.astype(np.float64) ** 2 + detected.imag.astype(np.float64) ** 2
    return BRAGG_EFFICIENCY * relative_flux * intensity


@register_frame_model("far_field")
def far_field_frame(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """Small-angle diffraction of the membrane particles under the focused beam."""
    wavelength = world.wavelength_m(t)
    shape = config.shape
    pixel = wavelength * config.distance_m / (shape[0] * config.pixel_m)
    particles = world.particles
    delta, beta = _delta_beta(particles.formula, particles.density_g_cm3, round(world.energy_ev(t), 3))
    # The stage moves the sample: the beam sees sample coordinates (-y, -x).
    centre = (-world.position("sample_y", t) * 1e-6, -world.position("sample_x", t) * 1e-6)
    transmission = transmission_window(particles, delta, beta, centre, shape, pixel, wavelength)
    probe = gaussian_probe(shape, pixel, world.settings.probe_fwhm_m)
    rate = world.photon_rate(t) * far_field_intensity(probe * transmission)
    if world.settings.beamstop_radius_px > 0:
        rate[beamstop_mask(shape, world.settings.beamstop_radius_px)] = 0.0
    return rate


@register_frame_model("xedm")
def xedm_frame(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """Seed 002's ensemble of identical particles on the membrane under the beam (incoherent sum of
    Eq. 1), with the silicon frame, bare patches and streaks where the membrane has them."""
    # The stage moves the sample: the beam sees sample coordinates (-y, -x).
    y_m = -world.position("sample_y", t) * 1e-6
    x_m = -world.position("sample_x", t) * 1e-6
    return membrane_rate(
        world.membrane,
        config.shape,
        config.pixel_m,
        config.distance_m,
        world.energy_ev(t),
        world.photon_rate(t),
        y_m,
        x_m,
    )


def _sample_path_m(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """Path through the tomography sample at theta, moved by the sample stage's x and y (um)."""
    translation_m = (world.position("sample_x", t) * 1e-6, world.position("sample_y", t) * 1e-6)
    return projected_thickness_m(
        world.tomography_sample,
        world.position("theta", t),
        config.shape,
        config.sample_pixel_m,
        translation_m,
    )


@register_frame_model("absorption_projection")
def absorption_projection_frame(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """Bright-field image of the tomography sample at the rotation angle theta: exp(-mu * path)."""
    energy = world.energy_ev(t)
    sample = world.tomography_sample
    _, beta = _delta_beta(sample.formula, sample.density_g_cm3, round(energy, 3))
    mu_per_m = 4 * np.pi * beta / world.wavelength_m(t)
    path = _sample_path_m(world, config, t)
    per_pixel = world.photon_rate(t) / (config.shape[0] * config.shape[1])
    return per_pixel * _flat_field(config.shape) * np.exp(-mu_per_m * path)


#: Scintillator PSF of the XSN camera at the sample plane (seed 004: 72 nm FWHM).
XSN_PSF_FWHM_M = 72e-9


def xsn_optics_of_world(world: World, config: DetectorConfig, t: float) -> XsnOptics | None:
    """The microscope's optics now (None when the knife edge blocks every illumination mode)."""
    energy = world.energy_ev(t)
    wavelength = world.wavelength_m(t)
    to_frequency = 1.0 / (wavelength * world.zone_plate_focal_length_m(energy))
    s = world.settings
    radius = s.zone_plate_diameter_m / 2 * to_frequency  # NA / lambda of the zone plate
    cutoff = world.position("cutoff_edge", t) * 1e-6 * to_frequency if world.cutoff_inserted else -radius
    cutoff = max(cutoff, -radius * (1 - 1e-9))
    if cutoff >= radius:
        return None
    frequency, weight = world.illumination.plane_waves(to_frequency)
    used = np.abs(frequency) < 0.5 / config.sample_pixel_m
    if not np.any(weight[used] * (frequency[used] >= cutoff)):
        return None
    return XsnOptics(
        config.sample_pixel_m, wavelength, radius * wavelength, cutoff, frequency[used], weight[used]
    )


@register_frame_model("xsn")
def xsn_frame(world: World, config: DetectorConfig, t: float) -> npt.NDArray[np.float64]:
    """XSN image of the tomography sample at theta through the diffuser, zone plate and knife edge.

    Seed 004, Eq. 1 with the world's illumination, the knife edge's position in the pupil, the
    sample's rotation and the energy; then the scintillator blur. An empty field gives the
    knife-edge background of :func:`knife_edge_frame`.
    """
    optics = xsn_optics_of_world(world, config, t)
    if optics is None:
        return np.zeros(config.shape)
    sample = world.tomography_sample
    energy = world.energy_ev(t)
    delta, beta = _delta_beta(sample.formula, sample.density_g_cm3, round(energy, 3))
    path = _sample_path_m(world, config, t)
    alpha, phi = transmittance_exponents(delta * path, beta * path, optics.wavelength_m)
    image = xsn_image(alpha, phi, optics)
    sigma_px = XSN_PSF_FWHM_M / (2 * np.sqrt(2 * np.log(2))) / config.sample_pixel_m
    image = gaussian_filter(image, sigma_px, mode="wrap")
    # The power the knife edge passes, as the knife_edge model computes it (on axis, in focus).
    passed = float(
        knife_edge_background(
            world.illumination,
            world.position("cutoff_edge", t) * 1e-6,
            world.cutoff_inserted,
            0.0,
            world.zone_plate_focal_length_m(energy),
            np.zeros(1),
        )[0]
    )
    per_pixel = world.photon_rate(t) / (config.shape[0] * config.shape[1])
    return per_pixel * passed * _flat_field(config.shape) * image
