"""The simulated clock's cost: the loop's overhead per trial beyond the
strategy's own ask and tell (and the objective's evaluation), with 1, 4 and 16
simulated workers, and the wall time of a whole simulation grid on every core.
`make perf-simulator`.

Grid (issue 16): random, tpe, hyperband and asha x 20 seeds x 200 full
evaluations x W in {1, 4, 16} on branin-mf (a cheap function with a fidelity,
one simulated second per full evaluation), timed on every core. Then, in one
process, each run again beside a bare reference loop (a heap of W simulated
workers, the same asks, evaluations and tells, no records, no checks), the two
interleaved so that the machine's noise hits both. Overhead per trial = (run
wall time - the strategy's construction and release - sum of ask, evaluate and
tell times) / trials, the median over a cell's runs, for tunebench and for the
bare loop; their difference is what tunebench's bookkeeping (copies, checks,
the trace) costs beyond the least a simulator must do. In both, a tell's time
includes releasing its suggestion (a library's trial object), as the
strategy's own. Goal: tunebench's overhead <= 0.02 ms per trial.
"""

from __future__ import annotations

import argparse
import heapq
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from threadpoolctl import threadpool_limits

from bench import Budget, Exhausted, run
from bench.registry import default_registry

STRATEGIES = ("random", "tpe", "hyperband", "asha")
WORKERS = (1, 4, 16)
GOAL_MS = 0.02


def timed_run(strategy: str, workers: int, seed: int, budget: float) -> dict[str, float]:
    """One simulated run and where its wall time went (seconds)."""
    with threadpool_limits(1):
        started = time.perf_counter()
        trace = run(strategy, "branin-mf", seed, budget, workers=workers)
        wall = time.perf_counter() - started
    lifetime = trace.meta["t_init"] + trace.meta["t_close"]
    own = sum(trace.t_ask) + sum(trace.t_tell) + sum(trace.t_eval) + lifetime
    return {
        "strategy": strategy,
        "workers": workers,
        "trials": len(trace),
        "wall": wall,
        "overhead_ms": (wall - own) / len(trace) * 1e3,
        "ask_tell_ms": (sum(trace.t_ask) + sum(trace.t_tell)) / len(trace) * 1e3,
    }


def bare_run(strategy: str, workers: int, seed: int, budget: float) -> dict[str, float]:
    """The reference: the least a W-worker simulation does, timed like ``timed_run``."""
    registry = default_registry()
    cls, objective = registry.strategy(strategy)[1], registry.objective("branin-mf")[1]
    with threadpool_limits(1):
        started = time.perf_counter()
        spent = Budget(budget)
        searcher = cls(objective.space, seed=seed, budget=spent, fidelity=objective.fidelity)
        own = time.perf_counter() - started
        running: list[tuple[float, int, object, float, float]] = []
        now, pending, trials, asking = 0.0, 0.0, 0, True
        while True:
            while asking and len(running) < workers and not spent.exhausted_with(pending):
                tick = time.perf_counter()
                try:
                    suggestion = searcher.ask()
                except Exhausted:
                    asking = False
                    break
                t_ask = time.perf_counter() - tick
                cost = objective.cost(suggestion.fidelity)
                if not spent.affords(cost, pending):
                    asking = False
                    break
                tick = time.perf_counter()
                value = objective.evaluate(suggestion.config, suggestion.fidelity, seed=seed).value
                own += t_ask + time.perf_counter() - tick
                end = now + objective.duration(suggestion.config, suggestion.fidelity, None)
                heapq.heappush(running, (end, trials, suggestion, value, cost))
                pending += cost
                trials += 1
            if not running:
                break
            now, _, suggestion, value, cost = heapq.heappop(running)
            pending -= cost
            tick = time.perf_counter()
            searcher.tell(suggestion, value)
            del suggestion
            own += time.perf_counter() - tick
            spent.spend(cost)
        wall = time.perf_counter() - started
    return {"trials": trials, "wall": wall, "overhead_ms": (wall - own) / trials * 1e3}


def _task(args: tuple[str, int, int, float]) -> dict[str, float]:
    return timed_run(*args)


def side_by_side(tasks: list[tuple[str, int, int, float]]) -> list[dict[str, float]]:
    """Each task as a tunebench run and a bare run, interleaved in this process
    (which goes first alternates); tunebench's row gains the bare loop's
    ``bare_overhead_ms`` and ``bare_trials``."""
    rows = []
    for index, task in enumerate(tasks):
        if index % 2:
            bare, mine = bare_run(*task), timed_run(*task)
        else:
            mine, bare = timed_run(*task), bare_run(*task)
        rows.append(mine | {"bare_overhead_ms": bare["overhead_ms"], "bare_trials": bare["trials"]})
    return rows


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
        list(pool.map(_task, tasks))
    grid_wall = time.perf_counter() - started
    bare_run("random", 4, 0, 20)
    rows = side_by_side(tasks)
    text = report(rows, args, len(tasks), grid_wall)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


def report(rows: list[dict[str, float]], args: argparse.Namespace, runs: int, wall: float) -> str:
    """The Markdown table of median ask+tell and overheads per trial, and the goal line."""
    lines = [
        f"`make perf-simulator`: branin-mf, {args.seeds} seeds x {args.budget:g} evaluations, "
        f"{runs} runs (python {platform.python_version()}, {platform.machine()}). The grid "
        f"took {wall:.1f} s wall on {args.jobs} processes. Overheads below: each run again "
        "in one process, beside a bare reference loop (medians over seeds, ms per trial).",
        "",
        "| strategy | W | trials | ask+tell | tunebench overhead | bare loop overhead "
        "| tunebench - bare |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    missed, unequal = [], 0
    for strategy in STRATEGIES:
        for workers in WORKERS:
            mine = [r for r in rows if r["strategy"] == strategy and r["workers"] == workers]
            unequal += sum(r["trials"] != r["bare_trials"] for r in mine)
            overhead = statistics.median(r["overhead_ms"] for r in mine)
            bare = statistics.median(r["bare_overhead_ms"] for r in mine)
            excess = statistics.median(r["overhead_ms"] - r["bare_overhead_ms"] for r in mine)
            if overhead > GOAL_MS:
                missed.append(f"{strategy} x{workers} ({overhead:.4f})")
            lines.append(
                f"| {strategy} | {workers} | {statistics.median(r['trials'] for r in mine):.0f} "
                f"| {statistics.median(r['ask_tell_ms'] for r in mine):.4f} | {overhead:.4f} "
                f"| {bare:.4f} | {excess:+.4f} |"
            )
    verdict = "met in every cell" if not missed else "missed by " + ", ".join(missed)
    lines += [
        "",
        f"Goal: tunebench's overhead <= {GOAL_MS} ms per trial beyond ask/tell: {verdict}.",
        f"Runs whose bare loop made a different number of trials: {unequal} (expected 0).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
