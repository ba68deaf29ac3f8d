"""Filtered back projection: scikit-image against ASTRA (CPU) and algotom, measured.

Run in an environment with the candidates installed (they are not phasebeam dependencies):

    pip install scikit-image astra-toolbox algotom && python benchmarks/fbp_comparison.py

Sinograms are exact line integrals of a disc phantom (analytic chords, no voxels), so the error is
the reconstruction's own. Prints JSON: per library, seconds per slice and the RMS error inside the
reconstruction circle relative to the phantom's largest value, for each size.
"""

from __future__ import annotations

import json
import platform
import time

import numpy as np

DISCS = [(0.0, 0.0, 0.8, 1.0), (0.3, 0.2, 0.2, 0.5), (-0.35, -0.1, 0.15, -0.4), (0.1, -0.45, 0.08, 0.8)]


def phantom(n: int) -> np.ndarray:
    c = (np.arange(n) - (n - 1) / 2) / (n / 2)
    z, x = np.meshgrid(c, c, indexing="ij")
    image = np.zeros((n, n))
    for cx, cz, r, v in DISCS:
        image += v * ((x - cx) ** 2 + (z - cz) ** 2 <= r * r)
    return image


def sinogram(n: int, angles_deg: np.ndarray) -> np.ndarray:
    """(angles, n) line integrals in pixel units; x' = x cos(theta) + z sin(theta)."""
    xp = (np.arange(n) - (n - 1) / 2) / (n / 2)
    out = np.zeros((angles_deg.size, n))
    for i, theta in enumerate(np.deg2rad(angles_deg)):
        for cx, cz, r, v in DISCS:
            centre = cx * np.cos(theta) + cz * np.sin(theta)
            out[i] += v * 2 * np.sqrt(np.clip(r * r - (xp - centre) ** 2, 0, None)) * n / 2
    return out


def skimage_fbp(sino: np.ndarray, angles: np.ndarray) -> np.ndarray:
    from skimage.transform import iradon

    return iradon(sino.T, theta=angles, filter_name="ramp", circle=True)[::-1]


def astra_fbp(sino: np.ndarray, angles: np.ndarray) -> np.ndarray:
    import astra

    n = sino.shape[1]
    vol = astra.create_vol_geom(n, n)
    # ASTRA's parallel beam rotates the other way round and measures from another axis.
    proj = astra.create_proj_geom("parallel", 1.0, n, np.deg2rad(-angles - 90.0))
    pid = astra.create_projector("linear", proj, vol)
    sid = astra.data2d.create("-sino", proj, sino)
    rid = astra.data2d.create("-vol", vol)
    cfg = astra.astra_dict("FBP")
    cfg.update(ReconstructionDataId=rid, ProjectionDataId=sid, ProjectorId=pid)
    cfg["option"] = {"FilterType": "ram-lak"}
    aid = astra.algorithm.create(cfg)
    astra.algorithm.run(aid)
    out = astra.data2d.get(rid)
    for f, i in ((astra.algorithm.delete, aid), (astra.data2d.delete, sid), (astra.data2d.delete, rid)):
        f(i)
    astra.projector.delete(pid)
    return out


def algotom_fbp(sino: np.ndarray, angles: np.ndarray) -> np.ndarray:
    import algotom.rec.reconstruction as rec

    n = sino.shape[1]
    return rec.fbp_reconstruction(
        sino,
        (n - 1) / 2,
        angles=np.deg2rad(angles),
        ratio=1.0,
        ramp_win=None,
        filter_name=None,
        apply_log=False,
        gpu=False,
    )


def best_orientation(out: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Libraries differ in handedness; compare in the orientation that matches (flips only)."""
    candidates = [out, out[::-1], out[:, ::-1], out[::-1, ::-1], out.T, out.T[::-1], out.T[:, ::-1]]
    return min(candidates, key=lambda c: float(np.mean((c - truth) ** 2)))


def main() -> None:
    results: dict = {"machine": platform.processor() or platform.machine(), "sizes": {}}
    for n, n_angles in ((128, 180), (256, 360), (512, 720)):
        angles = np.arange(n_angles) * 180.0 / n_angles
        truth = phantom(n)
        sino = sinogram(n, angles)
        c = (np.arange(n) - (n - 1) / 2) / (n / 2)
        inside = (c[:, None] ** 2 + c[None, :] ** 2) < 0.95**2
        row = {}
        for name, fbp in (
            ("scikit-image", skimage_fbp),
            ("astra-toolbox", astra_fbp),
            ("algotom", algotom_fbp),
        ):
            try:
                fbp(sino, angles)  # warm-up (imports, plans)
                start = time.perf_counter()
                out = fbp(sino, angles)
                seconds = time.perf_counter() - start
            except Exception as exc:  # a missing or failing candidate is reported, not fatal
                row[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
                continue
            out = best_orientation(np.asarray(out, dtype=float), truth)
            rms = float(np.sqrt(np.mean((out - truth)[inside] ** 2)))
            row[name] = {"seconds_per_slice": round(seconds, 4), "rms_error_relative": round(rms, 4)}
        results["sizes"][f"{n}px_{n_angles}angles"] = row
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
