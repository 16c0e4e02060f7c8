"""Time per trial inside tunebench vs each library's own ask/tell loop, with the
same seed, in the same process, side by side: 100 trials on Branin.
`make perf-wrappers`. Each library is warmed up first (imports, first model
fit), and pairs alternate which loop runs first.

Goal (issue 3): every ratio tunebench / native <= 1.10. Each pair also checks
that both loops proposed the same configurations, so the two timings measure
the same work. ``--out PATH`` also writes the Markdown table and the goal's
verdict there (``make perf-wrappers`` writes results/published/perf-wrappers.md,
which ``make publish`` copies into the README).
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import optuna
from hyperopt import STATUS_OK, Trials, fmin, tpe
from skopt import Optimizer

from bench import Budget, get_objective, run
from strategies._optuna_space import distributions, to_config
from strategies.hyperopt_tpe import decode as decode_hyperopt
from strategies.hyperopt_tpe import hyperopt_space
from strategies.skopt_bo import decode as decode_skopt
from strategies.skopt_bo import skopt_dimensions

BRANIN = get_objective("branin")
SPACE = BRANIN.space
#: Goal of issue 3: tunebench's time / the native loop's, for every strategy.
GOAL_RATIO = 1.10
#: A strategy whose first native run takes longer than this (seconds) is timed in one pair.
LONG_RUN_S = 10


def branin(config: dict) -> float:
    return BRANIN.evaluate(config, seed=0).value


def native_optuna(sampler: optuna.samplers.BaseSampler, name: str, trials: int) -> list[dict]:
    study = optuna.create_study(direction="minimize", sampler=sampler, study_name=name)
    dists = distributions(SPACE)
    configs = []
    for _ in range(trials):
        trial = study.ask(dists)
        config = to_config(SPACE, trial.params)
        study.tell(trial, branin(config))
        configs.append(config)
    return configs


def native_tpe(seed: int, trials: int) -> list[dict]:
    return native_optuna(optuna.samplers.TPESampler(seed=seed), f"tunebench-tpe-{seed}", trials)


def native_gp(seed: int, trials: int) -> list[dict]:
    return native_optuna(optuna.samplers.GPSampler(seed=seed), f"tunebench-gp-{seed}", trials)


def native_hyperopt(seed: int, trials: int) -> list[dict]:
    history = Trials()
    fmin(
        lambda sample: {"loss": branin(sample), "status": STATUS_OK},
        hyperopt_space(SPACE),
        algo=tpe.suggest,
        max_evals=trials,
        trials=history,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return [
        decode_hyperopt(SPACE, {k: v[0] for k, v in t["misc"]["vals"].items()})
        for t in history.trials
    ]


def native_skopt(seed: int, trials: int) -> list[dict]:
    optimizer = Optimizer(
        skopt_dimensions(SPACE),
        base_estimator="GP",
        n_initial_points=10,
        random_state=np.random.RandomState(seed),
    )
    configs = []
    for _ in range(trials):
        point = optimizer.ask()
        config = decode_skopt(SPACE, point)
        optimizer.tell(point, branin(config))
        configs.append(config)
    return configs


NATIVE: dict[str, Callable[[int, int], list[dict]]] = {
    "tpe": native_tpe,
    "gp": native_gp,
    "tpe-hyperopt": native_hyperopt,
    "gp-skopt": native_skopt,
}
#: What each native loop is, for the table.
NATIVE_LOOP = {
    "tpe": "optuna ask/tell",
    "gp": "optuna ask/tell",
    "tpe-hyperopt": "hyperopt `fmin`",
    "gp-skopt": "skopt `Optimizer` ask/tell",
}


def timed(function: Callable, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def pairs_of(name: str, n: int, repeats: int) -> list[tuple[float, float, bool]]:
    """(native seconds, tunebench seconds, same configurations) of each pair,
    after a warm-up of both loops; one pair if the first native run is long."""
    NATIVE[name](1, 15)
    run(name, BRANIN, 1, Budget(15))
    pairs: list[tuple[float, float, bool]] = []
    while len(pairs) < (repeats if not pairs or pairs[0][0] < LONG_RUN_S else 1):
        if len(pairs) % 2 == 0:
            t_native, native_configs = timed(NATIVE[name], 0, n)
            t_bench, trace = timed(run, name, BRANIN, 0, Budget(n))
        else:
            t_bench, trace = timed(run, name, BRANIN, 0, Budget(n))
            t_native, native_configs = timed(NATIVE[name], 0, n)
        pairs.append((t_native, t_bench, trace.configs == native_configs))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--repeats", type=int, default=3, help=f"repeats for strategies under {LONG_RUN_S} s a run"
    )
    parser.add_argument("--strategies", default=",".join(NATIVE))
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    rows = {name: pairs_of(name, args.trials, args.repeats) for name in args.strategies.split(",")}
    text = report(rows, args)
    print(text, end="")
    if args.out:
        args.out.write_text(text)


def report(rows: dict[str, list[tuple[float, float, bool]]], args: argparse.Namespace) -> str:
    """The Markdown table of median milliseconds per trial of both loops, their
    ratio and whether they proposed the same configurations, and the goal's verdict."""
    n = args.trials
    repeats = f"{args.repeats} pair{'s' if args.repeats != 1 else ''}"
    lines = [
        f"`make perf-wrappers`: {n} trials on Branin, seed 0, tunebench's run vs the library's "
        "own loop in one process, each warmed up first, pairs alternating which runs first; "
        f"median of {repeats}, 1 pair where a run takes over {LONG_RUN_S} s "
        f"(python {platform.python_version()}, {platform.machine()}).",
        "",
        "| strategy | native loop | native ms/trial | tunebench ms/trial | ratio "
        "| same configurations | pairs |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    ratios, differing = {}, 0
    for name, pairs in rows.items():
        t_native = statistics.median(p[0] for p in pairs)
        t_bench = statistics.median(p[1] for p in pairs)
        ratios[name] = t_bench / t_native
        differing += sum(not p[2] for p in pairs)
        same = "yes" if all(p[2] for p in pairs) else "NO"
        lines.append(
            f"| `{name}` | {NATIVE_LOOP[name]} | {t_native / n * 1e3:.4g} | "
            f"{t_bench / n * 1e3:.4g} | {ratios[name]:.3f} | {same} | {len(pairs)} |"
        )
    assert not any(math.isnan(r) for r in ratios.values())
    worst = max(ratios, key=ratios.__getitem__)
    missed = [f"`{s}` ({r:.3f})" for s, r in ratios.items() if r > GOAL_RATIO]
    verdict = (
        f"met (worst `{worst}`, {ratios[worst]:.3f})"
        if not missed
        else "missed by " + ", ".join(missed)
    )
    lines += [
        "",
        f"Goal: every ratio tunebench / native <= {GOAL_RATIO:.2f}: {verdict}.",
        f"Pairs whose two loops proposed different configurations: {differing} (expected 0).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
