"""The one loop under faulty strategies and objectives: aliased or numpy-typed
configurations, values and costs that are not numbers, and ``sys.exit``.

Every fault either ends one run with a ``StrategyError`` naming what was wrong
(a strategy's fault) or becomes a failed trial with its reason (an objective's
fault); none gives a silently wrong trace, a run that never ends, or a trace
that cannot be written.
"""

import contextlib
import json
import math
import sys
import time

import numpy as np
import pytest

from bench import (
    Budget,
    Categorical,
    Evaluation,
    Exhausted,
    Fidelity,
    Float,
    Int,
    Objective,
    Space,
    Strategy,
    run,
)
from bench.deadline import TrialTimeout
from bench.loop import StrategyError

SPACE = Space({"x": Float(0.0, 1.0), "n": Int(1, 5), "c": Categorical(("a", "b"))})
ASKED = [
    {"x": 0.1, "n": 1, "c": "a"},
    {"x": 0.5, "n": 3, "c": "b"},
    {"x": 0.9, "n": 5, "c": "a"},
]
EPOCHS = Fidelity("epochs", 1, 27, 3)


class Probe(Objective):
    """The sum of the numeric parameters; ``reply(call, config)``, where given,
    returns the evaluation instead (or raises). Keeps a copy of each config seen."""

    name = "probe"

    def __init__(self, space=SPACE, reply=None, fidelity=None, mutate=False):
        self.space, self.reply, self.fidelity, self.mutate = space, reply, fidelity, mutate
        self.seen = []

    def evaluate(self, config, fidelity=None, *, seed):
        self.seen.append(dict(config))
        call = len(self.seen) - 1
        if self.mutate:
            config["x"], config["n"], config["extra"] = 0.0, 99, "added"
            del config["c"]
        if self.reply is not None:
            return self.reply(call, config)
        value = sum(v for v in self.seen[-1].values() if not isinstance(v, str))
        return Evaluation(float(value), cost=self.cost(fidelity))


def scripted(configs, *, reuse=False, levels=None, name="scripted"):
    """A strategy class proposing ``configs`` in order, then exhausted. With
    ``reuse`` it hands out one dict, overwritten in place at every ask."""

    class Scripted(Strategy):
        def __init__(self, space, *, seed, budget, fidelity=None):
            super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
            self.shared = {}
            self.told = []
            Scripted.last = self

        def ask(self):
            if self.suggested >= len(configs):
                raise Exhausted
            config = configs[self.suggested]
            if reuse and isinstance(config, dict):
                self.shared.clear()
                self.shared.update(config)
                config = self.shared
            elif isinstance(config, dict):
                config = dict(config)
            level = levels[self.suggested] if levels else None
            return self.suggest(config, level)

        def tell(self, suggestion, value):
            self.told.append((dict(suggestion.config), value))

    Scripted.name = name
    return Scripted


def assert_frame_matches(trace, expected):
    frame = trace.to_frame()
    assert [json.loads(text) for text in frame["config"]] == expected
    for name in trace.space.names:
        assert frame[f"param_{name}"].tolist() == [config[name] for config in expected]


def repeat(config, times):
    return [dict(config) for _ in range(times)]


# Aliasing


def test_a_strategy_that_reuses_one_dict_has_each_trial_recorded_as_asked():
    trace = run(scripted(ASKED, reuse=True), Probe(), 0, 3)
    assert trace.configs == ASKED
    assert_frame_matches(trace, ASKED)


def test_an_objective_that_mutates_its_config_changes_neither_record_nor_suggestion():
    strategy = scripted(ASKED)
    objective = Probe(mutate=True)
    trace = run(strategy, objective, 0, 3)
    assert trace.status == ["ok"] * 3
    assert trace.configs == ASKED
    assert_frame_matches(trace, ASKED)
    assert [config for config, _ in strategy.last.told] == ASKED


def test_the_recorded_configs_are_not_the_objects_handed_to_strategy_or_objective():
    strategy = scripted(ASKED, reuse=True)
    trace = run(strategy, Probe(), 0, 3)
    assert len({id(config) for config in trace.configs}) == 3
    assert all(config is not strategy.last.shared for config in trace.configs)


# numpy scalars and invalid values


@pytest.mark.parametrize(
    ("dim", "value", "expected"),
    [
        (Int(1, 5), np.int64(3), 3),
        (Int(1, 5), np.uint8(5), 5),
        (Int(1, 5), np.int32(1), 1),
        (Float(0.0, 1.0), np.float64(0.25), 0.25),
        (Float(0.0, 1.0), np.float32(0.5), 0.5),
        (Float(0.0, 1.0), np.int64(1), 1.0),
        (Float(0.0, 1.0), 0, 0.0),
        (Categorical(("a", "b")), np.str_("b"), "b"),
        (Categorical((True, False)), np.bool_(True), True),
        (Categorical((1, 2, 4)), np.int64(4), 4),
        (Categorical((0.25, 0.5)), np.float64(0.5), 0.5),
    ],
    ids=repr,
)
def test_numpy_scalars_are_recorded_as_the_python_values_they_hold(dim, value, expected):
    objective = Probe(Space({"p": dim}), reply=lambda call, config: Evaluation(1.0))
    trace = run(scripted([{"p": value}] * 2), objective, 0, 2)
    assert trace.status == ["ok", "ok"]
    for config in [*trace.configs, *objective.seen]:
        assert config == {"p": expected} and type(config["p"]) is type(expected)
    assert_frame_matches(trace, [{"p": expected}] * 2)


def test_every_config_of_a_numpy_typed_run_survives_a_json_round_trip():
    numpy_typed = [
        {"x": np.float64(c["x"]), "n": np.int64(c["n"]), "c": np.str_(c["c"])} for c in ASKED
    ]
    trace = run(scripted(numpy_typed), Probe(), 0, 3)
    assert trace.configs == ASKED
    for text, config in zip(trace.to_frame()["config"], trace.configs):
        assert json.loads(text) == config
        assert json.loads(json.dumps(config)) == config


@pytest.mark.parametrize(
    ("name", "value", "type_name", "expected"),
    [
        ("n", 2.5, "float", "an integer in [1, 5]"),
        ("n", np.float64(3.0), "float64", "an integer in [1, 5]"),
        ("n", True, "bool", "an integer in [1, 5]"),
        ("n", [3], "list", "an integer in [1, 5]"),
        ("n", 7, "int", "an integer in [1, 5]"),
        ("x", "0.5", "str", "a real number in [0.0, 1.0]"),
        ("x", None, "NoneType", "a real number in [0.0, 1.0]"),
        ("x", math.nan, "float", "a real number in [0.0, 1.0]"),
        ("x", 1.5, "float", "a real number in [0.0, 1.0]"),
        ("c", "z", "str", "one of 'a', 'b'"),
        ("c", np.array(["a"]), "ndarray", "one of 'a', 'b'"),
    ],
    ids=repr,
)
def test_an_invalid_value_is_refused_naming_strategy_trial_parameter_value_type_and_range(
    name, value, type_name, expected
):
    bad = {**ASKED[1], name: value}
    with pytest.raises(StrategyError) as info:
        run(scripted([ASKED[0], bad], name="sloppy"), Probe(), 0, 3)
    message = str(info.value)
    for part in ("'sloppy'", "trial 1", f"{name!r}={value!r}", f"got {type_name}", expected):
        assert part in message, (part, message)


def test_a_refused_suggestion_ends_only_its_run_and_leaves_a_writable_trace():
    numpy_typed = [{"x": np.float64(0.5), "n": np.int64(2), "c": "a"}] * 2
    trace = run(
        scripted([*numpy_typed, {"x": 0.5, "n": [2], "c": "a"}]), Probe(), 0, 5, on_error="record"
    )
    assert len(trace) == 2 and trace.status == ["ok", "ok"]
    assert "StrategyError" in trace.error and "'n'=[2]" in trace.error
    assert_frame_matches(trace, [{"x": 0.5, "n": 2, "c": "a"}] * 2)


@pytest.mark.parametrize("config", [None, [0.5, 2, "a"], "x=0.5"], ids=repr)
def test_a_configuration_that_is_not_a_mapping_is_refused(config):
    with pytest.raises(StrategyError, match=r"trial 0: .*mapping.*got"):
        run(scripted([config]), Probe(), 0, 3)


def test_a_fidelity_that_is_not_a_number_is_refused():
    strategy = scripted(ASKED, levels=("9", "9", "9"))
    with pytest.raises(StrategyError, match=r"fidelity '9'.*trial 0"):
        run(strategy, Probe(fidelity=EPOCHS), 0, 3)


# Values that are not numbers


def returning(bad, *, at=1, cost=1.0):
    """A reply giving ``Evaluation(bad, cost)`` at call ``at``, a valid one elsewhere."""

    def reply(call, config):
        return Evaluation(bad, cost=cost) if call == at else Evaluation(0.5)

    return reply


@pytest.mark.parametrize(
    "value", ["-5", None, [1.0], True, np.bool_(False), 1 + 0j, np.array([0.5])], ids=repr
)
def test_a_value_that_is_not_a_real_number_is_a_failed_trial(value):
    strategy = scripted(ASKED)
    trace = run(strategy, Probe(reply=returning(value)), 0, 3)
    assert trace.status == ["ok", "failed", "ok"]
    assert trace.errors == {
        1: f"objective returned value {value!r} of type {type(value).__name__}; "
        "expected a real number"
    }
    assert math.isnan(trace.value[1]) and trace.cum_cost == [1.0, 2.0, 3.0]
    assert [value for _, value in strategy.last.told] == [0.5, None, 0.5]


@pytest.mark.parametrize(
    "value", [3, 0.25, np.float32(0.5), np.int64(2), np.float64(0.125)], ids=repr
)
def test_real_numbers_of_every_numeric_type_are_accepted(value):
    trace = run(scripted(ASKED), Probe(reply=returning(value)), 0, 3)
    assert trace.status == ["ok"] * 3 and trace.errors == {}
    assert trace.value[1] == float(value) and type(trace.value[1]) is float


# Costs


@pytest.mark.parametrize(
    "cost", [0, 0.0, -1.0, math.nan, math.inf, -math.inf, "1", True, [1.0]], ids=repr
)
def test_an_invalid_stated_cost_fails_the_trial_and_charges_the_planned_cost(cost):
    reply = lambda call, config: Evaluation(0.5, cost=cost)  # noqa: E731
    trace = run(scripted(repeat(ASKED[0], 20)), Probe(reply=reply), 0, 3)
    assert trace.status == ["failed"] * 3
    assert trace.cost == [1.0] * 3 and trace.cum_cost == [1.0, 2.0, 3.0]
    assert all(math.isnan(value) for value in trace.value)
    for reason in trace.errors.values():
        assert f"cost {cost!r} of type {type(cost).__name__}" in reason
        assert "charged the planned cost 1" in reason
    assert sorted(trace.errors) == [0, 1, 2]


def test_an_invalid_cost_at_a_low_fidelity_charges_its_planned_fraction():
    reply = lambda call, config: Evaluation(0.5, cost=0.0)  # noqa: E731
    strategy = scripted(repeat(ASKED[0], 20), levels=[9] * 20)
    trace = run(strategy, Probe(reply=reply, fidelity=EPOCHS), 0, Budget(2))
    assert len(trace) == 6 and set(trace.status) == {"failed"}
    assert trace.cost == [1 / 3] * 6
    assert trace.cum_cost[-1] == pytest.approx(2.0)


def test_a_value_and_a_cost_both_invalid_give_both_reasons():
    trace = run(scripted(ASKED), Probe(reply=returning("x", cost=0)), 0, 3)
    assert trace.status == ["ok", "failed", "ok"] and trace.cost == [1.0, 1.0, 1.0]
    assert "value 'x'" in trace.errors[1] and "cost 0" in trace.errors[1]


def test_a_cost_left_out_is_charged_the_planned_cost():
    reply = lambda call, config: Evaluation(0.5, cost=None)  # noqa: E731
    strategy = scripted(ASKED, levels=[9, 27, 3])
    trace = run(strategy, Probe(reply=reply, fidelity=EPOCHS), 0, 3)
    assert trace.status == ["ok"] * 3 and trace.errors == {}
    assert trace.cost == [1 / 3, 1.0, 1 / 9]


# sys.exit, KeyboardInterrupt and timeouts raised by the objective


def exits(code):
    def reply(call, config):
        if call == 1:
            sys.exit(code) if code is not None else sys.exit()
        return Evaluation(0.5)

    return reply


@pytest.mark.parametrize(
    ("code", "reason"),
    [(3, "sys.exit(3)"), ("bye", "sys.exit('bye')"), (None, "sys.exit()")],
    ids=repr,
)
def test_an_objective_that_calls_sys_exit_is_a_failed_trial(code, reason):
    strategy = scripted(ASKED)
    trace = run(strategy, Probe(reply=exits(code)), 0, 3)
    assert trace.status == ["ok", "failed", "ok"]
    assert trace.errors == {1: f"objective called {reason}"}
    assert trace.cum_cost == [1.0, 2.0, 3.0]
    assert [value for _, value in strategy.last.told] == [0.5, None, 0.5]


def test_a_keyboard_interrupt_in_an_objective_still_stops_everything():
    def reply(call, config):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(scripted(ASKED), Probe(reply=reply), 0, 3, on_error="record")


def test_a_trial_timeout_raised_in_an_objective_is_still_a_timeout():
    def reply(call, config):
        if call == 1:
            raise TrialTimeout("too slow")
        return Evaluation(0.5)

    trace = run(scripted(ASKED), Probe(reply=reply), 0, 3, timeout=30)
    assert trace.status == ["ok", "timeout", "ok"]
    assert trace.cost == [1.0, 1.0, 1.0]


def test_an_evaluation_over_the_limit_is_a_timeout_even_if_it_swallowed_the_deadline():
    def reply(call, config):
        if call == 1:
            with contextlib.suppress(TrialTimeout):  # an objective that swallows the deadline
                time.sleep(0.5)
            time.sleep(0.2)
        return Evaluation(0.5)

    trace = run(scripted(ASKED), Probe(reply=reply), 0, 3, timeout=0.1)
    assert trace.status == ["ok", "timeout", "ok"]
    assert "over the limit of 0.1 s" in trace.errors[1]
