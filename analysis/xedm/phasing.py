"""Guided hybrid input-output (GHIO, Chen et al. 2007) for a real, positive projected density.

An ensemble pattern is the form factor of one particle, whose projected electron density is
real and positive. HIO (Fienup) keeps the density where it is inside the support and positive,
and pushes it away elsewhere; the measured moduli replace the model's where measured, and the
missing central speckle and gaps float. GHIO runs many random starts per generation; between
generations every start is aligned to the best one (lowest error of Eq. 2) and replaced by their
geometric mean sqrt(rho_best rho_i), which keeps what they agree on. Seed 002: 100 starts, ten
generations, the best 20% averaged.

All starts of a generation run together as one (starts, N, N) stack: one batched FFT per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage import measure

from ..backend import Backend, get_backend
from ..limits import check_limits


@dataclass(frozen=True)
class GhioSettings:
    """Parameters of a GHIO reconstruction.

    Attributes:
        starts: random starts per generation (seed 002: 100).
        generations: generations (seed 002: 10).
        hio_iterations: HIO iterations per generation.
        er_iterations: error-reduction iterations closing each generation.
        beta: HIO feedback.
        keep_fraction: share of the final starts averaged (seed 002: the best 20%).
        support_threshold: the autocorrelation is thresholded at this fraction of its maximum
            before being halved into the support.
        support_margin_px: pixels added around the support.
        shrink_wrap_period: HIO iterations between shrink-wrap updates of each start's support
            (0: never), which stays inside the autocorrelation's.
        shrink_wrap_threshold: shrink-wrap keeps the blurred density above this fraction of its
            maximum.
    """

    starts: int = 100
    generations: int = 10
    hio_iterations: int = 200
    er_iterations: int = 30
    beta: float = 0.9
    keep_fraction: float = 0.2
    support_threshold: float = 0.01
    support_margin_px: int = 2
    shrink_wrap_period: int = 0
    shrink_wrap_threshold: float = 0.15

    def __post_init__(self) -> None:
        checks = {
            "starts": (self.starts, 2, 100_000),
            "generations": (self.generations, 1, 1000),
            "hio_iterations": (self.hio_iterations, 0, 1_000_000),
            "er_iterations": (self.er_iterations, 0, 1_000_000),
            "beta": (self.beta, 0.0, 1.0),
            "keep_fraction": (self.keep_fraction, 1e-6, 1.0),
            "support_threshold": (self.support_threshold, 1e-6, 0.999),
            "support_margin_px": (self.support_margin_px, 0, 1000),
            "shrink_wrap_period": (self.shrink_wrap_period, 0, 1_000_000),
            "shrink_wrap_threshold": (self.shrink_wrap_threshold, 1e-6, 0.999),
        }
        check_limits(checks)
        if self.hio_iterations + self.er_iterations < 1:
            raise ValueError("hio_iterations + er_iterations must be >= 1")

    @property
    def keep(self) -> int:
        """How many of the final starts are averaged (at least one)."""
        return max(1, round(self.keep_fraction * self.starts))


@dataclass(frozen=True)
class GhioResult:
    """The reconstruction of one pattern (real images centred at N // 2).

    Attributes:
        average: mean of the ``keep`` best final images, aligned to the best one.
        kept: those images, aligned (keep, N, N).
        errors: the final error of Eq. 2 of every start, best first (a fraction, not %).
        best_error_per_generation: the best error after each generation.
        support: the best start's final support.
    """

    average: npt.NDArray[np.float64]
    kept: npt.NDArray[np.float64]
    errors: npt.NDArray[np.float64]
    best_error_per_generation: tuple[float, ...]
    support: npt.NDArray[np.bool_]


def fourier_error(
    model_amplitude: npt.NDArray, measured_amplitude: npt.NDArray, region: npt.NDArray[np.bool_]
) -> float:
    """Seed 002, Eq. 2: sum over D of |F - G| / sum over D of |F| (a fraction; x 100 for %)."""
    f = np.asarray(measured_amplitude, dtype=np.float64)[region]
    g = np.asarray(model_amplitude, dtype=np.float64)[region]
    total = float(np.abs(f).sum())
    if total <= 0:
        raise ValueError("the region D holds no measured amplitude")
    return float(np.abs(f - g).sum() / total)


def guinier_filled(intensity: npt.NDArray, available: npt.NDArray[np.bool_], ring_px: int = 8) -> npt.NDArray:
    """The pattern with its missing centre (beamstop) filled by a Guinier law, I0 exp(-b q^2),
    fitted to the azimuthal average of the first ``ring_px`` available radii; elsewhere
    missing pixels are 0. The autocorrelation needs the low frequencies a beamstop hides."""
    n = intensity.shape[0]
    y, x = np.indices(intensity.shape)
    radius = np.hypot(y - n // 2, x - n // 2)
    rings = radius.astype(int)
    hits = np.bincount(rings[available], minlength=n)
    sums = np.bincount(rings[available], intensity[available], minlength=n)
    first = int(np.argmax(hits > 0)) + 1  # the first full ring past the beamstop's edge
    with np.errstate(invalid="ignore", divide="ignore"):
        profile = sums / hits
        ring_radius = np.bincount(rings[available], radius[available], minlength=n) / hits
    sel = np.arange(first, min(first + ring_px, n // 2))
    sel = sel[(hits[sel] > 0) & (sums[sel] > 0)]
    falling = np.flatnonzero(np.diff(profile[sel]) >= 0)  # the Guinier law holds before the first minimum
    if falling.size:
        sel = sel[: falling[0] + 1]
    filled = np.where(available, intensity, 0.0)
    if first <= 1 or sel.size < 3:
        return filled
    slope, intercept = np.polyfit(ring_radius[sel] ** 2, np.log(profile[sel]), 1)
    # The law holds to q Rg ~ 1.3, i.e. slope * r^2 > -0.56: refit on the rings within it.
    valid = sel[slope * ring_radius[sel] ** 2 > -0.56]
    if 2 <= valid.size < sel.size:
        slope, intercept = np.polyfit(ring_radius[valid] ** 2, np.log(profile[valid]), 1)
    hole = ~available & (radius < first)
    filled[hole] = np.exp(intercept + min(slope, 0.0) * radius[hole] ** 2)
    return filled


def support_from_autocorrelation(
    intensity: npt.NDArray, available: npt.NDArray[np.bool_], threshold: float, margin_px: int
) -> npt.NDArray[np.bool_]:
    """Half the autocorrelation's extent: {r : 2 r is in the thresholded FT^-1(I)}.

    The autocorrelation of a centro-symmetric convex object is the object scaled by two, so this
    is a snug support for compact particles; ``margin_px`` loosens it. The beamstop's hole is
    Guinier-filled first (:func:`guinier_filled`).
    """
    n = intensity.shape[0]
    data = guinier_filled(np.asarray(intensity, dtype=np.float64), np.asarray(available, dtype=bool))
    auto = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(data))).real
    region = auto > threshold * auto.max()
    labels = np.asarray(measure.label(region))
    region = labels == labels[n // 2, n // 2]
    y, x = np.indices(region.shape)
    doubled_y = np.clip(n // 2 + 2 * (y - n // 2), 0, n - 1)
    doubled_x = np.clip(n // 2 + 2 * (x - n // 2), 0, n - 1)
    inside = (np.abs(2 * (y - n // 2)) < n // 2) & (np.abs(2 * (x - n // 2)) < n // 2)
    support = region[doubled_y, doubled_x] & inside
    if margin_px:
        support = np.asarray(ndimage.binary_dilation(support, iterations=margin_px), dtype=bool)
    return support


def _align_to(best, stack, xp):
    """Each image of ``stack`` moved onto ``best`` by the whole-pixel shift (and, if better, the
    point reflection) that maximises their cross-correlation."""
    n = best.shape[-1]
    ref = xp.fft.fft2(best)
    out = xp.empty_like(stack)
    for i in range(stack.shape[0]):
        candidates = (stack[i], stack[i][::-1, ::-1])
        best_peak, best_image = -np.inf, stack[i]
        for image in candidates:
            corr = xp.fft.ifft2(ref * xp.conj(xp.fft.fft2(image))).real
            flat = int(xp.argmax(corr))
            peak = float(corr.reshape(-1)[flat])
            if peak > best_peak:
                dy, dx = divmod(flat, n)
                best_peak, best_image = peak, xp.roll(image, (dy, dx), axis=(0, 1))
        out[i] = best_image
    return out


def guided_hio(
    intensity: npt.ArrayLike,
    measured: npt.ArrayLike,
    settings: GhioSettings | None = None,
    support: npt.NDArray[np.bool_] | None = None,
    available: npt.NDArray[np.bool_] | None = None,
    seed: int = 0,
    backend: Backend | str = "numpy",
    progress: Callable[[int, int], None] | None = None,
) -> GhioResult:
    """GHIO on a centred square pattern.

    Args:
        intensity: counts (N, N), zero frequency at N // 2.
        measured: True where the modulus is imposed (False in the removed central speckle,
            gaps and beamstop).
        settings: see :class:`GhioSettings`.
        support: the support (centred); from the autocorrelation of the ``available`` data
            (by default the measured pixels) otherwise.
        available: pixels usable for the autocorrelation (e.g. measured plus the central
            speckle that is not imposed).
        seed: random seed of the starts.
        backend: ``"numpy"``, ``"cupy"`` or ``"auto"``.
        progress: called with (generations done, generations).
    """
    s = settings or GhioSettings()
    data = np.asarray(intensity, dtype=np.float64)
    fit = np.asarray(measured, dtype=bool)
    if data.ndim != 2 or data.shape[0] != data.shape[1] or fit.shape != data.shape:
        raise ValueError(f"intensity {data.shape} and measured {fit.shape} must be the same square 2-D shape")
    if not np.all(np.isfinite(data[fit])) or np.any(data[fit] < 0):
        raise ValueError("measured intensities must be finite and >= 0")
    if support is None:
        support = support_from_autocorrelation(
            data, fit if available is None else available, s.support_threshold, s.support_margin_px
        )
    if support.shape != data.shape or not support.any():
        raise ValueError(f"support must be a non-empty boolean array of shape {data.shape}")
    be = get_backend(backend) if isinstance(backend, str) else backend
    xp = be.xp
    rng = np.random.default_rng(seed)
    n = data.shape[0]
    stack = (s.starts, n, n)
    axes = (-2, -1)
    half = n // 2 + 1  # the object is real: half spectra (rfft) carry everything, at half the cost

    def half_spectrum(a: npt.NDArray) -> npt.NDArray:
        """A centred (N, N) array in the rfft layout (zero frequency first, last axis halved)."""
        return np.ascontiguousarray(np.broadcast_to(np.fft.ifftshift(a)[:, :half], (s.starts, n, half)))

    # The fused modulus kernel wants flat arrays of one size: the amplitudes once per start.
    amplitude_d = be.asarray(half_spectrum(np.sqrt(np.where(fit, data, 0.0)).astype(np.float32)))
    fit_d = be.asarray(half_spectrum(fit))
    # Each half-spectrum pixel stands for itself and its Friedel twin, but for the first column.
    weight = np.full((n, half), 2.0, dtype=np.float32)
    weight[:, 0] = 1.0
    if n % 2 == 0:
        weight[:, -1] = 1.0
    amplitude_sum = float(xp.sum(amplitude_d[0] * be.asarray(weight)))
    weight_d = be.asarray(weight)
    outer_support = be.asarray(np.fft.ifftshift(support))
    frequency_y = np.fft.fftfreq(n)[:, None]
    frequency_x = np.fft.rfftfreq(n)[None, :]
    f2 = be.asarray((frequency_y**2 + frequency_x**2).astype(np.float32))

    def spectrum_of(x):
        return be.rfftn(x, axes=axes).astype(np.complex64)

    def project(x):
        spectrum = spectrum_of(x)
        be.modulus_projection(spectrum, amplitude_d, fit_d)
        return be.irfftn(spectrum, (n, n), axes=axes).astype(np.float32)

    def shrink_wrap(x, sigma_px: float):
        kernel = xp.exp(np.float32(-2 * np.pi**2 * sigma_px**2) * f2)
        blurred = be.irfftn(be.rfftn(xp.clip(x, 0, None), axes=axes) * kernel, (n, n), axes=axes)
        peak = blurred.max(axis=axes, keepdims=True)
        return (blurred > np.float32(s.shrink_wrap_threshold) * peak) & outer_support

    x = be.asarray(rng.random(stack).astype(np.float32)) * outer_support
    # Scale so that the starts carry the measured power (orthonormal FFT: Parseval).
    power = float(np.sum(data[fit])) * data.size / max(int(fit.sum()), 1)
    x *= np.float32(np.sqrt(power / float(xp.sum(x[0] ** 2))))
    supports = xp.broadcast_to(outer_support, stack).copy()
    history: list[float] = []
    errors = np.zeros(s.starts)
    iterations = s.hio_iterations + s.er_iterations
    beta = np.float32(s.beta)
    for generation in range(s.generations):
        for i in range(iterations):
            projected = project(x)
            keep = supports & (projected >= 0)
            if i < s.hio_iterations:
                x -= beta * projected
                xp.copyto(x, projected, where=keep)
            else:
                x = xp.where(keep, projected, np.float32(0))
            if s.shrink_wrap_period and (i + 1) % s.shrink_wrap_period == 0 and i < s.hio_iterations:
                # The blur narrows from 3 to 1 pixel over the first generation, then stays.
                progress_in = min(1.0, (generation * iterations + i) / max(s.hio_iterations, 1))
                supports = shrink_wrap(xp.where(supports, x, 0), 3.0 - 2.0 * progress_in)
        modulus = xp.abs(spectrum_of(x))
        misfit = (xp.abs(modulus - amplitude_d) * fit_d * weight_d).sum(axis=axes)
        errors = be.asnumpy(misfit) / amplitude_sum
        order = np.argsort(errors)
        x, supports = x[be.asarray(order)], supports[be.asarray(order)]
        errors = errors[order]
        history.append(float(errors[0]))
        if progress is not None:
            progress(generation + 1, s.generations)
        if generation < s.generations - 1:
            aligned = _align_to(x[0], x[1:], xp)
            x[1:] = xp.sqrt(xp.clip(x[0][None] * aligned, 0, None))
            supports[1:] = supports[0][None]
    kept = _align_to(x[0], x[: s.keep], xp)
    kept_host = np.fft.fftshift(be.asnumpy(kept), axes=axes).astype(np.float64)
    best_support = np.fft.fftshift(be.asnumpy(supports[0])).astype(bool)
    return GhioResult(kept_host.mean(axis=0), kept_host, errors, tuple(history), best_support)
