"""Patterns and their reciprocal-space phases for training the phase network (seed 003).

Each sample is a faceted crystal (Wulff, Winterbottom or random cuts) in a random orientation,
with an oversampling drawn above 2 and a strain field scaled to a phase range of 2 pi-5 pi. Its
pattern is centred on its centre of mass, as measured patterns are, and the phase is that of the
Fourier transform in the same frame, so that the phase's ramp symmetry is fixed by the object
sitting at the grid's centre. Noise is applied afterwards (on the GPU while training), so that
one noise-free sample gives many noisy ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.spatial.transform import Rotation

from .strained_crystals import STRAIN_FIELDS, crystal_shape, strain_phase

TRAINING_SHAPES = ("wulff", "winterbottom", "random_cuts")
HIGH_STRAIN_RAD = (2 * np.pi, 5 * np.pi)


@dataclass(frozen=True)
class PhaseSample:
    """One crystal and its pattern on an n^3 grid (Z, Y, X, zero frequency at n // 2).

    Attributes:
        intensity: noise-free |F|^2 scaled to a maximum of 1, centred on its centre of mass.
        phase: arg F (rad, wrapped to (-pi, pi]) in the same frame.
        obj: the object whose transform F is (modulus 1 in the crystal), centred at n // 2.
        support: the crystal.
        shape: the crystal's kind.
        strain: the strain field's kind.
        phase_range_rad: peak-to-peak phase inside the crystal.
        oversampling: grid size over the crystal's largest extent along an axis.
    """

    intensity: npt.NDArray[np.float32]
    phase: npt.NDArray[np.float32]
    obj: npt.NDArray[np.complex64]
    support: npt.NDArray[np.bool_]
    shape: str
    strain: str
    phase_range_rad: float
    oversampling: float


def _extent(support: npt.NDArray[np.bool_]) -> float:
    """Largest number of voxels the crystal spans along any axis."""
    return float(max(np.ptp(index) + 1 for index in np.nonzero(support)))


def _centred(support: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The crystal rolled so that its centre of mass lies on the grid's centre voxel."""
    centre = np.asarray(ndimage.center_of_mass(support))
    shift = np.round(support.shape[0] // 2 - centre).astype(int)
    return np.roll(support, tuple(shift), axis=(0, 1, 2))


def phase_sample(
    seed: int,
    n: int = 64,
    phase_range_rad: tuple[float, float] = HIGH_STRAIN_RAD,
    oversampling: tuple[float, float] = (2.2, 3.5),
) -> PhaseSample:
    """A random strained crystal (all choices drawn from ``seed``) and its centred pattern.

    Args:
        seed: random seed; the same seed gives the same sample.
        n: grid size (voxels per axis).
        phase_range_rad: range from which the crystal's peak-to-peak phase is drawn (rad).
        oversampling: range from which grid size / crystal extent is drawn (> 2).
    """
    if not 2 < oversampling[0] <= oversampling[1]:
        raise ValueError(f"oversampling must be an interval above 2, got {oversampling}")
    if not 0 <= phase_range_rad[0] <= phase_range_rad[1]:
        raise ValueError(f"phase_range_rad must be an interval of >= 0 rad, got {phase_range_rad}")
    rng = np.random.default_rng(seed)
    kind = str(rng.choice(TRAINING_SHAPES))
    strain = str(rng.choice(STRAIN_FIELDS))
    target = float(rng.uniform(*oversampling))
    rotation = Rotation.random(rng=rng).as_matrix()
    shape_seed = int(rng.integers(2**31))
    size = n / target
    # A rotated crystal spans more than its size along the axes: shrink it until it fits.
    support = crystal_shape(kind, n, size, np.random.default_rng(shape_seed), rotation)
    for _ in range(5):
        extent = _extent(support)
        if extent <= n / target:
            break
        size *= n / target / extent
        support = crystal_shape(kind, n, size, np.random.default_rng(shape_seed), rotation)
    support = _centred(support)
    phase_range = float(rng.uniform(*phase_range_rad))
    field = strain_phase(strain, support, phase_range, rng)
    obj = support * np.exp(1j * field)
    spectrum = np.fft.fftshift(np.fft.fftn(np.fft.ifftshift(obj)))
    intensity = np.abs(spectrum) ** 2
    # Centre the pattern on its centre of mass, as a measured one is; the object then carries the
    # matching phase ramp, obtained exactly by transforming back.
    com = np.asarray(ndimage.center_of_mass(intensity))
    shift = tuple(int(s) for s in np.round(n // 2 - com))
    spectrum = np.roll(spectrum, shift, axis=(0, 1, 2))
    intensity = np.roll(intensity, shift, axis=(0, 1, 2))
    obj = np.fft.fftshift(np.fft.ifftn(np.fft.ifftshift(spectrum)))
    return PhaseSample(
        intensity=(intensity / intensity.max()).astype(np.float32),
        phase=np.angle(spectrum).astype(np.float32),
        obj=obj.astype(np.complex64),
        support=support,
        shape=kind,
        strain=strain,
        phase_range_rad=phase_range,
        oversampling=n / _extent(support),
    )


def poisson_counts(
    intensity: npt.NDArray, max_count: float, rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """Counts with Poisson noise for a pattern scaled to ``max_count`` in its brightest pixel."""
    if not max_count > 0:
        raise ValueError(f"max_count must be > 0 counts, got {max_count}")
    return rng.poisson(intensity / intensity.max() * max_count).astype(np.float32)
