"""Time per trial inside tunebench vs each library's own ask/tell loop, with the
same seed, in the same process, side by side: 100 trials on Branin.
`make perf-wrappers`. Each library is warmed up first (imports, first model
fit), and pairs alternate which loop runs first.

Goal (issue 3): every ratio tunebench / native <= 1.10. Each pair also checks
that both loops proposed the same configurations, so the two timings measure
the same work.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

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


def timed(function: Callable, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--repeats", type=int, default=3, help="repeats for strategies under 10 s a run"
    )
    parser.add_argument("--strategies", default=",".join(NATIVE))
    args = parser.parse_args()
    n = args.trials
    print(f"perf-wrappers: {n} trials on Branin, seed 0, tunebench run vs native loop, alternating")
    print(
        f"{'strategy':14}{'native ms/trial':>17}{'tunebench ms/trial':>20}{'ratio':>8}  same configs"
    )
    ratios = {}
    for name in args.strategies.split(","):
        NATIVE[name](1, 15)
        run(name, BRANIN, 1, Budget(15))
        pairs = []
        while len(pairs) < (args.repeats if not pairs or pairs[0][0] < 10 else 1):
            if len(pairs) % 2 == 0:
                t_native, native_configs = timed(NATIVE[name], 0, n)
                t_bench, trace = timed(run, name, BRANIN, 0, Budget(n))
            else:
                t_bench, trace = timed(run, name, BRANIN, 0, Budget(n))
                t_native, native_configs = timed(NATIVE[name], 0, n)
            pairs.append((t_native, t_bench, trace.configs == native_configs))
        t_native = statistics.median(p[0] for p in pairs)
        t_bench = statistics.median(p[1] for p in pairs)
        ratios[name] = t_bench / t_native
        print(
            f"{name:14}{t_native / n * 1e3:17.3f}{t_bench / n * 1e3:20.3f}{ratios[name]:8.3f}  "
            f"{'yes' if all(p[2] for p in pairs) else 'NO'}  ({len(pairs)} pair(s))"
        )
    worst = max(ratios.values())
    print(f"worst ratio {worst:.3f}: goal <= 1.10 {'met' if worst <= 1.10 else 'MISSED'}")
    assert not math.isnan(worst)


if __name__ == "__main__":
    main()
