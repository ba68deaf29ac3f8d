"""``phasebeam demo`` end to end: the figures it reports are checked against the physics."""

import json
import math
import subprocess
import sys

import pytest

from phasebeam.analysis.optics import wavelength_m

PT111_D_SPACING_M = 2.2656e-10


@pytest.mark.system
def test_demo_runs_every_frame_model_and_reports_where_the_data_is(tmp_path):
    result = subprocess.run(
        [sys.executable, "-P", "-m", "phasebeam", "demo", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "api_key" not in result.stdout
    summary = json.loads((tmp_path / "demo-summary.json").read_text())
    runs = {run["plan_name"] + ":" + run["detector"]: run for run in summary["runs"]}
    assert [run["frames"] for run in summary["runs"]] == [25, 31, 9, 3]
    for run in summary["runs"]:
        assert run["files"] and all(path.startswith(str(tmp_path / "frames")) for path in run["files"])
    rocking = runs["scan:eiger"]["figures"]
    theta_b = math.degrees(math.asin(float(wavelength_m(9000.0)) / (2 * PT111_D_SPACING_M)))
    assert rocking["bragg_angle_expected_deg"] == pytest.approx(theta_b, abs=1e-4)
    assert rocking["rocking_centre_deg"] == pytest.approx(theta_b, abs=0.002)
    knife = runs["scan:camera"]["figures"]
    assert -23.0 < knife["I_k_peak_edge_um"] < 43.0  # inside the illuminated part of the pupil
