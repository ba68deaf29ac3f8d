"""Energy-sweep spectra from tomograms whose values are tabulated (xraydb), so every figure is known."""

import h5py
import numpy as np
import pytest
import xraydb

from phasebeam.callbacks.sweep_live import EnergySweepSpectra, SweepSettings, SweepSpectra

ENERGIES_EV = np.arange(8313.0, 8354.0, 4.0)  # seed 004: 40 eV across the Ni K edge in 4 eV steps
NIO_G_CM3 = 6.67
SHAPE = (24, 24, 24)


def _nio_sphere():
    z, y, x = np.indices(SHAPE) - 11.5
    return x**2 + y**2 + z**2 < 6.0**2


def _tomograms(energy_ev, delta_scale=1.0):
    """A NiO sphere in vacuum, at its tabulated delta and beta."""
    delta, beta, _ = xraydb.xray_delta_beta("NiO", NIO_G_CM3, energy_ev)
    sphere = _nio_sphere()
    return np.where(sphere, delta * delta_scale, 0.0), np.where(sphere, beta, 0.0)


def _nickel_in_nio():
    mass_ni, mass_o = xraydb.atomic_mass("Ni"), xraydb.atomic_mass("O")
    return NIO_G_CM3 * mass_ni / (mass_ni + mass_o)


def test_spectra_maps_and_a_consistent_kramers_kronig_check_in_any_order():
    settings = SweepSettings(formula="NiO", density_g_cm3=NIO_G_CM3, regions={"corner": (0, 4, 0, 4, 0, 4)})
    sweep = SweepSpectra(ENERGIES_EV, settings)
    order = np.random.default_rng(3).permutation(ENERGIES_EV.size)
    for count, i in enumerate(order, start=1):
        sweep.add(float(ENERGIES_EV[i]), *_tomograms(float(ENERGIES_EV[i])))
        partial = sweep.result(final=False)
        # Spectra grow once the sweep's lowest energy has fixed the regions.
        assert partial["energies_done"] == (count if sweep.regions else 0)
    result = sweep.result(final=True)
    assert np.array_equal(result["energies_ev"], ENERGIES_EV)
    assert result["sample_voxels"] == _nio_sphere().sum() and result["corner_voxels"] == 64
    table = np.array([xraydb.xray_delta_beta("NiO", NIO_G_CM3, e)[:2] for e in ENERGIES_EV])
    np.testing.assert_allclose(result["sample_delta_mean"], table[:, 0], rtol=1e-12)
    np.testing.assert_allclose(result["sample_beta_mean"], table[:, 1], rtol=1e-12)
    assert np.all(result["corner_delta_mean"] == 0)
    # Eq. 17 across the edge: NiO's nickel within the oxygen's own beta change (< 1%).
    assert (result["energy_below_ev"], result["energy_above_ev"]) == (8329.0, 8353.0)
    density = result["edge_element_density_g_cm3"]
    assert result["sample_edge_element_density_g_cm3"] == pytest.approx(_nickel_in_nio(), rel=0.01)
    assert np.all(density[~_nio_sphere()] == 0)
    # The tabulated spectra are consistent with themselves: KK predicts the measured delta exactly.
    assert result["sample_kk_rms_relative_deviation"] < 1e-12
    np.testing.assert_allclose(result["sample_delta_kk_predicted"], table[:, 0], rtol=1e-12)


def test_a_delta_off_by_five_percent_fails_the_kramers_kronig_check_by_five_percent():
    sweep = SweepSpectra(ENERGIES_EV, SweepSettings(formula="NiO", density_g_cm3=NIO_G_CM3))
    for energy in ENERGIES_EV:
        sweep.add(float(energy), *_tomograms(float(energy), delta_scale=1.05))
    assert sweep.result(final=True)["sample_kk_rms_relative_deviation"] == pytest.approx(0.05, rel=1e-6)


def test_a_sweep_that_misses_the_edge_gives_spectra_and_says_why_there_are_no_maps():
    sweep = SweepSpectra([8200.0, 8250.0], SweepSettings())
    for energy in (8250.0, 8200.0):
        sweep.add(energy, *_tomograms(energy))
    result = sweep.result(final=True)
    assert result["energies_done"] == 2 and "edge_element_density_g_cm3" not in result
    assert result["element_maps"].startswith("none: the sweep's energies 8200.0-8250.0 eV do not straddle")


def test_bad_tomograms_and_settings_are_refused_by_name():
    sweep = SweepSpectra([8326.0, 8366.0], SweepSettings())
    with pytest.raises(ValueError, match=r"energy 8300.0 eV is not one of the sweep's \[8326.0, 8366.0\]"):
        sweep.add(8300.0, *_tomograms(8300.0))
    sweep.add(8326.0, *_tomograms(8326.0))
    with pytest.raises(ValueError, match=r"at 8326\.0 eV came twice"):
        sweep.add(8326.0, *_tomograms(8326.0))
    with pytest.raises(ValueError, match=r"tomograms at \[8366.0\] eV never came"):
        sweep.result(final=True)
    with pytest.raises(ValueError, match=r"at 8366.0 eV are \(8, 8, 8\), the first \(24, 24, 24\)"):
        sweep.add(8366.0, np.zeros((8, 8, 8)), np.zeros((8, 8, 8)))
    with pytest.raises(ValueError, match="go together"):
        SweepSettings(formula="NiO")
    with pytest.raises(ValueError, match="Xx"):
        SweepSettings(edge_element="Xx")


def test_the_listener_publishes_each_sweep_growing_then_complete_and_a_failure_as_failed(tmp_path):
    listener = EnergySweepSpectra(tmp_path, settings=SweepSettings(formula="NiO", density_g_cm3=NIO_G_CM3))
    energies = [8326.0, 8366.0]

    def start(uid, sweep, energy, **more):
        return {"uid": uid, "sweep_uid": sweep, "energy_ev": energy, "sweep_energies_ev": energies, **more}

    def result(energy):
        delta, beta = _tomograms(energy)
        return {"delta": delta, "beta": beta}

    listener(start("a", "s1", 8326.0), result(8326.0))
    with h5py.File(tmp_path / "s1" / "energy_sweep.h5") as f:
        assert f.attrs["status"] == "ok" and not f.attrs["final"] and f.attrs["energies_done"] == 1
    listener({"uid": "lone"}, result(8326.0))  # a tomography outside any sweep: ignored
    listener(start("b", "s1", 8366.0), result(8366.0))
    with h5py.File(tmp_path / "s1" / "energy_sweep.h5") as f:
        assert f.attrs["final"] and f.attrs["raw_uids"] == "a b"
        assert f.attrs["sample_edge_element_density_g_cm3"] == pytest.approx(_nickel_in_nio(), rel=0.01)
    assert (tmp_path / "s1" / "energy_sweep.png").stat().st_size > 10_000
    # A run's metadata may change the settings; an unknown key fails that sweep, published as such.
    listener(start("c", "s2", 8326.0, spectra={"colour": "red"}), result(8326.0))
    assert listener.published["s2"]["status"] == "failed"
    with h5py.File(tmp_path / "s2" / "energy_sweep.h5") as f:
        assert f.attrs["status"] == "failed" and "unknown keys ['colour']" in f.attrs["error"]
    assert list(listener.published) == ["s1", "s2"]
