"""Three live analyses from the seeds, each fed one frame at a time by ``LiveCallback``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from phasebeam.analysis.knife_edge import angular_spectrum_from_knife_edge
from phasebeam.analysis.optics import wavelength_m
from phasebeam.analysis.pattern_filters import CHI2_THRESHOLD_RATIO, judge_pattern, ring_region
from phasebeam.analysis.rocking_curve import rocking_curve

from .live import FrameItem


class KnifeEdgeSpectrum:
    """I_k from the mean background against the edge position (seed 004, Eq. 6).

    Args:
        edge_key: the data key of the edge position (um).
        energy_ev: photon energy (eV); default the start document's ``energy_ev``.
        focal_length_m: zone plate to filter distance f_ZP (m); default the start document's
            ``zone_plate_focal_length_m``.
    """

    name = "knife_edge_spectrum"

    def __init__(
        self,
        edge_key: str = "cutoff_filter-edge",
        energy_ev: float | None = None,
        focal_length_m: float | None = None,
    ) -> None:
        self.edge_key = edge_key
        self._energy_ev = energy_ev
        self._focal_length_m = focal_length_m
        self.energy_ev, self.focal_length_m = energy_ev, focal_length_m
        self.edges_um: list[float] = []
        self.means: list[float] = []

    def start(self, start_doc: Mapping[str, Any]) -> None:
        self.energy_ev = self._energy_ev or start_doc.get("energy_ev")
        self.focal_length_m = self._focal_length_m or start_doc.get("zone_plate_focal_length_m")
        self.edges_um: list[float] = []
        self.means: list[float] = []

    def add(self, item: FrameItem) -> None:
        self.edges_um.append(float(item.positions[self.edge_key]))
        self.means.append(float(np.mean(item.frame)))

    def result(self, final: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"edge_um": np.array(self.edges_um), "mean_counts": np.array(self.means)}
        if len(self.means) >= 3 and self.energy_ev and self.focal_length_m:
            try:
                spectrum = angular_spectrum_from_knife_edge(
                    np.array(self.edges_um) * 1e-6,
                    np.array(self.means),
                    float(wavelength_m(self.energy_ev)),
                    float(self.focal_length_m),
                )
            except ValueError:
                if final:
                    raise
                return out  # the edge has not reached the light yet
            out.update(
                spectrum_edge_m=spectrum.edge_m,
                k_x_per_m=spectrum.k_x_per_m,
                density_per_m=spectrum.density_per_m,
                total_counts=spectrum.total_intensity,
            )
        return out

    def draw(self, figure: Figure) -> None:
        result = self.result(final=False)
        left, right = figure.subplots(1, 2)
        left.plot(result["edge_um"], result["mean_counts"], "o-", ms=3)
        left.set(xlabel="edge position (um)", ylabel="mean background (counts)")
        left.set_title("knife-edge scan", fontsize=9)
        if "k_x_per_m" in result:
            right.plot(result["k_x_per_m"] * 1e-6, result["density_per_m"] * 1e-6, "-")
        right.set(xlabel="k_x (1/um)", ylabel="I_k (1/um of pupil)")
        right.set_title("angular power spectral density I_k", fontsize=9)


class RockingCurveLive:
    """Integrated intensity against eta, its centre and FWHM; at the end the 3-D stack for phasing.

    Args:
        angle_key: the data key of the rocking angle (deg).
    """

    name = "rocking_curve"

    def __init__(self, angle_key: str = "diffractometer-eta") -> None:
        self.angle_key = angle_key
        RockingCurveLive.start(self, {})  # not a subclass's start, which may need a run's keys

    def start(self, start_doc: Mapping[str, Any]) -> None:
        self.angles: list[float] = []
        self.intensity: list[float] = []
        self.frames: list[npt.NDArray] = []

    def add(self, item: FrameItem) -> None:
        self.angles.append(float(item.positions[self.angle_key]))
        self.intensity.append(float(np.sum(item.frame, dtype=np.float64)))
        self.frames.append(np.asarray(item.frame))

    def result(self, final: bool) -> dict[str, Any]:
        order = np.argsort(self.angles)
        out: dict[str, Any] = {
            "eta_deg": np.array(self.angles)[order],
            "integrated_counts": np.array(self.intensity)[order],
        }
        if len(self.angles) >= 3 and max(self.intensity) > 0:
            curve = rocking_curve(self.angles, self.intensity)
            out.update(centre_deg=curve.centre_deg, fwhm_deg=curve.fwhm_deg, peak_deg=curve.peak_deg)
        if final and self.frames:
            # Z (rocking angle), Y, X: the 3-D intensity that the CDI engine phases.
            out["stack"] = np.stack([self.frames[i] for i in order]).astype(np.float32)
        return out

    def draw(self, figure: Figure) -> None:
        result = self.result(final=False)
        left, right = figure.subplots(1, 2)
        left.plot(result["eta_deg"], result["integrated_counts"], "o-", ms=3)
        if "centre_deg" in result:
            left.axvline(result["centre_deg"], color="k", lw=0.8)
            left.set_title(
                f"centre {result['centre_deg']:.4f} deg, FWHM {result['fwhm_deg']:.4f} deg", fontsize=9
            )
        left.set(xlabel="eta (deg)", ylabel="integrated intensity (counts)")
        if self.frames:
            brightest = self.frames[int(np.argmax(self.intensity))]
            right.imshow(np.log10(brightest.astype(float) + 1), cmap="viridis")
            right.set(xticks=[], yticks=[])
            right.set_title("brightest frame, log10(counts + 1)", fontsize=9)


class SnakeAccumulator:
    """Running sum of the accepted patterns, with seed 002's filters (weak, streak).

    Args:
        ring_inner_px: inner radius of the ring D, just outside the beamstop (px).
        ring_width_px: its width (px).
        chi2_threshold: reject above this chi^2; default 1.6 x the median chi^2 of the kept
            patterns (seed 002: typical 500, rejected above 800).
        typical_after: patterns kept before the filters use typical values (the typical total
            and chi^2 are the medians over the kept patterns).
    """

    name = "snake_accumulation"

    def __init__(
        self,
        ring_inner_px: float = 9.0,
        ring_width_px: float = 3.0,
        chi2_threshold: float | None = None,
        typical_after: int = 3,
    ) -> None:
        self.ring_inner_px = ring_inner_px
        self.ring_width_px = ring_width_px
        self.chi2_threshold = chi2_threshold
        self.typical_after = typical_after
        self.start({})

    def start(self, start_doc: Mapping[str, Any]) -> None:
        self.total: npt.NDArray[np.float64] | None = None
        self.region: npt.NDArray[np.bool_] | None = None
        self.kept_totals: list[float] = []
        self.kept_chi2: list[float] = []
        self.chi2: list[float] = []
        self.rejected = {"weak": 0, "streak": 0}

    def add(self, item: FrameItem) -> None:
        frame = np.asarray(item.frame, dtype=np.float64)
        if self.region is None:
            self.region = ring_region(frame.shape, self.ring_inner_px, self.ring_width_px)
            self.total = np.zeros(frame.shape)
        known = len(self.kept_totals) >= self.typical_after
        typical = float(np.median(self.kept_totals)) if known else None
        threshold = self.chi2_threshold
        if threshold is None and known:
            threshold = CHI2_THRESHOLD_RATIO * float(np.median(self.kept_chi2))
        verdict = judge_pattern(frame, self.region, typical, threshold)
        self.chi2.append(verdict.chi2)
        if verdict.kept:
            assert self.total is not None
            self.total += frame
            self.kept_totals.append(verdict.total)
            self.kept_chi2.append(verdict.chi2)
        else:
            self.rejected[verdict.reason] += 1

    def result(self, final: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kept": len(self.kept_totals),
            "rejected_weak": self.rejected["weak"],
            "rejected_streak": self.rejected["streak"],
            "chi2": np.array(self.chi2),
        }
        if self.total is not None:
            out["sum"] = self.total
        return out

    def draw(self, figure: Figure) -> None:
        left, right = figure.subplots(1, 2)
        if self.total is not None:
            left.imshow(np.log10(self.total + 1), cmap="magma")
        left.set(xticks=[], yticks=[])
        left.set_title(
            f"log10 sum of {len(self.kept_totals)} kept, {sum(self.rejected.values())} rejected", fontsize=9
        )
        right.plot(self.chi2, ".")
        right.set(xlabel="pattern", ylabel="chi^2 (Eq. 4)")
        right.set_title("streak statistic", fontsize=9)
