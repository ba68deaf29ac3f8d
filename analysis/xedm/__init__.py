"""X-ray ensemble diffraction microscopy (seed 002)."""
