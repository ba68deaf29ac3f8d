"""Live XSN (seed 004): the knife-edge calibration made into optics, and 0/180 tomography.

``KnifeEdgeXsnOptics`` is the knife-edge spectrum plus, at the stop, the optics that the XSN
reconstructions need (the wiring stores them as a calibration). ``XsnTomographyLive``
reconstructs each 0/180 pair into absorption alpha and phase phi as soon as its second frame
arrives, grows the sinograms, back-projects a preview slice every few pairs, and at the stop makes
the delta and beta tomograms and their half-set FRC resolution: the same functions, on the same
frames, as the offline ``phasebeam reconstruct xsn-tomo``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from phasebeam.analysis.optics import zone_plate_focal_length_m
from phasebeam.analysis.xsn.calibration import optics_from_knife_edge
from phasebeam.analysis.xsn.optics import XsnOptics
from phasebeam.analysis.xsn.pair_file import OPTICS_FIELDS
from phasebeam.analysis.xsn.pipeline import reconstruct_pair
from phasebeam.analysis.xsn.tomography import (
    filtered_back_projection,
    half_set_resolution,
    refractive_index_tomogram,
)

from .analyses import KnifeEdgeSpectrum
from .live import FrameItem


class KnifeEdgeXsnOptics(KnifeEdgeSpectrum):
    """I_k during the scan; at the stop, the XSN optics of the microscope (as ``reconstruct xsn-optics``).

    Args:
        pixel_size_m: camera pixel at the sample plane (m).
        cutoff_um: the knife-edge position used for imaging (um).
        zone_plate_diameter_m: zone plate diameter (m).
        outer_zone_m: outermost zone width (m).
        edge_key: the data key of the edge position (um).
        energy_ev: photon energy (eV); default the start document's ``energy_ev``.
    """

    name = "knife_edge_optics"

    def __init__(
        self,
        pixel_size_m: float,
        cutoff_um: float = 0.0,
        zone_plate_diameter_m: float = 300e-6,
        outer_zone_m: float = 30e-9,
        edge_key: str = "cutoff_filter-edge",
        energy_ev: float | None = None,
    ) -> None:
        self.pixel_size_m = pixel_size_m
        self.cutoff_um = cutoff_um
        self.zone_plate_diameter_m = zone_plate_diameter_m
        self.outer_zone_m = outer_zone_m
        super().__init__(edge_key, energy_ev)

    def start(self, start_doc: Mapping[str, Any]) -> None:
        super().start(start_doc)
        if self.energy_ev is None:
            raise ValueError("no energy: the start document has no energy_ev and none was given")
        self.focal_length_m = zone_plate_focal_length_m(
            self.zone_plate_diameter_m, self.outer_zone_m, self.energy_ev
        )

    def result(self, final: bool) -> dict[str, Any]:
        out = super().result(final)
        if final:
            assert self.energy_ev is not None  # start() refused a run without one
            found = optics_from_knife_edge(
                np.array(self.edges_um) * 1e-6,
                np.array(self.means),
                self.energy_ev,
                self.pixel_size_m,
                self.cutoff_um * 1e-6,
                self.zone_plate_diameter_m,
                self.outer_zone_m,
            )
            out.update({key: getattr(found.optics, key) for key in OPTICS_FIELDS})
            out.update(energy_ev=float(self.energy_ev), cutoff_um=self.cutoff_um)
            out["beyond_nyquist_fraction"] = found.beyond_nyquist
        return out


class XsnTomographyLive:
    """Each 0/180 pair to alpha and phi as it completes; delta, beta and FRC at the stop.

    Args:
        optics_for: the run's optics from its start document (the wiring looks up the stored
            knife-edge calibration; it raises when there is none, or a stale one).
        pair_options: keyword arguments of :func:`~phasebeam.analysis.xsn.pipeline.reconstruct_pair`
            (``register``, ``scintillator_psf_fwhm_m``, ``edge_reference_px``, ``iterations``...).
        flat: the empty-field image (counts) to divide every frame by; None for none.
        angle_key: the data key of the rotation (deg) in step mode; fly scans give ``angles_deg``
            in the start document.
        preview_every: back-project the preview slice every this many pairs.
        tolerance_deg: how close to 180 deg apart two frames must be to pair (deg).
    """

    name = "xsn_tomography"

    def __init__(
        self,
        optics_for: Callable[[Mapping[str, Any]], XsnOptics],
        pair_options: Mapping[str, Any] | None = None,
        flat: npt.ArrayLike | None = None,
        angle_key: str = "sample-theta",
        preview_every: int = 4,
        tolerance_deg: float = 0.05,
    ) -> None:
        if preview_every < 1:
            raise ValueError(f"preview_every={preview_every} must be >= 1")
        self.optics_for = optics_for
        self.pair_options = dict(pair_options or {})
        self.flat = None if flat is None else np.asarray(flat, dtype=np.float64)
        self.angle_key = angle_key
        self.preview_every = preview_every
        self.tolerance_deg = tolerance_deg

    def start(self, start_doc: Mapping[str, Any]) -> None:
        self.fly_angles_deg = start_doc.get("angles_deg") if "pairs_deg" not in start_doc else None
        self.frames: list[tuple[float, npt.NDArray]] = []
        self.paired_first: set[int] = set()
        self.fields: dict[float, tuple[npt.NDArray, npt.NDArray]] = {}
        self.preview: npt.NDArray | None = None
        self.optics = self.optics_for(start_doc)

    def _angle(self, item: FrameItem) -> float:
        if self.angle_key in item.positions:
            return float(item.positions[self.angle_key])
        if self.fly_angles_deg is None:
            raise KeyError(f"frame {item.seq_num} has no {self.angle_key!r} and the run no angles_deg")
        return float(self.fly_angles_deg[item.seq_num - 1])

    def add(self, item: FrameItem) -> None:
        angle = self._angle(item)
        self.frames.append((angle, np.asarray(item.frame, dtype=np.float64)))
        new = len(self.frames) - 1
        # As pairs_from_frames: every frame with a partner 180 deg later starts a pair, with the
        # first such partner; a frame may end one pair and start another (a full turn).
        for i, (other, _) in enumerate(self.frames[:-1]):
            if i not in self.paired_first and abs(angle - (other + 180.0)) <= self.tolerance_deg:
                self._reconstruct(i, new)
        if new not in self.paired_first:
            for j, (other, _) in enumerate(self.frames[:-1]):
                if abs(other - (angle + 180.0)) <= self.tolerance_deg:
                    self._reconstruct(new, j)
                    break

    def _reconstruct(self, first: int, second: int) -> None:
        self.paired_first.add(first)
        theta = self.frames[first][0]
        image_0, image_180 = self.frames[first][1], self.frames[second][1]
        pair = reconstruct_pair(image_0, image_180, self.optics, self.flat, self.flat, **self.pair_options)
        self.fields[theta] = (pair.field.absorption, pair.field.phase)
        if len(self.fields) % self.preview_every == 0 and len(self.fields) >= 2:
            thetas, _, phi = self.stacks()
            row = phi.shape[1] // 2
            self.preview = filtered_back_projection(phi[:, row : row + 1], thetas)[:, 0, :]

    def stacks(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(theta_deg, alpha, phi) of the pairs so far, by increasing theta."""
        thetas = np.array(sorted(self.fields))
        alpha = np.stack([self.fields[t][0] for t in thetas])
        phi = np.stack([self.fields[t][1] for t in thetas])
        return thetas, alpha, phi

    def result(self, final: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"frames": len(self.frames), "pairs": len(self.fields)}
        if not self.fields:
            if final:
                raise ValueError(f"no 0/180 pair among {len(self.frames)} frames: not a 0/180 tomography?")
            return out
        thetas, alpha, phi = self.stacks()
        row = phi.shape[1] // 2
        out.update(theta_deg=thetas, sinogram_alpha=alpha[:, row], sinogram_phi=phi[:, row])
        if self.preview is not None:
            out["preview_phi_slice"] = self.preview
        if final:
            tomogram = refractive_index_tomogram(
                alpha, phi, thetas, self.optics.wavelength_m, self.optics.pixel_size_m
            )
            resolution = half_set_resolution(alpha, phi, thetas, self.optics.pixel_size_m)
            out.update(
                alpha=alpha,
                phi=phi,
                delta=tomogram.delta,
                beta=tomogram.beta,
                voxel_m=tomogram.voxel_m,
                delta_resolution_m=resolution.delta_resolution_m,
                beta_resolution_m=resolution.beta_resolution_m,
            )
        return out

    def draw(self, figure: Figure) -> None:
        axes = figure.subplots(1, 2)
        if len(self.fields) >= 2:
            thetas, _, phi = self.stacks()
            row = phi.shape[1] // 2
            extent = (0, phi.shape[2], thetas[-1], thetas[0])
            axes[0].imshow(phi[:, row], aspect="auto", cmap="gray", extent=extent)
        axes[0].set(xlabel="x (px)", ylabel="theta (deg)")
        axes[0].set_title(f"phase sinogram, {len(self.fields)} pairs", fontsize=9)
        if self.preview is not None:
            axes[1].imshow(self.preview, cmap="gray")
        axes[1].set(xticks=[], yticks=[])
        axes[1].set_title("central slice of the phase tomogram (FBP)", fontsize=9)
