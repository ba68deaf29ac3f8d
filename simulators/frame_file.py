"""HDF5 frame files as the simulated detector server writes them.

Layout: one file per acquisition, dataset ``/entry/data/data`` of shape (frames, H, W), chunked one
frame per chunk, created with the latest HDF5 format so that readers may open it in SWMR mode.
The file is opened only while frames are appended, so a reader (Tiled) never meets a held lock and
a crash of the server loses no frame that was already written.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import numpy.typing as npt

DATASET_PATH = "/entry/data/data"


class FrameFile:
    """Appends frames to ``/entry/data/data`` of an HDF5 file, refusing to overwrite one."""

    def __init__(self, path: Path, frame_shape: tuple[int, int], dtype: npt.DTypeLike = np.uint32):
        if path.exists():
            raise FileExistsError(f"refusing to overwrite existing frame file {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.frame_shape = frame_shape
        self.dtype = np.dtype(dtype)
        with h5py.File(path, "w", libver="latest", locking=False) as f:
            f.create_dataset(
                DATASET_PATH,
                shape=(0, *frame_shape),
                maxshape=(None, *frame_shape),
                chunks=(1, *frame_shape),
                dtype=self.dtype,
            )
        self.frames_written = 0

    def append(self, frames: npt.NDArray) -> None:
        if frames.ndim != 3 or frames.shape[1:] != self.frame_shape:
            raise ValueError(f"frames must have shape (n, {self.frame_shape}), got {frames.shape}")
        with h5py.File(self.path, "a", libver="latest", locking=False) as f:
            dset = f[DATASET_PATH]
            assert isinstance(dset, h5py.Dataset)
            dset.resize(self.frames_written + len(frames), axis=0)
            dset[self.frames_written :] = frames.astype(self.dtype, copy=False)
        self.frames_written += len(frames)
