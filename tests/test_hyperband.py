"""Hyperband and BOHB: the schedule, its exact accounting, promotion, and BOHB's model."""

import itertools
import math
import warnings

import numpy as np
import optuna
import pandas as pd
import pytest

from bench import Budget, Evaluation, Fidelity, Float, Objective, Space, run
from bench.strategy import StrategyUnavailable
from bench.testing import EPOCHS, FidelityObjective, MixedObjective, WithFidelity
from strategies._optuna_space import distributions as optuna_distributions
from strategies._optuna_space import to_config, to_params
from strategies.hyperband import BOHB, BOHBTPE, Hyperband, hyperband_schedule

TIMING = ["t_ask", "t_eval", "t_tell"]


class Bowl(Objective):
    """(x - 0.3)^2 + (y - 0.7)^2 on [0, 1]^2, with no fidelity of its own."""

    name = "test-bowl"
    optimum = 0.0

    def __init__(self) -> None:
        self.space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation((config["x"] - 0.3) ** 2 + (config["y"] - 0.7) ** 2)


def distance_to_optimum(config) -> float:
    return math.hypot(config["x"] - 0.3, config["y"] - 0.7)


def planned(schedule, high, budget):
    """The fidelities Hyperband's schedule dictates, bracket after bracket,
    up to the first evaluation the budget cannot afford."""
    fidelities, costs = [], []
    for rungs in itertools.cycle(schedule):
        for n, r in rungs:
            for _ in range(n):
                if math.fsum(costs) + r / high > budget + 1e-9:
                    return fidelities, costs
                fidelities.append(r)
                costs.append(r / high)


def rungs_of(trace, schedule):
    """The trace's configurations and values cut into brackets of rungs, as the
    schedule dictates (the last bracket may be cut short by the budget)."""
    brackets, row = [], 0
    for rungs in itertools.cycle(schedule):
        bracket = []
        for n, _ in rungs:
            if row + n > len(trace):
                return brackets
            bracket.append(list(zip(trace.configs[row : row + n], trace.value[row : row + n])))
            row += n
        brackets.append(bracket)


# The schedule


def test_schedule_is_li_et_al_table_for_r27_eta3():
    assert hyperband_schedule(Fidelity("epochs", 1, 27, 3)) == [
        [(27, 1), (9, 3), (3, 9), (1, 27)],
        [(12, 3), (4, 9), (1, 27)],
        [(6, 9), (2, 27)],
        [(4, 27)],
    ]


def test_schedule_is_li_et_al_table_for_r81_eta3():
    assert hyperband_schedule(Fidelity("epochs", 1, 81, 3)) == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]


def test_schedule_with_eta_2():
    expected = [
        [(16, 1), (8, 2), (4, 4), (2, 8), (1, 16)],
        [(10, 2), (5, 4), (2, 8), (1, 16)],
        [(7, 4), (3, 8), (1, 16)],
        [(5, 8), (2, 16)],
        [(5, 16)],
    ]
    assert hyperband_schedule(Fidelity("epochs", 1, 16, 2)) == expected
    assert hyperband_schedule(Fidelity("epochs", 1, 16, 3), eta=2) == expected


def test_schedule_levels_are_ints_for_int_bounds_and_floats_otherwise():
    levels = [r for rungs in hyperband_schedule(EPOCHS) for _, r in rungs]
    assert all(type(r) is int for r in levels)
    fractional = hyperband_schedule(Fidelity("epochs", 1, 10, 3))
    assert [r for _, r in fractional[0]] == pytest.approx([10 / 9, 10 / 3, 10])
    assert type(fractional[0][0][1]) is float
    floats = hyperband_schedule(Fidelity("fraction", 0.1, 0.9, 3))
    assert [n for n, _ in floats[0]] == [9, 3, 1]
    assert floats[0][0][1] == 0.1, "0.9 / 9 rounds below low: clipped back to it"
    assert all(type(r) is float for rungs in floats for _, r in rungs)


@pytest.mark.parametrize(("high", "eta", "brackets"), [(27, 3, 4), (243, 3, 6), (1000, 10, 4)])
def test_schedule_is_robust_to_float_error_in_the_logarithm(high, eta, brackets):
    schedule = hyperband_schedule(Fidelity("epochs", 1, high, eta))
    assert len(schedule) == brackets
    assert schedule[0][0][1] == 1 and all(rungs[-1][1] == high for rungs in schedule)


def test_schedule_promotes_at_least_one():
    for rungs in hyperband_schedule(Fidelity("epochs", 1, 100, 1.7)):
        assert all(n >= 1 for n, _ in rungs)
        assert [n for n, _ in rungs] == sorted((n for n, _ in rungs), reverse=True)


@pytest.mark.parametrize("eta", [1, 0.5, True, "3"])
def test_schedule_refuses_a_bad_eta(eta):
    with pytest.raises(ValueError, match="eta"):
        hyperband_schedule(EPOCHS, eta=eta)


# Accounting and promotion, through the one loop


@pytest.mark.parametrize(
    ("strategy", "eta", "budget"),
    [("hyperband", 3, 7), ("hyperband", 3, 40), ("hyperband[eta=2]", 2, 30), ("bohb", 3, 33.3)],
)
def test_accounting_follows_the_schedule_exactly(strategy, eta, budget):
    schedule = hyperband_schedule(EPOCHS, eta)
    iteration = math.fsum(n * r / EPOCHS.high for rungs in schedule for n, r in rungs)
    fidelities, costs = planned(schedule, EPOCHS.high, budget)
    trace = run(strategy, FidelityObjective(), 0, budget)
    assert trace.fidelity == [float(r) for r in fidelities]
    assert trace.cost == pytest.approx(costs, rel=1e-12)
    assert trace.cum_cost[-1] == pytest.approx(math.fsum(costs), rel=1e-12)
    assert trace.cum_cost[-1] <= budget + 1e-9
    if budget > iteration:
        assert len(trace) > sum(n for rungs in schedule for n, _ in rungs)


def test_promotion_takes_the_best_of_each_rung():
    objective = WithFidelity(Bowl())
    trace = run("hyperband", objective, 0, 40)
    brackets = rungs_of(trace, hyperband_schedule(EPOCHS))
    assert len(brackets) >= 5, "the test should span more than one Hyperband iteration"
    for bracket in brackets:
        for rung, following in itertools.pairwise(bracket):
            ranked = sorted(rung, key=lambda row: row[1])
            assert [c for c, _ in following] == [c for c, _ in ranked[: len(following)]]


def drive(strategy, value_of, trials):
    """Ask and tell ``trials`` times; return (rung token, config, value told) per trial."""
    rows = []
    for _ in range(trials):
        suggestion = strategy.ask()
        value = value_of(suggestion.config)
        strategy.tell(suggestion, value)
        rows.append((suggestion.token, suggestion.config, value))
    return rows


def test_failed_evaluations_are_never_promoted():
    strategy = Hyperband(Bowl().space, seed=0, budget=Budget(100), fidelity=EPOCHS)
    rows = drive(strategy, lambda config: None if config["x"] < 0.6 else config["x"], 150)
    rungs: dict = {}
    for token, config, value in rows:
        rungs.setdefault((token.bracket, token.rung), []).append((config, value))
    promotions = shortfalls = 0
    for (bracket, rung), told in rungs.items():
        following = rungs.get((bracket, rung + 1))
        if following is None:
            continue
        ok = sorted((row for row in told if row[1] is not None), key=lambda row: row[1])
        wanted = bracket.rungs[rung + 1][0]
        assert [c for c, _ in following] == [c for c, _ in ok[:wanted]]
        assert all(value is not None for _, value in following)
        promotions += 1
        shortfalls += len(ok) < wanted
    assert promotions >= 5 and shortfalls >= 1
    assert sum(value is None for _, _, value in rows) > 50


def test_a_bracket_whose_rung_all_failed_ends_and_the_next_one_starts():
    strategy = Hyperband(Bowl().space, seed=0, budget=Budget(100), fidelity=EPOCHS)
    rows = drive(strategy, lambda config: None, 27 + 12 + 6)
    assert [token.bracket.s for token, _, _ in rows] == [3] * 27 + [2] * 12 + [1] * 6
    assert all(token.rung == 0 for token, _, _ in rows)


def test_asks_beyond_a_pending_rung_open_the_next_bracket():
    strategy = Hyperband(Bowl().space, seed=0, budget=Budget(100), fidelity=EPOCHS)
    first = [strategy.ask() for _ in range(27)]
    extra = strategy.ask()
    assert [s.fidelity for s in first] == [1] * 27 and extra.fidelity == 3
    for suggestion in first:
        strategy.tell(suggestion, suggestion.config["x"])
    promoted = [strategy.ask() for _ in range(9)]
    assert [s.fidelity for s in promoted] == [3] * 9
    best = sorted((s.config for s in first), key=lambda c: c["x"])[:9]
    assert [s.config for s in promoted] == best
    strategy.tell(extra, 0.0)
    with pytest.raises(ValueError, match="told twice"):
        strategy.tell(extra, 0.0)


@pytest.mark.parametrize("strategy", [Hyperband, BOHB])
def test_refuses_an_objective_without_a_fidelity(strategy):
    with pytest.raises(StrategyUnavailable, match="fidelity"):
        strategy(Bowl().space, seed=0, budget=Budget(10))
    with pytest.raises(StrategyUnavailable, match="fidelity"):
        run(strategy.name, MixedObjective(), 0, 10)


# BOHB


def new_configs(trace, skip: int):
    """Configurations evaluated for the first time, after the first ``skip`` trials."""
    seen, fresh = set(), []
    for trial, config in enumerate(trace.configs):
        key = tuple(config.items())
        if key not in seen and trial >= skip:
            fresh.append(config)
        seen.add(key)
    return fresh


def test_bohb_draws_new_configurations_from_the_model():
    """The first rung of the first bracket (27 configurations at epoch 1, budget 1):
    once the model has ten observations, its draws crowd around the optimum."""
    objective = WithFidelity(Bowl(), bias=0.05)
    model, uniform = [], []
    for seed in range(3):
        model += run("bohb[random_fraction=0.0]", objective, seed, 1).configs[10:]
        uniform += run("hyperband", objective, seed, 1).configs[10:]
    assert len(model) == len(uniform) == 3 * 17
    near = np.mean([distance_to_optimum(c) for c in model])
    far = np.mean([distance_to_optimum(c) for c in uniform])
    assert near < 0.7 * far, (near, far)


def test_bohb_tpe_samples_at_random_until_a_level_has_enough_observations():
    """The TPE variant models from d + 1 observations (the paper's ``bohb``
    needs more than d rows in both its good and bad sets: tests/test_bohb.py)."""
    space = Bowl().space
    bohb = BOHBTPE(space, seed=4, budget=Budget(100), fidelity=EPOCHS, random_fraction=0.0)
    hyperband = Hyperband(space, seed=4, budget=Budget(100), fidelity=EPOCHS)
    rows = drive(bohb, distance_to_optimum, 4)
    assert bohb.min_points_in_model == len(space) + 1 == 3
    assert [c for _, c, _ in rows[:3]] == [c for _, c, _ in drive(hyperband, lambda c: 1.0, 3)]
    assert rows[3][1] != hyperband.ask().config


def test_bohb_is_reproducible_and_seeded():
    objective = FidelityObjective()

    def frame(seed):
        return run("bohb[random_fraction=0.2]", objective, seed, 8).to_frame().drop(columns=TIMING)

    pd.testing.assert_frame_equal(frame(5), frame(5))
    assert frame(5)["config"].tolist() != frame(6)["config"].tolist()


def test_bohb_with_random_fraction_1_is_hyperband():
    objective = WithFidelity(Bowl())
    bohb = run("bohb[random_fraction=1.0]", objective, 2, 20)
    hyperband = run("hyperband", objective, 2, 20)
    assert bohb.fidelity == hyperband.fidelity
    assert bohb.configs == hyperband.configs


def test_bohb_model_draws_have_the_space_types_and_emit_no_warnings():
    objective = FidelityObjective()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = run("bohb[random_fraction=0.0]", objective, 0, 6)
    assert len(new_configs(trace, skip=len(objective.space) + 1)) > 10
    for config in trace.configs:
        objective.space.validate(config)
        assert type(config["lr"]) is float and type(config["beta"]) is float
        assert type(config["units"]) is int and type(config["layers"]) is int


def test_optuna_mapping_round_trips_every_scale():
    space = MixedObjective().space
    distributions = optuna_distributions(space)
    assert distributions["beta"].low == pytest.approx(0.001) and distributions["beta"].log
    assert distributions["lr"].log and distributions["units"].log
    assert not distributions["x"].log and not distributions["layers"].log
    rng = np.random.default_rng(0)
    for _ in range(50):
        config = space.sample(rng)
        params = to_params(space, config)
        optuna.trial.create_trial(params=params, distributions=distributions, value=0.0)
        back = to_config(space, params)
        space.validate(back)
        for name, value in config.items():
            assert back[name] == (pytest.approx(value, rel=1e-12) if name == "beta" else value)


@pytest.mark.parametrize(
    "options",
    [
        {"random_fraction": 1.5},
        {"random_fraction": -0.1},
        {"min_points_in_model": 0},
        {"min_points_in_model": 2.5},
        {"eta": 1},
    ],
)
def test_bohb_refuses_bad_options(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        BOHB(Bowl().space, seed=0, budget=Budget(10), fidelity=EPOCHS, **options)
