"""Bluesky plans and pure trajectory geometry. Devices are parameters; plans import no simulators."""
