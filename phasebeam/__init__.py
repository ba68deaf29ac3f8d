"""phasebeam: coherent X-ray imaging experiments with Bluesky and Tango, reconstructed live."""

from ._version import __version__

__all__ = ["__version__"]
