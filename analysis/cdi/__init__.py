"""Coherent diffraction imaging: iterative phase retrieval and its analysis (axis order Z, Y, X)."""
