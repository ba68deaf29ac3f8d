import json, os, sys, time
import numpy as np
out_dir = os.environ.get("OUT", "/tmp")
summary = {}
from phasebeam.analysis.backend import get_backend
be = get_backend("cupy")

# --- XEDM with the seed's GHIO (100 starts, 10 generations) on the GPU ---------------------------
from phasebeam.simulators.xedm import EnsembleSetup, simulate_frames
from phasebeam.analysis.xedm.accumulation import StreamingAccumulator
from phasebeam.analysis.xedm.pipeline import EnsembleGeometry, reconstruct_ensemble
from phasebeam.analysis.xedm.phasing import GhioSettings
setup = EnsembleSetup()
t = time.perf_counter()
series = simulate_frames(setup, 300, seed=21, bad_fractions={"frame": 0.06, "streak": 0.06, "background": 0.04})
sim_s = time.perf_counter() - t
acc = StreamingAccumulator(setup.mask)
t = time.perf_counter()
for f in series.frames:
    acc.add(f)
acc_s = time.perf_counter() - t
res = acc.result()
kinds = np.array(series.kinds); kept = np.array([v.reason == "kept" for v in res.verdicts])
summary["xedm_filters"] = {"bad": int((kinds != "good").sum()), "bad_rejected": float(np.mean(~kept[kinds != "good"])),
                           "good": int((kinds == "good").sum()), "good_rejected": float(np.mean(~kept[kinds == "good"])),
                           "counts": res.counts, "accumulate_ms_per_1032px_frame": 1e3 * acc_s / 300, "simulate_s": sim_s}
print(summary["xedm_filters"], flush=True)
geometry = EnsembleGeometry(setup.energy_ev, setup.distance_m, setup.pixel_m)
for label, settings in (("seed 100x10", GhioSettings()), ("16x3", GhioSettings(starts=16, generations=3))):
    t = time.perf_counter()
    r = reconstruct_ensemble(res.background_subtracted(), ~setup.mask, geometry, settings=settings, backend="cupy")
    wall = time.perf_counter() - t
    summary[f"xedm_{label}"] = {"wall_s": wall, "core_nm": r.fit.core_diameter_m * 1e9, "outer_nm": r.fit.outer_diameter_m * 1e9,
        "fit_error": r.fit.error, "ssim": r.comparison.ssim, "prtf_half_period_nm": r.prtf_half_period_m * 1e9,
        "prtf_crosses_1_over_e": r.prtf_crosses_cutoff, "pixel_nm": r.object_pixel_m * 1e9, "best_error": float(r.ghio.errors[0]),
        "centre_px": r.prepared.centre_px, "true_centre_px": setup.centre_px}
    print(label, summary[f"xedm_{label}"], flush=True)

# --- ExImRes on photon-starved crystals ------------------------------------------------------
from phasebeam.simulators.strained_crystals import simulate_crystal
from phasebeam.analysis.eximres.pipeline import eximres
for n, max_count, seed in ((64, 300, 3), (64, 1000, 4), (64, 300, 5)):
    c = simulate_crystal(n=n, shape="wulff", phase_range=1.0, oversampling=4, max_count=max_count, seed=seed)
    t = time.perf_counter()
    r = eximres(c.intensity, c.bad_pixels, (10e-9, 10e-9, 10e-9), 2.265e-10, backend="cupy")
    wall = time.perf_counter() - t
    key = f"eximres_n{n}_count{max_count}_seed{seed}"
    summary[key] = {"wall_s": wall, "patterns": len(r.results),
        "fwhm_original_nm": [f * 1e9 for f in r.psf_original.fwhm_m], "fwhm_merged_nm": [f * 1e9 for f in r.psf_merged.fwhm_m],
        "prtf_half_period_nm": {x.pattern.restriction.name: x.prtf_half_period_m * 1e9 for x in r.results},
        "r": {x.pattern.restriction.name: x.pattern.mean_r for x in r.results}}
    print(key, wall, summary[key]["fwhm_original_nm"], summary[key]["fwhm_merged_nm"], flush=True)
with open(os.path.join(out_dir, "xedm_eximres_h100.json"), "w") as f:
    json.dump(summary, f, indent=1, default=float)
