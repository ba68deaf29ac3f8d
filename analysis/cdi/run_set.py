"""Figures of merit of a set of independent runs on one data set (seed 001, Figs. 2-3).

The best runs (by free log-likelihood) are aligned to the best one and decomposed into modes: the
first mode's weight says how far they agree. The two best runs give a Fourier shell correlation
(1/2-bit threshold), computed on a cube around the crystal so that the empty field does not
dilute it. The first mode's modulus, normalised by its maximum, gives the histogram whose single
narrow peak is the sign of a homogeneous (well reconstructed) crystal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..resolution import ShellCurve, fourier_shell_correlation, half_bit_threshold, resolution_m
from .align import align
from .evaluation import reconstructed_support
from .modes import mode_decomposition


@dataclass(frozen=True)
class RunSetFigures:
    """What a set of runs agrees on.

    Attributes:
        first_mode: the first mode of the ``keep`` best runs, aligned to the best run.
        first_mode_weight: its relative weight (1: the runs are identical up to scale).
        fsc: FSC of the two best runs on a cube around the crystal (pixel size as given).
        fsc_resolution_m: where the FSC falls below the 1/2-bit threshold (m).
        modulus_bin_edges: edges of the normalised-modulus histogram, 0 to 1.
        modulus_density: histogram of |first mode| / its maximum inside its support (density).
        modulus_peak: centre of the histogram's highest bin.
    """

    first_mode: npt.NDArray[np.complex64]
    first_mode_weight: float
    fsc: ShellCurve
    fsc_resolution_m: float
    modulus_bin_edges: npt.NDArray[np.float64]
    modulus_density: npt.NDArray[np.float64]
    modulus_peak: float


def crystal_cube(obj: npt.NDArray, margin_vox: int = 2) -> tuple[slice, ...]:
    """A cube (equal sides, as the FSC needs) around the object's support, inside the array."""
    support = reconstructed_support(obj)
    if not support.any():
        raise ValueError("the object has no support to put a cube around")
    indices = np.nonzero(support)
    lows = np.array([i.min() for i in indices])
    highs = np.array([i.max() for i in indices])
    side = int(min(max(highs - lows + 1) + 2 * margin_vox, *obj.shape))
    side -= side % 2
    centres = (lows + highs + 1) // 2
    starts = [int(np.clip(c - side // 2, 0, n - side)) for c, n in zip(centres, obj.shape, strict=True)]
    return tuple(slice(s, s + side) for s in starts)


def run_set_figures(
    objects: list[npt.NDArray], pixel_m: float, keep: int = 3, bins: int = 50
) -> RunSetFigures:
    """Figures of merit of runs given best first (at least two).

    Args:
        objects: the runs' complex objects, best (lowest free LLK) first, one shape.
        pixel_m: voxel size (m), taken as cubic for the FSC.
        keep: how many of the best runs are decomposed into modes.
        bins: bins of the modulus histogram.
    """
    if len(objects) < 2:
        raise ValueError(f"run_set_figures needs at least 2 runs, got {len(objects)}")
    if keep < 2:
        raise ValueError(f"keep must be >= 2, got {keep}")
    best = np.asarray(objects[0], dtype=np.complex64)
    aligned = [best] + [align(best, o).aligned for o in objects[1:keep]]
    modes = mode_decomposition(aligned)
    cube = crystal_cube(best)
    fsc = fourier_shell_correlation(aligned[0][cube], aligned[1][cube], pixel_m)
    modulus = np.abs(modes.first)
    inside = modulus[reconstructed_support(modes.first)] / modulus.max()
    density, edges = np.histogram(inside, bins=bins, range=(0.0, 1.0), density=True)
    peak = int(np.argmax(density))
    return RunSetFigures(
        first_mode=modes.first,
        first_mode_weight=float(modes.weights[0]),
        fsc=fsc,
        fsc_resolution_m=resolution_m(fsc, half_bit_threshold(fsc.counts)),
        modulus_bin_edges=edges,
        modulus_density=density.astype(np.float64),
        modulus_peak=float(0.5 * (edges[peak] + edges[peak + 1])),
    )
