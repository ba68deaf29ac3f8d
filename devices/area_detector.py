"""A Lima-like 2-D detector on Tango, wrapped as an ophyd-async ``StandardDetector``.

Tango interface expected (names as in Lima where Lima has them):

========================  =======  =========================================================
name                      type     meaning
========================  =======  =========================================================
``acq_expo_time``         rw f64   exposure per frame (s)
``latency_time``          rw f64   dead time between frames (s)
``acq_nb_frames``         rw i32   frames per ``startAcq``
``acq_trigger_mode``      rw str   ``INTERNAL_TRIGGER``
``acq_status``            r str    ``Ready``, ``Running`` or ``Fault``
``last_image_acquired``   r i32    index of the last frame acquired since ``prepareAcq`` (-1: none)
``last_image_saved``      r i32    index of the last frame saved in the current file (-1: none)
``last_image``            r image  the last frame (counts); read it with a ``DeviceProxy`` for a
                                   live view (ophyd-async mock mode takes no 2-D signals, so
                                   :class:`LimaCamera` does not declare it)
``image_width/height``    r i32    frame size (px)
``saving_directory``      rw str   absolute directory where the server writes
``saving_prefix``         rw str   file name without suffix; the file is prefix + ``saving_suffix``
``saving_suffix``         r str    ``.h5``
``prepareAcq``            cmd      open a new HDF5 file (never overwrites), reset counters
``startAcq``              cmd      acquire ``acq_nb_frames`` frames and append them to the file
``stopAcq``               cmd      stop; frames already saved stay in the file
========================  =======  =========================================================

Files hold the frames at ``/entry/data/data`` (frames, H, W), uint32. Unlike Lima, one
``prepareAcq`` serves many ``startAcq`` (one per step-scan point), all appended to the same file:
map a real Lima server with ``INTERNAL_TRIGGER_MULTI`` to get the same behaviour.

The run documents carry a StreamResource pointing at the file and a StreamDatum per event. The
file is named by the path provider's ``filename`` and written in its ``directory_path``; the
server must see that directory under the same path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Annotated as A

import numpy as np
from ophyd_async.core import (
    DetectorAcquireLogic,
    DetectorDataLogic,
    DetectorTriggerLogic,
    DeviceMock,
    PathProvider,
    SignalR,
    SignalRW,
    StandardDetector,
    StreamableDataProvider,
    StreamResourceDataProvider,
    StreamResourceInfo,
    TriggerableCommand,
    callback_on_mock_execute,
    default_mock_class,
    derived_signal_r,
    set_mock_value,
)
from ophyd_async.tango.core import TangoDevice, TangoPolling

from .motor import POLL_S

#: Dataset of the frames in the files the detector server writes.
FRAMES_DATASET = "/entry/data/data"


class LimaCamera(TangoDevice):
    """The Tango device of a Lima-like camera (see the module docstring)."""

    acq_expo_time: A[SignalRW[float], TangoPolling(POLL_S)]
    latency_time: A[SignalRW[float], TangoPolling(POLL_S)]
    acq_nb_frames: A[SignalRW[int], TangoPolling(POLL_S)]
    acq_trigger_mode: A[SignalRW[str], TangoPolling(POLL_S)]
    acq_status: A[SignalR[str], TangoPolling(POLL_S)]
    last_image_acquired: A[SignalR[int], TangoPolling(POLL_S)]
    last_image_saved: A[SignalR[int], TangoPolling(POLL_S)]
    image_width: A[SignalR[int], TangoPolling(1.0)]
    image_height: A[SignalR[int], TangoPolling(1.0)]
    saving_directory: A[SignalRW[str], TangoPolling(POLL_S)]
    saving_prefix: A[SignalRW[str], TangoPolling(POLL_S)]
    saving_suffix: A[SignalR[str], TangoPolling(1.0)]
    prepareAcq: TriggerableCommand
    startAcq: TriggerableCommand
    stopAcq: TriggerableCommand

    def __init__(self, trl: str = "", name: str = "") -> None:
        super().__init__(trl, name=name, auto_fill_signals=False)


class LimaTriggerLogic(DetectorTriggerLogic):
    def __init__(self, camera: LimaCamera) -> None:
        self.camera = camera

    def config_sigs(self) -> set[SignalR]:
        return {self.camera.acq_expo_time, self.camera.latency_time}

    async def prepare_internal(self, num: int, livetime: float, deadtime: float) -> None:
        coros = [
            self.camera.acq_trigger_mode.set("INTERNAL_TRIGGER"),
            # num == 0 means "until stopped"; one frame per trigger is what step scans want.
            self.camera.acq_nb_frames.set(max(num, 1)),
            self.camera.latency_time.set(deadtime),
        ]
        if livetime > 0:
            coros.append(self.camera.acq_expo_time.set(livetime))
        await asyncio.gather(*coros)


class LimaAcquireLogic(DetectorAcquireLogic):
    def __init__(self, camera: LimaCamera) -> None:
        self.camera = camera

    async def start_acquiring(self) -> None:
        await self.camera.startAcq.trigger()

    async def wait_for_idle(self) -> None:
        while (status := await self.camera.acq_status.get_value(cached=False)) != "Ready":
            if status == "Fault":
                raise RuntimeError(f"{self.camera.name}: detector in Fault; frames saved so far are kept")
            await asyncio.sleep(POLL_S)

    async def ensure_stopped(self) -> None:
        await self.camera.stopAcq.trigger()


def _frames_written(last_image_saved: int) -> int:
    return last_image_saved + 1


class LimaDataLogic(DetectorDataLogic):
    def __init__(self, camera: LimaCamera, path_provider: PathProvider) -> None:
        self.camera = camera
        self.path_provider = path_provider
        self.frames_written = derived_signal_r(_frames_written, last_image_saved=camera.last_image_saved)

    async def prepare_unbounded(self, datakey_name: str) -> StreamableDataProvider:
        info = self.path_provider(datakey_name)
        await asyncio.gather(
            self.camera.saving_directory.set(str(info.directory_path)),
            self.camera.saving_prefix.set(info.filename),
        )
        await self.camera.prepareAcq.trigger()
        height, width, suffix = await asyncio.gather(
            self.camera.image_height.get_value(),
            self.camera.image_width.get_value(),
            self.camera.saving_suffix.get_value(),
        )
        frames = StreamResourceInfo(
            data_key=datakey_name,
            shape=(height, width),
            chunk_shape=(1, height, width),
            dtype_numpy=np.dtype(np.uint32).str,
            parameters={"dataset": FRAMES_DATASET},
        )
        return StreamResourceDataProvider(
            uri=f"{info.directory_uri}{info.filename}{suffix}",
            resources=[frames],
            mimetype="application/x-hdf5",
            collections_written_signal=self.frames_written,
        )

    def get_hinted_fields(self, datakey_name: str) -> Sequence[str]:
        return [datakey_name]


class AreaDetectorMock(DeviceMock["AreaDetector"]):
    """Mock mode: ``startAcq`` counts ``acq_nb_frames`` frames as saved at once; no file is written.

    The run documents are complete (StreamResource and StreamDatum), so plans can be tested.
    """

    async def connect(self, device: AreaDetector) -> None:
        camera = device.camera
        set_mock_value(camera.image_width, 64)
        set_mock_value(camera.image_height, 64)
        set_mock_value(camera.saving_suffix, ".h5")
        set_mock_value(camera.acq_status, "Ready")
        set_mock_value(camera.acq_expo_time, 0.1)
        set_mock_value(camera.last_image_saved, -1)

        async def start() -> None:
            frames = await camera.acq_nb_frames.get_value()
            saved = await camera.last_image_saved.get_value()
            set_mock_value(camera.last_image_saved, saved + frames)

        callback_on_mock_execute(camera.prepareAcq, lambda: set_mock_value(camera.last_image_saved, -1))
        callback_on_mock_execute(camera.startAcq, start)


@default_mock_class(AreaDetectorMock)
class AreaDetector(StandardDetector):
    """A Lima-like Tango detector that writes HDF5 and emits StreamResource/StreamDatum."""

    def __init__(self, trl: str, path_provider: PathProvider, name: str = "") -> None:
        self.camera = LimaCamera(trl)
        self.add_detector_logics(
            LimaTriggerLogic(self.camera),
            LimaAcquireLogic(self.camera),
            LimaDataLogic(self.camera, path_provider),
        )
        super().__init__(name=name)
