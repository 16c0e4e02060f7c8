"""tpe-hyperopt drives hyperopt's own TPE: its trajectory is fmin's."""

import math

import numpy as np
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, tpe

from bench import Categorical, Evaluation, Float, Int, Objective, Space, run
from strategies.hyperopt_tpe import HyperoptTPE, decode, hyperopt_space

SPACE = Space(
    {
        "x": Float(-2.0, 3.0),
        "lr": Float(1e-4, 1.0, "log"),
        "beta": Float(0.5, 0.999, "log1m"),
        "units": Int(4, 256, "log"),
        "layers": Int(1, 3),
        "act": Categorical(("relu", "tanh", "sigmoid")),
    }
)


def loss(config):
    """A deterministic function that fails (None) in one corner."""
    if config["x"] > 2.6:
        return None
    value = (config["x"] - 0.5) ** 2 + (math.log10(config["lr"]) + 2) ** 2
    value += (math.log10(1 - config["beta"]) + 1.5) ** 2 + abs(config["layers"] - 2)
    value += (math.log2(config["units"]) - 6) ** 2 / 10 + (config["act"] != "tanh")
    return value


class Target(Objective):
    name = "target"
    space = SPACE

    def evaluate(self, config, fidelity=None, *, seed):
        value = loss(config)
        return Evaluation(math.nan if value is None else value)


def sample_to_config(sample):
    """fmin hands fn the evaluated sample: choices as values, integers as floats."""
    config = {}
    for name, dim in SPACE.items():
        value = sample[name]
        if isinstance(dim, Float):
            x = 1.0 - value if dim.scale == "log1m" else float(value)
            config[name] = min(max(x, dim.low), dim.high)
        elif isinstance(dim, Int):
            config[name] = min(max(round(value), dim.low), dim.high)
        else:
            config[name] = value
    return config


def fmin_configs(seed, evaluations):
    def fn(sample):
        value = loss(sample_to_config(sample))
        return {"status": STATUS_FAIL} if value is None else {"loss": value, "status": STATUS_OK}

    trials = Trials()
    fmin(
        fn,
        hyperopt_space(SPACE),
        algo=tpe.suggest,
        max_evals=evaluations,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return [decode(SPACE, {k: v[0] for k, v in t["misc"]["vals"].items()}) for t in trials.trials]


def test_the_trajectory_equals_fmins_for_the_same_seed():
    for seed in (0, 7):
        trace = run(HyperoptTPE, Target(), seed, 40)
        assert "failed" in trace.status and len(trace) == 40
        assert trace.configs == fmin_configs(seed, 40)


def test_decoding_keeps_values_in_bounds_and_types():
    trace = run(HyperoptTPE, Target(), 1, 30)
    for config in trace.configs:
        SPACE.validate(config)
        assert isinstance(config["units"], int) and isinstance(config["x"], float)
