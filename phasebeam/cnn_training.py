"""Train the phase network on simulated strained crystals (seed 003), in rounds that resume.

    python -m phasebeam.cnn_training --out DIR --minutes 8.5 --total-minutes 26 [--workers 14]

Worker processes simulate noise-free crystals (``simulators.phase_training_set``) while the GPU
trains on those already made: each step draws a batch from the pool, applies Poisson noise at a
random brightness and one of the 48 symmetries of the cube (axis flips about the zero frequency
and axis permutations, which the pattern and its phase share), and minimises the WCA loss. Each
round draws new crystals. The learning rate warms up, then follows a cosine over the whole
``--total-minutes`` of training, however many rounds that takes. ``DIR/checkpoint.pt`` carries
the state between rounds; ``DIR/log.jsonl`` the losses. When the total is reached the weights,
the model card and a loss figure are written.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import queue
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from phasebeam.analysis.cnn.network import GRID, PhaseUNet, parameter_count
from phasebeam.analysis.cnn.wca_loss import log_normalised, wca_loss
from phasebeam.analysis.cnn.weights_file import load_network, save_network, training_record
from phasebeam.simulators.phase_training_set import HIGH_STRAIN_RAD, phase_sample, poisson_counts

TRAIN_SEEDS_PER_ROUND = 1_000_000
VALIDATION_SEED = 9_000_000
"""Validation crystals use seeds from here; the held-out test set starts at TEST_SEED."""
TEST_SEED = 10_000_000
MAX_COUNT_RANGE = (1e4, 1e6)
VALIDATION_MAX_COUNT = 1e5


def _noise_free(seed: int) -> tuple[np.ndarray, np.ndarray]:
    sample = phase_sample(seed, n=GRID)
    return sample.intensity.astype(np.float16), sample.phase.astype(np.float16)


def _validation_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    sample = phase_sample(seed, n=GRID)
    counts = poisson_counts(sample.intensity, VALIDATION_MAX_COUNT, np.random.default_rng(seed))
    return counts, sample.phase


def _symmetry(intensity: torch.Tensor, phase: torch.Tensor, rng: np.random.Generator):
    """One of the cube's 48 symmetries, applied alike to (B, 1, Z, Y, X) patterns and phases.

    A flip maps q to -q about the zero frequency at N // 2 (a flip and a roll by one voxel);
    the phase of F(-q) of the flipped object is the phase of F(q), so the phase moves unchanged.
    """
    order = [2 + int(a) for a in rng.permutation(3)]
    intensity = intensity.permute(0, 1, *order)
    phase = phase.permute(0, 1, *order)
    flips = [d for d in (2, 3, 4) if rng.random() < 0.5]
    if flips:
        intensity = torch.roll(torch.flip(intensity, flips), [1] * len(flips), flips)
        phase = torch.roll(torch.flip(phase, flips), [1] * len(flips), flips)
    return intensity, phase


def _learning_rate(elapsed_s: float, total_s: float, step: int, peak: float) -> float:
    warm = min(1.0, (step + 1) / 300)
    return peak * warm * 0.5 * (1 + math.cos(math.pi * min(elapsed_s / total_s, 1.0)))


def _write_outputs(out: Path, network: PhaseUNet, state: dict[str, Any], args: argparse.Namespace) -> None:
    log = state["log"]
    validation = [entry for entry in log if "validation_wca" in entry]
    record = {
        "grid": GRID,
        "parameters": parameter_count(network),
        "training_seconds": round(state["elapsed_s"], 1),
        "steps": state["step"],
        "batch": args.batch,
        "samples_seen": state["samples_seen"],
        "crystals_simulated": state["crystals"],
        "epochs": round(state["samples_seen"] / max(state["crystals"], 1), 2),
        "peak_learning_rate": args.lr,
        "optimiser": "AdamW, weight decay 1e-4, bf16 autocast",
        "data": {
            "shapes": ["wulff", "winterbottom", "random_cuts"],
            "strain_fields": ["two_gaussians", "two_cosines", "random_field"],
            "phase_range_rad": list(HIGH_STRAIN_RAD),
            "oversampling": [2.2, 3.5],
            "max_count": list(MAX_COUNT_RANGE),
            "augmentation": "48 cube symmetries; fresh Poisson noise every draw",
            "train_seeds": "round r: r * 1e6 + i",
            "validation_seeds": (
                f"{VALIDATION_SEED} + i, {args.validation} crystals at {VALIDATION_MAX_COUNT:g} counts"
            ),
            "test_seeds": f"{TEST_SEED} + i (held out: never trained or validated on)",
        },
        "final_validation_wca": validation[-1]["validation_wca"] if validation else None,
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
    }
    weights = out / "phase_unet_64.pt"
    save_network(network, weights, record)
    record["weights_bytes"] = weights.stat().st_size
    (out / "record.json").write_text(json.dumps(record, indent=1))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    train = [entry for entry in log if "train_wca" in entry]
    axis.plot([e["samples_seen"] for e in train], [e["train_wca"] for e in train], label="training")
    axis.plot(
        [e["samples_seen"] for e in validation],
        [e["validation_wca"] for e in validation],
        "o-",
        label="validation",
    )
    axis.set_xlabel("samples seen")
    axis.set_ylabel("WCA loss")
    axis.set_yscale("log")
    axis.legend()
    axis.set_title(f"phase U-Net, {record['parameters'] / 1e6:.1f} M parameters")
    figure.tight_layout()
    figure.savefig(out / "loss.png", dpi=120)


def train(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cudnn.benchmark = True
    network = PhaseUNet(args.base_channels).to(device)
    network = network.to(memory_format=torch.channels_last_3d)  # pyright: ignore[reportCallIssue]
    optimiser = torch.optim.AdamW(network.parameters(), lr=args.lr, weight_decay=1e-4)
    checkpoint = out / "checkpoint.pt"
    state: dict[str, Any] = {
        "step": 0,
        "elapsed_s": 0.0,
        "round": 0,
        "samples_seen": 0,
        "crystals": 0,
        "log": [],
    }
    if checkpoint.exists():
        saved = torch.load(checkpoint, map_location=device, weights_only=False)
        network.load_state_dict(saved["network"])
        optimiser.load_state_dict(saved["optimiser"])
        state = saved["state"]
        state["round"] += 1
    total_s = args.total_minutes * 60
    round_s = min(args.minutes * 60, total_s - state["elapsed_s"])
    rng = np.random.default_rng(state["round"])
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers) as pool:
        validation = pool.map(_validation_pair, range(VALIDATION_SEED, VALIDATION_SEED + args.validation))
        val_counts = torch.from_numpy(np.stack([v[0] for v in validation])[:, None]).to(device)
        val_phase = torch.from_numpy(np.stack([v[1] for v in validation])[:, None]).to(device)
        base = state["round"] * TRAIN_SEEDS_PER_ROUND
        results = pool.imap_unordered(_noise_free, range(base, base + args.pool))
        intensities = torch.empty((args.pool, 1, GRID, GRID, GRID), dtype=torch.float16, device=device)
        phases = torch.empty_like(intensities)
        filled = 0

        def drain(block: bool) -> int:
            nonlocal filled
            got = 0
            while filled < args.pool:
                try:
                    intensity, phase = results.next(timeout=None if block and got == 0 else 0)
                except (StopIteration, multiprocessing.TimeoutError, queue.Empty):
                    break
                intensities[filled, 0] = torch.from_numpy(intensity)
                phases[filled, 0] = torch.from_numpy(phase)
                filled += 1
                got += 1
            return got

        while filled < args.batch:
            drain(block=True)
        start = time.perf_counter()
        start_elapsed = state["elapsed_s"]
        running: list[float] = []
        last_val = last_save = start
        while True:
            now = time.perf_counter()
            state["elapsed_s"] = start_elapsed + (now - start)
            if now - start >= round_s:
                break
            drain(block=False)
            index = torch.from_numpy(rng.integers(0, filled, size=args.batch)).to(device)
            brightness = torch.from_numpy(
                np.exp(rng.uniform(*np.log(MAX_COUNT_RANGE), size=(args.batch, 1, 1, 1, 1))).astype(
                    np.float32
                )
            ).to(device)
            intensity, phase = _symmetry(intensities[index].float(), phases[index].float(), rng)
            counts = torch.poisson(intensity * brightness)
            x = log_normalised(counts).contiguous(memory_format=torch.channels_last_3d)
            for group in optimiser.param_groups:
                group["lr"] = _learning_rate(state["elapsed_s"], total_s, state["step"], args.lr)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                predicted = network(x)
            loss = wca_loss(predicted, phase, x).mean()
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            state["step"] += 1
            state["samples_seen"] += args.batch
            running.append(float(loss.detach()) if state["step"] % 10 == 0 else math.nan)
            if state["step"] % 50 == 0:
                values = [v for v in running if not math.isnan(v)]
                state["log"].append(
                    {
                        "step": state["step"],
                        "elapsed_s": round(state["elapsed_s"], 1),
                        "samples_seen": state["samples_seen"],
                        "pool": filled,
                        "lr": optimiser.param_groups[0]["lr"],
                        "train_wca": float(np.mean(values)) if values else math.nan,
                    }
                )
                running = []
            if now - last_val > args.validate_every_s:
                last_val = now
                state["log"].append(
                    {
                        "samples_seen": state["samples_seen"],
                        "validation_wca": _validate(network, val_counts, val_phase),
                    }
                )
                print(json.dumps(state["log"][-2:]), flush=True)
            if now - last_save > 120:
                last_save = now
                _checkpoint(checkpoint, network, optimiser, state)
        pool.terminate()
    state["crystals"] += filled
    state["log"].append(
        {"samples_seen": state["samples_seen"], "validation_wca": _validate(network, val_counts, val_phase)}
    )
    _checkpoint(checkpoint, network, optimiser, state)
    summary = {k: v for k, v in state.items() if k != "log"} | {"last": state["log"][-3:], "pool": filled}
    # Weights after every round, so that a round's network can be evaluated while the next trains.
    _write_outputs(out, network, state, args)
    summary["finished"] = state["elapsed_s"] >= total_s - 1
    return summary


def _validate(network: PhaseUNet, counts: torch.Tensor, phase: torch.Tensor) -> float:
    network.eval()
    losses = []
    with torch.no_grad(), torch.autocast(counts.device.type, dtype=torch.bfloat16, enabled=counts.is_cuda):
        for i in range(0, counts.shape[0], 16):
            x = log_normalised(counts[i : i + 16])
            losses.append(wca_loss(network(x), phase[i : i + 16], x))
    network.train()
    return float(torch.cat(losses).mean())


def _checkpoint(
    path: Path, network: PhaseUNet, optimiser: torch.optim.Optimizer, state: dict[str, Any]
) -> None:
    torch.save({"network": network.state_dict(), "optimiser": optimiser.state_dict(), "state": state}, path)


def recalibrate_batch_norm(network: PhaseUNet, crystals: int, batch: int, workers: int) -> None:
    """Re-estimate the batch-norm statistics as a plain average over ``crystals`` training crystals.

    Needed once: the first weights were written with their running variances in float16, which
    overflowed. Seeds come from a round that training never reached (99e6 on).
    """
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm3d):
            module.reset_running_stats()
            module.momentum = None
    network.train()
    rng = np.random.default_rng(0)
    seeds = range(99 * TRAIN_SEEDS_PER_ROUND, 99 * TRAIN_SEEDS_PER_ROUND + crystals)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pairs = pool.map(_noise_free, seeds)
    with torch.no_grad():
        for i in range(0, crystals, batch):
            chunk = pairs[i : i + batch]
            intensity = torch.from_numpy(np.stack([c[0] for c in chunk])[:, None].astype(np.float32))
            brightness = np.exp(rng.uniform(*np.log(MAX_COUNT_RANGE), size=(len(chunk), 1, 1, 1, 1)))
            network(
                log_normalised(torch.poisson(intensity * torch.from_numpy(brightness.astype(np.float32))))
            )
    network.eval()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the checkpoint, log and weights")
    parser.add_argument("--minutes", type=float, default=8.5, help="training time of this round (min)")
    parser.add_argument("--total-minutes", type=float, default=26, help="training time over all rounds (min)")
    parser.add_argument("--pool", type=int, default=20000, help="crystals simulated per round")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    parser.add_argument("--base-channels", type=int, default=16)
    parser.add_argument("--workers", type=int, default=max(1, (multiprocessing.cpu_count() or 2) - 2))
    parser.add_argument("--validation", type=int, default=256, help="validation crystals")
    parser.add_argument("--validate-every-s", type=float, default=60.0)
    parser.add_argument(
        "--recalibrate", metavar="WEIGHTS", help="only re-estimate the batch-norm statistics of WEIGHTS"
    )
    parser.add_argument("--crystals", type=int, default=512, help="crystals for --recalibrate")
    args = parser.parse_args(argv)
    if args.recalibrate:
        network = load_network(args.recalibrate)
        record = training_record(args.recalibrate)
        recalibrate_batch_norm(network, args.crystals, args.batch, args.workers)
        record["batch_norm_statistics"] = (
            f"re-estimated in float32 over {args.crystals} training-distribution crystals (seeds 99e6 on), "
            f"batches of {args.batch}, after the float16 running variances of the first save overflowed"
        )
        save_network(network, Path(args.out) / "phase_unet_64.pt", record)
        print(json.dumps(record), flush=True)
        return
    print(json.dumps(train(args)), flush=True)


if __name__ == "__main__":
    main()
