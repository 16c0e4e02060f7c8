"""The simulated clock's cost: the loop's overhead per trial beyond the
strategy's own ask and tell (and the objective's evaluation), with 1, 4 and 16
simulated workers, and the wall time of a whole simulation grid on every core.
`make perf-simulator`.

Grid (issue 16): random, tpe, hyperband and asha x 20 seeds x 200 full
evaluations x W in {1, 4, 16} on branin-mf (a cheap function with a fidelity,
one simulated second per full evaluation). Overhead per trial = (run wall time
- constructor - sum of ask, evaluate and tell times) / trials, the median over
a strategy's runs. Goal: <= 0.02 ms per trial.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from threadpoolctl import threadpool_limits

from bench import run

STRATEGIES = ("random", "tpe", "hyperband", "asha")
WORKERS = (1, 4, 16)
GOAL_MS = 0.02


def timed_run(strategy: str, workers: int, seed: int, budget: float) -> dict[str, float]:
    """One simulated run and where its wall time went (seconds)."""
    with threadpool_limits(1):
        started = time.perf_counter()
        trace = run(strategy, "branin-mf", seed, budget, workers=workers)
        wall = time.perf_counter() - started
    own = sum(trace.t_ask) + sum(trace.t_tell) + sum(trace.t_eval) + trace.meta["t_init"]
    return {
        "strategy": strategy,
        "workers": workers,
        "trials": len(trace),
        "wall": wall,
        "overhead_ms": (wall - own) / len(trace) * 1e3,
        "ask_tell_ms": (sum(trace.t_ask) + sum(trace.t_tell)) / len(trace) * 1e3,
    }


def _task(args: tuple[str, int, int, float]) -> dict[str, float]:
    return timed_run(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=float, default=200)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    tasks = [(s, w, k, args.budget) for s in STRATEGIES for w in WORKERS for k in range(args.seeds)]
    timed_run("random", 4, 0, 20)
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(_task, tasks))
    grid_wall = time.perf_counter() - started
    text = report(rows, args, len(tasks), grid_wall)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


def report(rows: list[dict[str, float]], args: argparse.Namespace, runs: int, wall: float) -> str:
    """The Markdown table of median ask+tell and overhead per trial, and the goal line."""
    lines = [
        f"`make perf-simulator`: branin-mf, {args.seeds} seeds x {args.budget:g} evaluations, "
        f"{runs} runs on {args.jobs} processes (python {platform.python_version()}, "
        f"{platform.machine()})",
        "",
        "| strategy | W | trials | ask+tell ms/trial | simulator overhead ms/trial |",
        "| --- | --- | --- | --- | --- |",
    ]
    overheads = []
    for strategy in STRATEGIES:
        for workers in WORKERS:
            mine = [r for r in rows if r["strategy"] == strategy and r["workers"] == workers]
            overhead = statistics.median(r["overhead_ms"] for r in mine)
            overheads.append(overhead)
            lines.append(
                f"| {strategy} | {workers} | {statistics.median(r['trials'] for r in mine):.0f} "
                f"| {statistics.median(r['ask_tell_ms'] for r in mine):.4f} | {overhead:.4f} |"
            )
    worst = max(overheads)
    lines += [
        "",
        f"Largest median overhead {worst:.4f} ms per trial (goal <= {GOAL_MS} ms: "
        f"{'met' if worst <= GOAL_MS else 'missed'}); the whole grid took {wall:.1f} s wall "
        f"on {args.jobs} processes.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
