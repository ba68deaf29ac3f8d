"""Energy sweeps (seed 004's hyperspectral XSN): move the energy and refocus, then an inner plan."""

# No `from __future__ import annotations`: bluesky-queueserver validates a plan's arguments with
# pydantic from its annotations, which must be objects rather than strings.

import inspect
import uuid
from collections.abc import Sequence
from typing import Any

import bluesky.plan_stubs as bps
import bluesky.plans as bp

from .common import check_positions, prepare_exposure, require_range, start_metadata
from .tomography import tomography_0_180, tomography_angles_deg
from .trajectories import energies_ev

INNER_PLANS = ("count", "tomography")


def energy_sweep(
    detectors: Sequence[Any],
    energy: Any,
    start_ev: float | None = None,
    stop_ev: float | None = None,
    step_ev: float | None = None,
    values_ev: list[float] | None = None,
    inner: str = "count",
    exposure_s: float = 2.0,
    frames_per_energy: int = 1,
    rotation: Any = None,
    tomography: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
):
    """At each energy, move the undulator gap and the monochromator, refocus the zone plate
    (all three by the ``energy`` device), then run the inner plan.

    ``inner="count"`` makes one run with ``frames_per_energy`` frames at each energy.
    ``inner="tomography"`` runs :func:`~phasebeam.plans.tomography.tomography_0_180` at each
    energy, one run each, with ``energy_ev``, ``sweep_uid`` and ``sweep_index`` in their start
    documents; the list of their uids is returned.

    Seed 004: 40 eV across the Ni K edge (8333 eV) in 4 eV steps, e.g. ``start_ev=8313,
    stop_ev=8353, step_ev=4``.

    Args:
        detectors: the camera (and any other readables).
        energy: the energy device (eV), which moves gap, monochromator and zone-plate focus.
        start_ev: first energy (eV), with ``stop_ev`` and ``step_ev``.
        stop_ev: last energy (eV), included.
        step_ev: step (eV).
        values_ev: the energies as a list (eV), instead of start/stop/step.
        inner: ``"count"`` or ``"tomography"``.
        exposure_s: exposure per frame for ``"count"`` (s).
        frames_per_energy: frames per energy for ``"count"``.
        rotation: the sample rotation motor (deg), for ``"tomography"``.
        tomography: keyword arguments of ``tomography_0_180`` (mode, pairs, images,
            speed_deg_per_s, exposure_s, ...), for ``"tomography"``.
        metadata: extra start-document keys (of every run).
    """
    if inner not in INNER_PLANS:
        raise ValueError(f"inner={inner!r} is not one of {INNER_PLANS}")
    energies = [float(e) for e in energies_ev(start_ev, stop_ev, step_ev, values_ev)]
    args = dict(
        detectors=detectors,
        energy=energy,
        start_ev=start_ev,
        stop_ev=stop_ev,
        step_ev=step_ev,
        values_ev=values_ev,
        inner=inner,
        exposure_s=exposure_s,
        frames_per_energy=frames_per_energy,
        rotation=rotation,
        tomography=tomography,
    )
    if inner == "count":
        require_range("exposure_s", exposure_s, 1e-6, 3600.0)
        require_range("frames_per_energy", frames_per_energy, 1, 100_000)
        yield from check_positions(energy, energies)
        md = start_metadata("energy_sweep", args, [energy], metadata, energies_ev=energies)
        yield from prepare_exposure(detectors, exposure_s)

        def per_step(detectors, step, pos_cache, take_reading=None):
            yield from bps.move_per_step(step, pos_cache)
            for _ in range(frames_per_energy):
                yield from (take_reading or bps.trigger_and_read)([*detectors, *step.keys()])

        # bluesky types list_scan's *args as (motor, positions) tuples; the documented form is flat.
        scan_args: list[Any] = [energy, energies]
        return (yield from bp.list_scan(list(detectors), *scan_args, per_step=per_step, md=md))

    if rotation is None:
        raise ValueError("rotation must be given for inner='tomography'")
    inner_kwargs = dict(tomography or {})
    unknown = set(inner_kwargs) - set(inspect.signature(tomography_angles_deg).parameters)
    if unknown:
        raise ValueError(f"tomography has unknown keys {sorted(unknown)}")
    yield from check_positions(rotation, tomography_angles_deg(**{"mode": "fly", **inner_kwargs}))
    yield from check_positions(energy, energies)
    sweep_uid = str(uuid.uuid4())
    uids = []
    for index, value in enumerate(energies):
        yield from bps.mv(energy, value)
        run_md = {
            **(metadata or {}),
            "energy_ev": value,
            "sweep_uid": sweep_uid,
            "sweep_index": index,
            "sweep_energies_ev": energies,
        }
        uid = yield from tomography_0_180(detectors, rotation, **inner_kwargs, metadata=run_md)
        uids.append(uid)
    return uids
