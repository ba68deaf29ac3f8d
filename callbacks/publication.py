"""Where a live result goes: an HDF5 file and a figure beside it, and a container in Tiled.

Arrays become datasets (Tiled arrays); scalars become attributes (Tiled metadata). A file is
written under a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from matplotlib.figure import Figure


def scalars_of(result: Mapping[str, Any]) -> dict[str, Any]:
    """The scalar entries of a result (numbers and strings), as plain Python values."""
    return {k: _plain(v) for k, v in result.items() if np.ndim(v) == 0 and not isinstance(v, bytes)}


def write_result_file(path: Path, result: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
    """``result`` to the HDF5 file ``path``: arrays as datasets, scalars and ``attrs`` as attributes."""
    temporary = path.with_suffix(".h5.tmp")
    with h5py.File(temporary, "w") as f:
        f.attrs.update(attrs)
        for key, value in result.items():
            if np.ndim(value) == 0:
                f.attrs[key] = value
            else:
                f.create_dataset(key, data=np.asarray(value))
    temporary.replace(path)


def write_result_tiled(client: Any, key: str, result: Mapping[str, Any], metadata: Mapping[str, Any]) -> str:
    """``result`` as the Tiled container ``key`` of ``client``: arrays, and the scalars in its metadata."""
    container = client.create_container(key=key, metadata={**metadata, **scalars_of(result)})
    for array_key, value in result.items():
        if np.ndim(value) > 0:
            container.write_array(np.asarray(value), key=array_key)
    return key


def save_figure(path: Path, draw: Callable[[Figure], None]) -> None:
    """The figure that ``draw`` makes, as a PNG (headless: no pyplot, no display)."""
    figure = Figure(figsize=(8, 4), layout="constrained")
    draw(figure)
    figure.savefig(path, dpi=100)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
