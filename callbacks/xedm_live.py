"""Live XEDM (seed 002) during a snake scan: filtered accumulation, a refreshed preview, the final
guided-HIO reconstruction with its PRTF and core-shell fit at the stop.

Every frame goes through seed 002's filters as it arrives (weak, background, streak). Every
``preview_every`` kept frames the accumulated pattern is phased with a small GHIO (no model fit)
for the figure. At the stop the pattern is phased with the full settings, as
``phasebeam reconstruct xedm --run`` does on the stored run. A run's ``phasing`` metadata may
override any of :class:`XedmSettings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from phasebeam.analysis.xedm.accumulation import REASONS, FilterSettings, StreamingAccumulator
from phasebeam.analysis.xedm.phasing import GhioSettings
from phasebeam.analysis.xedm.pipeline import EnsembleGeometry, XedmResult, reconstruct_ensemble

from .live import FrameItem
from .run_settings import overridden


@dataclass(frozen=True)
class XedmSettings:
    """How a snake scan's pattern is phased (seed 002's values by default).

    Attributes:
        starts: GHIO random starts per generation.
        generations: GHIO generations.
        hio: HIO iterations per generation.
        er: ER iterations closing a generation.
        keep_fraction: share of the final starts averaged.
        binning: pixels per bin along each axis.
        speckle_diameter_px: removed central disc (binned px); None for 0.7 x the central speckle.
        fit: fit the core-shell model (Au core, SiO2 shell) and compare with it.
        core_range_nm: core diameters searched (nm).
        outer_range_nm: outer diameters searched (nm).
        seed: GHIO's random seed.
    """

    starts: int = 100
    generations: int = 10
    hio: int = 200
    er: int = 30
    keep_fraction: float = 0.2
    binning: int = 3
    speckle_diameter_px: float | None = None
    fit: bool = True
    core_range_nm: tuple[float, float] = (14.0, 24.0)
    outer_range_nm: tuple[float, float] = (48.0, 60.0)
    seed: int = 0

    def ghio(self) -> GhioSettings:
        return GhioSettings(
            self.starts, self.generations, self.hio, self.er, keep_fraction=self.keep_fraction
        )

    def fit_ranges_m(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        if not self.fit:
            return None
        core, outer = self.core_range_nm, self.outer_range_nm
        return (core[0] * 1e-9, core[1] * 1e-9), (outer[0] * 1e-9, outer[1] * 1e-9)


#: The preview's GHIO: a few starts, one generation.
PREVIEW = XedmSettings(starts=8, generations=1, hio=60, er=10, fit=False)


def phase_accumulated(
    accumulator: StreamingAccumulator,
    mask: npt.NDArray,
    geometry: EnsembleGeometry,
    settings: XedmSettings,
) -> XedmResult:
    """The accumulated pattern, background subtracted, phased with ``settings``."""
    return reconstruct_ensemble(
        accumulator.result().background_subtracted(),
        np.asarray(mask) == 0,
        geometry,
        binning=settings.binning,
        speckle_diameter_px=settings.speckle_diameter_px,
        settings=settings.ghio(),
        fit_ranges_m=settings.fit_ranges_m(),
        seed=settings.seed,
    )


class XedmLive:
    """Seed 002's accumulation and phasing of a snake scan's frames.

    Args:
        mask: non-zero where the detector never measures (gaps, beamstop), (rows, columns).
        detector_pixel_m: the detector's pixel (m).
        detector_distance_m: sample to detector (m).
        settings: the final reconstruction's settings (a run's ``phasing`` overrides them).
        filters: the frame filters' thresholds.
        preview_every: phase a preview every this many kept frames.
    """

    name = "xedm"

    def __init__(
        self,
        mask: npt.ArrayLike,
        detector_pixel_m: float,
        detector_distance_m: float,
        settings: XedmSettings | None = None,
        filters: FilterSettings | None = None,
        preview_every: int = 20,
    ) -> None:
        if preview_every < 1:
            raise ValueError(f"preview_every={preview_every} must be >= 1")
        self.mask = np.asarray(mask)
        self.detector_pixel_m = detector_pixel_m
        self.detector_distance_m = detector_distance_m
        self.settings = settings or XedmSettings()
        self.filters = filters or FilterSettings()
        self.preview_every = preview_every

    def start(self, start_doc: Mapping[str, Any]) -> None:
        if "energy_ev" not in start_doc:
            raise ValueError("the start document has no energy_ev: the pattern's q scale is unknown")
        self.run_settings = overridden(self.settings, start_doc.get("phasing"))
        self.geometry = EnsembleGeometry(
            float(start_doc["energy_ev"]), self.detector_distance_m, self.detector_pixel_m
        )
        self.accumulator = StreamingAccumulator(self.mask, self.filters)
        self.previewed_at = 0
        self.preview: XedmResult | None = None
        self.final: XedmResult | None = None

    def add(self, item: FrameItem) -> None:
        self.accumulator.add(item.frame)
        kept = self.accumulator.counts["kept"]
        if kept >= self.previewed_at + self.preview_every:
            self.previewed_at = kept
            self.preview = phase_accumulated(self.accumulator, self.mask, self.geometry, PREVIEW)

    def result(self, final: bool) -> dict[str, Any]:
        if final:
            self.accumulator.flush()
        accumulated = self.accumulator.result()
        out: dict[str, Any] = {f"frames_{reason}": accumulated.counts[reason] for reason in REASONS}
        out.update(
            verdict=np.array([REASONS.index(v.reason) for v in accumulated.verdicts], dtype=np.int8),
            chi2=np.array([v.chi2 for v in accumulated.verdicts]),
            pattern=accumulated.pattern,
        )
        if self.preview is not None:
            out["preview_average"] = self.preview.ghio.average
            out["preview_kept_frames"] = self.previewed_at
        if not final:
            return out
        if accumulated.counts["kept"] == 0:
            raise ValueError(
                f"no frame of {len(accumulated.verdicts)} was kept by the filters: nothing to phase"
            )
        result = phase_accumulated(self.accumulator, self.mask, self.geometry, self.run_settings)
        self.final = result
        out.update(xedm_result_fields(result))
        return out

    def draw(self, figure: Figure) -> None:
        shown = self.final or self.preview
        left, middle, right = figure.subplots(1, 3)
        accumulated = self.accumulator.result()
        left.imshow(np.log10(np.nan_to_num(np.clip(accumulated.pattern, 0, None)) + 1), cmap="magma")
        counts = accumulated.counts
        left.set_title(
            f"log10 sum: {counts['kept']} kept, {counts['weak']} weak, {counts['streak']} streak, "
            f"{counts['background']} background",
            fontsize=8,
        )
        if shown is not None:
            middle.imshow(shown.ghio.average, cmap="gray")
            middle.set_title(
                ("final" if shown is self.final else "preview")
                + f" GHIO, pixel {shown.object_pixel_m * 1e9:.1f} nm",
                fontsize=8,
            )
            right.plot(shown.prtf.frequency_per_m * 1e-6, shown.prtf.values)
            right.axhline(1 / math.e, color="k", lw=0.8)
            right.set(xlabel="q (1/um)", ylabel="PRTF")
            right.set_title(f"PRTF 1/e: {shown.prtf_half_period_m * 1e9:.1f} nm half period", fontsize=8)
        for ax in (left, middle):
            ax.set(xticks=[], yticks=[])


def xedm_result_fields(result: XedmResult) -> dict[str, Any]:
    """The figures of a final XEDM reconstruction, as published and as written offline."""
    out: dict[str, Any] = {
        "average": result.ghio.average,
        "support": result.ghio.support.astype(np.uint8),
        "errors": result.ghio.errors,
        "object_pixel_m": result.object_pixel_m,
        "prtf_frequency_per_m": result.prtf.frequency_per_m,
        "prtf": result.prtf.values,
        "prtf_half_period_m": result.prtf_half_period_m,
        "prtf_crosses_one_over_e": result.prtf_crosses_cutoff,
    }
    if result.fit is not None and result.comparison is not None:
        out.update(
            core_diameter_m=result.fit.core_diameter_m,
            outer_diameter_m=result.fit.outer_diameter_m,
            fit_error=result.fit.error,
            ssim=result.comparison.ssim,
        )
    return out
