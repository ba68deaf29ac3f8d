"""The beamline's live analyses: which plan feeds which analysis, and where calibrations go.

:func:`live_callbacks` makes one :class:`~phasebeam.callbacks.live.LiveCallback` per analysis, each
taking only the runs of its plan. The knife-edge calibration's optics are stored in the data
folder's calibrations, and the XSN tomography's live reconstruction looks them up there: the most
recent one, unless it is older than the store's age limit or taken at another energy, in which
case the analysis fails with that message rather than using it. The same callbacks run in the
RunEngine's process or out of it (``phasebeam live``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bluesky.plan_stubs as bps
import bluesky.preprocessors as bpp
import h5py
import numpy as np
import numpy.typing as npt

from phasebeam.analysis.bcmi.rocking_scan import CalibratedModulator
from phasebeam.analysis.optics import wavelength_m
from phasebeam.analysis.xsn.optics import XsnOptics
from phasebeam.analysis.xsn.pair_file import optics_from_fields, read_optics, write_optics
from phasebeam.callbacks.bragg_live import BcdiSettings, BcmiRunSettings, RockingScanReconstruction
from phasebeam.callbacks.live import FinalListener, LiveCallback
from phasebeam.callbacks.ptycho_live import ModulatorCalibrationLive, ModulatorCalibrationSettings
from phasebeam.callbacks.sweep_live import EnergySweepSpectra, SweepSettings
from phasebeam.callbacks.xedm_live import XedmLive, XedmSettings
from phasebeam.callbacks.xsn_live import KnifeEdgeXsnOptics, XsnTomographyLive

from .beamline import (
    SIMULATED_CAMERA_PIXEL_M,
    SIMULATED_EIGER_DISTANCE_M,
    SIMULATED_EIGER_PIXEL_M,
    SIMULATED_SCINTILLATOR_PSF_FWHM_M,
    ZONE_PLATE_DIAMETER_M,
    ZONE_PLATE_OUTER_ZONE_M,
)
from .calibrations import MODULATOR, XSN_OPTICS, Calibration, CalibrationError, CalibrationStore


def energy_in_start_document(energy: Any):
    """A RunEngine preprocessor: each run's start document gets ``energy_ev``, read as it opens.

    The reconstructions check their calibrations against it. A plan that sets ``energy_ev``
    itself (the energy sweep's inner runs) keeps its own.
    """

    def preprocessor(plan):
        def mutate(msg):
            if msg.command != "open_run" or "energy_ev" in msg.kwargs:
                return None, None

            def read_then_open():
                value = yield from bps.rd(energy)
                return (yield msg._replace(kwargs={**msg.kwargs, "energy_ev": float(value)}))

            return read_then_open(), None

        return (yield from bpp.plan_mutator(plan, mutate))

    return preprocessor


#: What the messages call each kind of calibration.
_CALIBRATION_NAMES = {XSN_OPTICS: "knife-edge", MODULATOR: "modulator"}


def _calibration_for(
    store: CalibrationStore, kind: str, start: Mapping[str, Any], calibration_uid: str | None
) -> tuple[Calibration, float]:
    """The stored calibration of ``kind`` for a run, checked against its energy, and that energy (eV)."""
    energy = start.get("energy_ev")
    if energy is None:
        raise CalibrationError(
            f"run {start.get('uid')} has no energy_ev in its start document: the "
            f"{_CALIBRATION_NAMES[kind]} calibration cannot be checked against it"
        )
    return store.find(kind, calibration_uid, float(energy)), float(energy)


def stored_xsn_optics(
    store: CalibrationStore, start: Mapping[str, Any], calibration_uid: str | None = None
) -> tuple[XsnOptics, Calibration]:
    """The XSN optics of a run from the stored knife-edge calibration (the most recent by default),
    and that calibration.

    The optics' frequencies do not depend on the energy (f = D dr_n / lambda makes the edge's
    frequency edge / (D dr_n)), so a calibration within the store's energy tolerance is used with
    the run's wavelength.
    """
    calibration, energy = _calibration_for(store, XSN_OPTICS, start, calibration_uid)
    optics = read_optics(calibration.path)
    return dataclasses.replace(optics, wavelength_m=float(wavelength_m(energy))), calibration


def xsn_optics_for(store: CalibrationStore, calibration_uid: str | None = None):
    """A run's optics from its start document, as :func:`stored_xsn_optics`."""
    return lambda start: stored_xsn_optics(store, start, calibration_uid)[0]


def store_xsn_optics(store: CalibrationStore) -> FinalListener:
    """Keep a knife-edge run's optics as the XSN calibration."""

    def store_result(start: Mapping[str, Any], result: dict[str, Any]) -> None:
        optics = optics_from_fields(result)
        store.save(
            XSN_OPTICS,
            start["uid"],
            float(start["time"]),
            float(result["energy_ev"]),
            lambda f: write_optics(f, optics),
            cutoff_um=float(result["cutoff_um"]),
        )

    return store_result


def stored_modulator(
    store: CalibrationStore, start: Mapping[str, Any], calibration_uid: str | None = None
) -> tuple[CalibratedModulator, Calibration]:
    """The calibrated modulator for a run (the most recent stored calibration by default, checked
    against the run's energy), and that calibration."""
    calibration, _ = _calibration_for(store, MODULATOR, start, calibration_uid)
    with h5py.File(calibration.path, "r") as f:
        origin = np.asarray(f["origin_px"], dtype=np.float64)
        modulator = CalibratedModulator(
            transmission=np.asarray(f["modulator"], dtype=np.complex64),
            illumination=np.asarray(f["illumination"], dtype=np.float64),
            origin_px=(float(origin[0]), float(origin[1])),
            pixel_m=float(f.attrs["pixel_m"]),  # type: ignore[arg-type]
            d1_m=float(f.attrs["d1_m"]),  # type: ignore[arg-type]
            raw_uid=calibration.raw_uid,
            # Calibrations stored before the fine grid are on the frames' conjugate pixel.
            upsample=int(f.attrs.get("upsample", 1)),  # type: ignore[arg-type]
        )
    return modulator, calibration


def modulator_for(store: CalibrationStore, calibration_uid: str | None = None):
    """A run's calibrated modulator from its start document, as :func:`stored_modulator`."""
    return lambda start: stored_modulator(store, start, calibration_uid)[0]


def store_modulator(store: CalibrationStore) -> FinalListener:
    """Keep a ptychographic calibration run's modulator as the modulator calibration."""

    def store_result(start: Mapping[str, Any], result: dict[str, Any]) -> None:
        arrays = ("modulator", "probe", "illumination", "positions_m", "origin_px")
        scalars = ("pixel_m", "phase_shift_rad", "phase_shift_xraydb_rad", "amplitude_ratio", "d1_m")

        def write(f) -> None:
            for name in arrays:
                f.create_dataset(name, data=result[name])

        store.save(
            MODULATOR,
            start["uid"],
            float(start["time"]),
            float(result["energy_ev"]),
            write,
            upsample=int(result["upsample"]),
            **{name: float(result[name]) for name in scalars},
        )

    return store_result


@dataclass(frozen=True)
class Microscope:
    """The XSN microscope's constants that the live analyses need.

    Attributes:
        pixel_size_m: camera pixel at the sample plane (m).
        zone_plate_diameter_m: zone plate diameter (m).
        outer_zone_m: outermost zone width (m).
        cutoff_um: the knife-edge position used for imaging (um).
        scintillator_psf_fwhm_m: scintillator PSF at the sample (m), or None.
        edge_reference_px: refer each row of a field to its empty ends (px); 0 for none.
        register: register each 0/180 pair (step 1 of seed 004's registration).
    """

    pixel_size_m: float = SIMULATED_CAMERA_PIXEL_M
    zone_plate_diameter_m: float = ZONE_PLATE_DIAMETER_M
    outer_zone_m: float = ZONE_PLATE_OUTER_ZONE_M
    cutoff_um: float = 0.0
    scintillator_psf_fwhm_m: float | None = None
    edge_reference_px: int = 0
    register: bool = True


#: The simulated beamline's XSN microscope. Its rotation axis is exact, and registration step 1
#: is biased on the strongly refracting NiO spheres, so the pairs are not registered.
SIMULATED_MICROSCOPE = Microscope(
    scintillator_psf_fwhm_m=SIMULATED_SCINTILLATOR_PSF_FWHM_M, edge_reference_px=4, register=False
)


def _plan_is(*names: str):
    return lambda start: start.get("plan_name") in names


def live_callbacks(
    output_dir: str | Path,
    derived: Any,
    store: CalibrationStore,
    microscope: Microscope | None = None,
    publish_period_s: float = 1.0,
    bcdi: BcdiSettings | None = None,
    eiger_mask: npt.ArrayLike | None = None,
    xedm: XedmSettings | None = None,
    modulator: ModulatorCalibrationSettings | None = None,
    spectra: SweepSettings | None = None,
    bcmi: BcmiRunSettings | None = None,
) -> dict[str, LiveCallback]:
    """One live callback per analysis, by analysis name; subscribe them all to the RunEngine.

    Args:
        output_dir: folder for the result files (a sub-folder per run).
        derived: the writable Tiled container for derived results, or None.
        store: the calibrations (read and written).
        microscope: the XSN microscope's constants.
        bcdi: how rocking scans are phased when their metadata does not say.
        bcmi: how rocking scans with the modulator in are phased (with the stored modulator
            calibration) when their metadata does not say.
        eiger_mask: the far-field detector's mask (non-zero: unmeasured); without it, snake
            scans get no live XEDM.
        xedm: how snake scans are phased when their metadata does not say.
        modulator: how modulator calibration scans are reconstructed when their metadata does not say.
        spectra: what an energy sweep's spectra and maps are made of when its metadata does not
            say; the sweep's tomography runs feed them (the XSN tomography callback's listener).
        publish_period_s: the least time between two publications of a result (s).
    """
    scope = microscope or Microscope()
    pair_options = {
        "scintillator_psf_fwhm_m": scope.scintillator_psf_fwhm_m,
        "edge_reference_px": scope.edge_reference_px,
        "register": scope.register,
    }
    made = [
        LiveCallback(
            ModulatorCalibrationLive(SIMULATED_EIGER_PIXEL_M, SIMULATED_EIGER_DISTANCE_M, modulator),
            "eiger",
            output_dir,
            derived,
            publish_period_s,
            accepts=_plan_is("modulator_ptycho_calibration"),
            on_final=[store_modulator(store)],
        ),
        LiveCallback(
            KnifeEdgeXsnOptics(
                scope.pixel_size_m, scope.cutoff_um, scope.zone_plate_diameter_m, scope.outer_zone_m
            ),
            "camera",
            output_dir,
            derived,
            publish_period_s,
            accepts=_plan_is("knife_edge_calibration"),
            on_final=[store_xsn_optics(store)],
        ),
        LiveCallback(
            XsnTomographyLive(xsn_optics_for(store), pair_options),
            "camera",
            output_dir,
            derived,
            publish_period_s,
            accepts=_plan_is("tomography_0_180"),
            on_final=[EnergySweepSpectra(output_dir, derived, spectra)],
        ),
        LiveCallback(
            RockingScanReconstruction(
                SIMULATED_EIGER_PIXEL_M,
                SIMULATED_EIGER_DISTANCE_M,
                bcdi,
                bcmi=bcmi,
                modulator_for=modulator_for(store),
            ),
            "eiger",
            output_dir,
            derived,
            publish_period_s,
            accepts=_plan_is("rocking_scan"),
        ),
    ]
    if eiger_mask is not None:
        made.append(
            LiveCallback(
                XedmLive(eiger_mask, SIMULATED_EIGER_PIXEL_M, SIMULATED_EIGER_DISTANCE_M, xedm),
                "eiger",
                output_dir,
                derived,
                publish_period_s,
                accepts=_plan_is("snake_scan"),
            )
        )
    return {callback.analysis.name: callback for callback in made}
