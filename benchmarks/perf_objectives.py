"""Cost of the objectives themselves. `make perf-objectives`.

Synthetic functions (objectives with a vectorised ``function``): milliseconds
per evaluation through ``evaluate`` (one point) and per point of one
``function`` call on a batch of 10,000. Objectives without one (the MLPs):
seconds per full-fidelity evaluation at three configurations, the points
0.2, 0.5 and 0.8 of the unit cube in every dimension (small, medium and
large networks, slow to fast learning rates), single-threaded. Objectives
answering from recorded curves (``data_files``: the tabular and surrogate
MLPs): microseconds per ``evaluate`` of one random configuration (after a
warm-up query that reads the table and fits the surrogate), per point of a
batch of 10,000, and the ratio to the real training of the same MLP measured
in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bench.registry import default_registry
from bench.space import Float, Int
from objectives.mlp import Diverged


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


def query_us(objective, repeats: int) -> float:
    """Median over ``repeats`` single ``evaluate`` calls at random configurations
    (full fidelity, seed 0), in microseconds, and how many raised ``Diverged``
    (timed too: the real objective's failures cost time as well)."""
    rng = np.random.default_rng(1)
    configs = [objective.space.sample(rng) for _ in range(repeats)]
    times, diverged = [], 0
    for config in configs:
        start = time.perf_counter()
        try:
            objective.evaluate(config, None, seed=0)
        except Diverged:
            diverged += 1
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6, diverged


def batch_us(objective, points: int) -> float | None:
    """Per point, one vectorised query of ``points`` configurations (µs), where
    the objective has one (the surrogate's ``curves``)."""
    surrogate = getattr(objective, "surrogate", None)
    if surrogate is None:
        return None
    u = np.random.default_rng(2).random((points, len(objective.space)))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        surrogate.curves(u, 0)
        times.append(time.perf_counter() - start)
    return min(times) / points * 1e6


def recorded(names, registry, repeats: int) -> None:
    """The table- and model-based objectives against the training they stand for."""
    print(
        f"\n{'from recorded curves':26}{'us / evaluate':>14}{'us / point (batch 10k)':>24}"
        f"{'real training s':>17}{'speed-up':>10}"
    )
    real_seconds: dict[str, float] = {}
    for name in names:
        objective = registry.objective(name)[1]
        objective.evaluate(objective.space.sample(np.random.default_rng(0)), None, seed=0)
        source = objective.source(objective.dataset)
        key = f"{source.name}[dataset={source.dataset}]"
        if key not in real_seconds:
            real_seconds[key] = _median_training(source)
        single, diverged = query_us(objective, repeats)
        batch = batch_us(objective, 10_000)
        shown = "-" if batch is None else f"{batch:.2f}"
        real = real_seconds[key]
        print(
            f"{name:26}{single:14.1f}{shown:>24}{real:17.3f}{real * 1e6 / single:9,.0f}x"
            f"   ({diverged} of {repeats} queries diverged)"
        )


def _median_training(objective) -> float:
    """Median seconds of a full evaluation at u = 0.2, 0.5, 0.8 (one thread)."""
    seconds = []
    with threadpool_limits(1):
        for u in (0.2, 0.5, 0.8):
            config = objective.space.from_unit(np.full(len(objective.space), u))
            start = time.perf_counter()
            objective.evaluate(config, None, seed=0)
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--objectives", help="comma-separated names (default: all)")
    args = parser.parse_args()
    registry = default_registry()
    names = args.objectives.split(",") if args.objectives else sorted(registry.objectives)
    synthetic, trained, tables = [], [], []
    for name in names:
        entry = registry.objective(name)[1]
        if getattr(entry, "data_files", ()):
            tables.append(name)
            continue
        (synthetic if hasattr(entry, "function") else trained).append((name, entry))
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
    if tables:
        recorded(tables, registry, args.repeats)


if __name__ == "__main__":
    main()
