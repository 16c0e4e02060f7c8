"""Runs with several simulated workers: the loop's discrete-event clock."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import Budget, Evaluation, Exhausted, Float, Objective, Space, Strategy, Wait, run
from bench.loop import StrategyError
from bench.registry import default_registry
from bench.report.stored import load
from bench.runner import run_suite
from bench.spec import run_label
from bench.store import Store
from bench.suite import SuiteError, parse_suite, plan
from bench.testing import MixedObjective

TIMING = ["t_ask", "t_eval", "t_tell"]


class Seconds(Objective):
    """f(x) = x, and an evaluation takes x simulated seconds."""

    name = "seconds"

    def __init__(self) -> None:
        self.space = Space({"x": Float(0.0, 10.0)})

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(float(config["x"]))

    def duration(self, config, fidelity, extras):
        return float(config["x"])


class Listed(Strategy):
    """Suggests the values of ``xs`` in turn."""

    name = "listed"
    parallel = True
    xs: tuple[float, ...] = (3.0, 1.0, 2.0, 5.0, 1.0)

    def ask(self):
        if self.suggested == len(self.xs):
            raise Exhausted
        return self.suggest({"x": self.xs[self.suggested]})

    def tell(self, suggestion, value):
        pass


def test_the_simulated_clock_by_hand():
    frame = run(Listed, Seconds(), 0, 5, workers=2).to_frame()
    # t=0: x=3 on worker 0 and x=1 on worker 1; t=1: x=2 on worker 1; t=3: x=3 and
    # x=2 both end (the earlier ask is told first), then x=5 on worker 0, x=1 on worker 1.
    assert frame["asked"].tolist() == [1, 0, 2, 4, 3]
    assert frame["worker"].tolist() == [1, 0, 1, 1, 0]
    assert frame["t_start"].tolist() == [0.0, 0.0, 1.0, 3.0, 3.0]
    assert frame["t_end"].tolist() == [1.0, 3.0, 3.0, 4.0, 8.0]
    assert frame["cum_cost"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert frame["value"].tolist() == [1.0, 3.0, 2.0, 1.0, 5.0]
    assert (frame["workers"] == 2).all()


def test_running_evaluations_count_against_the_budget():
    frame = run(Listed, Seconds(), 0, 3, workers=4).to_frame()
    assert sorted(frame["asked"]) == [0, 1, 2]
    assert frame["cum_cost"].iloc[-1] == 3.0


def test_measured_overhead_puts_ask_and_tell_time_on_the_clock():
    trace = run(Listed, Seconds(), 0, 5, workers=1, overhead="measured")
    ignored = run(Listed, Seconds(), 0, 5, workers=1).to_frame()
    frame = trace.to_frame()
    expected = frame["t_end"].shift(1, fill_value=0.0) + frame["t_ask"]
    expected.iloc[1:] += frame["t_tell"].iloc[:-1].to_numpy()
    np.testing.assert_allclose(frame["t_start"], expected, rtol=1e-12, atol=1e-12)
    assert (frame["t_start"].iloc[1:] > ignored["t_start"].iloc[1:]).all()
    assert trace.meta["clock"] == "declared"


def sequential(name: str, objective: Objective, seed: int, budget: float) -> pd.DataFrame:
    """Ask, evaluate and tell in turn: the loop as it was before workers."""
    variant, cls = default_registry().strategy(name)
    spent = Budget(budget)
    searcher = cls(
        objective.space, seed=seed, budget=spent, fidelity=objective.fidelity,
        **dict(variant.options),
    )  # fmt: skip
    rows = []
    while not spent.exhausted:
        try:
            suggestion = searcher.ask()
        except Exhausted:
            break
        cost = objective.cost(suggestion.fidelity)
        if not spent.affords(cost):
            break
        value = objective.evaluate(dict(suggestion.config), suggestion.fidelity, seed=seed).value
        searcher.tell(suggestion, value)
        rows.append((json.dumps(objective.space.normalise(suggestion.config)), value,
                     spent.spend(cost)))  # fmt: skip
    return pd.DataFrame(rows, columns=["config", "value", "cum_cost"])


@pytest.mark.parametrize(
    "name", ["random", "tpe", "tpe-hyperopt", "gp-skopt", "genetic", "hyperband", "asha", "bohb"]
)
def test_one_worker_is_ask_evaluate_tell_in_turn(name):
    objective = default_registry().objective("branin-mf")[1]
    frame = run(name, objective, 2, 15, workers=1).to_frame()
    expected = sequential(name, objective, 2, 15)
    pd.testing.assert_frame_equal(
        frame[["config", "value", "cum_cost"]], expected, check_dtype=False
    )
    assert (frame["asked"] == frame["trial"]).all() and (frame["worker"] == 0).all()
    np.testing.assert_allclose(frame["t_end"], frame["cum_cost"], rtol=1e-12)
    np.testing.assert_allclose(frame["t_start"], frame["t_end"] - frame["cost"], atol=1e-12)


@pytest.mark.parametrize("name", ["asha", "hyperband", "tpe", "random"])
def test_with_workers_a_run_on_recorded_durations_repeats_bit_for_bit(name):
    objective = default_registry().objective("tabular-mlp-sgd")[1]
    first = run(name, objective, 5, 12, workers=4)
    second = run(name, objective, 5, 12, workers=4)
    a, b = (t.to_frame().drop(columns=TIMING) for t in (first, second))
    pd.testing.assert_frame_equal(a, b)
    assert (a["asked"] != a["trial"]).any(), "recorded durations should reorder the tells"
    assert first.meta["clock"] == "declared"


def test_a_genetic_generation_is_evaluated_in_parallel_and_waits_for_its_last_result():
    frame = run("genetic[population=6,elite=0]", MixedObjective(), 0, 18, workers=4).to_frame()
    for generation in (0, 1):
        rows = frame[(frame.asked >= 6 * generation) & (frame.asked < 6 * generation + 6)]
        later = frame[frame.asked >= 6 * generation + 6]
        assert later["t_start"].min() >= rows["t_end"].max()
    assert frame["worker"].nunique() == 4


class Waits(Strategy):
    name = "waits"
    parallel = True

    def ask(self):
        raise Wait("nothing yet")

    def tell(self, suggestion, value):
        pass


def test_wait_with_nothing_pending_ends_the_run_with_a_clear_error():
    with pytest.raises(StrategyError, match="raised Wait at ask 0 with no suggestion pending"):
        run(Waits, Seconds(), 0, 5, workers=2)


class Sequential(Listed):
    name = "sequential"
    parallel = False


def test_a_strategy_that_takes_no_pending_trials_is_refused_for_several_workers():
    with pytest.raises(ValueError, match="'sequential' cannot run with 4 workers"):
        run(Sequential, Seconds(), 0, 5, workers=4)
    assert len(run(Sequential, Seconds(), 0, 5, workers=1)) == 5


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_a_bad_number_of_workers_is_refused(workers):
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        run("random", Seconds(), 0, 5, workers=workers)


PLUGIN = '''
from bench import Strategy

class OneAtATime(Strategy):
    """Random search that cannot take pending trials."""
    name = "one-at-a-time"

    def __init__(self, space, *, seed, budget, fidelity=None):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        import numpy as np
        self.rng = np.random.default_rng(seed)

    def ask(self):
        return self.suggest(self.space.sample(self.rng))

    def tell(self, suggestion, value):
        pass
'''


def _suite(text: str, tmp_path: Path):
    path = tmp_path / "parallel.toml"
    path.write_text(text)
    return parse_suite(text, path, "parallel")


def test_a_suite_refuses_a_plugin_without_pending_trials_for_several_workers(tmp_path):
    plugin = tmp_path / "one.py"
    plugin.write_text(PLUGIN)
    text = (
        'strategies = ["random", "one-at-a-time"]\nobjectives = ["branin"]\n'
        "seeds = 2\nbudget = 5\nworkers = [1, 4]\n"
    )
    with pytest.raises(SuiteError) as error:
        plan(_suite(text, tmp_path), default_registry((str(plugin),)))
    message = str(error.value)
    assert "key 'workers': strategy 'one-at-a-time' cannot run with [4] workers" in message
    assert "parallel = True" in message and "'random'" not in message
    specs, _ = plan(
        _suite(text.replace("[1, 4]", "[1]"), tmp_path), default_registry((str(plugin),))
    )
    assert len(specs) == 4


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("workers = 4", "expected a list of distinct positive numbers of simulated workers"),
        ("workers = [1, 1]", "expected a list of distinct positive"),
        ("workers = [0, 4]", "expected a list of distinct positive"),
        ("workers = [1, 100000]", "at most 4096 workers"),
        ('overhead = "wall"', 'expected "ignored" or "measured"'),
        ("worker = [4]", "unknown key 'worker' (did you mean 'workers'?)"),
    ],
)
def test_bad_worker_keys_name_the_file_and_key(tmp_path, line, expected):
    text = f'strategies = ["random"]\nobjectives = ["branin"]\nseeds = 2\nbudget = 5\n{line}\n'
    with pytest.raises(SuiteError, match=f"suite file .*parallel.toml.*{_escape(expected)}"):
        _suite(text, tmp_path)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def test_a_suite_stores_a_run_per_worker_count_and_the_report_tells_them_apart(tmp_path):
    text = (
        'strategies = ["random", "asha"]\nobjectives = ["branin-mf"]\n'
        "seeds = 2\nbudget = 6\nworkers = [1, 4]\n"
    )
    suite = _suite(text, tmp_path)
    results = tmp_path / "results"
    first = run_suite(suite, results, in_process=True, progress=False)
    assert len(first.ran) == 8
    specs, _ = plan(suite, default_registry())
    assert len({Store(results / "parallel").path(s) for s in specs}) == 8
    assert len({s.hash for s in specs}) == 8
    again = run_suite(suite, results, in_process=True, progress=False)
    assert not again.ran
    stored = load(results / "parallel")
    assert sorted(stored.runs["strategy"].unique()) == ["asha", "asha ×4", "random", "random ×4"]
    assert not stored.left_out and not stored.missing
    many = stored.runs[stored.runs["workers"] == 4]
    assert set(many["strategy"]) == {run_label("asha", 4), run_label("random", 4)}
    assert math.isclose(many.groupby(["strategy", "seed"])["cum_cost"].max().max(), 6.0)


def test_real_processes_run_the_same_suggestions_and_keep_at_most_w_running():
    real = run("random", "branin", 4, 8, workers=2, clock="real")
    simulated = run("random", "branin", 4, 8, workers=2)
    assert real.meta["clock"] == "real" and simulated.meta["clock"] == "declared"
    a, b = real.to_frame(), simulated.to_frame()
    assert sorted(a["config"]) == sorted(b["config"])
    by_config = b.set_index("config")["value"]
    assert (a.set_index("config")["value"] == by_config.loc[a["config"]]).all()
    assert a["t_end"].is_monotonic_increasing and (a["t_start"] <= a["t_end"]).all()
    assert set(a["worker"]) <= {0, 1}
    for row in a.itertuples():
        running = (a.t_start <= row.t_start) & (row.t_start < a.t_end)
        assert running.sum() <= 2


@pytest.mark.parametrize("name", ["gp-skopt", "rf-skopt"])
def test_skopt_asked_twice_without_a_tell_lies_about_the_pending_point(name):
    cls = default_registry().strategy(name)[1]
    objective = MixedObjective()
    searcher = cls(objective.space, seed=0, budget=Budget(30), n_initial_points=3)
    for _ in range(3):
        suggestion = searcher.ask()
        searcher.tell(suggestion, objective.evaluate(suggestion.config, seed=0).value)
    first, second = searcher.ask(), searcher.ask()
    assert first.config != second.config, "the second ask ignored the pending first"
    searcher.tell(second, 1.0)
    searcher.tell(first, 2.0)
    assert searcher.optimizer.yi[-2:] == [1.0, 2.0]


def test_a_recorded_training_that_diverged_takes_the_seconds_it_ran():
    objective = default_registry().objective("tabular-mlp-sgd")[1]
    curves = objective.curves
    index, seed, epoch = map(int, np.argwhere(curves.diverged != "")[0])
    ListedConfig.configs = ((str(index), epoch + 1),)
    frame = run(ListedConfig, objective, seed, 1, workers=2).to_frame()
    ListedConfig.configs = ()
    assert frame["status"].iloc[0] == "failed"
    assert frame["t_end"].iloc[0] == curves.diverged_seconds((index, seed, epoch))
    assert math.isfinite(frame["t_end"].iloc[0])


class ListedConfig(Strategy):
    """Suggests configuration ``index`` of a tabular objective at ``epoch`` epochs once."""

    name = "listed-config"
    parallel = True
    configs: tuple[tuple[str, int], ...] = ()

    def ask(self):
        if self.suggested == len(self.configs):
            raise Exhausted
        config, epochs = self.configs[self.suggested]
        return self.suggest({"config": config}, epochs)

    def tell(self, suggestion, value):
        pass


@pytest.mark.parametrize("bad", [-0.5, -1e-12, math.nan, math.inf, "1", True])
def test_a_duration_that_is_not_finite_seconds_is_refused_naming_the_objective(bad):
    class BadDuration(Seconds):
        name = "bad-duration"

        def duration(self, config, fidelity, extras):
            return bad

    expected = r"objective 'bad-duration': duration\(\) returned .*; expected a finite number"
    with pytest.raises(ValueError, match=expected):
        run(Listed, BadDuration(), 0, 5, workers=2)


def test_a_zero_duration_is_a_valid_duration():
    class Instant(Seconds):
        name = "instant"

        def duration(self, config, fidelity, extras):
            return 0

    frame = run(Listed, Instant(), 0, 5, workers=2).to_frame()
    assert (frame["t_end"] == frame["t_start"]).all()
