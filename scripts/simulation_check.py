"""The simulated clock checked against reality. `make simulation-check`.

Each (strategy, seed) runs three times on the real MLP objective (``mlp-sgd``,
digits), with two workers; the strategy's own ask and tell times count on the
simulated clocks (``overhead="measured"``), as they delay the real driver.

- real: two real worker processes (``run(..., clock="real")``): real training,
  real completion order, wall-clock times.
- measured: the simulation as a suite runs it: two simulated workers, every
  evaluation trained in this one process and taking its measured wall time.
- replayed: two simulated workers replaying the real run: each evaluation
  returns the real run's value and takes the wall time it took there (from
  sending it to a process to collecting its result). A configuration the real
  run never evaluated (the simulation took another path) is trained and takes
  the real run's median duration.

Reported per strategy, medians over seeds: the relative makespan error
|simulated - real| / real, Kendall's tau between the real and the simulated
completion order of the trials both runs made, and the share of trials they
share. Goals (issue 16): median makespan error <= 10%, tau >= 0.9.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from scipy.stats import kendalltau

from bench import Evaluation, Objective, get_objective, run
from bench.space import Value

STRATEGIES = ("random", "asha", "hyperband", "tpe")


class Replay(Objective):
    """``base``'s values and the real run's durations, by (configuration, fidelity)."""

    name = "replay"

    def __init__(self, base: Objective, real: pd.DataFrame):
        self.base, self.space, self.fidelity = base, base.space, base.fidelity
        self.records = {
            (row.config, row.fidelity): (row.value, row.status, row.t_end - row.t_start)
            for row in real.itertuples()
        }
        self.median = float((real["t_end"] - real["t_start"]).median())
        self.trained = 0

    def _key(self, config: Mapping[str, Value], fidelity: float | None) -> tuple[str, float]:
        level = self.fidelity.high if fidelity is None else float(fidelity)
        return json.dumps(self.space.normalise(config)), level

    def evaluate(self, config, fidelity=None, *, seed):
        record = self.records.get(self._key(config, fidelity))
        if record is None:
            self.trained += 1
            return self.base.evaluate(config, fidelity, seed=seed)
        value, status, _ = record
        if status != "ok":
            raise RuntimeError(f"failed in the real run ({status})")
        return Evaluation(value)

    def duration(self, config, fidelity, extras):
        record = self.records.get(self._key(config, fidelity))
        return self.median if record is None else record[2]


def agreement(real: pd.DataFrame, simulated: pd.DataFrame) -> dict[str, float]:
    """Makespan error, completion-order tau and the share of trials both made."""
    keys = ["config", "fidelity"]
    real_order = real[keys].assign(real=range(len(real)))
    shared = real_order.merge(simulated[keys].assign(simulated=range(len(simulated))), on=keys)
    tau = kendalltau(shared["real"], shared["simulated"]).statistic if len(shared) > 1 else 1.0
    makespan_real, makespan = real["t_end"].max(), simulated["t_end"].max()
    return {
        "makespan": makespan,
        "error": abs(makespan - makespan_real) / makespan_real,
        "tau": float(tau),
        "shared": len(shared) / max(len(real), len(simulated)),
    }


def compare(strategy: str, seed: int, budget: float) -> dict[str, Any]:
    """One real two-process run and its two simulations, compared."""
    objective = get_objective("mlp-sgd")
    real = run(strategy, objective, seed, budget, workers=2, clock="real").to_frame()
    measured = run(strategy, objective, seed, budget, workers=2, overhead="measured")
    replay = Replay(objective, real)
    replayed = run(strategy, replay, seed, budget, workers=2, overhead="measured")
    row: dict[str, Any] = {"strategy": strategy, "seed": seed, "trials": len(real)}
    row["makespan_real"] = real["t_end"].max()
    for name, trace in (("measured", measured), ("replayed", replayed)):
        for key, value in agreement(real, trace.to_frame()).items():
            row[f"{name}_{key}"] = value
    row["retrained"] = replay.trained
    return row


def report(rows: pd.DataFrame, budget: float, seconds: float) -> str:
    """The Markdown table of medians per strategy, and the goal lines."""
    seeds = rows["seed"].nunique()
    lines = [
        f"`make simulation-check`: `mlp-sgd` (digits), budget {budget:g}, {seeds} seeds, two "
        f"workers: real processes vs the simulation (measured: trained in one process, each "
        f"evaluation taking its measured time; replayed: the real run's durations) "
        f"({seconds:.0f} s in all)",
        "",
        "| strategy | trials | real makespan (s) | measured: makespan (s) | error | tau "
        "| shared | replayed: makespan (s) | error | tau | shared |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for strategy, group in rows.groupby("strategy", sort=False):
        cells = [strategy, f"{group['trials'].median():.0f}",
                 f"{group['makespan_real'].median():.2f}"]  # fmt: skip
        for name in ("measured", "replayed"):
            cells += [
                f"{group[f'{name}_makespan'].median():.2f}",
                f"{100 * group[f'{name}_error'].median():.1f}%",
                f"{group[f'{name}_tau'].median():.3f}",
                f"{100 * group[f'{name}_shared'].median():.0f}%",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for name in ("measured", "replayed"):
        error, tau = rows[f"{name}_error"].median(), rows[f"{name}_tau"].median()
        lines.append(
            f"- {name}, over all {len(rows)} runs (medians): makespan error {100 * error:.1f}% "
            f"(goal <= 10%: {'met' if error <= 0.10 else 'missed'}), Kendall tau {tau:.3f} "
            f"(goal >= 0.9: {'met' if tau >= 0.9 else 'missed'}); worst makespan error "
            f"{100 * rows[f'{name}_error'].max():.1f}%, lowest tau {rows[f'{name}_tau'].min():.3f}."
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=12)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = []
    for strategy in args.strategies.split(","):
        for seed in range(args.seeds):
            rows.append(compare(strategy, seed, args.budget))
            print(json.dumps(rows[-1]), flush=True)
    text = report(pd.DataFrame(rows), args.budget, time.perf_counter() - started)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
