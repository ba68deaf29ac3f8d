"""The calibration store: later reconstructions find the most recent calibration, or are told why not."""

import numpy as np
import pytest

from phasebeam.calibrations import MODULATOR, XSN_OPTICS, CalibrationError, CalibrationStore
from phasebeam.live_analyses import stored_modulator, stored_xsn_optics

HOUR_S = 3600.0


def _save(store, uid, time_s, energy_ev, value):
    return store.save(
        XSN_OPTICS, uid, time_s, energy_ev, lambda f: f.create_dataset("x", data=value), note="t"
    )


def test_the_most_recent_calibration_is_the_default_and_any_can_be_asked_for_by_uid(tmp_path):
    store = CalibrationStore(tmp_path)
    now = 1e9
    _save(store, "older", now - 2 * HOUR_S, 8000.0, np.arange(3))
    _save(store, "newer", now - 1 * HOUR_S, 8010.0, np.arange(4))
    _save(store, "oldest", now - 3 * HOUR_S, 8000.0, np.arange(5))
    assert [c.raw_uid for c in store.entries(XSN_OPTICS)] == ["oldest", "older", "newer"]
    latest = store.find(XSN_OPTICS, energy_ev=8000.0, now_s=now)
    assert latest.raw_uid == "newer" and latest.energy_ev == 8010.0 and latest.time_s == now - HOUR_S
    assert store.find(XSN_OPTICS, "oldest", now_s=now).path.name == "oldest.h5"
    assert store.entries(MODULATOR) == []


def test_a_missing_calibration_says_which_plan_makes_one(tmp_path):
    store = CalibrationStore(tmp_path)
    with pytest.raises(CalibrationError, match=r"no xsn_optics calibration in .*run knife_edge_calibration"):
        store.find(XSN_OPTICS)
    with pytest.raises(CalibrationError, match=r"no modulator calibration .*modulator_ptycho_calibration"):
        store.find(MODULATOR)
    _save(store, "a", 0.0, 8000.0, [1])
    with pytest.raises(CalibrationError, match=r"no xsn_optics calibration of run b .*\['a'\]"):
        store.find(XSN_OPTICS, "b", now_s=1.0)


def test_a_stale_calibration_is_refused_with_its_age_or_energy(tmp_path):
    store = CalibrationStore(tmp_path, max_age_s=2 * HOUR_S, energy_tolerance_ev=50.0)
    _save(store, "a", 0.0, 8000.0, [1])
    assert store.find(XSN_OPTICS, energy_ev=8049.0, now_s=1.9 * HOUR_S).raw_uid == "a"
    with pytest.raises(
        CalibrationError, match=r"stale calibration: .*run a \(8000.0 eV, 2.10 h old.* 2.00 h"
    ):
        store.find(XSN_OPTICS, now_s=2.1 * HOUR_S)
    with pytest.raises(
        CalibrationError, match=r"more than 50.0 eV from 8333.0 eV; run knife_edge_calibration"
    ):
        store.find(XSN_OPTICS, energy_ev=8333.0, now_s=HOUR_S)
    store.save(XSN_OPTICS, "b", HOUR_S, None, lambda f: None)
    with pytest.raises(CalibrationError, match=r"unknown energy.* no energy to check against 8000.0 eV"):
        store.find(XSN_OPTICS, energy_ev=8000.0, now_s=HOUR_S)


def test_bad_store_settings_and_kinds_are_refused(tmp_path):
    with pytest.raises(ValueError, match="max_age_s=0 must be > 0 s"):
        CalibrationStore(tmp_path, max_age_s=0)
    with pytest.raises(ValueError, match="energy_tolerance_ev=-1 must be >= 0 eV"):
        CalibrationStore(tmp_path, energy_tolerance_ev=-1)
    with pytest.raises(ValueError, match="kind='flat' is not one of"):
        CalibrationStore(tmp_path).find("flat")


@pytest.mark.parametrize(
    ("find", "name"), [(stored_xsn_optics, "knife-edge"), (stored_modulator, "modulator")]
)
def test_a_run_without_energy_cannot_have_its_calibration_checked(tmp_path, find, name):
    store = CalibrationStore(tmp_path)
    with pytest.raises(CalibrationError, match=rf"run r1 has no energy_ev .*: the {name} calibration cannot"):
        find(store, {"uid": "r1"})
