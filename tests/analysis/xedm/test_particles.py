import math

import numpy as np
import pytest
import scipy.fft
import xraydb

from phasebeam.analysis.optics import wavelength_m
from phasebeam.analysis.xedm.particles import (
    ELECTRON_RADIUS_M,
    Layer,
    RadialParticle,
    core_shell,
    form_factor,
    hollow_shell,
    particle_counts,
    pixel_q_per_m,
    pixel_solid_angle_sr,
    projected_density,
    sphere_function,
)

ENERGY_EV = 8821.0


def test_gold_electron_density_is_z_plus_f_prime_per_atom():
    rho = core_shell().electron_densities(ENERGY_EV)[0]
    atoms_per_m3 = 19.3 / xraydb.atomic_mass("Au") * 6.02214076e23 * 1e6
    assert rho.real / atoms_per_m3 == pytest.approx(79 + xraydb.f1_chantler("Au", ENERGY_EV), rel=5e-3)
    assert rho.imag / atoms_per_m3 == pytest.approx(xraydb.f2_chantler("Au", ENERGY_EV), rel=5e-3)


def test_sphere_function_limits():
    assert sphere_function(0.0) == 1.0
    assert sphere_function(1e-4) == pytest.approx(1.0)
    # The first zero of the sphere's amplitude: tan x = x at 4.4934.
    assert abs(sphere_function(4.493409)) < 1e-5


def test_projected_density_transforms_to_the_form_factor():
    """The 2-D Fourier transform of the projection is the central slice of the 3-D one."""
    particle = core_shell()
    n, pixel = 128, 2e-9
    image = projected_density(particle, (n, n), pixel, ENERGY_EV)
    spectrum = np.abs(np.fft.fftshift(scipy.fft.fft2(np.fft.ifftshift(image))))
    f = np.fft.fftshift(np.fft.fftfreq(n, pixel))
    q = 2 * math.pi * np.hypot(f[:, None], f[None, :])
    analytic = np.abs(form_factor(particle, q, ENERGY_EV).real)
    low = q < 0.25e9  # below a quarter of the grid's Nyquist, pixelation is negligible
    assert image.sum() == pytest.approx(form_factor(particle, 0.0, ENERGY_EV).real, rel=1e-3)
    assert np.max(np.abs(spectrum[low] - analytic[low])) < 5e-3 * analytic.max()


def test_hollow_shell_projects_only_its_wall():
    shell = hollow_shell(outer_diameter_m=19e-9, thickness_m=2.6e-9)
    pixel = 0.25e-9
    image = projected_density(shell, (121, 121), pixel, ENERGY_EV, oversample=3)
    wall = shell.contrasts(ENERGY_EV)[1].real  # protein minus water
    # Through the centre the beam crosses the wall twice, 2.6 nm each time.
    assert image[60, 60] / pixel**2 == pytest.approx(wall * 2 * 2.6e-9, rel=0.02)
    assert shell.contrasts(ENERGY_EV)[0].real == pytest.approx(-wall)  # water inside, against protein


def test_eq1_counts_conserve_the_scattered_power():
    """sum over pixels of Omega |F|^2 = lambda^2 * integral of the projected density squared (Parseval)."""
    sphere = RadialParticle((Layer(27e-9, "SiO2", 2.2),))
    shape, pixel, distance, centre = (1032, 1032), 75e-6, 2.08, (515.5, 515.5)
    q = pixel_q_per_m(shape, pixel, distance, ENERGY_EV, centre)
    omega = pixel_solid_angle_sr(shape, pixel, distance, centre)
    counts = particle_counts(sphere, q, omega, ENERGY_EV, fluence_per_m2=1e20)
    grid = 1e-9
    rho = projected_density(sphere, (96, 96), grid, ENERGY_EV) / grid**2  # electrons / m^2
    expected = 1e20 * ELECTRON_RADIUS_M**2 * float(wavelength_m(ENERGY_EV)) ** 2 * np.sum(rho**2) * grid**2
    assert counts.sum() == pytest.approx(expected, rel=0.01)


def test_bad_particles_are_refused():
    with pytest.raises(ValueError, match="increasing"):
        RadialParticle((Layer(10e-9, "Au", 19.3), Layer(5e-9, "SiO2", 2.2)))
    with pytest.raises(ValueError, match="density_g_cm3"):
        RadialParticle((Layer(10e-9, "Au", 0.0),))
    with pytest.raises(ValueError, match="thickness_m"):
        hollow_shell(outer_diameter_m=19e-9, thickness_m=10e-9)
