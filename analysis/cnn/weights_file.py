"""Reading and writing the phase network's weights, with errors a user can act on.

The file is a ``torch.save`` of a plain dictionary (loadable with ``weights_only=True``): a format
tag, the network's shape, its state as float16 tensors and the training record.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .network import PhaseUNet

SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "phase_unet_64.pt"
FORMAT = "phasebeam-phase-unet-1"
INSTALL_HINT = "pip install 'phasebeam[ml]' (PyTorch 2.13.0)"


class TorchMissingError(ImportError):
    """PyTorch, which the CNN initialisation needs, is not installed."""


def require_torch() -> None:
    """Raise :class:`TorchMissingError` with the install command if PyTorch is absent."""
    if importlib.util.find_spec("torch") is None:
        raise TorchMissingError(f"CNN initialisation needs PyTorch, which is not installed: {INSTALL_HINT}")


def save_network(network: PhaseUNet, path: Path, record: dict[str, Any]) -> None:
    """Write the parameters as float16 (half the size) and the batch-norm statistics as they are.

    The running variances reach 1e4-1e5 in the decoder, beyond float16's range.
    """
    import torch

    parameters = {name for name, _ in network.named_parameters()}
    state = {
        name: tensor.detach().cpu().half() if name in parameters else tensor.detach().cpu()
        for name, tensor in network.state_dict().items()
    }
    payload = {
        "format": FORMAT,
        "base_channels": network.base_channels,
        "levels": network.levels,
        "state_dict": state,
        "record": record,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)


def _read(path: Path | str | None) -> tuple[Path, dict[str, Any]]:
    """The weights file's contents, checked to be phasebeam phase-network weights."""
    require_torch()
    import torch

    path = Path(path) if path is not None else SHIPPED_WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"network weights {path} not found (the shipped ones are {SHIPPED_WEIGHTS})")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip and runtime errors alike for a bad file
        raise ValueError(f"network weights {path} cannot be read as a PyTorch file: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"network weights {path} are not phasebeam phase-network weights (format {FORMAT})")
    return path, payload


def load_network(path: Path | str | None = None, device: str = "cpu") -> PhaseUNet:
    """The trained network in evaluation mode (the shipped weights by default).

    Raises:
        TorchMissingError: PyTorch is not installed.
        FileNotFoundError: no weights file at ``path``.
        ValueError: the file is not phasebeam phase-network weights, or does not fit the network.
    """
    path, payload = _read(path)
    from .network import PhaseUNet

    network = PhaseUNet(int(payload["base_channels"]), int(payload["levels"]))
    state = {
        name: tensor.float() if tensor.is_floating_point() else tensor
        for name, tensor in payload["state_dict"].items()
    }
    try:
        network.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1:2] or [str(exc)]
        raise ValueError(f"network weights {path} do not fit the phase network: {first[0].strip()}") from exc
    return network.to(device).eval()


def training_record(path: Path | str | None = None) -> dict[str, Any]:
    """The training record stored with the weights (data settings, epochs, losses); errors as
    :func:`load_network`'s."""
    return dict(_read(path)[1]["record"])
