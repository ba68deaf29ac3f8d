"""CNN-assisted phasing of highly strained crystals (seed 003).

A 3-D U-Net predicts the reciprocal-space phase of a Bragg pattern; the inverse transform of
sqrt(I) exp(i phi) starts error reduction that updates only the support's border. The network
and its loss need PyTorch (the ``ml`` extra); the pattern handling does not.
"""
