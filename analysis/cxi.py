"""CXI files (Coherent X-ray Imaging format, HDF5) in and out, and other intensity inputs.

Input: a CXI file with the intensity at ``entry_1/data_1/data`` and an optional mask at
``entry_1/data_1/mask`` (non-zero = bad pixel); or ``.npy``; or ``.npz`` / ``.h5`` with the array
named by ``dataset`` (``.npz`` with one array needs none).

Output (:func:`write_reconstruction`):

* ``/cxi_version`` = 150
* ``/entry_1/image_1/data``: the complex object (Z, Y, X), NX_class NXdata, signal "data"
* ``/entry_1/image_1/support``: the support (uint8)
* ``/entry_1/image_1/process_1``: program, version, recipe, llk, free_llk, mode weights, runs
* ``/entry_1/data_1`` -> link to ``image_1``, so that viewers find the default data
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt

CXI_DATA = "entry_1/data_1/data"
CXI_MASK = "entry_1/data_1/mask"


def read_intensity(path: str | Path, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(intensity, bad_pixels or None) from a CXI, HDF5, .npy or .npz file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such input file: {path}")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path), None
    if suffix == ".npz":
        with np.load(path) as archive:
            names = list(archive.keys())
            if dataset is None:
                if len(names) != 1:
                    raise ValueError(f"{path} holds {names}: name the intensity with --dataset")
                dataset = names[0]
            if dataset not in archive:
                raise KeyError(f"{path} has no array {dataset!r}; it has {names}")
            return archive[dataset], None
    if suffix in (".cxi", ".h5", ".hdf5", ".nxs"):
        with h5py.File(path, "r") as f:
            name = dataset or CXI_DATA
            if name not in f:
                raise KeyError(f"{path} has no dataset {name!r}; name it with --dataset")
            node = f[name]
            if not isinstance(node, h5py.Dataset):
                raise KeyError(f"{path}:{name} is a group, not a dataset")
            mask = None
            if dataset is None and CXI_MASK in f:
                mask_node = f[CXI_MASK]
                assert isinstance(mask_node, h5py.Dataset)
                mask = mask_node[()]
            return node[()], mask
    raise ValueError(f"unknown input format {suffix!r}: use .cxi, .h5, .npy or .npz")


def write_reconstruction(
    path: str | Path,
    obj: npt.NDArray,
    support: npt.NDArray,
    process: dict[str, Any],
) -> None:
    """Write a reconstruction as CXI (see the module docstring); ``process`` goes to process_1."""
    with h5py.File(path, "w") as f:
        f.create_dataset("cxi_version", data=150)
        entry = f.create_group("entry_1")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs["default"] = "image_1"
        image = entry.create_group("image_1")
        image.attrs["NX_class"] = "NXdata"
        image.attrs["signal"] = "data"
        image.create_dataset("data", data=np.asarray(obj, dtype=np.complex64), compression="gzip")
        image.create_dataset("support", data=np.asarray(support, dtype=np.uint8), compression="gzip")
        image.create_dataset("is_fft_shifted", data=0)
        proc = image.create_group("process_1")
        proc.attrs["NX_class"] = "NXprocess"
        for key, value in process.items():
            proc.create_dataset(key, data=value)
        entry["data_1"] = h5py.SoftLink("/entry_1/image_1")
