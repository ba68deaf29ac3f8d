"""XSN image formation (seed 004, Eq. 1): a sum of coherent images, one per illumination mode.

    I(r) = sum_k | F^-1{ P(u) F{ sqrt(I_k) exp(2 pi i k x) exp(alpha + i phi) } } |^2

The plane-wave factor shifts the object's spectrum by k; the intensity is unchanged if the pupil is
shifted instead, so each mode costs one inverse FFT of P(u + k) T(u) with T = F{exp(alpha + i phi)}.
Modes are processed in batches to bound memory; the FFTs run on the backend's device.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..backend import Backend, get_backend
from .optics import GridModel, XsnOptics, grid_model, shifted_pupils

#: Bytes of complex64 work arrays per batch of modes (bounds the memory of one forward model).
BATCH_BYTES = 256 * 2**20


class ImagingModel:
    """Eq. 1 for one orientation on one grid, with the shifted pupils kept on the device."""

    def __init__(self, model: GridModel, backend: Backend | None = None) -> None:
        self.model = model
        self.backend = backend or get_backend("numpy")
        xp = self.backend.xp
        pupils = shifted_pupils(model)
        self.pupils = xp.asarray(pupils.astype(np.float32))
        self.weights = xp.asarray(model.mode_weight.astype(np.float32))
        pixels = model.shape[0] * model.shape[1]
        self.batch = max(1, BATCH_BYTES // (8 * pixels))

    @classmethod
    def for_optics(
        cls, optics: XsnOptics, shape: tuple[int, int], orientation: int = 0, backend: Backend | None = None
    ) -> ImagingModel:
        return cls(grid_model(optics, shape, orientation), backend)

    def intensity_from_spectrum(self, spectrum):
        """Image (device array, float32) of a transmittance given by its orthonormal 2-D FFT."""
        xp = self.backend.xp
        image = xp.zeros(self.model.shape, dtype=xp.float32)
        for start in range(0, len(self.weights), self.batch):
            pupils = self.pupils[start : start + self.batch]
            fields = self.backend.ifftn(pupils * spectrum[None], axes=(-2, -1))
            power = fields.real**2 + fields.imag**2
            image += xp.tensordot(self.weights[start : start + self.batch], power, axes=1)
        return image

    def intensity(self, alpha, phi):
        """Image (device array) of the transmittance exp(alpha + i phi) (device or host arrays)."""
        xp = self.backend.xp
        alpha = xp.asarray(alpha, dtype=xp.float32)
        phi = xp.asarray(phi, dtype=xp.float32)
        transmittance = xp.exp(alpha + 1j * phi).astype(xp.complex64)
        return self.intensity_from_spectrum(self.backend.fftn(transmittance))


def xsn_image(
    alpha: npt.ArrayLike,
    phi: npt.ArrayLike,
    optics: XsnOptics,
    orientation: int = 0,
    backend: str = "numpy",
) -> npt.NDArray[np.float64]:
    """Eq. 1: the image (Y, X) of the transmittance exp(alpha + i phi), empty field = 1.

    ``orientation`` 180 gives the theta + 180 image in the theta = 0 frame, i.e. already mirrored
    back; mirror it in x to get what the camera records.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    if alpha.ndim != 2 or alpha.shape != phi.shape:
        raise ValueError(f"alpha and phi must be 2-D of the same shape, got {alpha.shape} and {phi.shape}")
    chosen = get_backend(backend)
    model = ImagingModel.for_optics(optics, (alpha.shape[0], alpha.shape[1]), orientation, chosen)
    return chosen.asnumpy(model.intensity(alpha, phi)).astype(np.float64)
