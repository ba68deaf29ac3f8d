"""XSN tomography of seed 004's samples: refractive indices, resolution, Ni density, KK, scintillator."""

import numpy as np
import pytest
from scipy.ndimage import binary_erosion

from phasebeam.analysis.materials import refractive_index
from phasebeam.analysis.xsn.pipeline import reconstruct_pairs
from phasebeam.analysis.xsn.scintillator import (
    gaussian_otf,
    psf_fwhm_m,
    scintillator_otf,
    wiener_deconvolve,
)
from phasebeam.analysis.xsn.spectral import (
    edge_element_density,
    kramers_kronig_check,
    kramers_kronig_delta_change,
    remaining_element_density,
)
from phasebeam.analysis.xsn.tomography import (
    filtered_back_projection,
    half_set_resolution,
    refractive_index_tomogram,
)
from phasebeam.simulators.xsn_imaging import XsnMicroscope, simulate_pair
from phasebeam.simulators.xsn_phantoms import (
    ALUMINIUM,
    COPPER,
    SILICA,
    Phantom,
    nmc_particle,
    reference_particles,
)


def _tomography(phantom, microscope, pairs, seed):
    rng = np.random.default_rng(seed)
    angles = np.arange(pairs) * 180.0 / pairs
    simulated = [simulate_pair(phantom, a, microscope, rng) for a in angles]
    alpha, phi, _ = reconstruct_pairs(
        np.stack([p.image_0 for p in simulated]),
        np.stack([p.image_180 for p in simulated]),
        microscope.optics(),
        flat_0=simulated[0].flat,
        flat_180=simulated[0].flat,
        scintillator_psf_fwhm_m=microscope.psf_fwhm_m,
        register=False,
        edge_reference_px=4,
    )
    return alpha, phi, angles


def test_back_projection_puts_a_sphere_where_it_is():
    phantom = Phantom("one sphere", (reference_particles().bodies[1],))  # Cu, off the axis
    angles = np.arange(0, 180, 2.0)
    delta_paths = np.stack([phantom.projected_index_m(a, (3, 64), 25e-9, 8000.0)[0] for a in angles])
    volume = filtered_back_projection(delta_paths / 25e-9, angles)
    truth, _ = phantom.index_volume(volume.shape, 25e-9, 8000.0)
    assert np.abs(volume - truth).mean() < 0.1 * np.abs(truth).mean() * truth.size / np.count_nonzero(truth)
    z, x = np.indices(volume[:, 1].shape)

    def centroid(image):
        weight = np.clip(image, 0, None) * (image > 0.3 * image.max())
        return np.array([(weight * z).sum(), (weight * x).sum()]) / weight.sum()

    assert np.linalg.norm(centroid(volume[:, 1]) - centroid(truth[:, 1])) < 0.5  # pixels


def test_reference_particles_give_tabulated_delta_and_beta():
    # Seed 004 Fig. 2: Al 800 nm, SiO2 200 nm and Cu 300 nm at 8 keV. SiO2's beta (9.5e-8) gives
    # alpha = 8e-4 across the particle: at 1e6 photons per pixel it comes out 27% high, so the dose
    # here is 4e6 photons per pixel and image (frames summed).
    phantom = reference_particles()
    microscope = XsnMicroscope(energy_ev=8000.0, shape=(48, 128), photons_per_pixel=4e6)
    alpha, phi, angles = _tomography(phantom, microscope, 90, seed=1)
    tomo = refractive_index_tomogram(alpha, phi, angles, microscope.wavelength_m, microscope.pixel_size_m)
    report = {}
    for body, material in zip(phantom.bodies, (ALUMINIUM, COPPER, SILICA), strict=True):
        inside, _ = Phantom("", (body,)).index_volume(tomo.delta.shape, tomo.voxel_m, 8000.0)
        core = binary_erosion(inside > 0, iterations=2)
        delta, beta = refractive_index(material.formula, material.density_g_cm3, 8000.0)
        report[material.formula] = (tomo.delta[core].mean() / delta - 1, tomo.beta[core].mean() / beta - 1)
    print(
        "relative error (delta, beta):", {k: tuple(round(100 * x, 1) for x in v) for k, v in report.items()}
    )
    for d_err, b_err in report.values():
        assert abs(d_err) <= 0.10
        assert abs(b_err) <= 0.25


def test_nmc_particle_phase_resolves_finer_and_nickel_density_matches():
    phantom = nmc_particle(radius_m=1.0e-6)
    tomograms = {}
    for energy in (8326.0, 8366.0):  # seed 004: either side of the Ni K edge
        microscope = XsnMicroscope(
            energy_ev=energy, shape=(64, 64), pixel_size_m=40e-9, photons_per_pixel=1e5
        )
        alpha, phi, angles = _tomography(phantom, microscope, 90, seed=int(energy))
        tomograms[energy] = refractive_index_tomogram(alpha, phi, angles, microscope.wavelength_m, 40e-9)
        if energy == 8326.0:
            resolution = half_set_resolution(alpha, phi, angles, 40e-9)
            print(
                f"FRC 1/4: phase {resolution.delta_resolution_m * 1e9:.0f} nm, "
                f"absorption {resolution.beta_resolution_m * 1e9:.0f} nm"
            )
            assert resolution.delta_resolution_m < resolution.beta_resolution_m
    below, above = tomograms[8326.0], tomograms[8366.0]
    nickel = edge_element_density(below.beta, above.beta, "Ni", 8326.0, 8366.0)
    truth = phantom.element_density_volume("Ni", nickel.shape, 40e-9)
    inside, _ = phantom.index_volume(nickel.shape, 40e-9, 8326.0)
    core = binary_erosion(inside > 0, iterations=3)
    error = nickel[core].mean() / truth[core].mean() - 1
    print(
        f"Ni density {nickel[core].mean():.3f} g/cm3 against {truth[core].mean():.3f} ({100 * error:+.1f}%)"
    )
    assert abs(error) <= 0.10


def test_element_density_of_a_tabulated_compound():
    # beta is additive over partial densities, so Eq. 17 on xraydb's compound values is exact but
    # for the other elements' own fall of beta over the 40 eV (about 1% of the Ni jump here).
    from phasebeam.simulators.xsn_phantoms import nmc_material

    material = nmc_material(0.6, 0.2, 0.2)
    below = refractive_index(material.formula, material.density_g_cm3, 8326.0)[1]
    above = refractive_index(material.formula, material.density_g_cm3, 8366.0)[1]
    nickel = edge_element_density(np.array(below), np.array(above), "Ni", 8326.0, 8366.0)
    assert float(nickel) == pytest.approx(material.element_density_g_cm3("Ni"), rel=0.02)
    with pytest.raises(ValueError, match="K edge"):
        edge_element_density(below, above, "Ni", 8200.0, 8300.0)


def test_remaining_element_density_of_an_alloy():
    # Eq. 18 on Ni3MnCo (8.5 g/cm^3), whose beta comes from the three metals only: the Mn + Co
    # density from the pre-edge beta less nickel's share. Mn and Co differ in density / beta
    # (Eq. 18 takes their mean), which costs 1.5% here.
    import xraydb

    formula, density = "Ni3MnCo", 8.5
    below = np.array(refractive_index(formula, density, 8326.0)[1])
    above = np.array(refractive_index(formula, density, 8366.0)[1])
    nickel = edge_element_density(below, above, "Ni", 8326.0, 8366.0)
    rest = remaining_element_density(below, nickel, "Ni", ["Mn", "Co"], 8326.0)
    mass = {e: xraydb.atomic_mass(e) for e in ("Ni", "Mn", "Co")}
    truth = density * (mass["Mn"] + mass["Co"]) / (3 * mass["Ni"] + mass["Mn"] + mass["Co"])
    assert float(rest) == pytest.approx(truth, rel=0.03)
    with pytest.raises(ValueError, match="others must name"):
        remaining_element_density(below, nickel, "Ni", [], 8326.0)


def test_kramers_kronig_of_a_lorentz_oscillator():
    e0, width, strength = 8000.0, 5.0, 1e-6
    energies = np.linspace(e0 - 400 * width, e0 + 400 * width, 4001)
    denominator = (e0**2 - energies**2) ** 2 + width**2 * energies**2
    beta = strength / 2 * width * energies / denominator * e0**2
    delta = -strength / 2 * (e0**2 - energies**2) / denominator * e0**2
    at = np.linspace(e0 - 10 * width, e0 + 10 * width, 21)
    predicted = kramers_kronig_delta_change(energies, beta, at)
    assert np.max(np.abs(predicted - np.interp(at, energies, delta))) < 0.01 * np.abs(delta).max()


def test_kramers_kronig_check_tells_a_consistent_spectrum_from_an_inconsistent_one():
    # A scan of NiO across the Ni K edge in 2 eV steps, with a white line (a Lorentz oscillator of
    # 6 eV width, 9e-7 peak beta, about half of NiO's beta above the edge) added to xraydb's
    # tabulated spectra: with its analytic delta partner the spectra are consistent, without it not.
    energies = np.arange(8240.0, 8441.0, 2.0)
    table = np.array([refractive_index("NiO", 6.67, e) for e in energies])
    e0, width = 8345.0, 6.0
    strength = 2 * 9e-7 * width / e0
    denominator = (e0**2 - energies**2) ** 2 + width**2 * energies**2
    beta_line = strength / 2 * width * energies / denominator * e0**2
    delta_line = -strength / 2 * (e0**2 - energies**2) / denominator * e0**2
    consistent = kramers_kronig_check(
        energies, table[:, 0] + delta_line, table[:, 1] + beta_line, "NiO", 6.67
    )
    missing = kramers_kronig_check(energies, table[:, 0], table[:, 1] + beta_line, "NiO", 6.67)
    print(
        f"KK RMS deviation: consistent {consistent.rms_relative_deviation:.2e}, "
        f"delta partner missing {missing.rms_relative_deviation:.2e}"
    )
    assert consistent.rms_relative_deviation < 1e-3
    assert missing.rms_relative_deviation > 10 * consistent.rms_relative_deviation
    # Worst at the line's centre, where 2 eV samples of a 6 eV line are coarse for the transform
    # of a piecewise-linear beta: 0.37% there.
    np.testing.assert_allclose(consistent.delta_predicted, table[:, 0] + delta_line, rtol=5e-3)


def test_scintillator_otf_and_wiener_round_trip():
    otf = scintillator_otf((128, 128), 0.325e-6)
    assert otf[0, 0] == pytest.approx(1.0)
    fwhm = psf_fwhm_m(otf, 0.325e-6)
    # Diffraction limit of a 0.4 NA objective at 530 nm is 0.51 lambda / NA = 0.68 um; depth adds blur.
    assert 0.6e-6 < fwhm < 1.5e-6
    assert psf_fwhm_m(gaussian_otf((64, 64), 10e-9, 72e-9), 10e-9) == pytest.approx(72e-9, rel=0.02)
    rng = np.random.default_rng(0)
    image = 1 + 0.1 * rng.standard_normal((64, 64))
    gauss = gaussian_otf((64, 64), 25e-9, 50e-9)
    blurred = np.fft.ifft2(np.fft.fft2(image) * gauss).real
    restored = wiener_deconvolve(blurred, gauss, 1e-8)
    assert np.abs(restored - image).max() < 1e-3
