"""Run storage in Tiled: an embedded local server by default, or an existing one by URI.

Runs are written by bluesky-tiled-plugins' ``TiledWriter`` into a ``runs`` container (spec
``CatalogOfBlueskyRuns``); detector frames stay in the HDF5 files the detectors wrote and Tiled
serves them from there. :func:`read_frames` gives a run's frames and positions back as numpy.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from bluesky_tiled_plugins import TiledWriter
from tiled.client import from_uri
from tiled.client.container import Container

from .settings import Settings

log = logging.getLogger(__name__)

RUNS_CONTAINER = "runs"
DERIVED_CONTAINER = "derived"


class Storage(contextlib.AbstractContextManager):
    """A Tiled catalog of runs with a writer to subscribe to a RunEngine.

    With ``settings.tiled_uri`` unset, starts a local Tiled server (SQLite catalog in
    ``settings.tiled_dir``, allowed to read ``settings.frames_dir``) for the lifetime of this
    object; otherwise connects to the given server.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._server: Any = None
        settings.frames_dir.mkdir(parents=True, exist_ok=True)
        if settings.tiled_uri:
            self.uri = settings.tiled_uri
            client = from_uri(settings.tiled_uri, api_key=settings.tiled_api_key)
        else:
            from tiled.server import SimpleTiledServer

            settings.tiled_dir.mkdir(parents=True, exist_ok=True)
            self._server = SimpleTiledServer(
                directory=settings.tiled_dir, readable_storage=[settings.frames_dir]
            )
            self.uri = self._server.uri
            client = from_uri(self._server.uri)
        if not isinstance(client, Container):
            raise TypeError(f"Tiled at {self.uri} is not a container of runs: {type(client).__name__}")
        if RUNS_CONTAINER in client:
            runs = client[RUNS_CONTAINER]
        else:
            runs = client.create_container(RUNS_CONTAINER, specs=["CatalogOfBlueskyRuns"])
        assert isinstance(runs, Container)
        self.runs: Container = runs
        self.writer = TiledWriter(runs)
        # Results derived from runs (live analyses): a plain container beside the runs, each
        # entry "<raw uid>-<analysis>" with the raw run's uid in its metadata.
        derived = (
            client[DERIVED_CONTAINER]
            if DERIVED_CONTAINER in client
            else client.create_container(DERIVED_CONTAINER)
        )
        assert isinstance(derived, Container)
        self.derived: Container = derived

    @property
    def display_uri(self) -> str:
        """The server's URI without its API key, for printing."""
        return self.uri.split("?", 1)[0]

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class RunFrames:
    """Frames of one detector in one stream of a run, with the positions of each event.

    Attributes:
        frames: (events, H, W) counts.
        positions: every scalar field of the stream (motor readbacks, ``time``, ``seq_num``), one
            value per event; per-field timestamps (``ts_*``) are left out.
        units: the unit of each field in ``positions`` where the descriptor gives one.
    """

    frames: npt.NDArray
    positions: dict[str, npt.NDArray]
    units: dict[str, str]


def _run_v3(runs: Container, uid: str) -> Any:
    """A run in the layout stream -> field, whichever client class Tiled returned for it."""
    run = runs[uid]
    return getattr(run, "v3", run)


def read_frames(runs: Container, uid: str, detector: str, stream: str = "primary") -> RunFrames:
    """Read a run's frames of ``detector`` and the stream's scalar fields back from Tiled."""
    data = _run_v3(runs, uid)[stream]
    if detector not in data:
        raise KeyError(f"run {uid} stream {stream!r} has no field {detector!r}; it has {list(data)}")
    frames = np.asarray(data[detector].read())
    # One frame per event arrives as (events, 1, H, W).
    if frames.ndim == 4 and frames.shape[1] == 1:
        frames = frames[:, 0]
    positions: dict[str, npt.NDArray] = {}
    units: dict[str, str] = {}
    keys = data.metadata.get("data_keys", {})
    for name in data:
        if name == detector or name.startswith("ts_"):
            continue
        values = np.asarray(data[name].read())
        if values.ndim == 1:
            positions[name] = values
            if unit := keys.get(name, {}).get("units"):
                units[name] = unit
    return RunFrames(frames=frames, positions=positions, units=units)


def frame_files(runs: Container, uid: str, stream: str = "primary") -> list[str]:
    """Local paths of the HDF5 files that hold a run's frames, from its data sources in Tiled."""
    paths: list[str] = []
    node = _run_v3(runs, uid)[stream]
    for key in node:
        for source in node[key].data_sources() or []:
            for asset in source.assets:
                paths.append(asset.data_uri.removeprefix("file://localhost").removeprefix("file://"))
    return paths
