"""Live XEDM during a snake scan over the simulated membrane, against the offline
``phasebeam reconstruct snake --run`` of the same stored run and the membrane's own cells."""

import bluesky.plan_stubs as bps
import h5py
import numpy as np
import pytest
import tango

from phasebeam.analysis.xedm.accumulation import REASONS
from phasebeam.calibrations import CalibrationStore
from phasebeam.cli import main
from phasebeam.live_analyses import live_callbacks
from phasebeam.plans.snake import snake_scan
from phasebeam.simulated_beamline import simulated_eiger_mask
from phasebeam.simulators.xedm import EnsembleMembrane

#: A quick GHIO without the model fit, for the default test run.
PHASING = {"starts": 6, "generations": 2, "hio": 40, "er": 10, "fit": False}
#: What the filters should call each kind of membrane cell.
VERDICT_OF_KIND = {"good": "kept", "background": "background", "streak": "streak", "frame": "weak"}


@pytest.fixture
def membrane_frames(sim, RE, beamline):
    eiger = tango.DeviceProxy(sim.addresses["sim/detector/eiger"])
    previous = eiger.sim_frame_model
    eiger.sim_frame_model = "xedm"
    yield
    eiger.sim_frame_model = previous
    RE(bps.mv(beamline.sample.x, 0.0, beamline.sample.y, 0.0))


def _tally(names):
    return {name: names.count(name) for name in sorted(set(names))}


def test_live_xedm_of_a_snake_scan_matches_the_offline_reconstruction(
    RE_energy, beamline, storage, membrane_frames, tmp_path, capsys
):
    RE = RE_energy
    RE(bps.mv(beamline.energy, 8000.0))
    mask = simulated_eiger_mask()
    live = live_callbacks(tmp_path, storage.derived, CalibrationStore(tmp_path / "cal"), eiger_mask=mask)
    callback = live["xedm"]
    callback._template.preview_every = 10  # pyright: ignore[reportAttributeAccessIssue]
    token = RE.subscribe(callback)
    try:
        (uid,) = RE(
            snake_scan(
                [beamline.eiger],
                beamline.sample,
                beamline.machine,
                -40.0,
                40.0,
                -20.0,
                20.0,
                10.0,
                exposure_s=0.1,
                settle_s=0.0,
                metadata={"phasing": PHASING},
            )
        )
    finally:
        RE.unsubscribe(token)
    callback.wait(timeout=300)
    assert callback.errors == []
    derived = storage.derived[f"{uid}-xedm"]
    assert derived.metadata["status"] == "ok"

    np.save(tmp_path / "mask.npy", mask)
    uri, _, key = storage.uri.partition("?api_key=")
    out = tmp_path / "offline.h5"
    source = ["--tiled", uri, "--api-key", key]
    assert (
        main(
            [
                "reconstruct",
                "snake",
                "--run",
                uid,
                "--mask",
                str(tmp_path / "mask.npy"),
                "--out",
                str(out),
                *source,
            ]
        )
        == 0
    )
    print(capsys.readouterr().out)
    with h5py.File(out) as f:
        offline = {k: f[k][()] for k in f} | dict(f.attrs)
    for name in ("pattern", "average", "prtf", "errors"):
        assert np.allclose(derived[name].read(), offline[name], equal_nan=True, rtol=1e-12, atol=0), name
    for reason in REASONS:
        assert derived.metadata[f"frames_{reason}"] == offline[f"frames_{reason}"]
    assert derived.metadata["prtf_half_period_m"] == offline["prtf_half_period_m"]

    # The filters against the membrane's cells under the beam (the stage moves the sample: the
    # beam sees sample coordinates (-y, -x)).
    frames = storage.runs[uid]["primary"].read()
    membrane = EnsembleMembrane(seed=1)  # the simulated beamline's world has seed 1
    kinds = [
        str(membrane.state_at(-y * 1e-6, -x * 1e-6)[0])
        for y, x in zip(frames["sample-y"].values, frames["sample-x"].values, strict=True)
    ]
    verdicts = [REASONS[v] for v in derived["verdict"].read()]
    agree = np.mean([VERDICT_OF_KIND[k] == v for k, v in zip(kinds, verdicts, strict=True)])
    print(
        f"{len(kinds)} frames: kinds {_tally(kinds)}, verdicts {_tally(verdicts)}, agreement {agree:.2f}; "
        f"PRTF 1/e half period {derived.metadata['prtf_half_period_m'] * 1e9:.1f} nm; "
        f"stop to final result {callback.final_latencies_s[uid]:.1f} s"
    )
    assert agree >= 0.9
