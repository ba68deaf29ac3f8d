"""ophyd-async devices with a Tango backend; each also runs in ophyd-async mock mode."""

from .area_detector import AreaDetector, LimaCamera
from .energy import Energy, FocalShift, LinearRate, ThinLens
from .motor import MoveRefusedError, TangoMotor
from .nanogoniometer import ModulatorNanogoniometer, NanogoniometerController
from .optics import CutoffFilter, Diffuser, InOutActuator, ZonePlate
from .sample import Diffractometer, MachineStatus, SampleStage

__all__ = [
    "AreaDetector",
    "CutoffFilter",
    "Diffractometer",
    "Diffuser",
    "Energy",
    "FocalShift",
    "InOutActuator",
    "LimaCamera",
    "LinearRate",
    "MachineStatus",
    "ModulatorNanogoniometer",
    "MoveRefusedError",
    "NanogoniometerController",
    "SampleStage",
    "TangoMotor",
    "ThinLens",
    "ZonePlate",
]
