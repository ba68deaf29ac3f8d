"""Streaming accumulation of XEDM frames with seed 002's quality filters (section 3.2).

Frames come one at a time (from a file or a running scan). Each is judged against what is
typical of the frames kept so far (a rolling median, so a slow drift of the beam follows):

1. ``weak``: total intensity ten times below typical (the beam on the silicon frame);
2. ``background``: total below half of typical, a frame without particles: these are summed
   apart, as the background pattern;
3. ``streak``: Eq. 4's chi^2 over the ring of pixels next to the beamstop above 1.6 times typical
   (seed 002: typical near 500, rejected above 800);
4. otherwise ``kept`` and summed.

Eq. 4 is taken on a one-pixel-wide circle in the seed; a ring a few pixels wide holds more
pixels (a steadier statistic) but the pattern falls across it, so each half-pixel-wide circle of
the ring is compared with its own mean and the sums added: without streaks chi^2 stays near
the number of ring pixels (Poisson), little raised by the pattern's radial slope. Background frames are
sorted out before the streak test, as their parasitic scattering is shaped unlike the sample's.

Nothing is known about typical frames at the start, so the first ``warmup`` frames are held and
judged together once they are in (by their medians); after that each frame is judged when it
arrives. Pixels that were not measured (the mask, or a detector's invalid value in one frame:
the largest value of an unsigned type, NaN or a negative number) count neither in the totals
nor in the sums; the mean pattern is taken per pixel over the frames that measured it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from ..limits import check_limits
from ..pattern_filters import CHI2_THRESHOLD_RATIO, WEAK_FACTOR

REASONS = ("kept", "weak", "streak", "background")


@dataclass(frozen=True)
class FilterSettings:
    """The filters' thresholds, relative to typical frames.

    Attributes:
        weak_factor: reject when the total is this many times below typical (seed 002: 10).
        chi2_ratio: reject when chi^2 exceeds this times typical (seed 002: 800 / 500).
        background_ratio: a frame below this fraction of the typical total is background
            (0 turns the background class off).
        ring_width_px: width of the ring D of Eq. 4, next to the beamstop (pixels).
        warmup: frames held at the start to learn what is typical.
        typical_window: the typical values are medians over this many recent kept frames.
    """

    weak_factor: float = WEAK_FACTOR
    chi2_ratio: float = CHI2_THRESHOLD_RATIO
    background_ratio: float = 0.5
    ring_width_px: float = 3.0
    warmup: int = 8
    typical_window: int = 200

    def __post_init__(self) -> None:
        checks = {
            "weak_factor": (self.weak_factor, 1.0, 1e6),
            "chi2_ratio": (self.chi2_ratio, 1.0, 1e6),
            "background_ratio": (self.background_ratio, 0.0, 1.0),
            "ring_width_px": (self.ring_width_px, 1.0, 100.0),
            "warmup": (self.warmup, 1, 10_000),
            "typical_window": (self.typical_window, 1, 10_000_000),
        }
        check_limits(checks)
        if self.background_ratio >= 1:
            raise ValueError(f"background_ratio={self.background_ratio} must be < 1")


@dataclass(frozen=True)
class BeamstopRing:
    """The beamstop found in a mask and the ring D of Eq. 4 next to it.

    Attributes:
        centre_px: the beamstop's centre (row, column).
        radius_px: its radius (the largest disc of unmeasured pixels).
        region: the ring's measured pixels.
        circles: for each pixel, the half-pixel-wide circle of the ring it lies on (0, 1, ...),
            -1 off the ring.
    """

    centre_px: tuple[float, float]
    radius_px: float
    region: npt.NDArray[np.bool_]
    circles: npt.NDArray[np.int64]


def beamstop_ring(
    unmeasured: npt.NDArray[np.bool_], width_px: float = 3.0, centre_px: tuple[float, float] | None = None
) -> BeamstopRing:
    """The measured pixels within ``width_px`` outside the beamstop's edge.

    With the direct beam's position ``centre_px`` (found with an attenuator before the
    beamstop goes in, as in seed 002), the beamstop's radius is the distance from there to the
    nearest measured pixel. Without it, the beamstop is taken as the thickest patch of
    unmeasured pixels, which holds when it is wider than the module gaps (37 pixels on an Eiger).

    Raises:
        ValueError: when nothing is masked, or the ring holds no measured pixel.
    """
    mask = np.asarray(unmeasured, dtype=bool)
    if not mask.any():
        raise ValueError("the mask has no unmeasured pixel: no beamstop to put the ring next to")
    if centre_px is None:
        depth = np.asarray(ndimage.distance_transform_edt(mask))
        radius = float(depth.max())
        peak = np.argwhere(depth >= radius - 0.5)
        centre = (float(peak[:, 0].mean()), float(peak[:, 1].mean()))
    else:
        centre = (float(centre_px[0]), float(centre_px[1]))
        rows, cols = np.nonzero(~mask)
        radius = float(np.min(np.hypot(rows - centre[0], cols - centre[1]))) if rows.size else 0.0
    y, x = np.ogrid[: mask.shape[0], : mask.shape[1]]
    r = np.hypot(y - centre[0], x - centre[1])
    region = (r >= radius) & (r < radius + width_px) & ~mask
    if not region.any():
        raise ValueError("the ring next to the beamstop holds no measured pixel")
    circles = np.where(region, np.floor(2 * (r - radius)), -1).astype(np.int64)
    return BeamstopRing(centre, radius, region, circles)


def ring_chi2(values: npt.NDArray[np.float64], circles: npt.NDArray[np.int64]) -> float:
    """Eq. 4 summed over the ring's circles: sum of (I - mean_circle)^2 / mean_circle.

    ``values`` and ``circles`` list the ring's measured pixels and the circle of each.
    """
    if values.size == 0:
        return 0.0
    counts = np.bincount(circles)
    means = np.bincount(circles, values) / np.maximum(counts, 1)
    spread = np.bincount(circles, (values - means[circles]) ** 2)
    used = (counts > 0) & (means > 0)
    return float(np.sum(spread[used] / means[used]))


@dataclass(frozen=True)
class FrameVerdict:
    """What happened to one frame.

    Attributes:
        index: its position in the stream (from 0).
        reason: one of :data:`REASONS`.
        total: its counts over measured pixels.
        chi2: its Eq. 4 statistic over the ring.
    """

    index: int
    reason: str
    total: float
    chi2: float


@dataclass(frozen=True)
class Accumulated:
    """The state of the accumulation.

    Attributes:
        pattern: sum of the kept frames (counts), per pixel scaled to all kept frames where a
            frame missed it; NaN where no kept frame measured a pixel.
        background: mean background frame (counts per frame), or None without background frames.
        counts: frames per reason.
        verdicts: one per judged frame, in order.
        pending: frames still held in the warm-up.
    """

    pattern: npt.NDArray[np.float64]
    background: npt.NDArray[np.float64] | None
    counts: dict[str, int]
    verdicts: tuple[FrameVerdict, ...]
    pending: int

    def background_subtracted(self, smoothing_px: float = 4.0) -> npt.NDArray[np.float64]:
        """pattern - kept x background ("based on the ratio of frames"), NaN where unmeasured.

        The background (air, membrane, parasitic scattering) is smooth, but its mean over the
        few background frames is not: it is Gaussian-smoothed over ``smoothing_px`` (measured
        pixels only) first, so that subtracting it many times over adds no noise.
        """
        if self.background is None:
            return self.pattern.copy()
        background = smooth_measured(self.background, smoothing_px) if smoothing_px > 0 else self.background
        return self.pattern - self.counts["kept"] * background


class StreamingAccumulator:
    """Judge, then sum or set aside, frames one at a time.

    Args:
        mask: True (non-zero) where a pixel is never measured (gaps, beamstop), shape (rows, cols).
        settings: the filters' thresholds.
        centre_px: the direct beam on the detector (row, column), if known: it places the ring D
            of Eq. 4 next to the beamstop (:func:`beamstop_ring`).

    Raises:
        ValueError: a mask that is not 2-D or masks every pixel.
    """

    def __init__(
        self,
        mask: npt.ArrayLike,
        settings: FilterSettings | None = None,
        centre_px: tuple[float, float] | None = None,
    ) -> None:
        unmeasured = np.asarray(mask) != 0
        if unmeasured.ndim != 2:
            raise ValueError(f"mask must be 2-D (rows, columns), got shape {unmeasured.shape}")
        if unmeasured.all():
            raise ValueError(f"mask {unmeasured.shape} marks every pixel unmeasured")
        self.settings = settings or FilterSettings()
        self.shape: tuple[int, int] = (int(unmeasured.shape[0]), int(unmeasured.shape[1]))
        self.unmeasured = unmeasured
        self._masked_flat = np.flatnonzero(unmeasured)
        self.ring = beamstop_ring(unmeasured, self.settings.ring_width_px, centre_px)
        self._ring_flat = np.flatnonzero(self.ring.region)
        self._ring_circles = self.ring.circles.ravel()[self._ring_flat]
        self._sum = np.zeros(self.shape, dtype=np.float64)
        self._missed: npt.NDArray[np.int64] | None = None  # kept frames that missed each pixel
        self._background = np.zeros(self.shape, dtype=np.float64)
        self._background_missed: npt.NDArray[np.int64] | None = None
        self._held: list[tuple[npt.NDArray, npt.NDArray[np.bool_] | None, float, float]] = []
        self._totals: deque[float] = deque(maxlen=self.settings.typical_window)
        self._chi2s: deque[float] = deque(maxlen=self.settings.typical_window)
        self.counts: dict[str, int] = dict.fromkeys(REASONS, 0)
        self.verdicts: list[FrameVerdict] = []
        self._seen = 0
        self._warm = False

    # --- one frame ----------------------------------------------------------------------------

    def add(self, frame: npt.ArrayLike) -> list[FrameVerdict]:
        """Take one frame; returns the verdicts decided by it (none while warming up).

        Raises:
            ValueError: a frame of another shape, or one with no measured pixel; nothing is lost
                (the accumulation so far is unchanged).
        """
        data = np.asarray(frame)
        if data.shape != self.shape:
            raise ValueError(f"frame {self._seen} has shape {data.shape}, the mask has {self.shape}")
        if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
            raise ValueError(f"frame {self._seen} must hold real counts, got dtype {data.dtype}")
        invalid, total = self._invalid_pixels(data)
        total, chi2 = self._statistics(data, invalid, total)
        self._seen += 1
        if not self._warm:
            self._held.append((data, invalid, total, chi2))
            if len(self._held) < self.settings.warmup:
                return []
            return self._judge_held()
        return [self._judge(data, invalid, total, chi2, self._seen - 1)]

    def _invalid_pixels(self, data: npt.NDArray) -> tuple[npt.NDArray[np.bool_] | None, float | None]:
        """Pixels flagged invalid in this frame outside the mask (None when there are none), and
        the frame's total over the measured pixels when it came for free.

        For unsigned frames the cheap test (one sum, which the total needs anyway) comes first:
        flagged pixels push the total past the flag value, so the full comparison runs only when
        it could find some.
        """
        if np.issubdtype(data.dtype, np.unsignedinteger):
            flag = np.iinfo(data.dtype).max
            total = int(data.sum(dtype=np.uint64)) - int(data.ravel()[self._masked_flat].sum(dtype=np.uint64))
            if total < flag:
                return None, float(total)
            invalid = (data == flag) & ~self.unmeasured
        elif np.issubdtype(data.dtype, np.floating):
            invalid = ~(data >= 0) & ~self.unmeasured  # NaN and negative values
        else:
            invalid = (data < 0) & ~self.unmeasured
        if not invalid.any():
            return None, None
        if invalid.sum() == self.unmeasured.size - self._masked_flat.size:
            raise ValueError(
                f"frame {self._seen} has no measured pixel: every pixel outside the mask is invalid"
            )
        return invalid, None

    def _statistics(
        self, data: npt.NDArray, invalid: npt.NDArray[np.bool_] | None, total: float | None
    ) -> tuple[float, float]:
        flat = data.ravel()
        ring = flat[self._ring_flat].astype(np.float64)
        circles = self._ring_circles
        if invalid is None:
            if total is None:
                total = float(data.sum(dtype=np.float64)) - float(
                    flat[self._masked_flat].sum(dtype=np.float64)
                )
        else:
            good = ~(invalid | self.unmeasured)
            total = float(np.sum(data, where=good, dtype=np.float64))
            ring_good = good.ravel()[self._ring_flat]
            ring, circles = ring[ring_good], circles[ring_good]
        return total, ring_chi2(ring, circles)

    def _judge_held(self) -> list[FrameVerdict]:
        held, self._held = self._held, []
        self._warm = True
        totals = np.array([h[2] for h in held])
        chi2s = np.array([h[3] for h in held])
        # The warm-up's own medians stand in for "typical", over the frames that are not weak.
        strong = totals * self.settings.weak_factor >= np.median(totals)
        self._totals.extend(totals[strong])
        self._chi2s.extend(chi2s[strong])
        first = self._seen - len(held)
        return [self._judge(d, inv, t, c, first + i) for i, (d, inv, t, c) in enumerate(held)]

    def _judge(
        self, data: npt.NDArray, invalid: npt.NDArray[np.bool_] | None, total: float, chi2: float, index: int
    ) -> FrameVerdict:
        s = self.settings
        typical_total = float(np.median(self._totals))
        typical_chi2 = float(np.median(self._chi2s))
        if total * s.weak_factor < typical_total:
            reason = "weak"
        elif total < s.background_ratio * typical_total:
            reason = "background"
        elif chi2 > s.chi2_ratio * typical_chi2:
            reason = "streak"
        else:
            reason = "kept"
        if reason == "kept":
            self._add_to(self._sum, data, invalid, "_missed")
            if index >= s.warmup:  # the warm-up's values are in already
                self._totals.append(total)
                self._chi2s.append(chi2)
        elif reason == "background":
            self._add_to(self._background, data, invalid, "_background_missed")
        self.counts[reason] += 1
        verdict = FrameVerdict(index, reason, total, chi2)
        self.verdicts.append(verdict)
        return verdict

    def _add_to(self, target: npt.NDArray[np.float64], data: npt.NDArray, invalid, missed_name: str) -> None:
        if invalid is None:
            np.add(target, data, out=target)
            return
        np.add(target, data, out=target, where=~invalid)
        missed = getattr(self, missed_name)
        if missed is None:
            missed = np.zeros(self.shape, dtype=np.int64)
            setattr(self, missed_name, missed)
        missed += invalid

    # --- the result -------------------------------------------------------------------------

    def flush(self) -> list[FrameVerdict]:
        """Judge the frames still held (a stream shorter than the warm-up)."""
        if not self._held:
            return []
        return self._judge_held()

    def result(self) -> Accumulated:
        """The sums so far (frames still in the warm-up are not in them; :meth:`flush` first)."""
        kept = self.counts["kept"]
        pattern = _scaled_mean(self._sum, self._missed, kept) * kept if kept else np.full(self.shape, np.nan)
        pattern[self.unmeasured] = np.nan
        background = None
        if self.counts["background"]:
            background = _scaled_mean(self._background, self._background_missed, self.counts["background"])
            background[self.unmeasured] = np.nan
        return Accumulated(pattern, background, dict(self.counts), tuple(self.verdicts), len(self._held))


def _scaled_mean(total: npt.NDArray[np.float64], missed: npt.NDArray[np.int64] | None, n: int) -> npt.NDArray:
    """Per-pixel mean over the ``n`` frames that measured it (NaN where none did)."""
    if missed is None:
        return total / n
    measured = n - missed
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(measured > 0, total / np.maximum(measured, 1), np.nan)


def smooth_measured(values: npt.NDArray[np.float64], sigma_px: float) -> npt.NDArray[np.float64]:
    """Gaussian smoothing that ignores NaN pixels (normalised convolution); NaN stays NaN."""
    good = np.isfinite(values)
    weight = ndimage.gaussian_filter(good.astype(np.float64), sigma_px)
    summed = ndimage.gaussian_filter(np.where(good, values, 0.0), sigma_px)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(good, summed / weight, np.nan)
