"""The loop's own overhead and random search's cost per trial, beside a bare
numpy loop that samples and evaluates the same function (Branin), measured
side by side in one process. `make perf-loop`.

Goals (issue 2): loop overhead <= 0.02 ms/trial, random <= 0.05 ms/trial.
``--out PATH`` also writes the Markdown table and the goals' verdicts there
(``make perf-loop`` writes results/published/perf-loop.md, which ``make publish``
copies into the README).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from bench import Budget, get_objective, run
from objectives.synthetic import Branin

#: Goals of issue 2, ms per trial.
OVERHEAD_GOAL_MS = 0.02
RANDOM_GOAL_MS = 0.05


def bare_numpy_loop(trials: int, seed: int) -> float:
    """Seconds for a plain loop: sample uniformly in the box, evaluate, keep the best."""
    rng = np.random.default_rng(seed)
    low, span = np.array([-5.0, 0.0]), np.array([15.0, 15.0])
    function = Branin.function
    best = np.inf
    start = time.perf_counter()
    for _ in range(trials):
        x = low + span * rng.random(2)
        value = float(function(x[None, :])[0])
        best = min(best, value)
    return time.perf_counter() - start


def tunebench_run(trials: int, seed: int) -> dict[str, float]:
    objective = get_objective("branin")
    start = time.perf_counter()
    trace = run("random", objective, seed, Budget(trials))
    wall = time.perf_counter() - start
    t_frame = time.perf_counter()
    trace.to_frame()
    frame = time.perf_counter() - t_frame
    ask, evaluate, tell = (sum(getattr(trace, c)) for c in ("t_ask", "t_eval", "t_tell"))
    assert len(trace) == trials
    return {
        "wall": wall,
        "overhead": wall - ask - evaluate - tell,
        "random": ask + tell,
        "evaluate": evaluate,
        "frame": frame,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    n = args.trials
    tunebench_run(1000, 0)
    bare_numpy_loop(1000, 0)
    bare, runs = [], []
    for repeat in range(args.repeats):
        bare.append(bare_numpy_loop(n, repeat))
        runs.append(tunebench_run(n, repeat))
    text = report(bare, runs, args)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


def verdict(value: float, goal: float) -> str:
    """``met`` or by how much ``value`` (ms per trial) exceeds ``goal``."""
    return "met" if value <= goal else f"missed by {value - goal:.4f} ms"


def report(bare: list[float], runs: list[dict[str, float]], args: argparse.Namespace) -> str:
    """The Markdown table of milliseconds per trial (medians over the repeats)
    and the goals' verdicts, from the bare loop's seconds and the runs' timings."""
    n = args.trials
    ms = {key: statistics.median(r[key] for r in runs) / n * 1e3 for key in runs[0]}
    bare_ms = statistics.median(bare) / n * 1e3
    random_verdict = verdict(ms["random"], RANDOM_GOAL_MS)
    overhead_verdict = verdict(ms["overhead"], OVERHEAD_GOAL_MS)
    lines = [
        f"`make perf-loop`: random search on Branin, {n} trials, median of {args.repeats} "
        f"interleaved repeats (python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}).",
        "",
        "| | ms per trial | note |",
        "| --- | ---: | --- |",
        f"| bare numpy loop (sample + evaluate) | {bare_ms:.4f} | |",
        f"| tunebench run, whole | {ms['wall']:.4f} | {ms['wall'] / bare_ms:.2f}x the bare loop |",
        f"| of which evaluate | {ms['evaluate']:.4f} | |",
        f"| of which random ask + tell | {ms['random']:.4f} | goal <= {RANDOM_GOAL_MS}: "
        f"{random_verdict} |",
        f"| of which loop overhead | {ms['overhead']:.4f} | goal <= {OVERHEAD_GOAL_MS}: "
        f"{overhead_verdict} |",
        f"| trial rows to a DataFrame (once, per row) | {ms['frame']:.4f} | |",
        "",
        f"Goals: loop overhead <= {OVERHEAD_GOAL_MS} ms per trial: {overhead_verdict}; "
        f"random search's ask + tell <= {RANDOM_GOAL_MS} ms per trial: {random_verdict}.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
