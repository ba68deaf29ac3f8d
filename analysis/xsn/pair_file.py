"""XSN files (HDF5): a 0/180 pair or a stack of pairs in, fields or a tomogram out.

Pair file (``phasebeam reconstruct xsn``):

* ``image_0``: 2-D intensity at theta; ``image_180``: intensity at theta + 180 deg, as recorded
  (mirrored). Optional ``flat_0``, ``flat_180``: empty-field images of the same shape.
* ``pixel_size_m``, ``wavelength_m``, ``pupil_na``, ``cutoff_frequency_per_m``: scalars.
* ``illumination_frequency_per_m`` (N) and ``illumination_weight`` (N): the illumination modes.
* Optional ``scintillator_psf_fwhm_m``: the camera's blur at the sample plane, deconvolved first.

Each scalar may be a dataset or a root attribute. A stack file (``phasebeam reconstruct xsn-tomo``)
has ``images_0`` and ``images_180`` of shape (pairs, Y, X) and ``angles_deg`` (pairs) instead, the
optional flats as 2-D images shared by all pairs, and the same optics. An optics file (for a Tiled
run) has only the optics.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt

from .optics import XsnOptics

OPTICS_FIELDS = (
    "pixel_size_m",
    "wavelength_m",
    "pupil_na",
    "cutoff_frequency_per_m",
    "illumination_frequency_per_m",
    "illumination_weight",
)


def _get(f: h5py.File, name: str, path: Path, required: bool = True) -> Any:
    if name in f:
        node = f[name]
        if not isinstance(node, h5py.Dataset):
            raise KeyError(f"{path}:{name} is a group, not a dataset")
        return node[()]
    if name in f.attrs:
        return f.attrs[name]
    if required:
        raise KeyError(f"{path} has no {name!r} (dataset or root attribute)")
    return None


def read_optics(path: str | Path) -> XsnOptics:
    """The optics fields of a pair, stack or optics file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such input file: {path}")
    with h5py.File(path, "r") as f:
        return optics_from_fields({name: _get(f, name, path) for name in OPTICS_FIELDS})


def optics_from_fields(values: Mapping[str, Any]) -> XsnOptics:
    """The optics from a mapping of :data:`OPTICS_FIELDS` (a file's, or a live result's)."""
    scalars = {k: float(np.asarray(values[k])) for k in OPTICS_FIELDS[:4]}
    return XsnOptics(
        **scalars,
        illumination_frequency_per_m=np.asarray(values["illumination_frequency_per_m"], dtype=np.float64),
        illumination_weight=np.asarray(values["illumination_weight"], dtype=np.float64),
    )


def read_images(path: str | Path, names: tuple[str, ...], ndim: int) -> dict[str, npt.NDArray | None]:
    """Named arrays of ``ndim`` dimensions (None for absent optional flats and PSF)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such input file: {path}")
    out: dict[str, npt.NDArray | None] = {}
    with h5py.File(path, "r") as f:
        for name in names:
            optional = name.startswith("flat_") or name == "scintillator_psf_fwhm_m"
            value = _get(f, name, path, required=not optional)
            if value is None:
                out[name] = None
                continue
            array = np.asarray(value, dtype=np.float64)
            expected = 0 if name == "scintillator_psf_fwhm_m" else (2 if name.startswith("flat_") else ndim)
            if array.ndim != expected:
                raise ValueError(f"{path}:{name} must be {expected}-D, got shape {array.shape}")
            out[name] = array
    return out


def write_optics(group: h5py.Group, optics: XsnOptics) -> None:
    for name in OPTICS_FIELDS:
        group[name] = getattr(optics, name)


def _write_flats_and_optics(
    f: h5py.File,
    optics: XsnOptics,
    flat_0: npt.ArrayLike | None,
    flat_180: npt.ArrayLike | None,
    scintillator_psf_fwhm_m: float | None,
) -> None:
    for name, flat in (("flat_0", flat_0), ("flat_180", flat_180)):
        if flat is not None:
            f[name] = np.asarray(flat)
    if scintillator_psf_fwhm_m is not None:
        f["scintillator_psf_fwhm_m"] = float(scintillator_psf_fwhm_m)
    write_optics(f, optics)


def write_pair(
    path: str | Path,
    image_0: npt.ArrayLike,
    image_180: npt.ArrayLike,
    optics: XsnOptics,
    flat_0: npt.ArrayLike | None = None,
    flat_180: npt.ArrayLike | None = None,
    scintillator_psf_fwhm_m: float | None = None,
) -> None:
    """Write a pair file (``image_180`` as recorded, i.e. mirrored)."""
    with h5py.File(path, "w") as f:
        f["image_0"] = np.asarray(image_0)
        f["image_180"] = np.asarray(image_180)
        _write_flats_and_optics(f, optics, flat_0, flat_180, scintillator_psf_fwhm_m)


def write_stack(
    path: str | Path,
    images_0: npt.ArrayLike,
    images_180: npt.ArrayLike,
    angles_deg: npt.ArrayLike,
    optics: XsnOptics,
    flat_0: npt.ArrayLike | None = None,
    flat_180: npt.ArrayLike | None = None,
    scintillator_psf_fwhm_m: float | None = None,
) -> None:
    """Write a stack file of pairs for tomography."""
    with h5py.File(path, "w") as f:
        f["images_0"] = np.asarray(images_0)
        f["images_180"] = np.asarray(images_180)
        f["angles_deg"] = np.asarray(angles_deg, dtype=np.float64)
        _write_flats_and_optics(f, optics, flat_0, flat_180, scintillator_psf_fwhm_m)


def _write_settings(group: h5py.Group, settings: dict[str, Any]) -> None:
    for key, value in settings.items():
        group.attrs[key] = "none" if value is None else value


def write_fields(
    path: str | Path, absorption: npt.NDArray, phase: npt.NDArray, optics: XsnOptics, settings: dict[str, Any]
) -> None:
    """Output of ``reconstruct xsn``: ``absorption`` (alpha) and ``phase`` (phi, rad), theta = 0."""
    with h5py.File(path, "w") as f:
        f["absorption"] = absorption
        f["phase"] = phase
        f["phase"].attrs["units"] = "rad"
        f["absorption"].attrs["units"] = "Np (log of amplitude transmittance)"
        _write_settings(f.create_group("settings"), settings)
        write_optics(f.create_group("optics"), optics)


def write_tomogram(
    path: str | Path,
    delta: npt.NDArray,
    beta: npt.NDArray,
    voxel_m: float,
    angles_deg: npt.NDArray,
    optics: XsnOptics,
    settings: dict[str, Any],
    fields: tuple[npt.NDArray, npt.NDArray] | None = None,
) -> None:
    """Output of ``reconstruct xsn-tomo``: ``delta``, ``beta`` (Z, Y, X), the fields used, settings."""
    with h5py.File(path, "w") as f:
        f["delta"] = delta
        f["beta"] = beta
        f["voxel_m"] = voxel_m
        f["angles_deg"] = angles_deg
        f["delta"].attrs["axes"] = "Z Y X (Y: rotation axis; Z: along the beam at theta = 0)"
        if fields is not None:
            f["absorption"], f["phase"] = fields
        _write_settings(f.create_group("settings"), settings)
        write_optics(f.create_group("optics"), optics)
