"""Live energy-sweep spectra (seed 004's hyperspectral XSN), fed by each energy's tomogram.

An ``energy_sweep`` with ``inner="tomography"`` is one 0/180 tomography run per energy, all with
the same ``sweep_uid``. :class:`EnergySweepSpectra` listens to the live XSN tomography's final
results: as each energy's delta and beta tomograms come, the mean delta and beta of every region
of interest grow by one point (the live spectra). When every energy of the sweep is in, it adds the
element density maps across the absorption edge (Eqs. 17-18) and the Kramers-Kronig check of each
region's spectra. :class:`SweepSpectra` is that computation on its own, which the offline
``phasebeam reconstruct xsn-sweep`` runs on the tomograms of the same runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from phasebeam.analysis.xsn.spectral import (
    edge_element_density,
    kramers_kronig_check,
    remaining_element_density,
)
from phasebeam.analysis.xsn.sweep_regions import box_region, edge_energies_ev, k_edge_ev, threshold_region

from .publication import save_figure, write_result_file, write_result_tiled
from .run_settings import overridden

log = logging.getLogger(__name__)

#: The name of the sweep's analysis (its files and Tiled container).
NAME = "energy_sweep"


@dataclass(frozen=True)
class SweepSettings:
    """What an energy sweep's spectra and maps are made of (a run's ``spectra`` metadata overrides them).

    Attributes:
        edge_element: the element whose K edge the sweep crosses (seed 004: Ni).
        other_elements: elements whose combined density Eq. 18 maps from the pre-edge beta
            (seed 004: Mn, Co); empty for none.
        formula: the sample region's material, for the Kramers-Kronig check's tabulated values
            (e.g. ``"NiO"``); None for no check.
        density_g_cm3: that material's density (g/cm^3).
        sample_fraction: the sample region is where delta at the sweep's lowest energy exceeds this
            fraction of its 99.9th percentile.
        regions: more regions by name, each a box (z0, z1, y0, y1, x0, x1) in voxels.
    """

    edge_element: str = "Ni"
    other_elements: tuple[str, ...] = ()
    formula: str | None = None
    density_g_cm3: float | None = None
    sample_fraction: float = 0.5
    regions: Mapping[str, tuple[int, int, int, int, int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k_edge_ev(self.edge_element)  # an unknown element is refused before any run
        if (self.formula is None) != (self.density_g_cm3 is None):
            raise ValueError(
                f"formula={self.formula!r} and density_g_cm3={self.density_g_cm3} go together "
                "(both for a Kramers-Kronig check, neither for none)"
            )
        if self.density_g_cm3 is not None and not self.density_g_cm3 > 0:
            raise ValueError(f"density_g_cm3={self.density_g_cm3} must be > 0 g/cm^3")
        if "sample" in self.regions:
            raise ValueError("regions: 'sample' is the automatic region; give yours another name")


class SweepSpectra:
    """Spectra of a sweep's tomograms as they come, in any order; maps and checks when all are in.

    Args:
        energies_ev: every energy of the sweep (eV).
        settings: elements, material and regions.
    """

    def __init__(self, energies_ev: npt.ArrayLike, settings: SweepSettings) -> None:
        self.energies_ev = np.sort(np.asarray(energies_ev, dtype=np.float64))
        if self.energies_ev.ndim != 1 or self.energies_ev.size < 1:
            raise ValueError(f"energies_ev must list the sweep's energies, got {self.energies_ev}")
        self.settings = settings
        try:
            self.edge_pair_ev: tuple[float, float] | None = edge_energies_ev(
                self.energies_ev, settings.edge_element
            )
            self.no_maps = ""
        except ValueError as error:
            self.edge_pair_ev, self.no_maps = None, str(error)
        self.regions: dict[str, npt.NDArray[np.bool_]] = {}
        self.means: dict[float, dict[str, tuple[float, float]]] = {}  # energy: region: (delta, beta)
        self.waiting: dict[float, tuple[npt.NDArray, npt.NDArray]] = {}  # until the regions are known
        self.edge_beta: dict[float, npt.NDArray] = {}

    @property
    def complete(self) -> bool:
        return len(self.means) == self.energies_ev.size

    def _energy_of_sweep(self, energy_ev: float) -> float:
        nearest = float(self.energies_ev[np.argmin(np.abs(self.energies_ev - energy_ev))])
        if abs(nearest - energy_ev) > 0.01:
            raise ValueError(
                f"energy {energy_ev} eV is not one of the sweep's {self.energies_ev.tolist()} eV"
            )
        return nearest

    def add(self, energy_ev: float, delta: npt.ArrayLike, beta: npt.ArrayLike) -> None:
        """The delta and beta tomograms (Z, Y, X) at ``energy_ev`` (eV), one of the sweep's."""
        energy = self._energy_of_sweep(energy_ev)
        delta_volume, beta_volume = np.asarray(delta, np.float64), np.asarray(beta, np.float64)
        if delta_volume.ndim != 3 or delta_volume.shape != beta_volume.shape:
            raise ValueError(f"delta {delta_volume.shape} and beta {beta_volume.shape} must be one 3-D shape")
        if energy in self.means or energy in self.waiting:
            raise ValueError(f"the tomograms at {energy} eV came twice")
        if self.edge_pair_ev is not None and energy in self.edge_pair_ev:
            self.edge_beta[energy] = beta_volume
        if energy == self.energies_ev[0]:
            self.regions = {"sample": threshold_region(delta_volume, self.settings.sample_fraction)}
            for name, box in self.settings.regions.items():
                self.regions[name] = box_region(delta_volume.shape, box)
        self.waiting[energy] = (delta_volume, beta_volume)
        if self.regions:
            shape = self.regions["sample"].shape
            for waiting_energy, (d, b) in sorted(self.waiting.items()):
                if d.shape != shape:
                    raise ValueError(f"the tomograms at {waiting_energy} eV are {d.shape}, the first {shape}")
                self.means[waiting_energy] = {
                    name: (float(d[region].mean()), float(b[region].mean()))
                    for name, region in self.regions.items()
                }
            self.waiting.clear()

    def result(self, final: bool) -> dict[str, Any]:
        """The spectra so far; with ``final`` (every energy in) the element maps and the KK checks."""
        energies = np.array(sorted(self.means))
        out: dict[str, Any] = {
            "energies_ev": energies,
            "energies_done": int(energies.size),
            "energies_in_sweep": int(self.energies_ev.size),
            "edge_element": self.settings.edge_element,
            "edge_ev": k_edge_ev(self.settings.edge_element),
        }
        for name, region in self.regions.items():
            out[f"{name}_voxels"] = int(region.sum())
            out[f"{name}_delta_mean"] = np.array([self.means[e][name][0] for e in energies])
            out[f"{name}_beta_mean"] = np.array([self.means[e][name][1] for e in energies])
        if not final:
            return out
        if not self.complete:
            missing = sorted(set(self.energies_ev.tolist()) - set(self.means))
            raise ValueError(f"the sweep's tomograms at {missing} eV never came")
        if self.edge_pair_ev is None:
            out["element_maps"] = f"none: {self.no_maps}"
        else:
            below, above = self.edge_pair_ev
            density = edge_element_density(
                self.edge_beta[below], self.edge_beta[above], self.settings.edge_element, below, above
            )
            out.update(
                energy_below_ev=below,
                energy_above_ev=above,
                edge_element_density_g_cm3=density,
                sample_edge_element_density_g_cm3=float(np.median(density[self.regions["sample"]])),
            )
            if self.settings.other_elements:
                out["other_elements"] = " ".join(self.settings.other_elements)
                out["other_elements_density_g_cm3"] = remaining_element_density(
                    self.edge_beta[below],
                    density,
                    self.settings.edge_element,
                    self.settings.other_elements,
                    below,
                )
        if self.settings.formula is not None and self.settings.density_g_cm3 is not None:
            if energies.size < 2:
                out["kramers_kronig"] = "none: the check needs at least two energies"
            for name in self.regions if energies.size >= 2 else ():
                check = kramers_kronig_check(
                    energies,
                    out[f"{name}_delta_mean"],
                    out[f"{name}_beta_mean"],
                    self.settings.formula,
                    self.settings.density_g_cm3,
                )
                out[f"{name}_delta_kk_predicted"] = check.delta_predicted
                out[f"{name}_kk_rms_relative_deviation"] = check.rms_relative_deviation
        return out

    def draw(self, figure: Figure, result: Mapping[str, Any]) -> None:
        """Spectra of every region, the edge marked; the central slice of the edge element's map."""
        axes = figure.subplots(1, 3)
        energies = result["energies_ev"]
        edge = result["edge_ev"]
        for ax, quantity in zip(axes[:2], ("delta", "beta"), strict=True):
            for name in self.regions:
                ax.plot(energies, result[f"{name}_{quantity}_mean"], "o-", label=name)
                if f"{name}_delta_kk_predicted" in result and quantity == "delta":
                    ax.plot(energies, result[f"{name}_delta_kk_predicted"], "--", label=f"{name}, KK")
            ax.axvline(edge, color="0.6", lw=0.8)
            ax.set(xlabel="energy (eV)", ylabel=f"mean {quantity}")
            ax.set_title(
                f"{quantity}, {result['energies_done']}/{result['energies_in_sweep']} energies", fontsize=9
            )
        if self.regions:
            axes[0].legend(fontsize=7)
        density = result.get("edge_element_density_g_cm3")
        if density is not None:
            image = axes[2].imshow(density[density.shape[0] // 2], cmap="magma")
            figure.colorbar(image, ax=axes[2], label=f"{result['edge_element']} (g/cm$^3$)")
            axes[2].set_title(f"{result['edge_element']} density, central slice", fontsize=9)
        axes[2].set(xticks=[], yticks=[])


class EnergySweepSpectra:
    """Listens to the XSN tomography's final results; publishes each sweep's spectra and maps.

    Files go to ``output_dir/<sweep uid>/energy_sweep.h5`` (and ``.png``), rewritten as each energy
    comes; the Tiled container ``<sweep uid>-energy_sweep`` is written when the sweep is complete.
    A failure is published in its place (``status="failed"``, ``error``), as a live analysis's.

    Args:
        output_dir: folder for the result files.
        tiled_client: a writable Tiled container for the derived results, or None.
        settings: the defaults; a run's ``spectra`` metadata overrides them.
    """

    def __init__(
        self, output_dir: str | Path, tiled_client: Any = None, settings: SweepSettings | None = None
    ):
        self.output_dir = Path(output_dir)
        self.tiled_client = tiled_client
        self.settings = settings or SweepSettings()
        self.sweeps: dict[str, SweepSpectra] = {}
        self.runs: dict[str, list[str]] = {}
        #: Files written, the Tiled key and the status ("ok" or "failed"), per sweep uid.
        self.published: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()  # each run's final result comes in its own worker thread

    def __call__(self, start: Mapping[str, Any], result: dict[str, Any]) -> None:
        sweep_uid = start.get("sweep_uid")
        if sweep_uid is None:
            return  # a tomography outside a sweep
        with self._lock:
            if self.published.get(sweep_uid, {}).get("status") == "failed":
                return
            try:
                sweep = self.sweeps.get(sweep_uid)
                if sweep is None:
                    settings = overridden(self.settings, start.get("spectra"), source="spectra")
                    sweep = self.sweeps[sweep_uid] = SweepSpectra(start["sweep_energies_ev"], settings)
                self.runs.setdefault(sweep_uid, []).append(str(start["uid"]))
                sweep.add(float(start["energy_ev"]), result["delta"], result["beta"])
                self._publish(sweep_uid, sweep)
            except Exception as error:
                log.exception("the spectra of energy sweep %s failed", sweep_uid)
                self._publish_failure(sweep_uid, f"{type(error).__name__}: {error}")

    def _attrs(self, sweep_uid: str, status: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **status,
            "analysis": NAME,
            "sweep_uid": sweep_uid,
            "raw_uids": " ".join(self.runs[sweep_uid]),
        }

    def _publish(self, sweep_uid: str, sweep: SweepSpectra) -> None:
        final = sweep.complete
        result = sweep.result(final)
        folder = self.output_dir / sweep_uid
        folder.mkdir(parents=True, exist_ok=True)
        record = self.published.setdefault(sweep_uid, {})
        record.update(h5=folder / f"{NAME}.h5", png=folder / f"{NAME}.png", final=final, status="ok")
        write_result_file(record["h5"], result, self._attrs(sweep_uid, {"status": "ok", "final": final}))
        save_figure(record["png"], lambda figure: sweep.draw(figure, result))
        if final and self.tiled_client is not None:
            metadata = self._attrs(sweep_uid, {"status": "ok"})
            record["tiled_key"] = write_result_tiled(
                self.tiled_client, f"{sweep_uid}-{NAME}", result, metadata
            )

    def _publish_failure(self, sweep_uid: str, error: str) -> None:
        record = self.published.setdefault(sweep_uid, {})
        record.update(status="failed", error=error, final=True)
        self.runs.setdefault(sweep_uid, [])
        try:
            folder = self.output_dir / sweep_uid
            folder.mkdir(parents=True, exist_ok=True)
            status = {"status": "failed", "error": error, "final": True}
            write_result_file(folder / f"{NAME}.h5", {}, self._attrs(sweep_uid, status))
            (folder / f"{NAME}.png").unlink(missing_ok=True)
            if self.tiled_client is not None:
                metadata = self._attrs(sweep_uid, {"status": "failed", "error": error})
                record["tiled_key"] = write_result_tiled(
                    self.tiled_client, f"{sweep_uid}-{NAME}", {}, metadata
                )
        except Exception:
            log.exception("could not publish the failure of energy sweep %s", sweep_uid)
