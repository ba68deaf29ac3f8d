"""The BCMI demo end to end on a low-strain crystal (slow: about 5 minutes on 2 cores)."""

import io
import json

import pytest

from phasebeam.demo_bcmi import run_bcmi_demo


@pytest.mark.slow
def test_the_demo_calibrates_and_reconstructs_a_low_strain_crystal(tmp_path):
    summary = run_bcmi_demo(tmp_path, phase_ranges=(1.0,), runs=2, seed=0, out=io.StringIO())
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (tmp_path / "bcmi_vs_bcdi.png").stat().st_size > 10_000
    calibration = summary["calibration"]
    assert abs(calibration["phase_shift_error_percent"]) < 5
    assert calibration["position_error_after_nm"] < 10
    assert calibration["d1_retrieved_m"] == pytest.approx(3.15e-3, abs=20e-6)
    case = summary["cases"][0]
    assert case["bcmi"]["correct"] == 2
    assert max(case["drift_error_rms_px"]) < 0.5
