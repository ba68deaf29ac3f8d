"""Regions of a tomogram and the energies of a sweep that an edge analysis uses (seed 004, Fig. 3).

The spectra of a hyperspectral sweep are mean delta and beta over regions of interest, the same
voxels at every energy. The sample region is found from one tomogram: voxels whose delta exceeds
a fraction of the tomogram's high end (its 99.9th percentile, so a few noisy voxels do not set
it). A box region is given in voxels. Element densities across an edge (Eq. 17) use the energy
just below the edge, where the pre-edge absorption is smooth, and the highest above it, the
farthest from the near-edge structure that tabulated values leave out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import xraydb


def threshold_region(delta: npt.ArrayLike, fraction: float = 0.5) -> npt.NDArray[np.bool_]:
    """Voxels of ``delta`` above ``fraction`` of its 99.9th percentile (the sample's dense parts)."""
    volume = np.asarray(delta, dtype=np.float64)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction={fraction} must be in (0, 1)")
    if volume.ndim != 3 or not np.all(np.isfinite(volume)):
        raise ValueError(f"delta must be a finite 3-D tomogram, got shape {volume.shape}")
    high = float(np.percentile(volume, 99.9))
    if high <= 0:
        raise ValueError(f"delta's 99.9th percentile is {high:.3g}: no sample in this tomogram")
    return volume > fraction * high


def box_region(shape: Sequence[int], box: Sequence[int]) -> npt.NDArray[np.bool_]:
    """The voxels [z0:z1, y0:y1, x0:x1] of a volume of ``shape``, from ``box`` = (z0, z1, y0, y1, x0, x1)."""
    if len(shape) != 3 or len(box) != 6:
        raise ValueError(f"box {list(box)} must be (z0, z1, y0, y1, x0, x1) in a 3-D volume {tuple(shape)}")
    for axis, (low, high, size) in enumerate(zip(box[0::2], box[1::2], shape, strict=True)):
        if not 0 <= low < high <= size:
            raise ValueError(
                f"box {list(box)}: axis {'ZYX'[axis]} range [{low}, {high}) must lie within [0, {size}) "
                "and hold at least one voxel"
            )
    region = np.zeros(tuple(shape), dtype=bool)
    region[box[0] : box[1], box[2] : box[3], box[4] : box[5]] = True
    return region


def k_edge_ev(element: str) -> float:
    """The K edge of ``element`` (eV), from xraydb."""
    try:
        edge = xraydb.xray_edge(element, "K")
    except ValueError as error:
        raise ValueError(f"element {element!r}: {error}") from error
    if edge is None:
        raise ValueError(f"xraydb has no K edge for element {element!r}")
    return float(edge.energy)


def edge_energies_ev(energies_ev: npt.ArrayLike, element: str) -> tuple[float, float]:
    """(below, above): the sweep's energy nearest below ``element``'s K edge and its highest above it (eV)."""
    energies = np.asarray(energies_ev, dtype=np.float64)
    edge = k_edge_ev(element)
    below, above = energies[energies < edge], energies[energies > edge]
    if below.size == 0 or above.size == 0:
        raise ValueError(
            f"the sweep's energies {energies.min():.1f}-{energies.max():.1f} eV do not straddle the "
            f"{element} K edge at {edge:.1f} eV: element densities need one energy on each side"
        )
    return float(below.max()), float(above.max())
