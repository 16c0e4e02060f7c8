"""Tests that bite (issue 13): each fails under a small wrong change that a
mutation review made and the other tests let through, and each checks the code
against an independent reference (hand-computed counts, the library's own
state, the distribution a scale means), never against the code's own mapping.

``scripts/mutate.py`` measures how many such changes the tests catch.
"""

from __future__ import annotations

import inspect
import math
import time
from typing import ClassVar

import numpy as np
import optuna
import pandas as pd
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK

from bench import Budget, Categorical, Evaluation, Float, Int, Objective, Space, Strategy, run
from bench.registry import default_registry
from bench.report import stats
from bench.report.lessons import coarse_to_fine, random_vs_grid
from bench.report.stored import Stored
from bench.report.verdict import paired_verdict
from bench.strategy import Exhausted
from bench.testing import FidelityObjective, MixedObjective
from bench.variant import Variant
from strategies._optuna_space import distributions, to_config, to_params
from strategies.genetic import Genetic
from strategies.hyperopt_tpe import HyperoptTPE
from strategies.optuna_samplers import GP, NSGA2, QMC, TPE, CmaEs, _check_restart_strategy
from strategies.skopt_bo import GPSkopt, RFSkopt

STRATEGIES = sorted(default_registry().strategies)


# -- a lesson's winner and loser ------------------------------------------------


class Level(Objective):
    """The value is the configuration's ``v``: a strategy proposing ``v`` scores ``v``."""

    name = "bite-level"
    optimum = 0.0

    def __init__(self) -> None:
        self.space = Space({"v": Float(1e-9, 10.0, "log")})

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(config["v"])


def _constant(name: str, scale: float) -> type[Strategy]:
    """A strategy named ``name`` that proposes ``scale * (1 + seed / 10)`` every trial."""

    class Constant(Strategy):
        def ask(self):
            return self.suggest({"v": scale * (1 + self.seed / 10)})

        def tell(self, suggestion, value):
            pass

    Constant.name = name
    return Constant


def _stored(regrets: dict[str, float], seeds: int = 8) -> Stored:
    """Real runs of constant strategies: strategy ``name`` reaches regret ~ ``regrets[name]``."""
    frames = [
        run(_constant(name, scale), Level(), seed, 2, suite="bite").to_frame()
        for name, scale in regrets.items()
        for seed in range(seeds)
    ]
    return Stored(
        runs=pd.concat(frames, ignore_index=True), optima={"bite-level": 0.0}, manifest={}
    )


def test_random_vs_grid_names_random_the_winner_when_random_wins():
    lesson = random_vs_grid({2: _stored({"random": 1e-4, "grid": 1e-2})})
    [(label, verdict)] = lesson.verdicts
    assert label.startswith("bite-level, 2 trials")
    assert verdict.holds == "supported"
    assert verdict.effect == pytest.approx(2.0)  # two decades of regret, random lower
    random_rows = lesson.data[lesson.data["strategy"] == "random"]["regret"]
    assert np.allclose(sorted(random_rows), sorted(1e-4 * (1 + np.arange(8) / 10)))


def test_random_vs_grid_is_contradicted_when_grid_wins():
    lesson = random_vs_grid({2: _stored({"random": 1e-2, "grid": 1e-4})})
    [(_, verdict)] = lesson.verdicts
    assert verdict.holds == "contradicted" and verdict.effect == pytest.approx(-2.0)


def test_coarse_to_fine_lesson_compares_it_against_random_in_the_right_order():
    lesson = coarse_to_fine(_stored({"random": 1e-1, "coarse-to-fine": 1e-4}))
    [(label, verdict)] = lesson.verdicts
    assert label == "bite-level, coarse-to-fine"
    assert verdict.holds == "supported" and verdict.effect == pytest.approx(3.0)
    assert lesson.data["zoom"].tolist() == [0.5]


def test_paired_verdict_effect_is_loser_minus_winner_by_hand():
    winner = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    loser = winner + np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.5])
    verdict = paired_verdict("w beats l", winner, loser, unit="u")
    assert verdict.effect == pytest.approx(4.5)  # median of 1..7, 8.5
    assert verdict.pairs == 8 and verdict.p_value == pytest.approx(2 / 256)
    assert verdict.holds == "supported" and 0 < verdict.ci_low <= 4.5 <= verdict.ci_high
    swapped = paired_verdict("w beats l", loser, winner, unit="u")
    assert swapped.holds == "contradicted" and swapped.effect == pytest.approx(-4.5)
    assert swapped.ci_high < 0
    logged = paired_verdict("w", [1e-3] * 3 + [1e-2] * 3, [1e-1] * 6, unit="dec", log=True)
    assert logged.effect == pytest.approx(1.5)  # median of 2, 2, 2, 1, 1, 1 decades


def test_a_verdict_needs_both_the_interval_and_the_p_value():
    # 5 pairs: the smallest exact p-value is 2/32 > 0.05, however clear the effect
    verdict = paired_verdict("w", [1.0] * 5, [2.0, 2.1, 2.2, 2.3, 2.4], unit="u")
    assert verdict.ci_low > 0 and verdict.p_value == pytest.approx(0.0625)
    assert verdict.holds == "inconclusive"
    assert paired_verdict("w", [2.0] * 5, [1.0, 1.1, 1.2, 1.3, 1.4], unit="u").holds == (
        "inconclusive"
    )
    six = paired_verdict("w", [1.0] * 6, [2.0, 2.1, 2.2, 2.3, 2.4, 2.5], unit="u")
    assert six.p_value == pytest.approx(2 / 64) and six.holds == "supported"
    tie = paired_verdict("w", [1.0] * 6, [1.0] * 6, unit="u")
    assert tie.holds == "inconclusive" and tie.p_value == 1.0 and tie.pairs == 6
    assert tie.ci_low == tie.ci_high == 0.0
    single = paired_verdict("w", [1.0], [3.0], unit="u")
    assert single.pairs == 1 and single.ci_low == single.ci_high == 2.0


def test_verdict_sentences_name_the_outcome():
    win = paired_verdict("a beats b", [1.0] * 6, [2.0, 2.1, 2.2, 2.3, 2.4, 2.5], unit="u")
    assert win.sentence().startswith("Supported: a beats b (median effect +1.25 u")
    loss = paired_verdict("a beats b", [2.0, 2.1, 2.2, 2.3, 2.4, 2.5], [1.0] * 6, unit="u")
    assert loss.sentence().startswith("Contradicted: the data say the opposite")
    five = paired_verdict("a beats b", [1.0] * 5, [2.0, 2.1, 2.2, 2.3, 2.4], unit="u")
    assert "excludes 0 but the signed-rank test" in five.sentence()
    assert paired_verdict("x", [], [], unit="u").sentence().startswith("No data")


# -- the report's statistics ----------------------------------------------------


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04, 0.5 -> 4*0.01, 3*0.02, 2*0.04, 1*0.5, made monotone
    adjusted = stats.holm([0.04, 0.01, np.nan, 0.5, 0.02])
    np.testing.assert_allclose(adjusted, [0.08, 0.04, np.nan, 0.5, 0.06])
    np.testing.assert_allclose(stats.holm([0.03, 0.02]), [0.04, 0.04])  # monotone step
    np.testing.assert_allclose(stats.holm([0.9, 0.8]), [1.0, 1.0])  # capped at 1
    assert np.isnan(stats.holm([np.nan])).all()


def test_paired_wilcoxon_direction_and_median():
    lower = stats.paired_wilcoxon([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2.0, 4.0, 6.0, 8.0, 10, 12])
    assert lower.direction == -1 and lower.pairs == 6 and lower.median_difference == -3.5
    assert lower.p_value == pytest.approx(2 / 64)
    higher = stats.paired_wilcoxon([3.0, 3.0, 3.0], [1.0, 2.0, np.nan])
    assert higher.direction == 1 and higher.pairs == 2 and higher.median_difference == 1.5
    same = stats.paired_wilcoxon([1.0, 2.0], [1.0, 2.0])
    assert same == stats.Paired(2, 1.0, 0, 0.0)
    empty = stats.paired_wilcoxon([np.nan], [1.0])
    assert empty.pairs == 0 and empty.direction == 0 and np.isnan(empty.p_value)


def test_verdict_thresholds_and_smallest_p():
    assert stats.smallest_p(5) == 2 / 32 and stats.smallest_p(6) == 2 / 64
    assert stats.smallest_p(0) == 1.0
    assert stats.verdict(0.01, -1) == "better" and stats.verdict(0.01, 1) == "worse"
    assert stats.verdict(0.05, -1) == "no difference"  # strict: p must be below alpha
    assert stats.verdict(0.049, 0) == "no difference"
    assert stats.verdict(np.nan, -1) == "too few seeds"
    assert stats.verdict(0.2, -1, alpha=0.3) == "better"


# -- failed trials reach each library as its wrapper's rule says ----------------

SPACE = MixedObjective().space
OPTUNA = [TPE, GP, CmaEs, NSGA2, QMC]


@pytest.mark.parametrize("cls", OPTUNA, ids=lambda c: c.name)
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_optuna_wrappers_tell_a_failure_as_fail_and_a_value_as_is(cls):
    strategy = cls(SPACE, seed=0, budget=Budget(5))
    for value in (None, 3.0, 1.5):
        strategy.tell(strategy.ask(), value)
    trials = strategy.study.trials
    assert [t.state for t in trials] == [
        optuna.trial.TrialState.FAIL,
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.COMPLETE,
    ]
    assert [t.value for t in trials] == [None, 3.0, 1.5]
    assert strategy.study.direction == optuna.study.StudyDirection.MINIMIZE
    assert strategy.study.best_value == 1.5


def test_hyperopt_tells_a_failure_as_status_fail_and_a_value_as_its_loss():
    strategy = HyperoptTPE(SPACE, seed=0, budget=Budget(5))
    for value in (None, 3.0, 1.5):
        strategy.tell(strategy.ask(), value)
    results = [t["result"] for t in strategy.trials.trials]
    assert results == [
        {"status": STATUS_FAIL},
        {"loss": 3.0, "status": STATUS_OK},
        {"loss": 1.5, "status": STATUS_OK},
    ]
    assert strategy.trials.losses() == [None, 3.0, 1.5]
    assert [t["state"] for t in strategy.trials.trials] == [2, 2, 2]  # JOB_STATE_DONE
    assert strategy.trials.best_trial["result"]["loss"] == 1.5


@pytest.mark.parametrize("cls", [GPSkopt, RFSkopt], ids=lambda c: c.name)
def test_skopt_tells_a_failure_as_the_worst_value_so_far(cls):
    strategy = cls(SPACE, seed=0, budget=Budget(10), n_initial_points=10)
    told = []
    for value in (None, 3.0, 5.0, 2.0, None, -1.0, None):
        strategy.tell(strategy.ask(), value)
        told.append(list(strategy.optimizer.yi))
    # nothing before the first success; then the worst (largest) value so far
    assert told[0] == []
    assert told[-1] == [3.0, 5.0, 2.0, 5.0, -1.0, 5.0]
    assert len(strategy.optimizer.Xi) == 6


def test_genetic_gives_a_failure_infinite_fitness():
    strategy = Genetic(SPACE, seed=0, budget=Budget(10), population=4)
    for value in (None, 3.0, math.nan):
        strategy.tell(strategy.ask(), value)
    assert strategy.fitness[:3].tolist() == [math.inf, 3.0, math.inf]
    strategy.tell(strategy.ask(), 1.0)  # the generation is complete: it breeds
    assert strategy.generation == 1
    # elites are the best of the finite ones, in order: 1.0 then 3.0
    assert strategy.fitness[:2].tolist() == [1.0, 3.0]


# -- each wrapper's space mapping, against the distribution each scale means ----

MAPPED = Space(
    {
        "i": Int(1, 5),
        "j": Int(1, 64, "log"),
        "lr": Float(1e-5, 1.0, "log"),
        "beta": Float(0.9, 0.9999, "log1m"),
        "c": Categorical(("a", "b", "c")),
    }
)
DRAWS = 600


def _int_log_share(low: int, high: int, k_low: int, k_high: int) -> float:
    """P(k_low <= j <= k_high) for an integer log-uniform on [low - 0.5, high + 0.5]."""
    return math.log((k_high + 0.5) / (k_low - 0.5)) / math.log((high + 0.5) / (low - 0.5))


def _random_phase(name: str) -> Strategy:
    """The wrapper built so that every suggestion comes from its random start-up
    design, which samples each dimension on its own scale."""
    if name == "optuna":
        return TPE(MAPPED, seed=0, budget=Budget(DRAWS), n_startup_trials=100_000)
    if name == "hyperopt":
        return HyperoptTPE(MAPPED, seed=0, budget=Budget(DRAWS), n_startup_jobs=100_000)
    return GPSkopt(MAPPED, seed=0, budget=Budget(DRAWS), n_initial_points=100_000)


def _sampled(library: str) -> pd.DataFrame:
    strategy = _random_phase(library)
    configs = []
    for _ in range(DRAWS):
        suggestion = strategy.ask()
        MAPPED.validate(suggestion.config)
        configs.append(suggestion.config)
        strategy.tell(suggestion, 1.0)
    return pd.DataFrame(configs)


TOL = 0.06  # about four standard deviations of a share from 600 draws


def _check_integer_shares(frame: pd.DataFrame) -> None:
    # Int(1, 5): each integer a fifth of the time (as bench.space.Int: [0.5, 5.5] rounded)
    shares = frame["i"].value_counts(normalize=True).sort_index()
    assert np.allclose(shares, 0.2, atol=TOL), shares.to_dict()
    # Int(1, 64, log): log-uniform over [0.5, 64.5], rounded
    j = frame["j"]
    assert (j == 1).mean() == pytest.approx(_int_log_share(1, 64, 1, 1), abs=TOL)
    assert (j <= 8).mean() == pytest.approx(_int_log_share(1, 64, 1, 8), abs=TOL)
    assert (j >= 33).mean() == pytest.approx(_int_log_share(1, 64, 33, 64), abs=TOL)


@pytest.mark.parametrize("library", ["optuna", "hyperopt", "skopt"])
def test_wrapper_spaces_sample_what_each_scale_means(library):
    frame = _sampled(library)
    # both integer bounds reached, nothing outside
    assert sorted(set(frame["i"])) == [1, 2, 3, 4, 5]
    assert frame["j"].min() == 1 and frame["j"].max() <= 64 and frame["j"].max() > 32
    # the linear integer is symmetric; the log one has most draws small (about half
    # at most 8, whatever the library does at the bounds; a linear scale gives 1/8)
    ends = frame["i"].value_counts(normalize=True)
    assert abs(ends[1] - ends[5]) < 0.08
    assert 0.4 < (frame["j"] <= 8).mean() < 0.7
    # Float(1e-5, 1, log): a fifth of the draws in each decade
    decades = np.floor(np.log10(frame["lr"])).clip(-5, -1)
    assert np.allclose(decades.value_counts(normalize=True).sort_index(), 0.2, atol=TOL)
    # Float(0.9, 0.9999, log1m): 1 - beta log-uniform over [1e-4, 0.1], a third per decade
    gap = np.floor(np.log10(1 - frame["beta"])).clip(-4, -2)
    assert np.allclose(gap.value_counts(normalize=True).sort_index(), 1 / 3, atol=TOL)
    # Categorical: every choice, a third each
    assert set(frame["c"]) == {"a", "b", "c"}
    assert np.allclose(frame["c"].value_counts(normalize=True), 1 / 3, atol=TOL)
    if library != "skopt":
        _check_integer_shares(frame)


def test_skopt_integers_get_equal_shares():
    _check_integer_shares(_sampled("skopt"))


def test_optuna_distributions_match_the_space_by_hand():
    dists = distributions(MAPPED)
    assert (dists["i"].low, dists["i"].high, dists["i"].log) == (1, 5, False)
    assert (dists["j"].low, dists["j"].high, dists["j"].log) == (1, 64, True)
    assert (dists["lr"].low, dists["lr"].high, dists["lr"].log) == (1e-5, 1.0, True)
    assert dists["beta"].low == pytest.approx(1e-4) and dists["beta"].high == pytest.approx(0.1)
    assert dists["beta"].log and dists["c"].choices == ("a", "b", "c")
    config = {"i": 5, "j": 1, "lr": 1e-5, "beta": 0.9, "c": "c"}
    params = to_params(MAPPED, config)
    assert params["beta"] == pytest.approx(0.1) and params["i"] == 5
    assert to_config(MAPPED, {**params, "beta": 0.01})["beta"] == pytest.approx(0.99)
    # an out-of-range beta is clipped into [1 - high, 1 - low]
    assert to_params(MAPPED, {**config, "beta": 0.5})["beta"] == pytest.approx(0.1)
    assert to_params(MAPPED, {**config, "beta": 1.0})["beta"] == pytest.approx(1e-4)


# -- variant options reach the strategy -----------------------------------------


def _proposals(strategy, objective=None, budget=12, seed=0):
    trace = run(strategy, objective or MixedObjective(), seed, budget)
    assert trace.error is None
    return [(c, f) for c, f in zip(trace.configs, trace.fidelity)]


def test_tpe_n_startup_trials_ends_the_random_phase_where_it_says():
    three = _proposals("tpe[n_startup_trials=3]", budget=8)
    ten = _proposals("tpe", budget=8)
    assert three[:3] == ten[:3]  # the same seeded random start-up
    assert three[3:] != ten[3:]


def test_random_scale_linear_samples_the_learning_rate_linearly():
    lr = [c["lr"] for c, _ in _proposals("random[scale=linear]", budget=200)]
    assert np.mean(np.array(lr) > 0.1) > 0.8  # linear on [1e-5, 1]: 90% above 0.1
    lr = [c["lr"] for c, _ in _proposals("random", budget=200)]
    assert np.mean(np.array(lr) > 0.1) < 0.35  # log: 20% above 0.1


def test_coarse_to_fine_zoom_sets_how_tight_the_last_stage_is():
    space = MixedObjective().space

    def spread(zoom):
        last = [c for c, _ in _proposals(f"coarse-to-fine[zoom={zoom}]", budget=40)][-8:]
        return float(np.ptp([space.to_unit(c) for c in last], axis=0).mean())

    tight, default = spread(0.25), spread(0.5)
    # boxes shrink by zoom per stage: a quarter is about half as wide as a half
    assert 0.3 < tight / default < 0.75, (tight, default)


#: A different valid value for every option of every strategy, with the
#: options it needs beside it and the budget over which it must show.
OPTION_CHANGES: dict[tuple[str, str], tuple[object, dict, float]] = {
    ("random", "scale"): ("linear", {}, 5),
    ("random", "dims"): ("lr", {"scale": "linear"}, 5),
    ("grid", "shuffle"): (False, {}, 12),
    ("grid", "placement"): ("bounds", {}, 12),
    ("coarse-to-fine", "first"): (0.5, {}, 20),
    ("coarse-to-fine", "stages"): (2, {}, 20),
    ("coarse-to-fine", "zoom"): (0.25, {}, 20),
    ("coarse-to-fine", "top"): (3, {}, 20),
    ("hyperband", "eta"): (2, {}, 4),
    ("asha", "eta"): (2, {}, 4),
    ("bohb", "eta"): (2, {}, 4),
    ("bohb", "min_points_in_model"): (8, {}, 3),
    ("bohb", "top_n_percent"): (50, {}, 3),
    ("bohb", "num_samples"): (2, {}, 3),
    ("bohb", "random_fraction"): (0.0, {}, 3),
    ("bohb", "bandwidth_factor"): (0.2, {}, 3),
    ("bohb", "min_bandwidth"): (0.5, {}, 3),
    ("bohb-tpe", "eta"): (2, {}, 4),
    ("bohb-tpe", "min_points_in_model"): (2, {}, 3),
    ("bohb-tpe", "random_fraction"): (0.0, {"min_points_in_model": 2}, 3),
    ("tpe", "n_startup_trials"): (3, {}, 8),
    ("tpe", "n_ei_candidates"): (2, {"n_startup_trials": 3}, 8),
    ("tpe", "multivariate"): (False, {"n_startup_trials": 3}, 8),  # None: optuna 5 says True
    ("gp", "n_startup_trials"): (3, {}, 6),
    ("gp", "deterministic_objective"): (True, {"n_startup_trials": 3}, 6),
    ("cmaes", "sigma0"): (0.01, {}, 8),
    ("cmaes", "popsize"): (3, {}, 8),
    ("nsga2", "population_size"): (4, {}, 8),
    ("nsga2", "crossover_prob"): (0.0, {"population_size": 4}, 12),
    ("nsga2", "mutation_prob"): (1.0, {"population_size": 4}, 12),
    ("qmc", "qmc_type"): ("halton", {}, 4),
    ("qmc", "scramble"): (False, {}, 4),
    ("tpe-hyperopt", "n_startup_jobs"): (3, {}, 8),
    ("tpe-hyperopt", "n_ei_candidates"): (2, {"n_startup_jobs": 3}, 8),
    ("tpe-hyperopt", "gamma"): (0.9, {"n_startup_jobs": 3}, 8),
    ("gp-skopt", "n_initial_points"): (3, {}, 5),
    ("gp-skopt", "acq_func"): ("EI", {"n_initial_points": 3}, 6),
    ("gp-skopt", "acq_optimizer"): ("sampling", {"n_initial_points": 3}, 6),
    ("rf-skopt", "n_initial_points"): (3, {}, 5),
    ("rf-skopt", "acq_func"): ("EI", {"n_initial_points": 3}, 6),
    ("genetic", "population"): (5, {}, 8),
    ("genetic", "elite"): (0, {"population": 5}, 12),
    ("genetic", "tournament"): (1, {"population": 5}, 12),
    ("genetic", "crossover"): (0.0, {"population": 5}, 12),
    ("genetic", "mutation"): (1.0, {"population": 5}, 12),
    ("genetic", "sigma"): (0.5, {"population": 5}, 12),
}

#: Options that are accepted but cannot change a run here, and why.
INERT = {
    ("cmaes", "restart_strategy"): "refused with optuna >= 4.4, which ignores it",
    (
        "rf-skopt",
        "acq_optimizer",
    ): "skopt runs a random forest only with 'sampling', what 'auto' picks",
    ("tpe", "constant_liar"): "inert with one worker: test_tpe_constant_liar_bites_with_workers",
}


def test_tpe_constant_liar_bites_with_workers():
    def configs(liar: bool) -> list[str]:
        trace = run(f"tpe[constant_liar={str(liar).lower()}]", MixedObjective(), 0, 30, workers=4)
        return trace.to_frame()["config"].tolist()

    assert configs(True) != configs(False)


BUILT_IN = {"space", "seed", "budget", "fidelity", "self"}


def _options() -> list[tuple[str, str]]:
    out = []
    for name in STRATEGIES:
        cls = default_registry().strategy(name)[1]
        for parameter in inspect.signature(cls.__init__).parameters.values():
            if parameter.name not in BUILT_IN and parameter.kind is parameter.KEYWORD_ONLY:
                out.append((name, parameter.name))
    return out


OPTIONS = _options()


def test_every_option_is_listed_and_the_list_has_no_stale_entry():
    assert set(OPTIONS) == set(OPTION_CHANGES) | set(INERT)


@pytest.mark.parametrize("key", OPTIONS, ids=lambda k: f"{k[0]}[{k[1]}]")
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_different_option_value_changes_the_run(key):
    if key in INERT:
        pytest.skip(f"documented as inert: {INERT[key]}")
    name, option = key
    value, base, budget = OPTION_CHANGES[key]
    cls = default_registry().strategy(name)[1]
    objective = FidelityObjective() if cls.needs_fidelity else MixedObjective()
    default = _proposals(Variant(name, base), objective, budget)
    changed = _proposals(Variant(name, {**base, option: value}), objective, budget)
    assert changed != default, f"{name}[{option}={value!r}] ran exactly as the default"


# -- seeds -----------------------------------------------------------------------


@pytest.mark.parametrize("name", STRATEGIES)
@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_seeds_change_the_first_suggestions_and_reach_the_objective(name):
    class Seeds(MixedObjective):
        def __init__(self):
            super().__init__()
            self.seeds = []

        def evaluate(self, config, fidelity=None, *, seed):
            self.seeds.append(seed)
            return super().evaluate(config, fidelity, seed=seed)

    needs = default_registry().strategy(name)[1].needs_fidelity
    traces, objectives = {}, {}
    for seed in (0, 1, 7):
        objectives[seed] = Seeds()
        if needs:
            objectives[seed].fidelity = FidelityObjective.fidelity
        traces[seed] = run(name, objectives[seed], seed, 3)
    for seed, objective in objectives.items():
        assert objective.seeds and set(objective.seeds) == {seed}
        assert traces[seed].seed == seed
    assert traces[0].configs[:3] != traces[1].configs[:3]
    assert traces[1].configs[:3] != traces[7].configs[:3]


# -- the budget ------------------------------------------------------------------


class Costly(Objective):
    """A constant objective whose every evaluation states ``cost``."""

    name = "bite-costly"

    def __init__(self, cost: float, sleep: float = 0.0) -> None:
        self.space = Space({"x": Float(0.0, 1.0)})
        self._cost, self._sleep = cost, sleep

    def cost(self, fidelity=None):
        return self._cost  # what the loop plans is what each evaluation states

    def evaluate(self, config, fidelity=None, *, seed):
        if self._sleep:
            time.sleep(self._sleep)
        return Evaluation(config["x"], cost=self._cost)


class Endless(Strategy):
    """Proposes 0.5 forever, and sleeps ``pause`` seconds in ask and tell."""

    name = "endless"
    pause = 0.0

    def ask(self):
        if self.pause:
            time.sleep(self.pause)
        return self.suggest({"x": 0.5})

    def tell(self, suggestion, value):
        if self.pause:
            time.sleep(self.pause)


@pytest.mark.parametrize(
    "budget,cost,trials",
    [
        (5, 1.0, 5),
        (5, 0.4, 12),  # 12 * 0.4 = 4.8; a 13th would make 5.2 > 5
        (1.0, 0.1, 10),  # ten tenths make the whole budget, despite float sums
        (2, 1 / 3, 6),
        (3, 0.7, 4),  # 2.8, then 3.5 would overrun
        (1, 1.0, 1),
        (0.5, 1.0, 0),  # the first trial already costs more than the budget
        (2.5, 1.0, 2),
    ],
)
def test_the_number_of_trials_the_budget_allows_by_hand(budget, cost, trials):
    trace = run(Endless, Costly(cost), 0, budget)
    assert len(trace) == trials
    assert trace.cum_cost == pytest.approx([cost * (k + 1) for k in range(trials)])
    assert trace.meta["budget"] == budget


def test_a_stated_cost_below_the_planned_one_lets_more_trials_run():
    class Cheap(Costly):
        def cost(self, fidelity=None):
            return 0.5  # the loop plans 0.5 but each evaluation states 0.25

    trace = run(Endless, Cheap(0.25), 0, 1)
    # after k trials 0.25 k is spent; a trial is planned at 0.5, so it runs while 0.25 k <= 0.5
    assert len(trace) == 3 and trace.cum_cost == [0.25, 0.5, 0.75]


def test_budget_edges_by_hand():
    budget = Budget(1.0)
    for _ in range(10):
        assert budget.affords(0.1) and not budget.exhausted
        budget.spend(0.1)
    assert budget.spent == 1.0 and budget.exhausted and budget.remaining == 0.0
    assert budget.affords(0.0) and not budget.affords(0.001)
    half = Budget(2)
    assert half.spend(0.5) == 0.5 and half.spend(1.0) == 1.5
    assert half.remaining == 0.5 and half.spent == 1.5 and not half.exhausted
    assert half.affords(0.5) and not half.affords(0.5 + 1e-6)
    assert repr(half) == "Budget(evaluations=2, spent=1.5)"
    over = Budget(1)
    over.spend(1.5)
    assert over.remaining == 0.0 and over.exhausted
    assert Budget(3).fresh().evaluations == 3.0 and Budget(3).spend(0) == 0
    big = Budget(1e6)
    big.spend(1e6 - 1)
    for _ in range(10):
        big.spend(0.1)
    assert big.spent == 1e6 and big.exhausted  # large then small: still compensated
    tiny = Budget(1)
    tiny.spend(1e-20)
    tiny.spend(1.0)  # small then large
    assert tiny.spent == 1.0


@pytest.mark.parametrize("bad", [0.0, -2, math.inf, math.nan, None, False])
def test_budget_refuses_bad_sizes(bad):
    with pytest.raises(ValueError, match="Budget: evaluations must be"):
        Budget(bad)


def test_budget_refuses_a_nan_cost():
    with pytest.raises(ValueError, match="cost must be >= 0"):
        Budget(1).spend(math.nan)
    assert Budget(0.5).evaluations == 0.5


# -- timings ---------------------------------------------------------------------


def test_ask_evaluate_and_tell_are_each_timed():
    class Slow(Endless):
        name = "slow"
        pause = 0.002

    trace = run(Slow, Costly(1.0, sleep=0.005), 0, 4)
    assert len(trace) == 4
    assert all(t >= 0.005 for t in trace.t_eval), trace.t_eval
    assert all(0.002 <= t < 0.005 + 0.5 for t in trace.t_ask), trace.t_ask
    assert all(0.002 <= t < 0.5 for t in trace.t_tell), trace.t_tell
    assert all(t < 0.5 for t in trace.t_eval)
    assert trace.meta["wall"] >= sum(trace.t_ask) + sum(trace.t_eval) + sum(trace.t_tell)


def test_the_loop_records_each_trial_as_it_happened():
    class Told(Endless):
        name = "told"
        told: ClassVar[list] = []

        def ask(self):
            if self.suggested >= 3:
                raise Exhausted
            return self.suggest({"x": [0.6, 0.2, 0.4][self.suggested]})

        def tell(self, suggestion, value):
            Told.told.append((suggestion.id, value))

    trace = run(Told, Costly(1.0), 0, 10)
    assert Told.told == [(0, 0.6), (1, 0.2), (2, 0.4)]
    assert trace.value == [0.6, 0.2, 0.4] and trace.best == [0.6, 0.2, 0.2]
    assert trace.status == ["ok"] * 3 and trace.cost == [1.0] * 3
    assert all(math.isnan(f) for f in trace.fidelity)


def test_a_tie_keeps_the_first_incumbent_and_its_test_value():
    class Flat(Costly):
        def __init__(self):
            super().__init__(1.0)
            self.calls = 0

        def evaluate(self, config, fidelity=None, *, seed):
            self.calls += 1
            return Evaluation(0.25, extras={"test": float(self.calls)})

    trace = run(Endless, Flat(), 0, 3)
    assert trace.best == [0.25] * 3
    assert trace.incumbent_test == [1.0, 1.0, 1.0]  # a later equal value is no improvement


def test_budget_sums_are_exact_when_a_small_cost_comes_first():
    budget = Budget(10)
    for cost in (0.1, 2.9, 2.9):
        budget.spend(cost)
    # the exactly rounded sum (math.fsum), not the naive 5.9
    assert budget.spent == math.fsum([0.1, 2.9, 2.9]) == 5.8999999999999995


def test_holm_helpers_by_hand():
    assert stats.smallest_holm_p(6, 1) == 2 / 64 and stats.smallest_holm_p(6, 0) == 2 / 64
    assert stats.smallest_holm_p(6, 3) == 6 / 64 and stats.smallest_holm_p(2, 5) == 1.0
    assert stats.seeds_needed(1) == 6 and stats.seeds_needed(12) == 9
    assert stats.seeds_needed(1, alpha=0.5) == 3  # 2/8 < 0.5 <= 2/4


def test_verdict_small_clear_effect_is_supported_and_two_pairs_get_a_bootstrap_interval():
    small = paired_verdict("w", [1.0] * 6, [1.2, 1.3, 1.4, 1.5, 1.6, 1.7], unit="u")
    assert small.holds == "supported" and 0 < small.ci_low < 1
    two = paired_verdict("w", [0.0, 0.0], [1.0, 2.0], unit="u")
    assert (two.ci_low, two.effect, two.ci_high) == (1.0, 1.5, 2.0)
    assert "Holm" not in small.sentence() and small.family == 1


def test_verdict_holm_cases_adjust_the_family_and_say_so():
    from bench.report.verdict import holm_cases

    clear = paired_verdict("w", [1.0] * 6, [2.0, 2.1, 2.2, 2.3, 2.4, 2.5], unit="u")
    cases = holm_cases([("a", clear), ("b", clear)])
    assert [case for case, _ in cases] == ["a", "b"]
    for _, verdict in cases:
        assert verdict.family == 2 and verdict.p_raw == pytest.approx(2 / 64)
        assert verdict.p_value == pytest.approx(4 / 64) and verdict.holds == "inconclusive"
        assert "Holm-adjusted over 2 cases; unadjusted 0.031" in verdict.sentence()


def test_optuna_tpe_initial_design_counts_asks_before_the_start_up_completes():
    strategy = TPE(SPACE, seed=0, budget=Budget(10), n_startup_trials=3)
    for value in (None, 1.0, 2.0, 3.0, 4.0, 5.0):
        strategy.tell(strategy.ask(), value)
    # asks 1-4 came with fewer than 3 completed trials (the failed one does not count)
    assert strategy.initial_design == 4


def test_nsga2_and_hyperopt_initial_designs_are_their_start_up_sizes():
    nsga2 = NSGA2(SPACE, seed=0, budget=Budget(10), population_size=6)
    assert nsga2.initial_design == 6
    assert HyperoptTPE(SPACE, seed=0, budget=Budget(10), n_startup_jobs=7).initial_design == 7


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_optuna_hyperopt_skopt_option_bounds_accept_their_smallest_valid_values():
    TPE(SPACE, seed=0, budget=Budget(2), n_startup_trials=0, n_ei_candidates=1)
    GP(SPACE, seed=0, budget=Budget(2), n_startup_trials=0)
    CmaEs(SPACE, seed=0, budget=Budget(2), popsize=2)
    HyperoptTPE(SPACE, seed=0, budget=Budget(2), n_startup_jobs=0, n_ei_candidates=1, gamma=1.0)
    GPSkopt(SPACE, seed=0, budget=Budget(2), n_initial_points=1)
    for bad in (
        lambda: TPE(SPACE, seed=0, budget=Budget(2), n_startup_trials=-1),
        lambda: TPE(SPACE, seed=0, budget=Budget(2), n_ei_candidates=0),
        lambda: GP(SPACE, seed=0, budget=Budget(2), n_startup_trials=-1),
        lambda: CmaEs(SPACE, seed=0, budget=Budget(2), popsize=1),
        lambda: HyperoptTPE(SPACE, seed=0, budget=Budget(2), n_startup_jobs=-1),
        lambda: HyperoptTPE(SPACE, seed=0, budget=Budget(2), n_ei_candidates=0),
        lambda: HyperoptTPE(SPACE, seed=0, budget=Budget(2), gamma=0.0),
        lambda: HyperoptTPE(SPACE, seed=0, budget=Budget(2), gamma=1.5),
        lambda: GPSkopt(SPACE, seed=0, budget=Budget(2), n_initial_points=0),
    ):
        with pytest.raises(ValueError, match="must be"):
            bad()


def _defaults(function, rename=None) -> dict:
    rename = rename or {}
    return {
        rename.get(name, name): p.default
        for name, p in inspect.signature(function).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


#: Each wrapper, its library's entry point, how option names differ, and the
#: defaults it deliberately changes (QMC is scrambled by the seed).
LIBRARY_DEFAULTS = [
    (TPE, "optuna.samplers.TPESampler", {}, {}),
    (GP, "optuna.samplers.GPSampler", {}, {}),
    (NSGA2, "optuna.samplers.NSGAIISampler", {}, {}),
    (QMC, "optuna.samplers.QMCSampler", {}, {"scramble": True}),
    (CmaEs, "optuna.samplers.CmaEsSampler", {}, {}),
    (HyperoptTPE, "hyperopt.tpe.suggest", {"n_EI_candidates": "n_ei_candidates"}, {}),
    (GPSkopt, "skopt.Optimizer", {}, {}),
    (RFSkopt, "skopt.Optimizer", {}, {}),
]


@pytest.mark.parametrize("cls,entry,rename,changed", LIBRARY_DEFAULTS, ids=lambda x: str(x))
def test_wrapper_defaults_are_the_libraries_own(cls, entry, rename, changed):
    import importlib

    module, name = entry.rsplit(".", 1)
    library = _defaults(getattr(importlib.import_module(module), name), rename)
    mine = {k: v for k, v in _defaults(cls.__init__).items() if k != "fidelity"}
    assert mine, cls
    for option, default in mine.items():
        assert default == changed.get(option, library[option]), (cls.name, option)


def test_cmaes_first_generation_is_hansens_popsize():
    strategy = CmaEs(SPACE, seed=0, budget=Budget(12))
    for value in range(12):
        strategy.tell(strategy.ask(), float(value))
    # one independent start-up trial, then 4 + floor(3 ln 5) = 8 for 5 numeric dimensions
    assert strategy.initial_design == 1 + 4 + math.floor(3 * math.log(5)) == 9


def test_cmaes_refuses_a_restart_strategy_this_optuna_ignores():
    with pytest.raises(ValueError, match="would be ignored"):
        CmaEs(SPACE, seed=0, budget=Budget(2), restart_strategy="ipop")
    with pytest.raises(ValueError, match="restart_strategy"):
        CmaEs(SPACE, seed=0, budget=Budget(2), restart_strategy="other")


@pytest.mark.parametrize(("version", "refused"), [("4.3.1", False), ("4.4.0", True)])
def test_cmaes_restart_strategy_is_refused_from_optuna_4_4_on(monkeypatch, version, refused):
    monkeypatch.setattr(optuna, "__version__", version)
    if refused:
        with pytest.raises(ValueError, match=f"optuna {version} runs CMA-ES without restarts"):
            _check_restart_strategy("ipop")
    else:
        _check_restart_strategy("ipop")


def test_skopt_initial_design_counts_asks_before_n_initial_points_are_told():
    strategy = GPSkopt(SPACE, seed=0, budget=Budget(10), n_initial_points=3)
    for value in (None, 1.0, 2.0, None, 3.0, 4.0):
        strategy.tell(strategy.ask(), value)
    # the first failure is not told (nothing to compare with); the second is told
    # as the worst so far, so the third told value comes with the fourth ask
    assert strategy.initial_design == 4
    assert strategy.optimizer.yi == [1.0, 2.0, 2.0, 3.0, 4.0]


def test_verdict_sentence_in_full_and_a_significant_test_with_an_interval_over_zero():
    clear = paired_verdict("w", [1.0] * 6, [2.0, 2.1, 2.2, 2.3, 2.4, 2.5], unit="u")
    assert clear.sentence() == (
        "Supported: w (median effect +1.25 u [95% CI +1.05, +1.45], "
        "Wilcoxon p = 0.031, 6 paired seeds)."
    )
    # ten wins of 0.5 and six losses of 0.01: the signed ranks are clear (p ~ 0.012),
    # but the interval of the median reaches below 0, so neither side is claimed
    mixed = paired_verdict("w", np.zeros(16), [-0.01] * 6 + [0.5] * 10, unit="u")
    assert mixed.p_value < 0.05 and mixed.ci_low < 0 < mixed.ci_high < 1
    assert mixed.holds == "inconclusive"
