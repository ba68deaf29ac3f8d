"""Hyperspectral XSN on the simulated microscope: an energy sweep of 0/180 tomographies either side
of the Ni K edge, reconstructed from Tiled, gives the nickel density of the NiO spheres (Eq. 17)."""

import bluesky.plan_stubs as bps
import h5py
import numpy as np
import pytest
import xraydb

from phasebeam.analysis.xsn.spectral import edge_element_density
from phasebeam.cli import main
from phasebeam.plans.energy_sweep import energy_sweep
from phasebeam.plans.knife_edge import knife_edge_calibration
from phasebeam.simulators.projection import default_spheres

#: Seed 004's pair of energies around the Ni K edge (8333 eV).
ENERGIES_EV = (8326.0, 8366.0)
EXPOSURE_S = 0.05
PIXEL_M = 100e-9  # the simulated camera's pixel at the sample


pytestmark = pytest.mark.slow  # about 160 s on 2 cores: two knife edges and two tomographies


def test_energy_sweep_of_xsn_tomograms_gives_the_nickel_density_of_nio(
    RE_tiled, beamline, storage, xsn_camera, take_flats, tmp_path
):
    camera, cutoff, sample = beamline.camera, beamline.cutoff_filter, beamline.sample
    uri, _, key = storage.uri.partition("?api_key=")
    tiled = ["--tiled", uri, "--api-key", key]
    # Optics and flats at each energy, with the sample out.
    RE_tiled(bps.mv(sample.x, 40.0, sample.y, 0.0, sample.theta, 0.0))
    optics, flat_uids = {}, {}
    for energy in ENERGIES_EV:
        RE_tiled(bps.mv(beamline.energy, energy))
        (knife_uid,) = RE_tiled(
            knife_edge_calibration([camera], cutoff, -60.0, 60.0, 5.0, exposure_s=EXPOSURE_S)
        )
        RE_tiled(bps.mv(cutoff.edge, 0.0))
        flat_uids[energy] = take_flats(4, EXPOSURE_S)
        optics[energy] = str(tmp_path / f"optics-{energy:.0f}.h5")
        argv = ["reconstruct", "xsn-optics", "--run", knife_uid, "--out", optics[energy]]
        argv += ["--energy-ev", str(energy), "--pixel-size-m", str(PIXEL_M), "--cutoff-um", "0"]
        assert main([*argv, *tiled]) == 0
    RE_tiled(bps.mv(sample.x, 0.0))
    tomography = {"mode": "step", "pairs": 18, "exposure_s": EXPOSURE_S}
    uids = RE_tiled(
        energy_sweep(
            [camera],
            beamline.energy,
            values_ev=list(ENERGIES_EV),
            inner="tomography",
            rotation=sample.theta,
            tomography=tomography,
        )
    )
    assert len(uids) == len(ENERGIES_EV)

    beta = {}
    for energy, uid in zip(ENERGIES_EV, uids, strict=True):
        assert storage.runs[uid].metadata["start"]["energy_ev"] == pytest.approx(energy)
        out = str(tmp_path / f"tomogram-{energy:.0f}.h5")
        # As in test_xsn_tomography: the simulated rotation axis is exact, and registration step 1
        # is biased on these strongly refracting spheres.
        argv = ["reconstruct", "xsn-tomo", "--run", uid, "--optics", optics[energy], "--out", out]
        argv += ["--flat-run", flat_uids[energy], "--edge-reference-px", "4", "--psf-fwhm-m", "72e-9"]
        assert main([*argv, "--no-register", *tiled]) == 0
        with h5py.File(out, "r") as f:
            beta[energy] = np.asarray(f["beta"])

    nickel = edge_element_density(beta[ENERGIES_EV[0]], beta[ENERGIES_EV[1]], "Ni", *ENERGIES_EV)
    spheres = default_spheres()
    z, y, x = np.indices(nickel.shape) - (np.array(nickel.shape)[:, None, None, None] - 1) / 2
    inside = np.zeros(nickel.shape, dtype=bool)
    for (cx, cy, cz), radius in zip(spheres.centres_m, spheres.radii_m, strict=True):
        r2 = (x - cx / PIXEL_M) ** 2 + (y - cy / PIXEL_M) ** 2 + (z - cz / PIXEL_M) ** 2
        inside |= r2 < ((radius - 300e-9) / PIXEL_M) ** 2
    assert inside.sum() > 1000
    # NiO's nickel: its density times nickel's mass fraction.
    mass_ni, mass_o = xraydb.atomic_mass("Ni"), xraydb.atomic_mass("O")
    truth = spheres.density_g_cm3 * mass_ni / (mass_ni + mass_o)
    found = float(np.median(nickel[inside]))
    print(f"Ni density in NiO {found:.3f} g/cm3 against {truth:.3f} ({100 * (found / truth - 1):+.1f}%)")
    assert found == pytest.approx(truth, rel=0.10)
