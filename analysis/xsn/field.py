"""Field reconstruction from a 0/180 pair: Tikhonov deconvolution and the quasi-Newton iteration.

Linear (seed 004, Eqs. 4/11): at each spatial frequency the two images' spectra are

    [I_0(u); I_pi(u)] = PSF(u) [A(u); Phi(u)],  PSF = [[H_alpha^0, H_phi^0], [H_alpha^pi, H_phi^pi]],

and D = (PSF^H PSF + epsilon)^-1 PSF^H inverts it (Hermitian transpose: the transfer functions are
complex). Quasi-Newton (Algorithm 1 with Eq. 14): starting from alpha = phi = 0, whose image is the
empty-field background, repeat

    [alpha; phi] += max(I_j^0, I_j^pi)^-1 F^-1{ D F{ I_exp - I_j } },   I_j = Eq. 1 of the estimate.

The first iteration is the linear reconstruction. As in the seed, spectra are trimmed where the
absorption transfer |F{PSF_alpha}| is below ``otf_trim`` (0.8 with a unit background, where
F{PSF_alpha}(0) = 2) in both orientations, at every iteration.

Images are in units of the empty-field background: divide by flats before calling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..backend import Backend, get_backend
from .forward import ImagingModel
from .optics import XsnOptics, grid_model, transfer_functions

#: Tikhonov regulariser of Eqs. 4/11 (seed 004: 1e-8).
DEFAULT_EPSILON = 1e-8
#: Iterations of Algorithm 1 (seed 004: 7).
DEFAULT_ITERATIONS = 7
#: Spectra are trimmed where |F{PSF_alpha}| < this in both orientations (unit background).
DEFAULT_OTF_TRIM = 0.8
#: Floor of the normalising intensity max(I^0, I^pi), so that opaque pixels do not blow up.
INTENSITY_FLOOR = 1e-3


@dataclass(frozen=True)
class FieldReconstruction:
    """Absorption alpha and phase phi (Y, X, radians / nepers) in the theta = 0 orientation.

    Attributes:
        absorption: alpha, log of the amplitude transmittance (<= 0 for an absorber).
        phase: phi (rad); its mean across each row is not measured (see ``edge_reference_px``).
        residual: RMS of I_exp - I_model over both images before each iteration, then after the last
            (length iterations + 1), in units of the background.
        iterations: quasi-Newton iterations run (1 = the linear reconstruction).
        settings: the parameters used, for the output file.
    """

    absorption: npt.NDArray[np.float64]
    phase: npt.NDArray[np.float64]
    residual: npt.NDArray[np.float64]
    iterations: int
    settings: dict = field(default_factory=dict)


def check_pair(image_0: npt.ArrayLike, image_180: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The pair as float arrays, after checking that they are 2-D, of one shape and finite."""
    a = np.asarray(image_0, dtype=np.float64)
    b = np.asarray(image_180, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"image_0 and image_180 must be 2-D, got {a.ndim}-D and {b.ndim}-D")
    if a.shape != b.shape:
        raise ValueError(f"image_0 {a.shape} and image_180 {b.shape} must have the same shape")
    for name, image in (("image_0", a), ("image_180", b)):
        bad = ~np.isfinite(image)
        if bad.any():
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} has {int(bad.sum())} NaN or infinite pixels (first at {first})")
    return a, b


def _check_images(image_0: npt.ArrayLike, image_180: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a, b = check_pair(image_0, image_180)
    for name, image in (("image_0", a), ("image_180", b)):
        if np.any(image < 0):
            raise ValueError(f"{name} has negative intensities (min {image.min():.4g})")
    return a, b


class PairDeconvolution:
    """The Tikhonov inverse D(u) of a pair's transfer matrix on one grid (Eqs. 4/11)."""

    def __init__(
        self,
        optics: XsnOptics,
        shape: tuple[int, int],
        epsilon: float = DEFAULT_EPSILON,
        otf_trim: float = DEFAULT_OTF_TRIM,
        backend: Backend | None = None,
    ) -> None:
        if not epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {epsilon}")
        if not 0 <= otf_trim < 2:
            raise ValueError(f"otf_trim must be in [0, 2) (F{{PSF_alpha}}(0) = 2), got {otf_trim}")
        self.backend = backend or get_backend("numpy")
        models = [grid_model(optics, shape, o) for o in (0, 180)]
        (ha0, hp0), (ha1, hp1) = (transfer_functions(m) for m in models)
        # (PSF^H PSF + eps)^-1 PSF^H for the 2 x 2 matrix [[ha0, hp0], [ha1, hp1]] at each frequency.
        g11 = np.abs(ha0) ** 2 + np.abs(ha1) ** 2 + epsilon
        g22 = np.abs(hp0) ** 2 + np.abs(hp1) ** 2 + epsilon
        g12 = np.conj(ha0) * hp0 + np.conj(ha1) * hp1
        det = g11 * g22 - np.abs(g12) ** 2
        # inverse of [[g11, g12], [conj(g12), g22]] times PSF^H
        i11, i12, i22 = g22 / det, -g12 / det, g11 / det
        d = {
            "a0": i11 * np.conj(ha0) + i12 * np.conj(hp0),
            "a1": i11 * np.conj(ha1) + i12 * np.conj(hp1),
            "p0": np.conj(i12) * np.conj(ha0) + i22 * np.conj(hp0),
            "p1": np.conj(i12) * np.conj(ha1) + i22 * np.conj(hp1),
        }
        keep = np.maximum(np.abs(ha0), np.abs(ha1)) >= otf_trim
        # Near the pupil's rim along y the knife edge's phase contrast collapses while the absorption
        # transfer stays high; the iteration's model errors there would be amplified a hundredfold.
        # Keep the phase where it keeps the same fraction of its value on the u_y = 0 row.
        phase_transfer = np.maximum(np.abs(hp0), np.abs(hp1))
        keep_phase = keep & (phase_transfer >= 0.5 * otf_trim * phase_transfer[:1, :])
        xp = self.backend.xp
        masks = {"a0": keep, "a1": keep, "p0": keep_phase, "p1": keep_phase}
        self.d = {k: xp.asarray((v * masks[k]).astype(np.complex64)) for k, v in d.items()}
        self.kept_fraction = float(keep.mean())
        self.kept_phase_fraction = float(keep_phase.mean())
        self.models = [ImagingModel(m, self.backend) for m in models]

    def apply(self, difference_0, difference_180):
        """(alpha', phi') device arrays from the two image differences (device arrays)."""
        b = self.backend
        f0 = b.fftn(difference_0.astype(b.xp.complex64))
        f1 = b.fftn(difference_180.astype(b.xp.complex64))
        d = self.d
        alpha = b.ifftn(d["a0"] * f0 + d["a1"] * f1).real
        phi = b.ifftn(d["p0"] * f0 + d["p1"] * f1).real
        return alpha, phi


def _remove_row_offsets(image: npt.NDArray[np.float64], edge_px: int) -> npt.NDArray[np.float64]:
    edges = np.concatenate([image[:, :edge_px], image[:, -edge_px:]], axis=1)
    return image - np.median(edges, axis=1, keepdims=True)


def reconstruct_field(
    image_0: npt.ArrayLike,
    image_180: npt.ArrayLike,
    optics: XsnOptics,
    iterations: int = DEFAULT_ITERATIONS,
    epsilon: float = DEFAULT_EPSILON,
    otf_trim: float = DEFAULT_OTF_TRIM,
    edge_reference_px: int = 0,
    backend: str = "numpy",
    on_iteration: Callable[[int, npt.NDArray[np.float64], npt.NDArray[np.float64]], None] | None = None,
) -> FieldReconstruction:
    """Algorithm 1 of seed 004 on a registered pair in units of the background.

    Args:
        image_0: intensity at theta (Y, X), flat-field corrected (empty field = 1).
        image_180: intensity at theta + 180 deg, already mirrored back to the theta = 0 orientation.
        optics: the microscope.
        iterations: quasi-Newton iterations (1 = linear Tikhonov reconstruction); seed: 7.
        epsilon: Tikhonov regulariser; seed: 1e-8.
        otf_trim: trim threshold on |F{PSF_alpha}| (unit background); 0 keeps every frequency.
        edge_reference_px: if > 0, the phase and absorption of each row are referred to the median
            of this many pixels at both ends of the row, taken as empty: the deconvolution cannot
            measure the mean phase of a row (H_phi = 0 at u_x = 0).
        backend: "numpy", "cupy" or "auto".
        on_iteration: called as ``on_iteration(j, alpha, phi)`` after iteration j (host arrays).
    """
    a, b = _check_images(image_0, image_180)
    if not isinstance(iterations, int | np.integer) or iterations < 1:
        raise ValueError(f"iterations must be an integer >= 1, got {iterations!r}")
    if edge_reference_px < 0 or 2 * edge_reference_px >= a.shape[1]:
        raise ValueError(f"edge_reference_px must be in [0, {a.shape[1] // 2}), got {edge_reference_px}")
    chosen = get_backend(backend)
    xp = chosen.xp
    inverse = PairDeconvolution(optics, (a.shape[0], a.shape[1]), epsilon, otf_trim, chosen)
    measured = [xp.asarray(a, dtype=xp.float32), xp.asarray(b, dtype=xp.float32)]
    alpha = xp.zeros(a.shape, dtype=xp.float32)
    phi = xp.zeros(a.shape, dtype=xp.float32)
    residual = []

    def rms(diffs) -> float:
        return float(xp.sqrt(0.5 * (xp.mean(diffs[0] ** 2) + xp.mean(diffs[1] ** 2))))

    for j in range(1, iterations + 1):
        modelled = [m.intensity(alpha, phi) for m in inverse.models]
        diffs = [measured[i] - modelled[i] for i in range(2)]
        residual.append(rms(diffs))
        step_alpha, step_phi = inverse.apply(diffs[0], diffs[1])
        norm = 1.0 / xp.maximum(xp.maximum(modelled[0], modelled[1]), INTENSITY_FLOOR)
        alpha = alpha + norm * step_alpha
        phi = phi + norm * step_phi
        if on_iteration is not None:
            on_iteration(j, chosen.asnumpy(alpha).astype(np.float64), chosen.asnumpy(phi).astype(np.float64))
    residual.append(rms([measured[i] - m.intensity(alpha, phi) for i, m in enumerate(inverse.models)]))
    alpha_out = chosen.asnumpy(alpha).astype(np.float64)
    phi_out = chosen.asnumpy(phi).astype(np.float64)
    if edge_reference_px:
        alpha_out = _remove_row_offsets(alpha_out, edge_reference_px)
        phi_out = _remove_row_offsets(phi_out, edge_reference_px)
    settings = {
        "iterations": int(iterations),
        "epsilon": float(epsilon),
        "otf_trim": float(otf_trim),
        "edge_reference_px": int(edge_reference_px),
        "kept_frequency_fraction": inverse.kept_fraction,
        "kept_phase_frequency_fraction": inverse.kept_phase_fraction,
    }
    return FieldReconstruction(alpha_out, phi_out, np.asarray(residual), int(iterations), settings)
