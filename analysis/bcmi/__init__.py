"""Bragg coherent modulation imaging (seed 001): modulator, propagation, calibration, reconstruction."""
