"""``phasebeam demo`` end to end: the figures it reports are checked against the physics."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from phasebeam.analysis.optics import wavelength_m

PT111_D_SPACING_M = 2.2656e-10


@pytest.mark.system
def test_demo_runs_every_plan_with_its_live_analysis_and_writes_a_report(tmp_path):
    result = subprocess.run(
        [sys.executable, "-P", "-m", "phasebeam", "demo", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "api_key" not in result.stdout
    summary = json.loads((tmp_path / "demo-summary.json").read_text())
    assert json.loads((tmp_path / "report" / "summary.json").read_text()) == summary
    runs = {run["plan_name"]: run for run in summary["runs"]}
    assert list(runs) == [
        "knife_edge_calibration",
        "foucault_test",
        "rocking_scan",
        "modulator_ptycho_calibration",
        "snake_scan",
        "tomography_0_180",
        "energy_sweep",
    ]
    assert [run["frames"] for run in summary["runs"]] == [25, 9, 31, 24, 9, 36, 6]
    for run in summary["runs"]:
        assert run["files"] and all(path.startswith(str(tmp_path / "frames")) for path in run["files"])
        assert Path(run["report"]["png"]).stat().st_size > 5000
    rocking = runs["rocking_scan"]["figures"]
    theta_b = math.degrees(math.asin(float(wavelength_m(9000.0)) / (2 * PT111_D_SPACING_M)))
    assert rocking["bragg_angle_expected_deg"] == pytest.approx(theta_b, abs=1e-4)
    assert rocking["rocking_centre_deg"] == pytest.approx(theta_b, abs=0.002)
    assert rocking["stack_shape"] == [31, 128, 128]
    knife = runs["knife_edge_calibration"]["figures"]
    assert -23.0 < knife["I_k_peak_edge_um"] < 43.0  # inside the illuminated part of the pupil
    assert runs["foucault_test"]["figures"]["focus_mm"] == pytest.approx(0.0, abs=0.1)
    snake = runs["snake_scan"]["figures"]
    assert snake["frames_during_injection"] == 0 and snake["scan_s"] > 1.0
    assert snake["kept"] + snake["rejected_weak"] + snake["rejected_streak"] == 9
    assert runs["tomography_0_180"]["figures"]["mirror_chi2_per_pixel"] < 1.3
    assert runs["energy_sweep"]["figures"]["edge_jump_absorbance"] > 0.3
    for name in ("knife_edge_calibration", "rocking_scan", "snake_scan"):
        assert runs[name]["report"]["tiled_key"].startswith(runs[name]["uid"])
