"""Coarse-to-fine search: a coarse random phase, then stages that zoom on the best."""

import itertools
import math

import numpy as np
import pytest

from bench import Budget, Categorical, Evaluation, Float, Int, Objective, Space, run
from bench.testing import median_final_best
from strategies.coarse_to_fine import CoarseToFine, stage_starts


class Bowl(Objective):
    """A quadratic bowl in unit coordinates, plus a penalty per categorical choice;
    fails (raises) wherever ``fails(config)`` holds."""

    name = "bowl"

    def __init__(self, space=None, target=None, penalty=None, fails=None):
        self.space = space or Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
        numeric = [n for n, d in self.space.items() if not isinstance(d, Categorical)]
        self._numeric = [self.space.names.index(n) for n in numeric]
        self._target = np.linspace(0.3, 0.7, len(numeric)) if target is None else target
        self._penalty = penalty or {}
        self._fails = fails

    def evaluate(self, config, fidelity=None, *, seed):
        if self._fails is not None and self._fails(config):
            raise RuntimeError("injected failure")
        u = self.space.to_unit(config)[self._numeric]
        extra = sum(self._penalty.get(v, 0.0) for v in config.values() if isinstance(v, str))
        return Evaluation(float(np.sum((u - self._target) ** 2)) + extra)


MIXED = Space(
    {
        "lr": Float(1e-4, 1.0, "log"),
        "beta": Float(0.5, 0.999, "log1m"),
        "x": Float(-2.0, 3.0),
        "units": Int(8, 512, "log"),
        "act": Categorical(("relu", "tanh", "gelu")),
    }
)


def drive(strategy, value_of, n):
    """Ask and tell ``n`` times; ``value_of(config, trial)`` gives the value (None: failed)."""
    configs = []
    for trial in range(n):
        suggestion = strategy.ask()
        configs.append(suggestion.config)
        strategy.tell(suggestion, value_of(suggestion.config, trial))
    return configs


def best_before(trace, end):
    ok = [t for t in range(end) if trace.status[t] == "ok"]
    return trace.configs[min(ok, key=lambda t: trace.value[t])]


def test_the_stages_share_what_the_coarse_phase_leaves():
    assert stage_starts(60, 0.3, 3) == [18, 32, 46]
    assert stage_starts(10, 0.5, 2) == [5, 7]
    assert stage_starts(10, 0.3, 1) == [3]
    assert stage_starts(12.5, 0.3, 3) == [4, 6, 9]
    assert stage_starts(1, 0.3, 3) == [1, 1, 1]
    assert stage_starts(0.5, 0.3, 3) == [1, 1, 1]


def test_the_coarse_phase_is_random_search_over_the_whole_space():
    objective = Bowl()
    mine = run("coarse-to-fine[first=0.5]", objective, 4, 100)
    baseline = run("random", objective, 4, 100)
    assert mine.configs[:50] == baseline.configs[:50]
    coarse = np.array([objective.space.to_unit(c) for c in mine.configs[:50]])
    quadrants = {tuple(q) for q in (coarse > 0.5).astype(int)}
    assert quadrants == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert coarse.min(axis=0).max() < 0.1 and coarse.max(axis=0).min() > 0.9


@pytest.mark.parametrize("zoom", [0.5, 0.3])
def test_stage_k_samples_inside_the_box_of_side_zoom_to_the_k_around_the_best(zoom):
    objective = Bowl(MIXED, penalty={"relu": 0.2, "tanh": 0.0, "gelu": 0.1})
    trace = run(f"coarse-to-fine[zoom={zoom}]", objective, 7, 60)
    starts = [18, 32, 46, 60]
    for k, (start, end) in enumerate(itertools.pairwise(starts), start=1):
        sub = MIXED.shrink(best_before(trace, start), zoom**k)
        for config in trace.configs[start:end]:
            assert sub.contains(config), (k, config, sub)
        assert len({c["x"] for c in trace.configs[start:end]}) == end - start
    full_side = MIXED["x"].high - MIXED["x"].low
    last = [c["x"] for c in trace.configs[46:]]
    assert max(last) - min(last) <= zoom**3 * full_side


def test_after_the_last_stage_it_keeps_sampling_the_last_box():
    strategy = CoarseToFine(MIXED, seed=1, budget=Budget(10), first=0.3, stages=2)
    objective = Bowl(MIXED)
    configs = drive(strategy, lambda c, t: objective.evaluate(c, seed=0).value, 30)
    values = [objective.evaluate(c, seed=0).value for c in configs]
    start = stage_starts(10, 0.3, 2)[-1]
    best = configs[int(np.argmin(values[:start]))]
    sub = MIXED.shrink(best, 0.25)
    assert all(sub.contains(c) for c in configs[start:])


def test_with_top_two_it_alternates_between_the_boxes_of_the_two_best():
    space = Space({"x": Float(0.0, 1.0), "c": Categorical(("a", "b", "c", "d"))})
    strategy = CoarseToFine(space, seed=0, budget=Budget(20), first=0.5, stages=1, top=2)
    coarse = [strategy.ask() for _ in range(10)]
    best = coarse[0]
    second = next(s for s in coarse if s.config["c"] != best.config["c"])
    for s in coarse:
        strategy.tell(s, 0.0 if s is best else 0.1 if s is second else 1.0)
    stage = drive(strategy, lambda c, t: 5.0, 10)
    boxes = [space.shrink(best.config, 0.5), space.shrink(second.config, 0.5)]
    for i, config in enumerate(stage):
        assert boxes[i % 2].contains(config), (i, config)
    assert {c["c"] for c in stage} == {best.config["c"], second.config["c"]}


def test_the_top_centres_are_distinct_configurations():
    space = Space({"k": Int(1, 2), "c": Categorical(("a", "b"))})
    strategy = CoarseToFine(space, seed=0, budget=Budget(40), first=0.5, top=2)
    configs = drive(strategy, lambda c, t: c["k"] + 0.5 * (c["c"] == "b"), 20)
    assert configs.count({"k": 1, "c": "a"}) > 1 and {"k": 1, "c": "b"} in configs
    assert strategy.centres() == [{"k": 1, "c": "a"}, {"k": 1, "c": "b"}]


def test_a_failed_evaluation_is_never_a_centre():
    space = Space({"x": Float(0.0, 1.0)})
    objective = Bowl(space, target=np.array([0.0]), fails=lambda c: c["x"] < 0.3)
    trace = run("coarse-to-fine[zoom=0.2]", objective, 2, 60)
    assert "failed" in trace.status[:18]
    best = best_before(trace, 18)
    assert best["x"] >= 0.3
    sub = space.shrink(best, 0.2)
    assert all(sub.contains(c) for c in trace.configs[18:32])


def test_a_failure_told_directly_is_never_a_centre():
    space = Space({"x": Float(0.0, 1.0)})
    strategy = CoarseToFine(space, seed=0, budget=Budget(10), first=0.5, stages=1, top=3)
    coarse = [strategy.ask() for _ in range(5)]
    for i, s in enumerate(coarse):
        strategy.tell(s, None if i % 2 == 0 else float(i))
    assert strategy.centres() == [coarse[1].config, coarse[3].config]
    strategy.tell(strategy.ask(), math.nan)
    assert len(strategy.centres()) == 2


def test_until_something_succeeds_it_samples_the_whole_space_then_zooms():
    objective = Bowl(fails=lambda c: True)
    assert (
        run("coarse-to-fine", objective, 5, 40).configs == run("random", objective, 5, 40).configs
    )

    calls = []

    def fails_at_first(config):
        calls.append(config)
        return len(calls) <= 25

    trace = run("coarse-to-fine", Bowl(fails=fails_at_first), 5, 40)
    assert stage_starts(40, 0.3, 3) == [12, 21, 30]
    assert trace.configs[:26] == run("random", Bowl(), 5, 40).configs[:26]
    sub = Bowl().space.shrink(trace.configs[25], 0.25)
    assert all(sub.contains(c) for c in trace.configs[26:30])


def test_a_box_narrower_than_float_resolution_is_widened():
    centre = {"x": 0.5, "y": 0.3}
    sub = Bowl().space.shrink(centre, 1e-30)
    assert sub.contains(centre) and sub["x"].low < sub["x"].high
    trace = run("coarse-to-fine[stages=80]", Bowl(), 0, 100)
    assert len(trace) == 100


def test_zooming_beats_random_search_on_a_smooth_bowl():
    mine = median_final_best("coarse-to-fine", Bowl(), 60, 10)
    baseline = median_final_best("random", Bowl(), 60, 10)
    barely_zooming = median_final_best("coarse-to-fine[zoom=0.99]", Bowl(), 60, 10)
    assert mine < baseline / 5, (mine, baseline)
    assert mine < barely_zooming / 5, (mine, barely_zooming)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"first": 0}, r"first must be a number in \(0, 1\), got 0"),
        ({"first": 1.0}, r"first must be a number in \(0, 1\), got 1.0"),
        ({"first": "half"}, r"first must be a number in \(0, 1\), got 'half'"),
        ({"zoom": 0.0}, r"zoom must be a number in \(0, 1\), got 0.0"),
        ({"zoom": 1}, r"zoom must be a number in \(0, 1\), got 1"),
        ({"zoom": -0.5}, r"zoom must be a number in \(0, 1\)"),
        ({"stages": 0}, r"stages must be an integer >= 1, got 0"),
        ({"stages": 2.5}, r"stages must be an integer >= 1, got 2.5"),
        ({"top": 0}, r"top must be an integer >= 1, got 0"),
        ({"top": True}, r"top must be an integer >= 1, got True"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(options, message):
    with pytest.raises(ValueError, match=f"coarse-to-fine: {message}"):
        CoarseToFine(Bowl().space, seed=0, budget=Budget(10), **options)
