"""Physics of the instruments, the simulated world, and pytango device servers that host it.

Nothing at runtime imports this package except the simulated-beamline wiring in ``phasebeam``
and the tests.
"""
