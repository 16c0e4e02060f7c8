"""Anytime statistics: fixed-target runtimes, data profiles (ECDF) and ERT, mean
ranks with Friedman's test and Nemenyi's critical difference, and Bayesmark's
normalised median score. Each is checked on small examples worked out by hand
(the expected numbers are written below), against Demšar's table of q_0.05,
against scipy and autorank on random matrices, and in the report of a tiny
suite run end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bench.report import anytime, bayesmark, friedman, write_report
from bench.report.metrics import add_regret, incumbent_curves, references
from bench.runner import run_suite

INF = math.inf
NAN = math.nan


def rows(objective, strategy, seed, costs, values):
    """One run's trial rows: a trial of cost 1 is a full evaluation (it may become
    the incumbent ``best``), one of cost < 1 a low-fidelity one; NaN fails."""
    best, incumbent, cum = INF, [], np.cumsum(costs, dtype=float)
    for cost, value in zip(costs, values):
        if cost == 1 and not math.isnan(value):
            best = min(best, value)
        incumbent.append(best if best < INF else NAN)
    n = len(costs)
    return pd.DataFrame(
        {
            "objective": objective,
            "strategy": strategy,
            "seed": seed,
            "workers": 1,
            "trial": np.arange(n),
            "fidelity": [NAN if c == 1 else c for c in costs],
            "cost": np.asarray(costs, dtype=float),
            "cum_cost": cum,
            "value": np.asarray(values, dtype=float),
            "status": ["failed" if math.isnan(v) else "ok" for v in values],
            "best": incumbent,
            "incumbent_test": NAN,
            "t_ask": 0.0,
            "t_eval": 0.0,
            "t_tell": 0.0,
            "t_end": cum,
        }
    )


# --- fixed-target runtimes ----------------------------------------------------------


def _target_runs():
    """f has optimum 0 (regret = best); g has none: its targets are quantiles of
    random search's finals 1, 2, 3, 4."""
    return pd.concat(
        [
            rows("f", "a", 0, [1, 1, 1, 1], [0.5, 0.05, 0.2, 0.004]),
            rows("f", "a", 1, [0.5, 0.5, 1, 1], [0.01, 0.01, 0.2, 0.08]),
            rows("f", "b", 0, [1, 1, 1], [0.3, 0.2, 0.11]),
            *(rows("g", "random", k, [1, 1], [9, final]) for k, final in enumerate([1, 2, 3, 4])),
            rows("g", "a", 0, [1, 1, 1], [2, 1.5, 1.2]),
        ],
        ignore_index=True,
    )


def test_targets_are_regret_decades_or_quantiles_of_random_finals():
    runs = _target_runs()
    goals = anytime.targets(runs, references(runs, {"f": 0.0, "g": None}))
    f = goals[goals["objective"] == "f"]
    assert f["target"].tolist() == [f"regret 1e-{j}" for j in range(1, 6)]
    assert f["threshold"].tolist() == [0.1, 0.01, 0.001, 1e-4, 1e-5]
    assert set(f["measure"]) == {"regret"}
    g = goals[goals["objective"] == "g"]
    assert g["level"].tolist() == [0.75, 0.5, 0.25, 0.1]  # easiest first
    assert set(g["measure"]) == {"best"}
    # linear interpolation between the finals 1, 2, 3, 4 at (n - 1) q
    assert g["threshold"].tolist() == pytest.approx([3.25, 2.5, 1.75, 1.3])


def test_targets_are_listed_by_objective_then_easiest_first_and_numbered_from_zero():
    runs = _target_runs()
    refs = references(runs, {"f": 0.0, "g": None})
    goals = anytime.targets(runs, refs)
    assert goals["objective"].tolist() == ["f"] * 5 + ["g"] * 4
    assert goals["level"].tolist() == [0.1, 0.01, 0.001, 1e-4, 1e-5, 0.75, 0.5, 0.25, 0.1]
    # random_targets lists g's quantiles from 0.1 up: sorted, they are renumbered
    assert goals.index.tolist() == list(range(9))


def test_runtimes_are_the_budget_after_the_first_trial_at_or_below_the_target():
    runs = _target_runs()
    refs = references(runs, {"f": 0.0, "g": None})
    times = anytime.runtimes(add_regret(runs, refs), anytime.targets(runs, refs))
    at = times.set_index(["objective", "strategy", "seed", "target"])["runtime"]
    assert at["f", "a", 0, "regret 1e-1"] == 2.0  # 0.05 at the second trial
    assert at["f", "a", 0, "regret 1e-2"] == 4.0  # 0.004 at the fourth
    assert at["f", "a", 0, "regret 1e-3"] == INF
    # seed 1's low-fidelity 0.01s never become its incumbent: 0.08 at cum cost 3
    assert at["f", "a", 1, "regret 1e-1"] == 3.0
    assert at["f", "a", 1, "regret 1e-2"] == INF
    assert at["f", "b", 0, "regret 1e-1"] == INF  # 0.11 is not <= 0.1
    assert at["g", "a", 0, "random's q0.1"] == 3.0  # 1.2 <= 1.3
    assert at["g", "a", 0, "random's q0.25"] == 2.0  # 1.5 <= 1.75
    assert at["g", "random", 0, "random's q0.1"] == 2.0  # its final 1 <= 1.3
    assert at["g", "random", 3, "random's q0.75"] == INF  # its final 4 > 3.25
    run = times.set_index(["objective", "strategy", "seed"]).loc[("f", "a", 1)]
    assert (run["start"] == 0.5).all() and (run["used"] == 3.0).all()
    assert len(times) == 3 * 5 + 5 * 4  # runs x targets of their objective


# --- data profile (ECDF) and ERT ----------------------------------------------------


def _times(strategy, target, runtimes, used, objective="f"):
    return pd.DataFrame(
        {
            "objective": objective,
            "strategy": strategy,
            "seed": range(len(runtimes)),
            "target": target,
            "level": 0.1 if target == "t1" else 0.01,
            "runtime": runtimes,
            "start": 1.0,
            "used": used,
        }
    )


def test_ecdf_is_the_share_of_triples_reached_by_each_budget():
    times = pd.concat(
        [
            _times("a", "t1", [2, 3], [8, 8]),
            _times("a", "t2", [INF, 8], [8, 8], objective="g"),
            _times("b", "t1", [1, INF], [8, 8]),
        ]
    )
    grid = np.array([1.0, 2.0, 3.0, 4.0, 8.0])
    profile = anytime.ecdf(times, grid).set_index(["strategy", "budget"])
    # a: runtimes 2, 3, inf, 8 over 4 triples; b: 1, inf over 2
    assert profile.loc["a", "fraction"].tolist() == [0.0, 0.25, 0.5, 0.5, 0.75]
    assert profile.loc["b", "fraction"].tolist() == [0.5, 0.5, 0.5, 0.5, 0.5]
    assert profile.loc["a", "triples"].tolist() == [4] * 5
    assert anytime.ecdf_grid(times).tolist() == [1.0, 2.0, 3.0, 8.0]


def test_ecdf_lists_strategies_in_order_whatever_the_order_of_the_runtimes():
    times = pd.concat([_times("b", "t1", [1, INF], [8, 8]), _times("a", "t1", [2, 3], [8, 8])])
    profile = anytime.ecdf(times, np.array([1.0, 2.0, 4.0]))
    assert profile["strategy"].tolist() == ["a"] * 3 + ["b"] * 3
    # a: runtimes 2, 3 of 2 triples; b: 1, inf
    assert profile["fraction"].tolist() == [0.0, 0.5, 1.0, 0.5, 0.5, 0.5]
    assert profile.index.tolist() == list(range(6))  # one numbering, not one per strategy


def test_ert_sums_budget_spent_over_runs_and_divides_by_successes():
    times = pd.concat(
        [
            _times("a", "t1", [3, 5, INF], [10, 10, 10]),  # (3 + 5 + 10) / 2 = 9
            _times("a", "t2", [INF, 6, INF], [10, 10, 7]),  # (10 + 6 + 7) / 1 = 23
            _times("b", "t1", [INF, INF], [10, 12]),  # none reached: inf
            _times("c", "t1", [2, 4], [10, 10]),  # (2 + 4) / 2 = 3
        ]
    )
    table = anytime.ert(times).set_index(["strategy", "target"])
    assert list(anytime.ert(times).columns) == list(anytime.ERT_COLUMNS)
    assert table.loc[("a", "t1"), ["runs", "reached", "ert"]].tolist() == [3, 2, 9.0]
    assert table.loc[("a", "t2"), ["runs", "reached", "ert"]].tolist() == [3, 1, 23.0]
    assert table.loc[("b", "t1"), ["runs", "reached", "ert"]].tolist() == [2, 0, INF]
    assert table.loc[("c", "t1"), ["runs", "reached", "ert"]].tolist() == [2, 2, 3.0]


def test_ert_is_inf_for_a_target_no_run_reached_even_when_the_runs_spent_nothing():
    # two runs that never reached t1 and whose every trial cost 0: nothing over
    # no successes is still "never reached", not 0 / 0
    table = anytime.ert(_times("a", "t1", [INF, INF], [0.0, 0.0]))
    assert table[["runs", "reached"]].values.tolist() == [[2, 0]]
    assert table["ert"].tolist() == [INF]


# --- Friedman and Nemenyi -----------------------------------------------------------

#: Demšar (2006), table 5(a): q_0.05 of the two-tailed Nemenyi test, k = 2..10.
DEMSAR_Q05 = {
    2: 1.960,
    3: 2.343,
    4: 2.569,
    5: 2.728,
    6: 2.850,
    7: 2.949,
    8: 3.031,
    9: 3.102,
    10: 3.164,
}

#: Four objectives, three strategies (lower is better). Ranks per row:
#: (1, 2, 3), (2, 1, 3), (1, 2, 3), (2.5, 2.5, 1): sums 6.5, 7.5, 10.
HAND = pd.DataFrame(
    {"A": [0.1, 0.5, 1.0, 0.2], "B": [0.2, 0.4, 2.0, 0.2], "C": [0.3, 0.6, 3.0, 0.1]},
    index=["o1", "o2", "o3", "o4"],
)


def test_nemenyi_q_matches_demsars_table():
    for k, q in DEMSAR_Q05.items():
        assert friedman.nemenyi_q(k) == pytest.approx(q, abs=1e-3)
        assert friedman.critical_difference(k, 12) == pytest.approx(
            q * math.sqrt(k * (k + 1) / 72), rel=1e-3
        )


def _check_hand(test):
    assert test.mean_ranks.to_dict() == {"A": 1.625, "B": 1.875, "C": 2.5}
    assert list(test.mean_ranks.index) == ["A", "B", "C"]
    # chi2 = 12 / (N k (k+1)) * sum(R^2) - 3 N (k+1) = 0.25 * 198.5 - 48 = 1.625;
    # one tie of two in four rows of three: 1 - (2^3 - 2) / (4 * 3 * 8) = 0.9375
    assert test.chi2 == pytest.approx(1.625 / 0.9375)
    assert test.p_value == pytest.approx(math.exp(-1.625 / 0.9375 / 2))  # chi2, 2 df
    assert test.cd == pytest.approx(2.343 * math.sqrt(3 * 4 / (6 * 4)), abs=1e-3)
    assert test.blocks == 4
    assert test.groups == (("A", "B", "C"),)  # 2.5 - 1.625 < CD 1.66


def test_mean_ranks_friedman_and_cd_by_hand_minimised_and_maximised():
    _check_hand(friedman.rank_test(HAND))
    _check_hand(friedman.rank_test(-HAND, maximise=True))
    flipped = friedman.rank_test(-HAND)  # maximised scores ranked as minimised
    assert flipped.mean_ranks.to_dict() == {"C": 1.5, "B": 2.125, "A": 2.375}
    scipy_p = stats.friedmanchisquare(*HAND.to_numpy().T).pvalue
    assert friedman.rank_test(HAND).p_value == pytest.approx(scipy_p)


def test_groups_split_when_mean_ranks_are_further_apart_than_the_cd():
    matrix = pd.DataFrame(
        np.tile([1.0, 2.0, 3.0, 4.0], (10, 1)) * np.arange(1, 11)[:, None],
        columns=["A", "B", "C", "D"],
    )
    test = friedman.rank_test(matrix)
    assert test.mean_ranks.tolist() == [1.0, 2.0, 3.0, 4.0]
    # 12 N / (k (k+1)) * sum(mean rank^2) - 3 N (k+1) = 6 * 30 - 150
    assert test.chi2 == pytest.approx(30.0)
    assert test.cd == pytest.approx(2.569 * math.sqrt(4 * 5 / 60), abs=1e-3)  # 1.483
    assert test.groups == (("A", "B"), ("B", "C"), ("C", "D"))


def test_rank_test_leaves_out_incomplete_rows_and_needs_two_strategies():
    matrix = HAND.copy()
    matrix.loc["o5"] = [0.1, NAN, 0.2]
    assert friedman.rank_test(matrix).blocks == 4
    assert friedman.rank_test(HAND[["A"]]) is None
    tied = pd.DataFrame({"A": [1.0, 2.0], "B": [1.0, 2.0]})
    assert (friedman.rank_test(tied).chi2, friedman.rank_test(tied).p_value) == (0.0, 1.0)


def test_rank_test_without_a_complete_row_is_none():
    # every objective misses one strategy's score: no block is left to rank
    assert friedman.rank_test(pd.DataFrame({"A": [0.1, NAN], "B": [NAN, 0.2]})) is None


def _autorank_groups(result):
    """The groups autorank's CD diagram joins, as sets of names."""
    from autorank._util import get_sorted_rank_groups

    result = result._replace(rankdf=result.rankdf.sort_values(by="meanrank"))
    _, names, groups = get_sorted_rank_groups(result, False)
    return {frozenset(names[i : j + 1]) for i, j in groups}


@pytest.mark.parametrize("maximise", [False, True])
def test_mean_ranks_and_cd_agree_with_autorank_on_random_matrices(maximise):
    autorank = pytest.importorskip(
        "autorank", reason="autorank is not installed (pip install autorank)"
    )
    rng = np.random.default_rng(17 + maximise)
    for _ in range(6):
        n, k = int(rng.integers(5, 25)), int(rng.integers(3, 9))
        shift = rng.normal(0, 1, k)  # some strategies better than others
        matrix = pd.DataFrame(
            np.round(rng.normal(shift, 1.0, (n, k)), 1),  # rounded: ties happen
            columns=[f"s{i}" for i in range(k)],
        )
        ours = friedman.rank_test(matrix, maximise=maximise)
        theirs = autorank.autorank(
            matrix,
            alpha=0.05,
            order="descending" if maximise else "ascending",
            force_mode="nonparametric",
        )
        assert theirs.cd == pytest.approx(ours.cd, rel=1e-4)
        assert theirs.pvalue == pytest.approx(ours.p_value, rel=1e-9)
        pd.testing.assert_series_equal(
            theirs.rankdf["meanrank"].astype(float).sort_index(),
            ours.mean_ranks.sort_index(),
            check_names=False,
        )
        assert {frozenset(g) for g in ours.groups} == _autorank_groups(theirs)


def test_score_matrix_takes_medians_at_a_fraction_of_the_budget():
    runs = pd.concat(
        [
            rows("f", "a", 0, [1, 1, 1, 1], [4, 3, 2, 1]),
            rows("f", "a", 1, [1, 1, 1, 1], [5, 5, 5, 5]),
            rows("f", "a", 2, [0.5, 0.5, 1, 1], [9, 9, 6, 6]),
            rows("f", "b", 0, [1, 1, 1, 1], [2, 2, 2, 2]),
        ]
    )
    curves = add_regret(incumbent_curves(runs), {"f": references(runs, {"f": 0.0})["f"]})
    final = friedman.score_matrix(curves)
    assert final.loc["f", "a"] == 5.0 and final.loc["f", "b"] == 2.0  # median of 1, 5, 6
    # 25% of 4 is 1: seed 2 has no full-fidelity result yet and counts as infinite
    assert friedman.score_matrix(curves, 0.25).loc["f", "a"] == 5.0  # median of 4, 5, inf


# --- Bayesmark's normalised median score ----------------------------------------------


def test_bayesmark_quantile_is_an_order_statistic():
    assert bayesmark.quantile([0.3, 0.1, 0.2, 0.4], 0.5) == 0.2  # ceil(4 / 2) = 2nd: lower median
    assert bayesmark.quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    # min of m = 3 draws: q = 1 - 0.5 ** (1 / 3) = 0.2063; ceil(6 q) = 2nd smallest
    assert bayesmark.min_quantile([5, 3, 4, 6, 2, 7], 0.5, 3) == 3.0


def _bayesmark_runs():
    return pd.concat(
        [
            rows("h", "random", 0, [1, 1, 1], [5, 3, 4]),
            rows("h", "random", 1, [1, 1, 1], [6, 2, 7]),
            rows("h", "s", 0, [1, 1, 1], [4, 1, 1.5]),
            rows("h", "s", 1, [1, 1, 1], [3, 3, 2.5]),
        ]
    )


def test_bayesmark_score_by_hand():
    runs = _bayesmark_runs()
    curves = incumbent_curves(runs)
    scores = bayesmark.scores(curves, runs, (1.0, 0.25)).set_index(["fraction", "strategy"])
    # best = the lowest evaluation, 1, padded down by 10000 units in the last place
    best = 1.0 - 10000 * 2.0**-52
    assert (scores["best"] == best).all()
    # pooled random evaluations 2 3 4 5 6 7: random(3) = 2nd smallest (above) = 3;
    # random(1): q = 0.5, ceil(3) = 3rd smallest = 4
    assert scores.loc[1.0, "random_median"].tolist() == [3.0, 3.0]
    assert scores.loc[0.25, "random_median"].tolist() == [4.0, 4.0]
    # lower medians over two seeds: s finals 1, 2.5 -> 1; random 3, 2 -> 2;
    # after one evaluation: s 4, 3 -> 3; random 5, 6 -> 5
    expected = {
        (1.0, "s"): (1 - best) / (3 - best),
        (1.0, "random"): (2 - best) / (3 - best),
        (0.25, "s"): (3 - best) / (4 - best),
        (0.25, "random"): (5 - best) / (4 - best),
    }
    for key, score in expected.items():
        assert scores.loc[key, "score"] == pytest.approx(score, rel=1e-12, abs=1e-15)
    assert scores.loc[(0.25, "s"), "score"] == pytest.approx(2 / 3)
    assert scores.loc[(0.25, "random"), "score"] == pytest.approx(4 / 3)
    summary = bayesmark.summary(scores.reset_index()).set_index(["strategy", "fraction"])
    assert summary.loc[("s", 0.25), "score"] == pytest.approx(2 / 3)


def test_bayesmark_best_is_padded_down_by_units_in_the_last_place_even_at_zero():
    # 10000 units in the last place of the lowest value: 2**-53 at 0.5, 2**-50 at 4
    assert bayesmark.best_reference([3.0, 0.5]) == 0.5 - 10000 * 2.0**-53
    assert bayesmark.best_reference([2.0, -4.0]) == -4.0 - 10000 * 2.0**-50
    # at 0 the unit is the smallest subnormal: still below 0, so a best found of
    # exactly 0 scores 0 against a positive denominator
    assert bayesmark.best_reference([0.0, 2.0]) == -10000 * 2.0**-1074 < 0


def test_bayesmark_scores_nothing_without_random_search_or_a_whole_evaluation():
    runs = pd.concat(
        [
            rows("h", "random", 0, [0.5, 1, 1], [9, 4, 2]),
            rows("h", "s", 0, [0.5, 1, 1], [9, 3, 1]),
            rows("k", "s", 0, [1, 1], [2, 1]),  # no random search on k
        ],
        ignore_index=True,
    )
    scores = bayesmark.scores(incumbent_curves(runs), runs, (1.0, 0.1))
    at = scores.set_index(["objective", "strategy", "fraction"])
    # 10% of h's 2.5 is the first point, 0.5: half an evaluation, no score
    assert at.loc[("h", "s", 0.1), "budget"] == 0.5
    assert at.loc[("h", "s", 0.1), ["random_median", "best", "score"]].isna().all()
    assert at.loc[("k", "s", 1.0), ["budget", "seeds", "median_best"]].tolist() == [2.0, 1, 1.0]
    assert at.loc[("k", "s", 1.0), ["random_median", "best", "score"]].isna().all()
    # h at 2.5 (m = 2): random's full evaluations 4, 2: q = 1 - 0.5 ** 0.5, 1st = 2;
    # one seed each: random's median is 2 (score 1), s's 1, the best (score ~0)
    best = 1.0 - 10000 * 2.0**-52
    assert at.loc[("h", "random", 1.0), ["random_median", "best"]].tolist() == [2.0, best]
    assert at.loc[("h", "random", 1.0), "score"] == pytest.approx(1.0)
    assert at.loc[("h", "s", 1.0), "score"] == pytest.approx((1 - best) / (2 - best))


def test_bayesmark_counts_whole_evaluations_in_the_budget_up_to_rounding():
    runs = rows("h", "random", 0, [1, 1, 1], [5, 3, 4])  # pooled evaluations 3, 4, 5

    def reference(budget):
        curves = pd.DataFrame(
            {"objective": "h", "strategy": "random", "seed": [0], "budget": [budget], "best": 3.0}
        )
        return bayesmark.scores(curves, runs)["random_median"].item()

    # m = 2: q = 1 - 0.5 ** 0.5 = 0.29, ceil(3 q) = 1st smallest; m = 1: q = 0.5, 2nd
    assert reference(2.0) == 3.0
    assert reference(2.0 - 1e-12) == 3.0  # a float sum's rounding: still 2 evaluations
    assert reference(2.0 - 1.5e-9) == 4.0  # short by more than the 1e-9 slack: 1
    assert reference(1.0) == 4.0


def test_bayesmark_tables_are_sorted_whatever_the_order_of_the_curves():
    runs = _bayesmark_runs()
    backwards = incumbent_curves(runs).iloc[::-1]  # s's rows before random's
    scores = bayesmark.scores(backwards, runs, (1.0, 0.25))
    assert scores[["fraction", "strategy"]].values.tolist() == [
        [1.0, "random"],
        [1.0, "s"],
        [0.25, "random"],
        [0.25, "s"],
    ]
    # the summary by strategy, then fraction (not in the order scores lists them)
    summary = bayesmark.summary(scores)
    assert summary[["strategy", "fraction"]].values.tolist() == [
        ["random", 0.25],
        ["random", 1.0],
        ["s", 0.25],
        ["s", 1.0],
    ]
    assert summary["objectives"].tolist() == [1, 1, 1, 1]


def test_bayesmark_helpers_agree_with_bayesmarks_own_code_when_installed():
    quantiles = pytest.importorskip(
        "bayesmark.quantiles",
        reason="bayesmark is not installed (its package pins old libraries; the hand "
        "computation above checks the formula)",
    )
    rng = np.random.default_rng(3)
    for _ in range(200):
        values = np.round(rng.normal(size=int(rng.integers(1, 30))), 1)
        m = int(rng.integers(1, 50))
        assert bayesmark.quantile(values, 0.5) == quantiles.quantile(values, 0.5)
        assert (
            bayesmark.min_quantile(values, 0.5, m) == quantiles.min_quantile_CI(values, 0.5, m)[0]
        )


# --- the report ---------------------------------------------------------------------

HEADINGS = [
    "Summary",
    "Suite",
    "Best found against budget",
    "Best found against wall time",
    "Anytime: budget to reach targets",
    "Average rank",
    "Ranks with a critical difference",
    "Final-budget results",
    "Bayesmark's normalised median score",
    "Validation against test",
    "Optimizer overhead",
    "Environment",
]


def test_a_tiny_suite_reports_the_anytime_sections(tmp_path):
    suite = tmp_path / "anytime.toml"
    suite.write_text(
        'strategies = ["random", "grid"]\nobjectives = ["branin", "tabular-mlp-sgd"]\n'
        "seeds = 3\nbudget = 6\n"
    )
    assert run_suite(suite, tmp_path / "results", in_process=True, progress=False).status == (
        "complete"
    )
    root = tmp_path / "results" / "anytime"
    written = write_report(root)
    out = root / "report"
    markdown = (out / "report.md").read_text()
    assert [line[3:] for line in markdown.splitlines() if line.startswith("## ")] == HEADINGS
    for name in ("anytime_ecdf", "critical_difference"):
        assert f"](figures/{name}.png)" in markdown
        assert (out / "figures" / f"{name}.png").stat().st_size > 1000
    assert "Expected running time: branin" in markdown
    ert = pd.read_csv(out / "ert.csv")
    assert list(ert.columns) == list(anytime.ERT_COLUMNS) and out / "ert.csv" in written
    assert len(ert) == 2 * (5 + 4)  # strategies x (regret decades + random quantiles)
    assert ((ert["reached"] <= ert["runs"]) & (ert["runs"] == 3)).all()
    assert (np.isinf(ert["ert"]) == (ert["reached"] == 0)).all()
    ranks = pd.read_csv(out / "critical_difference.csv")
    assert list(ranks.columns) == list(friedman.RANK_TEST_COLUMNS)
    assert ranks.groupby("point")["mean_rank"].sum().tolist() == [3.0, 3.0]  # 1 + 2
    scores = pd.read_csv(out / "bayesmark.csv")
    assert list(scores.columns) == list(bayesmark.SCORE_COLUMNS)
    assert len(scores) == 2 * 2 * 2 and (scores["score"] >= 0).all()
