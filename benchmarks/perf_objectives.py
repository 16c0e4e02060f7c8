"""Cost of the objectives themselves. `make perf-objectives`.

Synthetic functions (objectives with a vectorised ``function``): milliseconds
per evaluation through ``evaluate`` (one point) and per point of one
``function`` call on a batch of 10,000. Objectives without one (the MLPs):
seconds per full-fidelity evaluation at three configurations, the points
0.2, 0.5 and 0.8 of the unit cube in every dimension (small, medium and
large networks, slow to fast learning rates), single-threaded.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bench.registry import default_registry
from bench.space import Float, Int


def per_point_ms(objective, repeats: int) -> float:
    rng = np.random.default_rng(0)
    configs = [objective.space.sample(rng) for _ in range(repeats)]
    start = time.perf_counter()
    for config in configs:
        objective.evaluate(config, seed=0)
    return (time.perf_counter() - start) / repeats * 1e3


def batch_ms(objective, points: int) -> float | None:
    """Per point, one ``function`` call on ``points`` rows (box coordinates)."""
    rng = np.random.default_rng(0)
    dims = list(objective.space.values())
    if not all(isinstance(d, (Float, Int)) for d in dims):
        return None
    X = np.array(
        [
            [c[n] for n in objective.space.names]
            for c in (objective.space.sample(rng) for _ in range(points))
        ],
        dtype=float,
    )
    times = []
    for _ in range(3):
        start = time.perf_counter()
        objective.function(X)
        times.append(time.perf_counter() - start)
    return min(times) / points * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--objectives", help="comma-separated names (default: all)")
    args = parser.parse_args()
    registry = default_registry()
    names = args.objectives.split(",") if args.objectives else sorted(registry.objectives)
    synthetic, trained = [], []
    for name in names:
        objective = registry.objective(name)[1]
        (synthetic if hasattr(objective, "function") else trained).append((name, objective))
    print(f"{'synthetic function':22}{'ms / evaluate':>15}{'ms / point (batch 10k)':>25}")
    for name, objective in synthetic:
        per_point_ms(objective, 100)
        batch = batch_ms(objective, 10_000)
        shown = "-" if batch is None else f"{batch:.6f}"
        print(f"{name:22}{per_point_ms(objective, args.repeats):15.4f}{shown:>25}")
    if trained:
        print(f"\n{'trained objective':22}{'s / full evaluation at u = 0.2, 0.5, 0.8':>44}")
    with threadpool_limits(1):
        for name, objective in trained:
            seconds = []
            for u in (0.2, 0.5, 0.8):
                config = objective.space.from_unit(np.full(len(objective.space), u))
                start = time.perf_counter()
                objective.evaluate(config, None, seed=0)
                seconds.append(time.perf_counter() - start)
            print(
                f"{name:22}"
                + "".join(f"{s:14.2f}" for s in seconds)
                + f"   median {statistics.median(seconds):.2f}"
            )


if __name__ == "__main__":
    main()
