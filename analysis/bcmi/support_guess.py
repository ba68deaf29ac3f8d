"""The BCMI support guess of seed 001 (Appendix B, Fig. S8): placed in x'-y', sized along z'.

The modulator encodes where the crystal is in the window, so the support must sit at the right
x'-y' place. Phasing the central frame alone (2-D BCMI, the projection of the crystal at the Bragg
peak) inside a loose window finds the place and the x'-y' outline; the z' thickness comes from the
autocorrelation along the rocking axis. A single 2-D start finds the crystal only now and then
(on 7 rad crystals with the seed's d1 = 3.15 mm and 300 nm modulator features: 1 to 5 of 8
starts, and 1 of 16 on one crystal; 1 of 8 with 1.35 mm and 450 nm), and the starts that miss
it fit the data far worse (free LLK 85-400 against 12-65), so several starts are run and the
one with the lowest free log-likelihood is kept. On strained crystals even the best start's
modulus is patchy, and an outline cut at 0.2 of its maximum with 2 pixels of margin missed up to
21% of the crystal's projection; the 3-D runs, whose shrink-wrap can only tighten the support, then
failed on 2 of 6 7 rad crystals. Cut at 0.1 with 4 pixels of margin the outline covered 97-100% of
each, and 17 of 18 runs succeeded (12 of 18 before). The z' thickness: the inverse transform over
the angles of each pixel's intensity is the autocorrelation of the crystal along z', 2 L - 1
voxels long for L voxels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage import measure

from ..backend import Backend
from ..cdi.engine import ProgressCallback
from .geometry import BcmiGeometry
from .reconstruction import BcmiSettings, phase_bcmi


@dataclass(frozen=True)
class SupportGuess:
    """A support for BCMI phasing.

    Attributes:
        support: (J, N, N): the x'-y' outline repeated over the z' range.
        outline: the x'-y' outline (N, N) from the central frame.
        thickness_px: the crystal's z' thickness from the autocorrelation (voxels).
        free_llks: free log-likelihood of each 2-D start, in start order (the lowest was kept).
    """

    support: npt.NDArray[np.bool_]
    outline: npt.NDArray[np.bool_]
    thickness_px: int
    free_llks: tuple[float, ...]


def thickness_from_autocorrelation(frames: npt.NDArray, threshold: float = 0.1) -> int:
    """z' thickness L (voxels) from the rocking-axis autocorrelation, (width + 1) / 2."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    auto = np.abs(np.fft.ifft(np.fft.ifftshift(frames, axes=0), axis=0)).sum(axis=(1, 2))
    auto = np.fft.fftshift(auto)
    width = int(np.count_nonzero(auto > threshold * auto.max()))
    return max(1, (width + 1) // 2)


def support_guess(
    frames: npt.NDArray,
    modulator: npt.NDArray,
    geometry: BcmiGeometry,
    window_px: int | None = None,
    recipe: str = "HIO**600, ER**200",
    outline_threshold: float = 0.1,
    margin_px: int = 4,
    seed: int = 0,
    starts: int = 16,
    backend: Backend | str = "numpy",
    progress: ProgressCallback | None = None,
) -> SupportGuess:
    """Place and size the support from the data.

    Args:
        frames: the BCMI rocking scan (J, N, N), centred.
        modulator: the modulator's transmission under the window, (N, N) or (u N, u N).
        geometry: the BCMI geometry.
        window_px: side of the loose square (centred) that the central frame is phased in;
            default 3 N / 8 (the crystal and its drift must lie inside).
        recipe: the 2-D phasing recipe.
        outline_threshold: the outline is where the blurred modulus exceeds this fraction of its
            maximum.
        margin_px: pixels added around the outline and on each side of the z' range.
        seed: seed of the first 2-D start (the others take the next seeds).
        starts: number of 2-D starts; the one with the lowest free log-likelihood is kept.
        backend: the array backend.
        progress: called with (starts done, starts).
    """
    j, n = frames.shape[0], frames.shape[-1]
    side = 3 * n // 8 if window_px is None else window_px
    if not 4 <= side <= n:
        raise ValueError(f"window_px must be in [4, {n}], got {side}")
    if starts < 1:
        raise ValueError(f"starts must be >= 1, got {starts}")
    loose = np.zeros((1, n, n), dtype=bool)
    low = (n - side) // 2
    loose[0, low : low + side, low : low + side] = True
    central = frames[j // 2 : j // 2 + 1]
    settings = BcmiSettings(drift_start=-1)
    runs = []
    for k in range(starts):
        run = phase_bcmi(central, modulator, geometry, loose, recipe, seed + k, settings, backend=backend)
        runs.append(run)
        if progress is not None:
            progress(k + 1, starts)
    run = min(runs, key=lambda r: r.free_llk)
    modulus = ndimage.gaussian_filter(np.abs(run.obj[0]), 1.0)
    outline = modulus > outline_threshold * modulus.max()
    labels = np.asarray(measure.label(outline, connectivity=2))
    count = int(labels.max())
    if count > 1:  # keep the brightest island: the crystal
        sums = ndimage.sum(modulus, labels, range(1, count + 1))
        outline = labels == 1 + int(np.argmax(sums))
    outline = np.asarray(ndimage.binary_dilation(outline, iterations=margin_px), dtype=bool)
    thickness = min(j, thickness_from_autocorrelation(frames) + 2 * margin_px)
    support = np.zeros(frames.shape, dtype=bool)
    start = (j - thickness) // 2
    support[start : start + thickness] = outline
    return SupportGuess(support, outline, thickness, tuple(r.free_llk for r in runs))
