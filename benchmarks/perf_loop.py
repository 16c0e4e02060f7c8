"""The loop's own overhead and random search's cost per trial, beside a bare
numpy loop that samples and evaluates the same function (Branin), measured
side by side in one process. `make perf-loop`.

Goals (issue 2): loop overhead <= 0.02 ms/trial, random <= 0.05 ms/trial.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from bench import Budget, get_objective, run
from objectives.synthetic import Branin


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
    args = parser.parse_args()
    n = args.trials
    tunebench_run(1000, 0)
    bare_numpy_loop(1000, 0)
    bare, runs = [], []
    for repeat in range(args.repeats):
        bare.append(bare_numpy_loop(n, repeat))
        runs.append(tunebench_run(n, repeat))
    ms = {key: statistics.median(r[key] for r in runs) / n * 1e3 for key in runs[0]}
    bare_ms = statistics.median(bare) / n * 1e3
    print(
        f"perf-loop: random search on Branin, {n} trials, median of {args.repeats} interleaved repeats"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print(f"{'':38}{'ms/trial':>10}")
    print(f"{'bare numpy loop (sample+evaluate)':38}{bare_ms:10.4f}")
    print(f"{'tunebench run, whole':38}{ms['wall']:10.4f}   x{ms['wall'] / bare_ms:.2f} of bare")
    print(f"{'  of which evaluate':38}{ms['evaluate']:10.4f}")
    print(
        f"{'  of which random ask+tell':38}{ms['random']:10.4f}   goal <= 0.05  "
        f"{'ok' if ms['random'] <= 0.05 else 'MISSED'}"
    )
    print(
        f"{'  of which loop overhead':38}{ms['overhead']:10.4f}   goal <= 0.02  "
        f"{'ok' if ms['overhead'] <= 0.02 else 'MISSED'}"
    )
    print(f"{'trial rows to DataFrame (once, per row)':38}{ms['frame']:10.4f}")


if __name__ == "__main__":
    main()
