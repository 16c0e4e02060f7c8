"""The optuna wrappers: same trajectory as optuna's own ask/tell loop, every
scale mapped, and gp refused up front without torch."""

import importlib.util

import numpy as np
import optuna
import pytest

from bench import Budget, run
from bench.strategy import StrategyUnavailable
from bench.testing import MixedObjective
from strategies._optuna_space import distributions, to_config, to_params
from strategies.optuna_samplers import GP, TPE


@pytest.mark.parametrize(
    "name,sampler",
    [
        ("tpe", lambda seed: optuna.samplers.TPESampler(seed=seed)),
        (
            "cmaes",
            lambda seed: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        ),
        ("qmc", lambda seed: optuna.samplers.QMCSampler(seed=seed, scramble=True)),
    ],
)
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_the_trajectory_equals_optunas_own_ask_tell_loop(name, sampler):
    objective = MixedObjective()
    trace = run(name, objective, 4, 25)
    study = optuna.create_study(sampler=sampler(4), study_name=f"tunebench-{name}-4")
    space = distributions(objective.space)
    native = []
    for _ in range(25):
        trial = study.ask(space)
        config = to_config(objective.space, trial.params)
        study.tell(trial, objective.evaluate(config, seed=4).value)
        native.append(config)
    assert trace.configs == native


def test_every_scale_round_trips_through_optuna_params():
    space = MixedObjective().space
    dists = distributions(space)
    assert dists["beta"].log and dists["beta"].low == pytest.approx(1 - 0.999)
    rng = np.random.default_rng(0)
    for _ in range(100):
        config = space.sample(rng)
        params = to_params(space, config)
        for name, value in params.items():
            assert dists[name]._contains(dists[name].to_internal_repr(value))
        back = to_config(space, params)
        assert back.keys() == config.keys()
        assert back["beta"] == pytest.approx(config["beta"], rel=1e-12)
        assert {k: v for k, v in back.items() if k != "beta"} == {
            k: v for k, v in config.items() if k != "beta"
        }


def test_gp_without_torch_is_refused_when_built_with_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(StrategyUnavailable, match=r"needs torch.*\.\[gp\].*CUDA"):
        GP(MixedObjective().space, seed=0, budget=Budget(5))


def test_failed_trials_reach_optuna_as_failed():
    strategy = TPE(MixedObjective().space, seed=0, budget=Budget(5))
    first = strategy.ask()
    strategy.tell(first, None)
    second = strategy.ask()
    strategy.tell(second, 0.5)
    states = [t.state for t in strategy.study.trials]
    assert states == [optuna.trial.TrialState.FAIL, optuna.trial.TrialState.COMPLETE]
