"""Where phasebeam keeps its data and which Tiled server it uses.

Every setting has a command-line option; the environment gives defaults:

* ``PHASEBEAM_DATA_DIR``: data folder (default ``./phasebeam-data``): ``frames/`` holds the
  detectors' HDF5 files, ``tiled/`` the embedded Tiled server's SQLite catalog and storage,
  ``calibrations/`` the stored calibrations.
* ``PHASEBEAM_TILED_URI``: an existing Tiled server to write to instead of the embedded one.
* ``PHASEBEAM_TILED_API_KEY``: its API key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    tiled_uri: str | None = None
    tiled_api_key: str | None = None

    @property
    def frames_dir(self) -> Path:
        """Where detectors write their HDF5 files (the Tiled server must be allowed to read it)."""
        return self.data_dir / "frames"

    @property
    def tiled_dir(self) -> Path:
        return self.data_dir / "tiled"

    @property
    def calibrations_dir(self) -> Path:
        """Where live analyses store calibrations that later reconstructions find (modulator, I_k)."""
        return self.data_dir / "calibrations"

    @classmethod
    def from_environment(
        cls,
        data_dir: str | Path | None = None,
        tiled_uri: str | None = None,
        tiled_api_key: str | None = None,
    ) -> Settings:
        """Settings from explicit values, falling back to the environment, then to defaults."""
        directory = Path(data_dir or os.environ.get("PHASEBEAM_DATA_DIR") or "phasebeam-data")
        return cls(
            data_dir=directory.expanduser().resolve(),
            tiled_uri=tiled_uri or os.environ.get("PHASEBEAM_TILED_URI") or None,
            tiled_api_key=tiled_api_key or os.environ.get("PHASEBEAM_TILED_API_KEY") or None,
        )
