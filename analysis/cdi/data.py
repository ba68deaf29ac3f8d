"""Checked diffraction data: the intensity, the pixels that were measured, a free-pixel set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .symmetry import mirror_through_centre


@dataclass(frozen=True)
class DiffractionData:
    """A measured 3-D intensity (counts, zero frequency at the array centre) and its masks.

    Attributes:
        intensity: float32 counts (Z, Y, X); unmeasured pixels hold any value.
        measured: True where the pixel was measured (False in gaps, under the beamstop...).
    """

    intensity: npt.NDArray[np.float32]
    measured: npt.NDArray[np.bool_]

    @classmethod
    def from_arrays(
        cls, intensity: npt.ArrayLike, bad_pixels: npt.ArrayLike | None = None, ndim: int = 3
    ) -> DiffractionData:
        """Validate and wrap; ``bad_pixels`` is non-zero where a pixel was not measured (CXI mask).

        Raises:
            ValueError: naming the problem: wrong dimensions, NaN or infinite values, negative
                counts, no counts at all, or a mask of another shape.
        """
        data = np.asarray(intensity)
        if data.ndim != ndim:
            raise ValueError(f"intensity must be {ndim}-D (Z, Y, X), got shape {data.shape}")
        if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
            raise ValueError(f"intensity must be real numbers, got dtype {data.dtype}")
        if bad_pixels is None:
            measured = np.ones(data.shape, dtype=bool)
        else:
            mask = np.asarray(bad_pixels)
            if mask.shape != data.shape:
                raise ValueError(f"mask shape {mask.shape} does not match intensity shape {data.shape}")
            measured = mask == 0
        values = data[measured]
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"intensity has {int(np.sum(~np.isfinite(values)))} NaN or infinite measured pixels"
            )
        if np.any(values < 0):
            raise ValueError(
                f"intensity has {int(np.sum(values < 0))} negative measured pixels (min {values.min()}); "
                "subtract background with clipping or mark them in the mask"
            )
        if not np.any(values > 0):
            raise ValueError("intensity has no counts in any measured pixel")
        return cls(np.where(measured, data, 0).astype(np.float32), measured)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.intensity.shape

    def free_pixels(self, fraction: float, rng: np.random.Generator) -> npt.NDArray[np.bool_]:
        """A random set of measured pixels, centro-symmetric, held out of the fit for free LLK.

        Friedel pairs are held out together, so that a held-out intensity is not constrained
        through its centro-symmetric twin.
        """
        if not 0 <= fraction < 0.5:
            raise ValueError(f"free-pixel fraction must be in [0, 0.5), got {fraction}")
        pick = rng.random(self.shape) < fraction / 2
        return (pick | mirror_through_centre(pick)) & self.measured
