"""Calibrations that later reconstructions find by themselves: one HDF5 file per calibration run.

``<data dir>/calibrations/<kind>/<run uid>.h5`` holds the calibration's arrays and, as root
attributes, the run's uid, its start time (epoch s), its photon energy (eV) and anything else the
writer adds. A reconstruction asks for the most recent calibration of a kind, or for one by run
uid. It never falls back silently: with none stored, or with the most recent one too old or taken
at another energy, it raises :class:`CalibrationError` saying what was found and what to do.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py

#: The knife-edge I_k made into XSN optics (``reconstruct xsn-tomo`` reads it).
XSN_OPTICS = "xsn_optics"
#: The modulator retrieved by the ptychographic calibration (BCMI reads it).
MODULATOR = "modulator"

#: What makes each kind of calibration, for the messages.
_MADE_BY = {XSN_OPTICS: "knife_edge_calibration", MODULATOR: "modulator_ptycho_calibration"}

#: Defaults of what counts as stale: a calibration older than this (s) ...
MAX_AGE_S = 24 * 3600.0
#: ... or taken this far from the energy it would be used at (eV).
ENERGY_TOLERANCE_EV = 100.0


class CalibrationError(LookupError):
    """No usable calibration: none stored, the one asked for is absent, or it is stale."""


@dataclass(frozen=True)
class Calibration:
    """One stored calibration.

    Attributes:
        kind: ``XSN_OPTICS`` or ``MODULATOR``.
        raw_uid: the calibration run's uid.
        path: its HDF5 file.
        time_s: the calibration run's start (epoch s).
        energy_ev: the photon energy it was taken at (eV), or NaN when unknown.
    """

    kind: str
    raw_uid: str
    path: Path
    time_s: float
    energy_ev: float

    def describe(self, now_s: float | None = None) -> str:
        age_h = ((now_s or time.time()) - self.time_s) / 3600.0
        energy = "unknown energy" if math.isnan(self.energy_ev) else f"{self.energy_ev:.1f} eV"
        return f"{self.kind} of run {self.raw_uid} ({energy}, {age_h:.2f} h old, {self.path})"


class CalibrationStore:
    """The calibrations of one data folder.

    Args:
        folder: where the calibrations are kept (``<data dir>/calibrations``).
        max_age_s: a calibration older than this is stale (s).
        energy_tolerance_ev: a calibration taken further than this from the energy it is used at
            is stale (eV).
    """

    def __init__(
        self,
        folder: str | Path,
        max_age_s: float = MAX_AGE_S,
        energy_tolerance_ev: float = ENERGY_TOLERANCE_EV,
    ) -> None:
        if not max_age_s > 0:
            raise ValueError(f"max_age_s={max_age_s} must be > 0 s")
        if not energy_tolerance_ev >= 0:
            raise ValueError(f"energy_tolerance_ev={energy_tolerance_ev} must be >= 0 eV")
        self.folder = Path(folder)
        self.max_age_s = max_age_s
        self.energy_tolerance_ev = energy_tolerance_ev

    def save(
        self,
        kind: str,
        raw_uid: str,
        time_s: float,
        energy_ev: float | None,
        write: Callable[[h5py.File], None],
        **attributes: Any,
    ) -> Calibration:
        """Store a calibration: ``write`` fills the file; the bookkeeping goes in its attributes."""
        _check_kind(kind)
        folder = self.folder / kind
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{raw_uid}.h5"
        temporary = path.with_suffix(".h5.tmp")
        energy = math.nan if energy_ev is None else float(energy_ev)
        with h5py.File(temporary, "w") as f:
            write(f)
            f.attrs.update(attributes)
            f.attrs.update(kind=kind, raw_uid=raw_uid, time_s=float(time_s), energy_ev=energy)
        temporary.replace(path)  # a reader never finds half a calibration
        return Calibration(kind, raw_uid, path, float(time_s), energy)

    def entries(self, kind: str) -> list[Calibration]:
        """Every stored calibration of ``kind``, oldest first."""
        _check_kind(kind)
        found = []
        for path in (self.folder / kind).glob("*.h5"):
            with h5py.File(path, "r") as f:
                attrs = f.attrs
                found.append(
                    Calibration(
                        kind,
                        str(attrs["raw_uid"]),
                        path,
                        float(attrs["time_s"]),  # type: ignore[arg-type]
                        float(attrs["energy_ev"]),  # type: ignore[arg-type]
                    )
                )
        return sorted(found, key=lambda c: c.time_s)

    def find(
        self,
        kind: str,
        raw_uid: str | None = None,
        energy_ev: float | None = None,
        now_s: float | None = None,
    ) -> Calibration:
        """The calibration of run ``raw_uid``, or else the most recent one, checked for staleness.

        Args:
            kind: ``XSN_OPTICS`` or ``MODULATOR``.
            raw_uid: the calibration run to use; None for the most recent.
            energy_ev: the energy the calibration will be used at (eV); None skips that check.
            now_s: the time to judge the age at (epoch s); default now.
        """
        entries = self.entries(kind)
        made_by = _MADE_BY[kind]
        if raw_uid is not None:
            chosen = [c for c in entries if c.raw_uid == raw_uid]
            if not chosen:
                raise CalibrationError(
                    f"no {kind} calibration of run {raw_uid} in {self.folder / kind} "
                    f"({len(entries)} stored: {[c.raw_uid for c in entries][-5:]})"
                )
            calibration = chosen[0]
        elif not entries:
            raise CalibrationError(
                f"no {kind} calibration in {self.folder / kind}: run {made_by} with its live analysis "
                "first, or give the calibration explicitly"
            )
        else:
            calibration = entries[-1]
        now = time.time() if now_s is None else now_s
        age = now - calibration.time_s
        if age > self.max_age_s:
            raise CalibrationError(
                f"stale calibration: the {calibration.describe(now)} is older than "
                f"{self.max_age_s / 3600:.2f} h; run {made_by} again or give the calibration explicitly"
            )
        if energy_ev is not None:
            if math.isnan(calibration.energy_ev):
                raise CalibrationError(
                    f"the {calibration.describe(now)} has no energy to check against {energy_ev:.1f} eV"
                )
            if abs(calibration.energy_ev - energy_ev) > self.energy_tolerance_ev:
                raise CalibrationError(
                    f"stale calibration: the {calibration.describe(now)} was taken more than "
                    f"{self.energy_tolerance_ev:.1f} eV from {energy_ev:.1f} eV; run {made_by} at "
                    "this energy or give the calibration explicitly"
                )
        return calibration


def _check_kind(kind: str) -> None:
    if kind not in _MADE_BY:
        raise ValueError(f"kind={kind!r} is not one of {sorted(_MADE_BY)}")
