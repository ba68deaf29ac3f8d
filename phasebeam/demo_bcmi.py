"""``phasebeam demo bcmi``: seed 001 on simulated data, BCMI against BCDI on the same crystals.

1. Calibration: a ptychographic scan of the modulator in a crystal's Bragg beam (spiral, 30 nm
   position errors), rPIE with position correction; the modulator's phase shift against xraydb,
   d1 from the probe, the position error before and after.
2. For each phase range: a strained crystal, its rocking scan with the modulator in (with a
   drifting sample) and without it; the support guess; ``runs`` BCMI runs and ``runs`` BCDI runs
   (the CDI engine's standard recipe), each scored against the truth and classified as correct,
   conjugated or incorrect; free-LLK distributions, the first mode's weight of the 3 best, FSC
   (1/2 bit) of the 2 best, modulus histograms, drift error.

Writes ``summary.json`` and ``bcmi_vs_bcdi.png`` to the output folder. The BCMI runs use the
calibrated modulator: the ptychographic reconstruction cut at the rocking scan's modulator
position (:func:`~phasebeam.analysis.bcmi.calibration.modulator_window`), not the simulated one.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from phasebeam.analysis.bcmi.calibration import (
    modulator_levels,
    modulator_window,
    retrieve_d1,
    window_corner_px,
)
from phasebeam.analysis.bcmi.fine_grid import check_upsample
from phasebeam.analysis.bcmi.geometry import BcmiGeometry
from phasebeam.analysis.bcmi.modulator import modulator_phase_shift
from phasebeam.analysis.bcmi.ptychography import PtychoSettings, reconstruct_ptycho
from phasebeam.analysis.bcmi.reconstruction import phase_bcmi
from phasebeam.analysis.bcmi.support_guess import support_guess
from phasebeam.analysis.cdi.align import align
from phasebeam.analysis.cdi.data import DiffractionData
from phasebeam.analysis.cdi.engine import phase
from phasebeam.analysis.cdi.evaluation import classify, compare, reconstructed_support
from phasebeam.analysis.cdi.recipe import STANDARD_RECIPE
from phasebeam.analysis.cdi.run_set import RunSetFigures, run_set_figures
from phasebeam.analysis.resolution import half_bit_threshold
from phasebeam.plans.trajectories import fermat_spiral_um
from phasebeam.simulators.bcmi import (
    BcmiCrystal,
    FineModulator,
    bcmi_crystal,
    bcmi_frames,
    bragg_beam_at_modulator,
    make_modulator,
    ptycho_frames,
)
from phasebeam.simulators.strained_crystals import STRAIN_FIELDS

#: Seed 001's high-strain geometry: d1 = 3.15 mm; 300 nm modulator features.
GEOMETRY = BcmiGeometry(frame_px=128, d1_m=3.15e-3)
FEATURE_M = 300e-9
MODULATOR_PX = 200
ROCKING_STEPS = 24
CRYSTAL_PX = 10
#: The rocking scan's window on the modulator (top-left corner, computational pixels).
WINDOW_CORNER_PX = (36, 37)
CRYSTAL_OFFSET_PX = (5, -7)
DRIFT_STEP_PX = 0.6
SUCCESS = {"dice_min": 0.9, "phase_rms_max_rad": 0.2}


@dataclass(frozen=True)
class _Case:
    crystal: BcmiCrystal
    bcmi: list[Any]
    bcdi: list[Any]
    bcmi_scores: list[dict[str, Any]]
    bcdi_scores: list[dict[str, Any]]
    bcmi_figures: RunSetFigures
    bcdi_figures: RunSetFigures


def _say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


def _rms_m(a: npt.NDArray, b: npt.NDArray) -> float:
    d = (a - a.mean(axis=0)) - (b - b.mean(axis=0))
    return float(np.sqrt(np.mean(np.sum(d**2, axis=1))))


#: Where the calibration scan's position (0, 0) puts the probe's top-left corner on the modulator.
SCAN_CENTRE_CORNER_PX = MODULATOR_PX // 2 - GEOMETRY.frame_px // 2
#: The modulator's position during the rocking scans, in the calibration scan's frame (y, x) m.
ROCKING_POSITION_M = tuple((c - SCAN_CENTRE_CORNER_PX) * GEOMETRY.pixel_m for c in WINDOW_CORNER_PX)


def _calibration(
    modulator: FineModulator, seed: int, backend: str, upsample: int, out: TextIO
) -> tuple[dict[str, Any], npt.NDArray[np.complex64]]:
    """The calibration's figures, and the calibrated modulator under the rocking scans' window."""
    t0 = time.monotonic()
    crystal = bcmi_crystal(GEOMETRY.frame_px, CRYSTAL_PX, ROCKING_STEPS, phase_range=1.0, seed=seed)
    probe = bragg_beam_at_modulator(crystal.obj, GEOMETRY)
    commanded = fermat_spiral_um(3.0, 3.0, 0.25)[:, ::-1] * 1e-6  # (y, x) m
    true = commanded + np.random.default_rng(seed).normal(0, 30e-9, commanded.shape)
    corners = true / GEOMETRY.pixel_m + SCAN_CENTRE_CORNER_PX
    frames = ptycho_frames(probe, modulator, corners, 1e7, seed=seed + 1)
    _say(out, f"calibration: {len(frames)} ptychography frames, rPIE 80 epochs ...")
    result = reconstruct_ptycho(
        frames,
        commanded,
        GEOMETRY.pixel_m,
        settings=PtychoSettings(epochs=80, position_start_epoch=20, upsample=upsample),
        backend=backend,
    )
    levels = modulator_levels(result.modulator, result.illumination)
    d1 = retrieve_d1(result.probe, GEOMETRY.pixel_m, GEOMETRY.wavelength_m, 0.5e-3, 5e-3)
    expected = modulator_phase_shift("W", 1.5e-6, GEOMETRY.energy_ev)
    summary = {
        "frames": len(frames),
        "modulator_phase_shift_rad": round(levels.phase_shift_rad, 4),
        "modulator_phase_shift_xraydb_rad": round(expected, 4),
        "phase_shift_error_percent": round(100 * (levels.phase_shift_rad / expected - 1), 2),
        "amplitude_ratio": round(levels.amplitude_ratio, 4),
        "metal_fraction": round(levels.metal_fraction, 3),
        "d1_retrieved_m": d1.d1_m,
        "d1_true_m": GEOMETRY.d1_m,
        "pixel_m": GEOMETRY.pixel_m,
        "position_error_before_nm": round(1e9 * _rms_m(commanded, true), 2),
        "position_error_after_nm": round(1e9 * _rms_m(result.positions_m, true), 2),
        "seconds": round(time.monotonic() - t0, 1),
        "rocking_scan_modulator_position_m": list(ROCKING_POSITION_M),
    }
    _say(
        out,
        f"  phase shift {levels.phase_shift_rad:.3f} rad (xraydb {expected:.3f}), d1 {1e3 * d1.d1_m:.4f} mm "
        f"(true {1e3 * GEOMETRY.d1_m:.2f}), positions {summary['position_error_before_nm']} -> "
        f"{summary['position_error_after_nm']} nm RMS, {summary['seconds']} s",
    )
    corner = window_corner_px(ROCKING_POSITION_M, result.origin_px, result.modulator_pixel_m)
    window = modulator_window(
        result.modulator, result.illumination, corner, GEOMETRY.frame_px, upsample=result.upsample
    )
    return summary, window


def _scores(objects: list[npt.NDArray], crystal: BcmiCrystal) -> list[dict[str, Any]]:
    scores = []
    for obj in objects:
        c = compare(obj, crystal.obj, crystal.support)
        outcome = classify(c, SUCCESS["dice_min"], SUCCESS["phase_rms_max_rad"])
        scores.append(
            {"outcome": outcome, "dice": round(c.dice, 4), "phase_rms_rad": round(c.phase_rms_rad, 4)}
        )
    return scores


def _method_summary(runs: list[Any], scores: list[dict[str, Any]], figures: RunSetFigures) -> dict[str, Any]:
    outcomes = [s["outcome"] for s in scores]
    count = len(outcomes)
    return {
        "runs": count,
        "correct": outcomes.count("correct"),
        "conjugated": outcomes.count("conjugated"),
        "incorrect": outcomes.count("incorrect"),
        "correct_rate": round(outcomes.count("correct") / count, 3),
        "success_rate_twin_allowed": round((count - outcomes.count("incorrect")) / count, 3),
        "best_by_free_llk": outcomes[0],
        "free_llk": [round(r.free_llk, 4) for r in runs],
        "dice": [s["dice"] for s in scores],
        "phase_rms_rad": [s["phase_rms_rad"] for s in scores],
        "first_mode_weight": round(figures.first_mode_weight, 5),
        "fsc_half_bit_resolution_nm": round(1e9 * figures.fsc_resolution_m, 1),
        "modulus_histogram_peak": round(figures.modulus_peak, 3),
    }


def _case(
    modulator: FineModulator,
    window: npt.NDArray[np.complex64],
    phase_range: float,
    kind: tuple[str, str],
    runs: int,
    seed: int,
    backend: str,
    out: TextIO,
) -> tuple[dict[str, Any], _Case]:
    t0 = time.monotonic()
    shape, strain = kind
    crystal = bcmi_crystal(
        GEOMETRY.frame_px,
        CRYSTAL_PX,
        ROCKING_STEPS,
        phase_range,
        shape=shape,
        strain=strain,
        offset_px=CRYSTAL_OFFSET_PX,
        seed=seed,
    )
    drift = np.cumsum(np.random.default_rng(seed).normal(0, DRIFT_STEP_PX, (ROCKING_STEPS, 2)), axis=0)
    drift -= drift.mean(axis=0)
    frames = bcmi_frames(crystal.obj, GEOMETRY, modulator, WINDOW_CORNER_PX, drift_px=drift, seed=seed + 1)
    _say(
        out, f"phase range {phase_range} rad, {shape} crystal, {strain} strain: support guess (16 starts) ..."
    )
    guess = support_guess(frames.bcmi, window, GEOMETRY, backend=backend)
    bcmi = []
    for k in range(runs):
        bcmi.append(phase_bcmi(frames.bcmi, window, GEOMETRY, guess.support, seed=seed + k, backend=backend))
        _say(out, f"  BCMI run {k + 1}/{runs}: free LLK {bcmi[-1].free_llk:.3f}")
    data = DiffractionData.from_arrays(frames.bcdi, None)
    bcdi = []
    for k in range(runs):
        bcdi.append(phase(data, STANDARD_RECIPE, seed=seed + k, backend=backend))
        _say(out, f"  BCDI run {k + 1}/{runs}: free LLK {bcdi[-1].free_llk:.3f}")
    bcmi.sort(key=lambda r: r.free_llk)
    bcdi.sort(key=lambda r: r.free_llk)
    bcmi_scores, bcdi_scores = (
        _scores([r.obj for r in bcmi], crystal),
        _scores([r.obj for r in bcdi], crystal),
    )
    bcmi_figures = run_set_figures([r.obj for r in bcmi], GEOMETRY.pixel_m)
    bcdi_figures = run_set_figures([r.obj for r in bcdi], GEOMETRY.pixel_m)
    drift_errors = []
    for r in bcmi:
        error = r.drift_px - frames.drift_px
        error -= error.mean(axis=0)  # a common shift belongs to the object
        drift_errors.append(float(np.sqrt(np.mean(np.sum(error**2, axis=1)))))
    truth_support = crystal.support.any(axis=0)
    summary = {
        "phase_range_rad": phase_range,
        "shape": shape,
        "strain": strain,
        "support_guess": {
            "outline_covers_crystal": round(
                float(np.sum(guess.outline & truth_support) / truth_support.sum()), 3
            ),
            "outline_px": int(guess.outline.sum()),
            "crystal_outline_px": int(truth_support.sum()),
            "thickness_px": guess.thickness_px,
            "start_free_llk": [round(v, 2) for v in guess.free_llks],
        },
        "drift_imposed_rms_px": round(float(np.sqrt(np.mean(np.sum(frames.drift_px**2, axis=1)))), 3),
        "drift_error_rms_px": [round(e, 3) for e in drift_errors],
        "bcmi": _method_summary(bcmi, bcmi_scores, bcmi_figures),
        "bcdi": _method_summary(bcdi, bcdi_scores, bcdi_figures),
        "seconds": round(time.monotonic() - t0, 1),
        "rocking_scan_modulator_position_m": list(ROCKING_POSITION_M),
    }
    for name in ("bcmi", "bcdi"):
        m = summary[name]
        _say(
            out,
            f"  {name.upper()}: {m['correct']} correct, {m['conjugated']} conjugated, "
            f"{m['incorrect']} incorrect of {m['runs']}; first mode {100 * m['first_mode_weight']:.2f}%, "
            f"FSC 1/2-bit {m['fsc_half_bit_resolution_nm']} nm",
        )
    return summary, _Case(crystal, bcmi, bcdi, bcmi_scores, bcdi_scores, bcmi_figures, bcdi_figures)


def _rates(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per phase range, over its crystals: each method's share of correct runs and of successes."""
    rates = []
    for phase_range in dict.fromkeys(c["phase_range_rad"] for c in cases):
        group = [c for c in cases if c["phase_range_rad"] == phase_range]
        entry: dict[str, Any] = {"phase_range_rad": phase_range, "crystals": len(group)}
        for name in ("bcmi", "bcdi"):
            runs = sum(c[name]["runs"] for c in group)
            correct = sum(c[name]["correct"] for c in group)
            conjugated = sum(c[name]["conjugated"] for c in group)
            entry[name] = {
                "runs": runs,
                "correct_rate": round(correct / runs, 3),
                "conjugated_rate": round(conjugated / runs, 3),
                "incorrect_rate": round(1 - (correct + conjugated) / runs, 3),
                "success_rate_twin_allowed": round((correct + conjugated) / runs, 3),
            }
        rates.append(entry)
    return rates


def _central_phase(obj: npt.NDArray, support: npt.NDArray) -> npt.NDArray:
    """The central x'y' slice of the phase, the mean phase removed, masked outside ``support``."""
    z = obj.shape[0] // 2
    offset = np.angle(np.sum(obj[support]))
    phase_map = np.angle(obj[z] * np.exp(-1j * offset))
    return np.ma.masked_where(~support[z], phase_map)


_COLOURS = {"correct": "tab:green", "conjugated": "tab:orange", "incorrect": "tab:red"}


def _figure(cases: list[tuple[dict[str, Any], _Case]], path: Path) -> None:
    """Per phase range: central phase slices (truth, BCMI, BCDI), free LLK, FSC, modulus histogram."""
    fig = Figure(figsize=(22, 3.8 * len(cases)), layout="constrained")
    axes = fig.subplots(len(cases), 6, squeeze=False)
    for row, (summary, case) in zip(axes, cases, strict=True):
        truth = case.crystal
        ys, xs = np.nonzero(truth.support.any(axis=0))
        view = (slice(int(ys.min()) - 3, int(ys.max()) + 4), slice(int(xs.min()) - 3, int(xs.max()) + 4))
        panels = [("truth", truth.obj, truth.support)]
        for name, figures in (("BCMI", case.bcmi_figures), ("BCDI", case.bcdi_figures)):
            aligned = align(truth.obj, figures.first_mode).aligned
            panels.append((f"{name} first mode", aligned, reconstructed_support(aligned)))
        image = None
        for ax, (title, obj, support) in zip(row[:3], panels, strict=True):
            image = ax.imshow(_central_phase(obj, support)[view], cmap="twilight", vmin=-np.pi, vmax=np.pi)
            ax.set_title(f"{title}: phase (rad)")
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(
            f"{summary['phase_range_rad']} rad, {summary['shape']},\n{summary['strain']}: central x'y' slice"
        )
        if image is not None:
            fig.colorbar(image, ax=row[2], shrink=0.8, label="phase (rad)")
        ax = row[3]
        for i, (runs, scores) in enumerate(((case.bcmi, case.bcmi_scores), (case.bcdi, case.bcdi_scores))):
            llk = [r.free_llk for r in runs]
            ax.scatter(
                np.full(len(llk), i) + np.linspace(-0.15, 0.15, len(llk)),
                llk,
                c=[_COLOURS[s["outcome"]] for s in scores],
                s=18,
            )
        ax.set_xticks([0, 1], ["BCMI", "BCDI"])
        ax.set_yscale("log")
        ax.set_ylabel("free LLK")
        ax.set_title("runs: green correct, orange conjugated,\nred incorrect")
        ax = row[4]
        for name, figures in (("BCMI", case.bcmi_figures), ("BCDI", case.bcdi_figures)):
            label = f"{name} ({1e9 * figures.fsc_resolution_m:.0f} nm)"
            ax.plot(1e-6 * figures.fsc.frequency_per_m, figures.fsc.values, label=label)
        fsc = case.bcmi_figures.fsc
        ax.plot(1e-6 * fsc.frequency_per_m, half_bit_threshold(fsc.counts), "k--", label="1/2 bit")
        ax.set_xlabel("spatial frequency (1/um)")
        ax.set_ylabel("FSC of the 2 best runs")
        ax.legend()
        ax = row[5]
        for name, figures in (("BCMI", case.bcmi_figures), ("BCDI", case.bcdi_figures)):
            centres = 0.5 * (figures.modulus_bin_edges[1:] + figures.modulus_bin_edges[:-1])
            ax.step(centres, figures.modulus_density, where="mid", label=name)
        ax.set_xlabel("first mode's modulus / max (support)")
        ax.set_ylabel("density")
        ax.legend()
    fig.savefig(path, dpi=80)


def run_bcmi_demo(
    out_dir: Path,
    phase_ranges: tuple[float, ...] = (1.0, 7.0),
    runs: int = 10,
    crystals: int = 1,
    seed: int = 0,
    backend: str = "numpy",
    out: TextIO = sys.stdout,
    upsample: int = 2,
) -> dict[str, Any]:
    """Run the calibration and the BCMI/BCDI comparison; write and return the summary.

    Args:
        out_dir: folder for ``summary.json`` and ``bcmi_vs_bcdi.png`` (created).
        phase_ranges: the crystals' peak-to-peak strain phase (rad), one crystal each.
        runs: BCMI runs and BCDI runs per crystal (>= 2).
        crystals: crystals per phase range; their shape and strain field cycle through the
            simulator's kinds (a Wulff crystal with two Gaussian strain sources first).
        seed: seed of the modulator, crystals, drift, noise and starts.
        backend: ``numpy``, ``cupy`` or ``auto``.
        out: where progress goes.
        upsample: modulator pixels per frame-conjugate pixel in the calibration and the BCMI
            model (1: the coarse grid, which cannot hold the modulator's edges).
    """
    if runs < 2:
        raise ValueError(f"runs must be >= 2 (the FSC compares the two best), got {runs}")
    if crystals < 1:
        raise ValueError(f"crystals must be >= 1, got {crystals}")
    check_upsample(upsample)
    if not phase_ranges or any(not 0 < p <= 20 for p in phase_ranges):
        raise ValueError(f"phase ranges must be in (0, 20] rad, got {phase_ranges}")
    t0 = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    modulator = make_modulator(
        (MODULATOR_PX, MODULATOR_PX), GEOMETRY.pixel_m, GEOMETRY.energy_ev, FEATURE_M, seed=seed
    )
    summary: dict[str, Any] = {
        "geometry": {
            "energy_ev": GEOMETRY.energy_ev,
            "d1_m": GEOMETRY.d1_m,
            "detector_distance_m": GEOMETRY.detector_distance_m,
            "detector_pixel_m": GEOMETRY.detector_pixel_m,
            "frame_px": GEOMETRY.frame_px,
            "pixel_m": GEOMETRY.pixel_m,
            "rocking_steps": ROCKING_STEPS,
            "modulator_feature_m": FEATURE_M,
            "model_upsample": upsample,
        },
        "success_definition": SUCCESS,
        "bcdi_recipe": STANDARD_RECIPE,
    }
    summary["calibration"], window = _calibration(modulator, seed, backend, upsample, out)
    kinds = list(itertools.product(("wulff", "winterbottom", "random_cuts", "sphere"), STRAIN_FIELDS))
    specs = [(p, kinds[k % len(kinds)]) for p in phase_ranges for k in range(crystals)]
    cases = [
        _case(modulator, window, p, kind, runs, seed + 10 * (i + 1), backend, out)
        for i, (p, kind) in enumerate(specs)
    ]
    summary["cases"] = [c[0] for c in cases]
    summary["rates"] = _rates([c[0] for c in cases])
    figure = out_dir / "bcmi_vs_bcdi.png"
    _figure(cases, figure)
    summary["figure"] = str(figure)
    summary["seconds"] = round(time.monotonic() - t0, 1)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    _say(out, f"wrote {out_dir / 'summary.json'} and {figure} ({summary['seconds']} s)")
    return summary
