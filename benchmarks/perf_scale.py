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
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bench.cluster import loopback_cluster

ROOT = Path(__file__).resolve().parent.parent
SUITE = """
description = "perf-scale: 32 MLP runs of similar length"
strategies = ["random", "tpe", "genetic", "hyperband"]
objectives = ["mlp-sgd"]
seeds = 8
budget = 15
"""
TIMING = ["t_ask", "t_eval", "t_tell"]


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
    args = parser.parse_args()
    n = args.workers
    with tempfile.TemporaryDirectory(prefix="tunebench-perf-scale-") as scratch:
        folder = Path(scratch)
        suite = folder / "scale.toml"
        suite.write_text(SUITE)
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
                other.drop(columns=TIMING), reference.drop(columns=TIMING)
            )
            trial_time[label] = float(other[TIMING].to_numpy().sum())
        busy = float(reference[TIMING].to_numpy().sum())
        bound = busy / n
        serial_wall, _ = timings["--jobs 1"]
        print(
            f"suite: {len(reference.groupby(['strategy', 'seed']))} runs, {len(reference)} trials; "
            f"evaluation + optimizer time {busy:.1f} s; lower bound on {n} workers {bound:.1f} s"
        )
        print(
            f"{'executor':<18} {'wall s':>7} {'speedup':>8} {'wall / bound':>13} "
            f"{'run phase s':>12} {'phase / bound':>14} {'trial time vs --jobs 1':>23}"
        )
        for name, (wall, phase) in timings.items():
            reference_bound = busy if name == "--jobs 1" else bound
            print(
                f"{name:<18} {wall:>7.1f} {serial_wall / wall:>7.2f}x "
                f"{wall / reference_bound:>13.2f} {phase:>12.1f} {phase / reference_bound:>14.2f} "
                f"{trial_time[name] / busy:>23.2f}"
            )
        print(
            f"goals: speedup >= 1.8x (--jobs {n}), >= 1.7x (dask); wall / bound <= 1.15. "
            "The bound of --jobs 1 is the summed time itself (one worker). The last column is "
            "the summed per-trial time of that run over --jobs 1's: above 1, trials ran slower "
            "side by side (cores sharing caches or a host), which no executor can win back. "
            "Every executor stored identical values."
        )


if __name__ == "__main__":
    main()
