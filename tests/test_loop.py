"""The one loop: rows, timing, failures, budget and contract enforcement."""

import inspect
import json
import math
import time

import numpy as np
import pandas as pd
import pytest

from bench import Budget, Evaluation, Exhausted, Fidelity, Float, Objective, Space, Strategy, run
from bench.loop import StrategyError
from bench.trace import LEADING, TRAILING


class Quadratic(Objective):
    """(x - 0.3)^2 on [0, 1]; its test value is the value plus one."""

    name = "quadratic"
    optimum = 0.0

    def __init__(self, fail_on=(), nan_on=(), fidelity=None):
        self.space = Space({"x": Float(0.0, 1.0)})
        self.fidelity = fidelity
        self.fail_on, self.nan_on, self.calls = set(fail_on), set(nan_on), 0

    def evaluate(self, config, fidelity=None, *, seed):
        call, self.calls = self.calls, self.calls + 1
        if call in self.fail_on:
            raise ValueError("Solver produced non-finite parameter weights")
        if call in self.nan_on:
            return Evaluation(math.inf)
        value = (config["x"] - 0.3) ** 2
        return Evaluation(value, cost=self.cost(fidelity), extras={"test": value + 1})


class Scripted(Strategy):
    """Proposes the values of ``xs`` in order, then is exhausted; records what it is told."""

    name = "scripted"
    xs = (0.9, 0.5, 0.31, 0.7, 0.2)
    fidelities = None

    def __init__(self, space, *, seed, budget, fidelity=None):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self.told = []

    def ask(self):
        if self.suggested >= len(self.xs):
            raise Exhausted
        level = self.fidelities[self.suggested] if self.fidelities else None
        return self.suggest({"x": self.xs[self.suggested]}, level)

    def tell(self, suggestion, value):
        self.told.append((suggestion.id, value))
        Scripted.last = self


def test_rows_have_exactly_the_design_columns():
    frame = run(Scripted, Quadratic(), 0, 5, suite="s").to_frame()
    assert list(frame.columns) == [*LEADING, "param_x", *TRAILING]
    assert frame["suite"].unique().tolist() == ["s"]
    assert frame["trial"].tolist() == [0, 1, 2, 3, 4]
    assert frame["config"].iloc[0] == '{"x": 0.9}'


def test_best_is_the_running_minimum_and_its_test_value_follows():
    frame = run(Scripted, Quadratic(), 0, 5).to_frame()
    expected = np.minimum.accumulate((np.array(Scripted.xs) - 0.3) ** 2)
    np.testing.assert_array_equal(frame["best"], expected)
    np.testing.assert_array_equal(frame["incumbent_test"], expected + 1)
    assert frame["cum_cost"].tolist() == [1, 2, 3, 4, 5]


def test_each_step_is_timed():
    class Sleepy(Quadratic):
        def evaluate(self, config, fidelity=None, *, seed):
            time.sleep(0.003)
            return super().evaluate(config, fidelity, seed=seed)

    frame = run(Scripted, Sleepy(), 0, 5).to_frame()
    for column in ("t_ask", "t_eval", "t_tell"):
        assert (frame[column] >= 0).all() and (frame[column] < 1).all()
    # measured, not zeros: the evaluation sleeps 3 ms, and ask and tell take some time
    assert (frame["t_eval"] >= 0.003).all()
    assert frame["t_ask"].sum() > 0 and frame["t_tell"].sum() > 0


def test_raising_and_non_finite_objectives_are_failed_trials_that_cost_budget():
    trace = run(Scripted, Quadratic(fail_on={1}, nan_on={3}), 0, 5)
    assert trace.status == ["ok", "failed", "ok", "failed", "ok"]
    assert trace.cum_cost == [1, 2, 3, 4, 5]
    assert "non-finite parameter weights" in trace.errors[1]
    assert "inf" in trace.errors[3]
    assert math.isnan(trace.value[1]) and math.isnan(trace.value[3])
    assert [v is None for _, v in Scripted.last.told] == [False, True, False, True, False]


def test_a_failure_before_any_success_leaves_best_missing():
    trace = run(Scripted, Quadratic(fail_on={0}), 0, 2)
    assert math.isnan(trace.best[0]) and trace.best[1] == pytest.approx(0.04)


def test_exhausted_ends_the_run_early_and_cleanly():
    trace = run(Scripted, Quadratic(), 0, 50)
    assert len(trace) == 5


def test_the_budget_stops_the_run():
    assert len(run(Scripted, Quadratic(), 0, 3)) == 3


def test_fractional_fidelities_are_charged_and_never_overspent():
    trace = run(Fractional, Quadratic(fidelity=Fidelity("epochs", 1, 27, 3)), 0, 2)
    assert trace.cost == [1 / 3, 1 / 3, 1.0]
    assert trace.cum_cost[-1] == pytest.approx(5 / 3)
    assert trace.fidelity == [9, 9, 27]
    assert math.isnan(trace.best[0]) and math.isnan(trace.best[1])
    assert trace.best[2] == pytest.approx(0.01**2)


class SharedExtras(Quadratic):
    """Returns one extras dict, updated in place at every evaluation."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shared = {}

    def evaluate(self, config, fidelity=None, *, seed):
        evaluation = super().evaluate(config, fidelity, seed=seed)
        self.shared["test"] = evaluation.extras["test"]
        return Evaluation(evaluation.value, cost=evaluation.cost, extras=self.shared)


def test_an_objective_reusing_its_extras_dict_records_each_incumbents_own_test_value():
    frame = run(Scripted, SharedExtras(), 0, 5).to_frame()
    expected = np.minimum.accumulate((np.array(Scripted.xs) - 0.3) ** 2)
    np.testing.assert_array_equal(frame["incumbent_test"], expected + 1)


class BadTestValue(Quadratic):
    """Its second evaluation's test value is not a number."""

    def evaluate(self, config, fidelity=None, *, seed):
        evaluation = super().evaluate(config, fidelity, seed=seed)
        extras = {"test": None} if self.calls == 2 else evaluation.extras
        return Evaluation(evaluation.value, cost=evaluation.cost, extras=extras)


def test_a_test_value_that_is_not_a_number_keeps_the_rows_before_it():
    trace = run(Scripted, BadTestValue(), 0, 5, on_error="record")
    assert "TypeError" in trace.error
    assert len(trace) == 1


class Fractional(Scripted):
    name = "fractional"
    fidelities = (9, 9, 27, 27, 3)


class Costless(Quadratic):
    """States no cost: the loop derives it from the fidelity."""

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(super().evaluate(config, fidelity, seed=seed).value)


class FullPrice(Quadratic):
    """States a full evaluation's cost at every fidelity: the trap of issue 14."""

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(super().evaluate(config, fidelity, seed=seed).value, cost=1.0)


def test_an_evaluation_without_a_cost_is_charged_its_fidelity():
    trace = run(Fractional, Costless(fidelity=Fidelity("epochs", 1, 27, 3)), 0, 2)
    assert trace.cost == [1 / 3, 1 / 3, 1.0]
    assert "cost_mismatch" not in trace.meta


def test_a_stated_cost_at_odds_with_the_cost_model_is_charged_and_noted():
    trace = run(Fractional, FullPrice(fidelity=Fidelity("epochs", 1, 27, 3)), 0, 2)
    assert trace.cost == [1.0, 1.0]
    assert trace.meta["cost_mismatch"].startswith(
        "trial 0: the objective stated cost 1 at fidelity 9, where its cost model"
    )
    assert "says 0.333333" in trace.meta["cost_mismatch"]


class RoundedPrice(Quadratic):
    """States its fidelity's cost off by one rounding step (a sum of fractions, say)."""

    def evaluate(self, config, fidelity=None, *, seed):
        cost = self.cost(fidelity) * (1 + 2**-52)
        return Evaluation(super().evaluate(config, fidelity, seed=seed).value, cost=cost)


def test_a_stated_cost_that_differs_from_the_cost_model_by_rounding_is_not_noted():
    objective = RoundedPrice(fidelity=Fidelity("epochs", 1, 27, 3))
    trace = run(Fractional, objective, 0, 2)
    assert trace.cost == [c * (1 + 2**-52) for c in (1 / 3, 1 / 3, 1.0)]
    assert trace.cost[0] != 1 / 3 and "cost_mismatch" not in trace.meta


def test_a_failed_trial_names_where_the_objective_raised():
    trace = run(Scripted, Quadratic(fail_on={1}), 0, 3)
    assert trace.errors[1].startswith("ValueError: Solver produced non-finite parameter weights")
    lines, first = inspect.getsourcelines(Quadratic.evaluate)
    raised = first + next(i for i, line in enumerate(lines) if "raise ValueError" in line)
    assert trace.errors[1].endswith(f"test_loop.py:{raised} in evaluate)")


def test_a_failure_inside_a_library_names_the_objectives_own_line():
    class Parses(Quadratic):
        name = "parses"

        def evaluate(self, config, fidelity=None, *, seed):
            return json.loads("{")

    class Inverts(Quadratic):
        name = "inverts"

        def evaluate(self, config, fidelity=None, *, seed):
            return np.linalg.inv(np.zeros((2, 2)))

    for objective, error in ((Parses(), "JSONDecodeError"), (Inverts(), "LinAlgError")):
        line = inspect.getsourcelines(type(objective).evaluate)[1] + 1
        trace = run(Scripted, objective, 0, 1)
        assert error in trace.errors[0]
        assert trace.errors[0].endswith(f"test_loop.py:{line} in evaluate)"), trace.errors[0]


def test_the_strategy_constructor_is_timed():
    class SlowStart(Scripted):
        name = "slow-start"

        def __init__(self, space, **kwargs):
            time.sleep(0.02)
            super().__init__(space, **kwargs)

    assert run(SlowStart, Quadratic(), 0, 2).meta["t_init"] >= 0.02
    assert 0 <= run(Scripted, Quadratic(), 0, 2).meta["t_init"] < 0.02


class _SlowRelease:
    """Takes 0.02 s to be freed, like a library's trial or study object."""

    def __del__(self):
        time.sleep(0.02)


def test_releasing_the_strategy_and_its_suggestions_is_the_strategys_time():
    class Heavy(Strategy):
        name = "heavy"
        parallel = True

        def __init__(self, space, *, seed, budget, fidelity=None):
            super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
            self.study = _SlowRelease()

        def ask(self):
            return self.suggest({"x": 0.5}, token=_SlowRelease())

        def tell(self, suggestion, value):
            pass

    for workers in (1, 3):
        trace = run(Heavy, Quadratic(), 0, 3, workers=workers)
        assert min(trace.t_tell) >= 0.02
        assert trace.meta["t_close"] >= 0.02
    assert 0 <= run(Scripted, Quadratic(), 0, 2).meta["t_close"] < 0.02


def test_a_suggestion_outside_the_space_is_refused_with_the_value():
    class OutOfBounds(Scripted):
        name = "out-of-bounds"
        xs = (0.5, 1.5)

    with pytest.raises(StrategyError, match=r"'x'=1\.5 is outside"):
        run(OutOfBounds, Quadratic(), 0, 5)


def test_a_suggestion_with_a_missing_key_is_refused():
    class MissingKey(Scripted):
        name = "missing-key"

        def ask(self):
            return self.suggest({"y": 0.5})

    with pytest.raises(StrategyError, match=r"missing \['x'\].*unexpected \['y'\]"):
        run(MissingKey, Quadratic(), 0, 5)


def test_a_fidelity_on_an_objective_without_one_is_refused():
    class Fractional(Scripted):
        name = "fractional"
        fidelities = (9,)

    with pytest.raises(StrategyError, match="fidelity"):
        run(Fractional, Quadratic(), 0, 5)


def test_a_strategy_that_raises_ends_the_run_with_its_exception():
    class Broken(Scripted):
        name = "broken"

        def tell(self, suggestion, value):
            raise ZeroDivisionError("bug in tell")

    with pytest.raises(ZeroDivisionError, match="bug in tell"):
        run(Broken, Quadratic(), 0, 5)


def test_runs_by_name_reproduce_exactly():
    first = (
        run("random", "branin", 7, Budget(30))
        .to_frame()
        .drop(columns=["t_ask", "t_eval", "t_tell"])
    )
    second = (
        run("random", "branin", 7, Budget(30))
        .to_frame()
        .drop(columns=["t_ask", "t_eval", "t_tell"])
    )
    pd.testing.assert_frame_equal(first, second)
    assert first["strategy"].iloc[0] == "random" and first["objective"].iloc[0] == "branin"


def test_variant_options_reach_the_strategy_and_name_the_rows():
    frame = run("random[scale=linear]", "branin", 0, 3).to_frame()
    assert frame["strategy"].unique().tolist() == ["random[scale=linear]"]
    # the option reaches the strategy: a cube of 6 linear scales samples differently
    objective = MixedLogSpace()
    linear = run("random[scale=linear]", objective, 0, 20).configs
    default = run("random", objective, 0, 20).configs
    assert np.mean([c["lr"] > 0.1 for c in linear]) > 0.6
    assert np.mean([c["lr"] > 0.1 for c in default]) < 0.4


class MixedLogSpace(Objective):
    """A learning rate on a log scale over five decades."""

    name = "log-lr"

    def __init__(self):
        self.space = Space({"lr": Float(1e-5, 1.0, "log")})

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(config["lr"])
