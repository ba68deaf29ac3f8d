"""Live document consumers: frames in, analysis off the RunEngine thread, results out."""
