"""ExImRes: extending image resolution by merging reconstructions of restricted patterns (seed 000)."""
