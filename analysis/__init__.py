"""Pure numerical code: arrays in, arrays or frozen dataclasses out (SI units, axis order Z, Y, X).

This package imports no bluesky, ophyd, ophyd_async, tango or tiled: it is usable on its own.
"""
