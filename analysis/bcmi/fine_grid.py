"""The modulator's grid, ``upsample`` times finer than the detector-conjugate pixel.

A wave that reaches the detector's N x N pixels is band-limited to N frequencies, but the
modulator it crosses is not: its sharp edges fall anywhere inside a computational pixel. What the
detector records is the N lowest frequencies of P(r) M(r), the convolution of P's spectrum (N wide)
with M's, so M matters up to 2 N frequencies: on a grid twice as fine it is represented exactly,
and a product computed there does not alias into the recorded band. On the coarse grid (upsample
1) M is a per-pixel average, which the product aliases (9-13% RMS off the truth after a
calibration, measured; see benchmarks/results/2026-12-06-bcmi-modulator-seeds).

Spectra are in FFT order. :meth:`FineGrid.pad` puts an N x N spectrum into the middle of the
fine grid's band (the frequencies -N/2 ... N/2 - 1, as a centred detector crop holds them);
:meth:`FineGrid.crop` takes them back. With orthonormal FFTs, ``ifft(pad(S))`` on the fine grid is
the band-limited interpolation of ``ifft(S)`` divided by ``upsample``, and ``crop(fft(.))`` is its
exact inverse and its adjoint; the factor cancels between the two, so no scale is applied.
"""

from __future__ import annotations

import numpy as np


def check_upsample(upsample: int) -> None:
    """Raise unless ``upsample`` (fine pixels per computational pixel) is an integer in [1, 8]."""
    if not (isinstance(upsample, int) and 1 <= upsample <= 8):
        raise ValueError(f"upsample must be an integer in [1, 8], got {upsample}")


class FineGrid:
    """Index maps between an N x N band and an (u N) x (u N) grid, on a backend's arrays.

    Args:
        n: the frame side N.
        upsample: u, fine pixels per computational pixel (1: the coarse grid itself).
        xp: the array module (numpy or cupy).
    """

    def __init__(self, n: int, upsample: int, xp) -> None:
        check_upsample(upsample)
        self.n = n
        self.upsample = upsample
        self.side = n * upsample
        self.xp = xp
        low = np.arange(n) - n // 2  # the frequencies a centred crop of n holds
        index = np.mod(np.fft.ifftshift(low), self.side)  # in FFT order on both grids
        self._index = xp.asarray(index)
        self._grid = xp.ix_(self._index, self._index)

    @property
    def identity(self) -> bool:
        return self.upsample == 1

    def pad(self, spectrum):
        """(..., N, N) spectrum in FFT order -> (..., uN, uN), zero beyond the band."""
        if self.identity:
            return spectrum
        out = self.xp.zeros((*spectrum.shape[:-2], self.side, self.side), dtype=spectrum.dtype)
        out[(..., *self._grid)] = spectrum
        return out

    def crop(self, spectrum):
        """(..., uN, uN) spectrum in FFT order -> its (..., N, N) band, in FFT order (a copy)."""
        if self.identity:
            return spectrum
        return spectrum[(..., *self._grid)]

    def put(self, spectrum, band) -> None:
        """In place: the (..., N, N) ``band`` into ``spectrum``'s band, the rest left as it is."""
        if self.identity:
            spectrum[...] = band
        else:
            spectrum[(..., *self._grid)] = band

    def band_mask(self):
        """(uN, uN) booleans in FFT order: True on the N x N band the detector records."""
        mask = self.xp.zeros((self.side, self.side), dtype=bool)
        mask[self._grid] = True
        return mask
