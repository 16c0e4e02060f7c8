"""Claims the report and the lessons make: each checked against a hand computation.

Initial designs (the report flags runs that never left theirs), Holm's correction
across the cases of one lesson, and lesson 2's one-dimension-at-a-time scales.
"""

import json
import math

import numpy as np
import pytest

from bench import get_objective, get_strategy, run
from bench.budget import Budget
from bench.report import write_report
from bench.report.designs import design_sentences, never_left
from bench.report.stored import load
from bench.report.verdict import Verdict, holm_cases
from bench.runner import run_suite
from bench.variant import parse_variant

# --- initial designs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("tpe", 10),  # optuna's n_startup_trials
        ("tpe[n_startup_trials=4]", 4),
        ("gp", 10),
        ("nsga2[population_size=8]", 8),
        ("cmaes", 1 + 4 + math.floor(3 * math.log(6))),  # 1 start-up + popsize(d=6) = 10
        ("tpe-hyperopt", 20),  # hyperopt's n_startup_jobs
        ("rf-skopt", 10),  # n_initial_points
        ("genetic[population=6]", 6),
        ("coarse-to-fine", 9),  # ceil(0.3 * 30) coarse trials
        ("random", None),
        ("grid", None),
        ("qmc", None),
    ],
)
def test_each_searcher_states_its_initial_design(strategy, expected):
    trace = run(strategy, "hartmann6", seed=0, budget=30)
    assert trace.meta["initial_design"] == expected


def test_failed_trials_do_not_end_optunas_start_up():
    """optuna's TPE counts completed trials only: a failure extends the start-up."""
    from bench import Evaluation, Float, Objective, Space

    class FailsTwice(Objective):
        name = "fails-twice"
        space = Space({"x": Float(0.0, 1.0)})
        optimum = None

        def evaluate(self, config, fidelity=None, *, seed):
            if config["x"] < 2 and self.calls < 2:
                self.calls += 1
                raise RuntimeError("fails")
            return Evaluation(float(config["x"]))

    objective = FailsTwice()
    objective.calls = 0
    trace = run("tpe[n_startup_trials=3]", objective, seed=0, budget=8)
    assert trace.meta["initial_design"] == 5


def test_a_failure_told_to_skopt_counts_once_towards_its_initial_points():
    """skopt is told a failure as the worst value so far (one point, like a success):
    with 4 initial points, a success, a failure and two successes end the start-up
    after the 4th ask; a failure before any success is not told and extends it."""
    from bench import Evaluation, Float, Objective, Space

    class FailsAt(Objective):
        name = "fails-at"
        space = Space({"x": Float(0.0, 1.0)})
        optimum = None

        def __init__(self, failing):
            self.failing, self.calls = failing, 0

        def evaluate(self, config, fidelity=None, *, seed):
            self.calls += 1
            if self.calls in self.failing:
                raise RuntimeError("fails")
            return Evaluation(float(config["x"]))

    told = run("rf-skopt[n_initial_points=4]", FailsAt({2}), seed=0, budget=8)
    assert told.meta["initial_design"] == 4
    untold = run("rf-skopt[n_initial_points=4]", FailsAt({1}), seed=0, budget=8)
    assert untold.meta["initial_design"] == 5


def test_the_report_flags_runs_that_never_left_their_initial_design(tmp_path):
    suite = tmp_path / "design.toml"
    suite.write_text(
        'strategies = ["nsga2", "tpe[n_startup_trials=4]", "random"]\n'
        'objectives = ["branin"]\nseeds = 2\nbudget = 12\n'
    )
    run_suite(suite, tmp_path / "r", in_process=True, progress=False)
    stored = load(tmp_path / "r" / "design")
    flagged = never_left(stored.runs, stored.designs)
    assert flagged.to_dict(orient="records") == [
        {
            "objective": "branin",
            "strategy": "nsga2",
            "flagged": 2,
            "runs": 2,
            "initial_design": 50,
            "trials": 12,
        }
    ]
    [sentence] = design_sentences(flagged)
    assert sentence.startswith("nsga2 never left its initial design in branin: 2 of 2 runs")
    write_report(tmp_path / "r" / "design", stored)
    report = (tmp_path / "r" / "design" / "report" / "report.md").read_text()
    assert "nsga2 never left its initial design" in report
    assert "tpe[n_startup_trials=4] never left" not in report


def test_never_left_counts_a_run_equal_to_its_design():
    import pandas as pd

    runs = pd.DataFrame(
        {"objective": ["f"] * 5, "strategy": ["s"] * 5, "seed": [0, 0, 0, 1, 1], "trial": 0}
    )
    flagged = never_left(runs, {("f", "s", 0): 3, ("f", "s", 1): 1})
    assert flagged[["flagged", "runs", "initial_design", "trials"]].values.tolist() == [
        [1, 2, 3, 3]
    ]


# --- Holm across the cases of a lesson ----------------------------------------------


def _verdict(p, low=0.1, high=0.5):
    return Verdict("c", 0.3, low, high, p, 10, "u", "supported" if p < 0.05 else "inconclusive")


def test_holm_cases_adjusts_by_hand():
    """p = 0.01, 0.04, 0.03 over 3 cases: sorted 0.01, 0.03, 0.04 -> x3, x2, x1 =
    0.03, 0.06, 0.04 -> running max 0.03, 0.06, 0.06."""
    cases = holm_cases([("a", _verdict(0.01)), ("b", _verdict(0.04)), ("c", _verdict(0.03))])
    assert [round(v.p_value, 12) for _, v in cases] == [0.03, 0.06, 0.06]
    assert [v.holds for _, v in cases] == ["supported", "inconclusive", "inconclusive"]
    assert [v.p_raw for _, v in cases] == [0.01, 0.04, 0.03]
    assert all(v.family == 3 for _, v in cases)
    assert "Holm-adjusted over 3 cases; unadjusted 0.04" in cases[1][1].sentence()


def test_holm_cases_keeps_contradictions_and_share_verdicts():
    contradicted = Verdict("c", -0.3, -0.5, -0.1, 0.001, 10, "u", "contradicted")
    share = Verdict("c", 1.0, 1.0, 1.0, np.nan, 10, "share", "supported")
    cases = holm_cases([("a", contradicted), ("b", share)])
    assert cases[0][1].holds == "contradicted" and cases[0][1].p_value == 0.001
    assert cases[1][1] == share


# --- lesson 2: one dimension's scale at a time --------------------------------------


def _configs(strategy, objective="mlp-sgd", n=40):
    """The first ``n`` configurations ``strategy`` asks on ``objective`` (no training)."""
    obj = get_objective(objective)
    variant = parse_variant(strategy)
    searcher = get_strategy(variant.name)(
        obj.space, seed=3, budget=Budget(n), **dict(variant.options)
    )
    return [searcher.ask().config for _ in range(n)]


def test_linear_learning_rate_changes_only_the_learning_rate():
    plain = _configs("random")
    linear = _configs("random[dims=learning_rate_init,scale=linear]")
    for a, b in zip(plain, linear):
        assert {k: v for k, v in a.items() if k != "learning_rate_init"} == {
            k: v for k, v in b.items() if k != "learning_rate_init"
        }
    # 1e-4..1: uniform puts ~90% of the points above 0.1, a log scale ~25%
    above = np.mean([c["learning_rate_init"] > 0.1 for c in linear])
    assert above > 0.75 and np.mean([c["learning_rate_init"] > 0.1 for c in plain]) < 0.45


def test_linear_log1m_changes_every_log1m_dimension_and_nothing_else():
    plain = _configs("random", "mlp-adam")
    linear = _configs("random[dims=log1m,scale=linear]", "mlp-adam")
    changed = {k for a, b in zip(plain, linear) for k in a if a[k] != b[k]}
    assert changed == {"beta_1", "beta_2"}


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ("random[dims=learnin_rate,scale=linear]", "did you mean 'learning_rate_init'"),
        ("random[dims=learning_rate_init]", "give scale too"),
        ("random[dims=log1m,scale=linear]", "selects no dimension"),
    ],
)
def test_a_wrong_dims_option_is_refused(variant, message):
    with pytest.raises(ValueError, match=message):
        run(variant, "mlp-sgd" if "log1m" not in variant else "branin", seed=0, budget=1)


def test_lesson_claims_are_plain_json(tmp_path):
    from bench.report.lessons import Lesson
    from bench.report.lessons_report import lesson_claims

    lesson = Lesson(9, "t", "c", verdicts=holm_cases([("a", _verdict(0.01))]))
    text = json.dumps(lesson_claims([lesson]))
    assert json.loads(text)[0]["cases"][0] == {
        "case": "a",
        "holds": "supported",
        "effect": 0.3,
        "ci_low": 0.1,
        "ci_high": 0.5,
        "p": 0.01,
        "p_raw": 0.01,
        "pairs": 10,
        "unit": "u",
    }
