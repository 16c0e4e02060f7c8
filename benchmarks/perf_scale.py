"""Wall time of one fixed suite with --jobs 1, --jobs 2 and on a 2-worker Dask
cluster on loopback, side by side in one invocation: `make perf-scale`.

Goals (issue 6): speedup >= 1.8x for --jobs 2 and >= 1.7x for Dask, against
--jobs 1; wall time / lower bound <= 1.15, where the lower bound is the
suite's summed evaluation and optimizer time (from the --jobs 1 run's
per-trial timings) divided by the number of workers. Every executor must
store the same values, which this checks too.

Each wall time is the whole `python -m bench run` command (start-up, objective
signatures and the manifest included); the run phase is the time the command
spent executing runs (the manifest's last_run.seconds). The Dask cluster is
started before its timing begins (a cluster is started once and reused).
``--seeds`` and ``--budget`` shrink the suite for a smoke run. ``--out PATH``
also writes the Markdown table and the goals' verdicts there (``make
perf-scale`` writes results/published/perf-scale.md, which ``make publish``
copies into the README).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.cluster import loopback_cluster

ROOT = Path(__file__).resolve().parent.parent
STRATEGIES = ("random", "tpe", "genetic", "hyperband")
OBJECTIVE = "mlp-sgd"
SUITE = """
description = "perf-scale: {runs} MLP runs of similar length"
strategies = {strategies}
objectives = ["{objective}"]
seeds = {seeds}
budget = {budget:g}
"""
TIMING = ["t_ask", "t_eval", "t_tell"]
#: Simulated start and end of each trial: measured durations, so they differ between
#: executors as the timings do, and are left out of the comparison of stored values.
CLOCK = ["t_start", "t_end"]
#: Goals of issue 6: speedup over --jobs 1 of --jobs N and of Dask, and wall / lower bound.
GOAL_JOBS = 1.8
GOAL_DASK = 1.7
GOAL_BOUND = 1.15


def timed_run(suite: Path, results: Path, extra: list[str]) -> tuple[float, float]:
    """(whole-command seconds, run-phase seconds)."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bench", "run", str(suite), "--results", str(results), *extra],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    manifest = json.loads((results / suite.stem / "manifest.json").read_text())
    return wall, manifest["last_run"]["seconds"]


def stored(results: Path, suite: Path) -> pd.DataFrame:
    files = sorted((results / suite.stem / "runs").rglob("*.parquet"))
    return pd.concat(pd.read_parquet(p) for p in files).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--budget", type=float, default=15)
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    n = args.workers
    with tempfile.TemporaryDirectory(prefix="tunebench-perf-scale-") as scratch:
        folder = Path(scratch)
        suite = folder / "scale.toml"
        suite.write_text(
            SUITE.format(
                runs=len(STRATEGIES) * args.seeds,
                strategies=json.dumps(list(STRATEGIES)),
                objective=OBJECTIVE,
                seeds=args.seeds,
                budget=args.budget,
            )
        )
        timings = {"--jobs 1": timed_run(suite, folder / "jobs1", ["--jobs", "1"])}
        timings[f"--jobs {n}"] = timed_run(suite, folder / f"jobs{n}", ["--jobs", str(n)])
        with loopback_cluster(n) as address:
            timings[f"dask, {n} workers"] = timed_run(
                suite, folder / "dask", ["--executor", "dask", "--address", address]
            )
        reference = stored(folder / "jobs1", suite)
        trial_time = {"--jobs 1": float(reference[TIMING].to_numpy().sum())}
        for label, name in ((f"--jobs {n}", f"jobs{n}"), (f"dask, {n} workers", "dask")):
            other = stored(folder / name, suite)
            pd.testing.assert_frame_equal(
                other.drop(columns=TIMING + CLOCK), reference.drop(columns=TIMING + CLOCK)
            )
            trial_time[label] = float(other[TIMING].to_numpy().sum())
        runs = len(reference.groupby(["strategy", "seed"]))
    text = report(timings, trial_time, runs, len(reference), args)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


def report(
    timings: dict[str, tuple[float, float]],
    trial_time: dict[str, float],
    runs: int,
    trials: int,
    args: argparse.Namespace,
) -> str:
    """The Markdown table of each executor's wall time, speedup and ratios to the
    lower bound, and the goals' verdicts, from the measured seconds: ``timings``
    maps ``--jobs 1``, ``--jobs N`` and ``dask, N workers`` (in that order) to
    (whole command, run phase), ``trial_time`` each to its summed per-trial time."""
    n = args.workers
    serial, jobs, dask = timings
    busy = trial_time[serial]
    bound = busy / n
    serial_wall = timings[serial][0]
    seeds = f"{args.seeds} seed{'s' if args.seeds != 1 else ''}"
    lines = [
        f"`make perf-scale`: {len(STRATEGIES)} searchers ({', '.join(STRATEGIES)}) x "
        f"`{OBJECTIVE}` x {seeds}, budget {args.budget:g}: {runs} runs, {trials} "
        f"trials; evaluation + optimizer time {busy:.1f} s, lower bound on {n} workers "
        f"{bound:.1f} s (python {platform.python_version()}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores). Wall time: the whole `bench run` command, "
        "start-up and the objective's signature included; run phase: the time it spent "
        "executing runs.",
        "",
        f"| executor | wall s | speedup vs `{serial}` | wall / lower bound | run phase s "
        f"| run phase / lower bound | trial time vs `{serial}` |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    speedup, over_bound = {}, {}
    for name, (wall, phase) in timings.items():
        reference_bound = busy if name == serial else bound
        speedup[name] = serial_wall / wall
        over_bound[name] = wall / reference_bound
        lines.append(
            f"| `{name}` | {wall:.1f} | {speedup[name]:.2f}x | {over_bound[name]:.2f} "
            f"| {phase:.1f} | {phase / reference_bound:.2f} | {trial_time[name] / busy:.2f} |"
        )
    missed = [f"`{s}` ({r:.2f})" for s, r in over_bound.items() if r > GOAL_BOUND]
    bounds = ", ".join(f"`{s}` {r:.2f}" for s, r in over_bound.items())
    lines += [
        "",
        f"Goals: speedup >= {GOAL_JOBS}x for `{jobs}`: "
        f"{_at_least(speedup[jobs], GOAL_JOBS)}; >= {GOAL_DASK}x for Dask: "
        f"{_at_least(speedup[dask], GOAL_DASK)}; wall / lower bound <= {GOAL_BOUND}: "
        + (f"met ({bounds})" if not missed else "missed by " + ", ".join(missed))
        + ".",
        f"The lower bound of `{serial}` is the summed time itself (one worker). The last column "
        f"is each run's summed per-trial time over `{serial}`'s: above 1, trials ran slower side "
        "by side (cores sharing caches or a host), which no executor can win back. Every "
        "executor stored identical values.",
    ]
    return "\n".join(lines) + "\n"


def _at_least(value: float, goal: float) -> str:
    return (
        f"met ({value:.2f}x)" if value >= goal else f"missed by {goal - value:.2f}x ({value:.2f}x)"
    )


if __name__ == "__main__":
    main()
