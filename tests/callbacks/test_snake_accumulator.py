"""The snake-scan accumulator on simulated far-field patterns: filters and a conserved sum."""

import numpy as np

from phasebeam.callbacks.analyses import SnakeAccumulator
from phasebeam.callbacks.live import FrameItem
from phasebeam.simulators.world import World


def test_weak_and_streaked_patterns_are_rejected_and_the_rest_summed():
    world = World(seed=6)
    world.set_frame_model("eiger", "far_field")
    rng = np.random.default_rng(6)
    frames = []
    # Seed 002's particles are nearly identical: here the beam meets one particle again and again.
    x_m, y_m = world.particles.centres_m[6]
    world.place("sample_x", x_m * 1e6)
    world.place("sample_y", y_m * 1e6)
    for i in range(10):
        world.ring_current_ma = 10.0 if i == 6 else 200.0  # i = 6: the beam mostly lost
        frame = world.acquire("eiger", world.now(), 1.0).astype(np.int64)
        if i == 8:
            frame[62:66, :] += rng.poisson(200.0, (4, frame.shape[1]))  # a streak from a frame edge
        frames.append(frame)
    accumulator = SnakeAccumulator()
    accumulator.start({})
    for i, frame in enumerate(frames):
        accumulator.add(FrameItem(frame, i + 1, {}, 0.0))
    result = accumulator.result(final=True)
    assert (result["kept"], result["rejected_weak"], result["rejected_streak"]) == (8, 1, 1)
    kept = [f for i, f in enumerate(frames) if i not in (6, 8)]
    assert np.array_equal(result["sum"], np.sum(kept, axis=0))
