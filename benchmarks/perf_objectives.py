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

No goal is set for these costs: the tables say what each objective costs.
``--out PATH`` also writes the Markdown tables there (``make perf-objectives``
writes results/published/perf-objectives.md, which ``make publish`` copies into
the README).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path
from typing import Any

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


#: Where the trained objectives are timed: every dimension at this point of the unit cube.
POINTS = (0.2, 0.5, 0.8)


def recorded(names, registry, repeats: int, points: int) -> list[dict[str, Any]]:
    """The table- and model-based objectives against the training they stand for."""
    rows = []
    real_seconds: dict[str, float] = {}
    for name in names:
        objective = registry.objective(name)[1]
        objective.evaluate(objective.space.sample(np.random.default_rng(0)), None, seed=0)
        source = objective.source(objective.dataset)
        key = f"{source.name}[dataset={source.dataset}]"
        if key not in real_seconds:
            real_seconds[key] = _median_training(source)
        single, diverged = query_us(objective, repeats)
        rows.append(
            {
                "name": name,
                "evaluate_us": single,
                "batch_us": batch_us(objective, points),
                "real": key,
                "real_s": real_seconds[key],
                "diverged": diverged,
            }
        )
    return rows


def _trainings(objective) -> list[float]:
    """Seconds of a full evaluation at each of ``POINTS`` (one thread)."""
    seconds = []
    with threadpool_limits(1):
        for u in POINTS:
            config = objective.space.from_unit(np.full(len(objective.space), u))
            start = time.perf_counter()
            objective.evaluate(config, None, seed=0)
            seconds.append(time.perf_counter() - start)
    return seconds


def _median_training(objective) -> float:
    """Median seconds of a full evaluation at u = 0.2, 0.5, 0.8 (one thread)."""
    return statistics.median(_trainings(objective))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument(
        "--batch", type=int, default=10_000, help="points in one vectorised call (default 10000)"
    )
    parser.add_argument("--objectives", help="comma-separated names (default: all)")
    parser.add_argument("--out", type=Path, help="also write the Markdown tables here")
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
    rows: dict[str, list[dict[str, Any]]] = {"synthetic": [], "trained": [], "recorded": []}
    for name, objective in synthetic:
        per_point_ms(objective, 100)
        batch = batch_ms(objective, args.batch)
        rows["synthetic"].append(
            {"name": name, "evaluate_ms": per_point_ms(objective, args.repeats), "batch_ms": batch}
        )
    for name, objective in trained:
        rows["trained"].append({"name": name, "seconds": _trainings(objective)})
    if tables:
        rows["recorded"] = recorded(tables, registry, args.repeats, args.batch)
    text = report(rows, args)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


def report(rows: dict[str, list[dict[str, Any]]], args: argparse.Namespace) -> str:
    """The Markdown tables of each kind of objective's cost, and a summary line
    under each, from the measured rows."""
    batch = f"{args.batch:,}"
    lines = [
        f"`make perf-objectives`: {args.repeats} `evaluate` calls at random configurations "
        f"per synthetic or recorded-curve objective, vectorised batches of {batch} points, "
        f"{len(POINTS)} full trainings per trained objective, single-threaded "
        f"(python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}).",
    ]
    if rows["synthetic"]:
        lines += [
            "",
            f"| synthetic function | ms / evaluate | ms / point (batch of {batch}) |",
            "| --- | ---: | ---: |",
        ]
        for r in rows["synthetic"]:
            shown = "-" if r["batch_ms"] is None else f"{r['batch_ms']:.6f}"
            lines.append(f"| `{r['name']}` | {r['evaluate_ms']:.4f} | {shown} |")
        each = [r["evaluate_ms"] for r in rows["synthetic"]]
        batched = [r["batch_ms"] for r in rows["synthetic"] if r["batch_ms"] is not None]
        summary = f"Synthetic functions: {min(each):.4f} to {max(each):.4f} ms per `evaluate`"
        if batched:
            summary += f", at most {max(batched):.6f} ms per point in a batch"
        lines += ["", summary + "."]
    if rows["trained"]:
        at = " | ".join(f"s at u = {u}" for u in POINTS)
        lines += [
            "",
            f"| trained objective (full fidelity) | {at} | median s |",
            "| --- |" + " ---: |" * (len(POINTS) + 1),
        ]
        for r in rows["trained"]:
            seconds = " | ".join(f"{s:.2f}" for s in r["seconds"])
            lines.append(f"| `{r['name']}` | {seconds} | {statistics.median(r['seconds']):.2f} |")
        lines += [
            "",
            "u: every dimension of the configuration at that point of the unit cube "
            "(small to large networks, slow to fast learning rates).",
        ]
    if rows["recorded"]:
        lines += [
            "",
            f"| from recorded curves | µs / evaluate (median) | µs / point (batch of {batch}) "
            "| real training | real training s (median) | speed-up | diverged |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
        ]
        speedups = []
        for r in rows["recorded"]:
            shown = "-" if r["batch_us"] is None else f"{r['batch_us']:.2f}"
            speedup = r["real_s"] * 1e6 / r["evaluate_us"]
            speedups.append(speedup)
            lines.append(
                f"| `{r['name']}` | {r['evaluate_us']:.1f} | {shown} | `{r['real']}` "
                f"| {r['real_s']:.3f} | {speedup:,.0f}x | {r['diverged']} of {args.repeats} |"
            )
        lines += [
            "",
            f"Recorded curves answer {min(speedups):,.0f}x to {max(speedups):,.0f}x faster than "
            "the training they stand for (one query against the median of the real training's "
            f"evaluations at u = {', '.join(str(u) for u in POINTS)}, measured in this run).",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
