"""The report's numbers on small hand-made traces whose answers are worked out by hand.

Every trace here is a frame of trial rows as ``bench.trace.Trace.to_frame`` writes
them (running best and incumbent test value computed as ``bench.loop`` does), so
the report's functions are checked on exactly what they read from the store.
"""

import base64
import json
import math
import re
import zlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import bench.execute
import bench.loop
from bench.cli import main
from bench.report import write_report
from bench.report.metrics import (
    add_regret,
    best_at,
    budget_grid,
    final_rows,
    incumbent_curves,
    mean_ranks,
    median_band,
    overhead_table,
    ranks,
    references,
    time_grid,
    wall_seconds,
)
from bench.report.page import Figure, Section, Table, render_html, render_markdown
from bench.report.palette import _OTHERS, BUILTIN, palette
from bench.report.stats import holm, paired_wilcoxon, smallest_p, verdict
from bench.report.summary import summarise
from bench.report.tables import final_table, overall_table

DEFAULT_TIMES = (0.001, 0.01, 0.002)


def trace(objective, strategy, seed, costs, values, test=None, times=None):
    """One run's trial rows. A NaN value is a failed trial; a cost other than 1 is a
    low-fidelity trial (fidelity = cost, full fidelity = 1), which never becomes the
    incumbent. ``test`` holds each trial's test (noiseless) value, ``times`` each
    trial's (t_ask, t_eval, t_tell) in seconds."""
    n = len(costs)
    costs = [float(c) for c in costs]
    values = [float(v) for v in values]
    test = [math.nan] * n if test is None else [float(t) for t in test]
    times = [DEFAULT_TIMES] * n if times is None else times
    multi_fidelity = any(not math.isclose(c, 1.0) for c in costs)
    best, incumbent, best_row, incumbent_row, cum, spent = math.inf, math.nan, [], [], [], 0.0
    for cost, value, t in zip(costs, values, test):
        spent += cost
        cum.append(spent)
        if not math.isnan(value) and math.isclose(cost, 1.0) and value < best:
            best, incumbent = value, t
        best_row.append(best if best < math.inf else math.nan)
        incumbent_row.append(incumbent)
    return pd.DataFrame(
        {
            "suite": "hand",
            "objective": objective,
            "strategy": strategy,
            "seed": seed,
            "trial": np.arange(n),
            "config": [json.dumps({"x": i}) for i in range(n)],
            "param_x": np.arange(n, dtype=float),
            "fidelity": costs if multi_fidelity else [math.nan] * n,
            "cost": costs,
            "cum_cost": cum,
            "value": values,
            "status": ["failed" if math.isnan(v) else "ok" for v in values],
            "best": best_row,
            "incumbent_test": incumbent_row,
            "t_ask": [t[0] for t in times],
            "t_eval": [t[1] for t in times],
            "t_tell": [t[2] for t in times],
        }
    )


def frame(*traces):
    return pd.concat(traces, ignore_index=True)


def one(curves, strategy, seed, axis="budget"):
    rows = curves[(curves["strategy"] == strategy) & (curves["seed"] == seed)]
    return rows.sort_values(axis)


def median_curve(curves, strategy, column="regret"):
    rows = curves[curves["strategy"] == strategy]
    return rows.groupby("budget")[column].median().to_numpy()


def regret_curves(runs, optima, samples=None, axis="budget"):
    return add_regret(incumbent_curves(runs, axis), references(runs, optima, samples))


def by_strategy(table):
    return table.set_index("strategy")


# --- 1. regret with a known optimum ------------------------------------------------


def test_regret_against_a_known_optimum_is_read_per_seed_then_medianed():
    runs = frame(
        trace("f", "a", 0, [1, 1, 1], [5.0, 3.0, 4.0]),
        trace("f", "a", 1, [1, 1, 1], [2.0, 6.0, 1.0]),
        trace("f", "b", 0, [1, 1, 1], [9.0, 9.0, 9.0]),
        trace("f", "b", 1, [1, 1, 1], [0.5, 9.0, 9.0]),
    )
    refs = references(runs, {"f": 0.25})
    assert refs["f"].kind == "regret" and refs["f"].judged_on == "best"
    assert refs["f"].source == "known optimum"
    curves = add_regret(incumbent_curves(runs), refs)
    assert set(curves["regret_kind"]) == {"regret"}
    np.testing.assert_allclose(one(curves, "a", 0)["regret"], [4.75, 2.75, 2.75])
    np.testing.assert_allclose(one(curves, "a", 1)["regret"], [1.75, 1.75, 0.75])
    # each seed's running best first, then the median: [3.25, 2.25, 1.75]; the running
    # best of the per-trial median would be [3.25, 3.25, 2.25]
    np.testing.assert_allclose(median_curve(curves, "a"), [3.25, 2.25, 1.75])
    np.testing.assert_allclose(median_curve(curves, "b"), [4.5, 4.5, 4.5])
    table = by_strategy(final_table(curves))
    assert table.loc["a", "median_regret"] == pytest.approx(1.75)
    assert table.loc["b", "median_regret"] == pytest.approx(4.5)
    assert table.loc["a", "budget"] == 3.0 and table.loc["a", "seeds"] == 2
    # seed 0: a (2.75) beats b (8.75); seed 1: b (0.25) beats a (0.75)
    assert table.loc["a", "mean_rank"] == 1.5 and table.loc["b", "mean_rank"] == 1.5
    assert table.loc["a", "median_best"] == pytest.approx(2.0)


def test_regret_of_a_noisy_function_is_judged_on_the_incumbents_noiseless_value():
    # observed (noisy) values pick the incumbent; its noiseless value is what counts
    runs = frame(
        trace("noisy", "a", 0, [1, 1, 1], [3.0, 1.0, 2.0], test=[2.5, 2.0, 1.5]),
        trace("noisy", "a", 1, [1, 1, 1], [0.8, 1.2, 0.9], test=[1.0, 0.6, 0.7]),
    )
    refs = references(runs, {"noisy": 0.5})
    assert refs["noisy"].judged_on == "incumbent_test"
    assert "noiseless" in refs["noisy"].source
    curves = add_regret(incumbent_curves(runs), refs)
    np.testing.assert_allclose(one(curves, "a", 0)["regret"], [2.0, 1.5, 1.5])
    np.testing.assert_allclose(one(curves, "a", 1)["regret"], [0.5, 0.5, 0.5])
    np.testing.assert_allclose(one(curves, "a", 0)["best"], [3.0, 1.0, 1.0])
    table = by_strategy(final_table(curves))
    assert table.loc["a", "median_regret"] == pytest.approx(1.0)
    assert table.loc["a", "median_test"] == pytest.approx(1.5)
    assert table.loc["a", "median_best"] == pytest.approx(0.9)


# --- 2. normalised regret and its reference ---------------------------------------


def normalised_runs():
    return frame(
        # a failed trial, ignored everywhere
        trace("m", "random", 0, [1, 1, 1, 1], [4.0, math.nan, 2.0, 6.0]),
        # a low-fidelity trial at 0.1 is neither f_best nor part of f_ref
        trace("m", "random", 1, [1, 1 / 3, 1, 1], [8.0, 0.1, 3.0, 5.0]),
        trace("m", "tpe", 0, [1, 1, 1], [5.0, 1.0, 7.0]),
    )


def test_normalised_regret_uses_the_median_of_randoms_full_fidelity_evaluations():
    runs = normalised_runs()
    # random's full-fidelity successes: 4, 2, 6, 8, 3, 5 -> median 4.5; f_best = 1
    ref = references(runs, {"m": None})["m"]
    assert ref.kind == "normalised regret" and ref.optimum is None
    assert ref.f_ref == pytest.approx(4.5) and ref.f_best == pytest.approx(1.0)
    assert ref.source == "median of random search's 6 full-fidelity evaluations"
    # samples are only a fallback: random's own evaluations win
    assert references(runs, {"m": None}, {"m": [100.0] * 5})["m"].f_ref == pytest.approx(4.5)
    curves = regret_curves(runs, {"m": None})
    assert set(curves["regret_kind"]) == {"normalised regret"}
    final = final_rows(curves).set_index(["strategy", "seed"])["regret"]
    assert final["random", 0] == pytest.approx((2 - 1) / (4.5 - 1))
    assert final["random", 1] == pytest.approx((3 - 1) / (4.5 - 1))
    assert final["tpe", 0] == pytest.approx(0.0)


def test_normalised_regret_falls_back_to_the_signature_samples_without_random_runs():
    runs = normalised_runs()
    runs = runs[runs["strategy"] != "random"]
    ref = references(runs, {"m": None}, {"m": [3.0, 9.0, math.nan, 5.0, 7.0, 1.5]})["m"]
    assert ref.f_ref == pytest.approx(5.0)  # median of the 5 finite samples
    assert ref.f_best == pytest.approx(1.0)
    assert ref.source == "median of 5 seeded random configurations (the signature)"
    curves = regret_curves(runs, {"m": None}, {"m": [3.0, 9.0, 5.0, 7.0, 1.5]})
    np.testing.assert_allclose(one(curves, "tpe", 0)["regret"], [1.0, 0.0, 0.0])


def test_normalised_regret_falls_back_to_all_full_fidelity_evaluations_last():
    runs = frame(
        trace("m", "tpe", 0, [1, 1, 1], [5.0, 1.0, 7.0]),
        trace("m", "hyperband", 0, [1 / 3, 1, 1], [0.0, 3.0, math.nan]),
    )
    # full-fidelity successes: 5, 1, 7, 3 -> median 4; samples of another objective only
    ref = references(runs, {"m": None}, {"other": [0.0]})["m"]
    assert ref.f_ref == pytest.approx(4.0) and ref.f_best == pytest.approx(1.0)
    assert ref.source == "median of all 4 full-fidelity evaluations (no random search)"
    assert "random" in ref.source and "signature" not in ref.source


# --- 3. fractional costs, best_at, wall time ---------------------------------------


def test_best_at_reads_the_incumbent_at_or_before_each_budget():
    cum = np.array([1 / 3, 2 / 3, 1.0, 2.0])
    best = np.array([np.nan, 5.0, 4.0, 1.0])
    grid = np.array([0.1, 1 / 3, 0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0])
    np.testing.assert_array_equal(
        best_at(cum, best, grid), [np.nan, np.nan, np.nan, 5.0, 4.0, 4.0, 1.0, 1.0]
    )
    # the grid is rounded to 9 decimals, below cumulative costs of 1/3, 4/3, 7/3: each
    # trial still counts at its own grid point
    cum = np.cumsum([1 / 3, 1.0, 1.0])
    grid = budget_grid(cum)
    assert (grid < cum).all()
    np.testing.assert_array_equal(best_at(cum, np.array([5.0, 4.0, 3.0]), grid), [5.0, 4.0, 3.0])
    # and so does a cumulative cost a rounding error away from a whole number
    np.testing.assert_array_equal(
        best_at(np.array([sum([1 / 27] * 27)]), np.array([7.0]), np.array([1.0])), [7.0]
    )


def test_budget_grid_is_the_distinct_costs_or_evenly_spaced_when_too_many():
    np.testing.assert_allclose(budget_grid(np.array([1.0, 2.0, 2.0, 3.0, np.nan])), [1, 2, 3])
    grid = budget_grid(np.arange(1, 1001, dtype=float))
    assert len(grid) == 200 and grid[0] == 1 and grid[-1] == 1000


def test_fractional_costs_share_one_budget_grid_and_low_fidelity_never_counts():
    runs = frame(
        # three 1/3-fidelity trials then two full ones; 0.1 at low fidelity is not a result
        trace("f", "hyperband", 0, [1 / 3] * 3 + [1, 1], [0.1, 0.7, 0.6, 2.0, 1.5]),
        trace("f", "random", 0, [1, 1, 1], [3.0, 2.5, 1.0]),
        # 27 trials at 1/27 add up to (about) 1, then one full trial
        trace("f", "bohb", 0, [1 / 27] * 27 + [1], [0.05] * 27 + [4.0]),
    )
    curves = regret_curves(runs, {"f": 0.0})
    grid = [k / 27 for k in range(1, 28)] + [2.0, 3.0]
    for strategy in ("hyperband", "random", "bohb"):
        np.testing.assert_allclose(one(curves, strategy, 0)["budget"], grid, atol=1e-9)
    at = {b: i for i, b in enumerate(np.round(grid, 9))}
    hb = one(curves, "hyperband", 0)["regret"].to_numpy()
    assert np.isnan(hb[: at[1.0] + 1]).all()
    np.testing.assert_allclose(hb[[at[2.0], at[3.0]]], [2.0, 1.5])
    rnd = one(curves, "random", 0)["regret"].to_numpy()
    assert np.isnan(rnd[: at[1.0]]).all()
    np.testing.assert_allclose(rnd[[at[1.0], at[2.0], at[3.0]]], [3.0, 2.5, 1.0])
    bohb = one(curves, "bohb", 0)["regret"].to_numpy()
    assert np.isnan(bohb[: at[2.0]]).all()
    np.testing.assert_allclose(bohb[[at[2.0], at[3.0]]], [4.0, 4.0])
    table = by_strategy(final_table(curves))
    assert (table["budget"] == 3.0).all()
    assert table.loc["random", "median_regret"] == 1.0
    assert table.loc["hyperband", "median_regret"] == 1.5


def test_wall_time_axis_is_cumulative_ask_eval_tell_seconds_on_a_log_grid():
    runs = frame(
        trace("f", "a", 0, [1, 1, 1], [3.0, 2.0, 1.0], times=[(0.1, 0.8, 0.1)] * 3),
        trace("f", "b", 0, [1, 1], [5.0, 0.5], times=[(0.5, 1.0, 0.5)] * 2),
    )
    np.testing.assert_allclose(wall_seconds(runs[runs["strategy"] == "a"]), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(wall_seconds(runs[runs["strategy"] == "b"]), [2.0, 4.0])
    np.testing.assert_allclose(time_grid(np.array([0.0, 4.0, 1.0])), np.geomspace(1, 4, 200))
    curves = incumbent_curves(runs, "seconds")
    a = one(curves, "a", 0, "seconds")
    b = one(curves, "b", 0, "seconds")
    seconds = a["seconds"].to_numpy()
    np.testing.assert_allclose(seconds, np.geomspace(1.0, 4.0, 200))
    np.testing.assert_allclose(b["seconds"], seconds)
    expected_a = np.where(seconds < 2 - 1e-9, 3.0, np.where(seconds < 3 - 1e-9, 2.0, 1.0))
    np.testing.assert_allclose(a["best"], expected_a)
    expected_b = np.where(seconds < 2 - 1e-9, np.nan, np.where(seconds < 4 - 1e-9, 5.0, 0.5))
    np.testing.assert_allclose(b["best"], expected_b)
    assert b["best"].iloc[-1] == 0.5 and np.isnan(b["best"].iloc[0])


# --- 4. ranks --------------------------------------------------------------------


def ranked_runs():
    return frame(
        trace("f", "a", 0, [1, 1], [1.0, 5.0]),
        trace("f", "b", 0, [1, 1], [2.0, 1.0]),
        trace("f", "c", 0, [1, 1], [3.0, 3.0]),
        trace("f", "a", 1, [1, 1], [4.0, 2.0]),
        trace("f", "b", 1, [1, 1], [math.nan, math.nan]),  # never a result
        trace("f", "c", 1, [1, 1], [math.nan, 1.0]),
    )


def test_ranks_average_ties_and_put_runs_without_a_result_last():
    curves = regret_curves(ranked_runs(), {"f": 0.0})
    rank = ranks(curves).set_index(["strategy", "budget"])["mean_rank"]
    # budget 1: seed 0 a<b<c = 1, 2, 3; seed 1 a = 1, b and c (no result) share 2.5
    assert rank["a", 1.0] == 1.0 and rank["b", 1.0] == 2.25 and rank["c", 1.0] == 2.75
    # budget 2: seed 0 a = b = 1 share 1.5, c = 3; seed 1 c = 1, a = 2, b (none) = 3
    assert rank["a", 2.0] == 1.75 and rank["b", 2.0] == 2.25 and rank["c", 2.0] == 2.0
    table = by_strategy(final_table(curves))
    assert table.loc["a", "mean_rank"] == 1.75
    assert table.loc["b", "mean_rank"] == 2.25
    assert table.loc["c", "mean_rank"] == 2.0


def test_mean_ranks_average_objectives_as_step_functions_on_the_union_grid():
    rank_curves = pd.DataFrame(
        {
            "objective": ["f1"] * 4 + ["f2"] * 4,
            "strategy": ["a", "a", "b", "b"] * 2,
            "budget": [1.0, 2.0, 1.0, 2.0, 0.5, 1.5, 0.5, 1.5],
            "mean_rank": [1.0, 2.0, 2.0, 1.0, 2.0, 1.0, 1.0, 2.0],
        }
    )
    got = mean_ranks(rank_curves).set_index(["strategy", "budget"])["mean_rank"]
    # f1 has no rank before budget 1, so at 0.5 only f2 counts; f1 holds its value to 1.5
    assert got["a"].to_dict() == {0.5: 2.0, 1.0: 1.5, 1.5: 1.0, 2.0: 1.5}
    assert got["b"].to_dict() == {0.5: 1.0, 1.0: 1.5, 1.5: 2.0, 2.0: 1.5}


def test_overall_table_averages_final_mean_ranks_over_objectives():
    runs = frame(ranked_runs(), ranked_runs().assign(objective="g"))
    table = final_table(regret_curves(runs, {"f": 0.0, "g": 0.0}))
    overall = overall_table(table)
    assert overall["strategy"].tolist() == ["a", "c", "b"]
    assert overall["mean_rank"].tolist() == [1.75, 2.0, 2.25]
    assert (overall["objectives"] == 2).all()


# --- 5. Holm ------------------------------------------------------------------------


def holm_by_rejection(p):
    """Holm's step-down procedure run at every level that matters: a hypothesis's
    adjusted p-value is the smallest level at which the procedure rejects it (1 if
    none does)."""
    finite = sorted(x for x in p if not math.isnan(x))
    m = len(finite)
    levels = sorted({min(1.0, (m - k) * q) for k, q in enumerate(finite)} | {1.0})

    def rejected_up_to(alpha):
        count = 0
        for k, q in enumerate(finite):
            if q * (m - k) > alpha:
                break
            count += 1
        return finite[count - 1] if count else -math.inf

    return [
        math.nan
        if math.isnan(x)
        else min((a for a in levels if x <= rejected_up_to(a)), default=1.0)
        for x in p
    ]


def test_holm_on_known_values():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.2, 0.6, 0.7]), [0.6, 1.0, 1.0])  # capped at 1
    np.testing.assert_allclose(holm([0.4, 0.9, 0.3]), [0.9, 0.9, 0.9])  # monotone
    np.testing.assert_allclose(holm([0.01]), [0.01])
    # NaN stays NaN and is not counted: m = 2
    np.testing.assert_allclose(holm([0.01, math.nan, 0.04]), [0.02, math.nan, 0.04])
    assert np.isnan(holm([math.nan, math.nan])).all() and holm([]).size == 0


def test_holm_matches_the_step_down_procedure_on_random_inputs():
    rng = np.random.default_rng(7)
    for _ in range(200):
        m = int(rng.integers(1, 9))
        p = rng.choice([0.001, 0.01, 0.02, 0.04, 0.3], m) if rng.random() < 0.3 else rng.random(m)
        p = np.where(rng.random(m) < 0.15, np.nan, p)
        adjusted = holm(p)
        np.testing.assert_allclose(adjusted, holm_by_rejection(p.tolist()), rtol=1e-12)
        ok = ~np.isnan(p)
        assert (np.isnan(adjusted) == ~ok).all()
        assert (adjusted[ok] >= p[ok]).all() and (adjusted[ok] <= 1).all()
        order = np.argsort(p[ok])
        assert (np.diff(adjusted[ok][order]) >= 0).all()


# --- 6. Wilcoxon verdicts ----------------------------------------------------------


def paired_runs(objective, strategies, seeds):
    """One full trial per run: ``strategies`` maps a name to its per-seed values."""
    return frame(
        *(
            trace(objective, name, seed, [1], [values[seed]])
            for name, values in strategies.items()
            for seed in range(seeds)
        )
    )


BASE = [10.0 + s for s in range(10)]
WIN = [b - 0.1 * (s + 1) for s, b in enumerate(BASE)]  # lower on all 10 seeds
LOSS = [b + 0.1 * (s + 1) for s, b in enumerate(BASE)]  # higher on all 10 seeds
# lower on 9 seeds, higher on the one with the 8th smallest difference: T = 8, p = 50/1024
MOSTLY = [b + (0.1 if s == 7 else -0.1) * (s + 1) for s, b in enumerate(BASE)]


def test_wilcoxon_clear_win_clear_loss_and_tie():
    win = paired_wilcoxon(WIN, BASE)
    assert win.pairs == 10 and win.direction == -1
    assert win.p_value == pytest.approx(2 / 1024)
    assert win.median_difference == pytest.approx(-0.55)
    assert verdict(win.p_value, win.direction) == "better"
    loss = paired_wilcoxon(LOSS, BASE)
    assert loss.direction == 1 and loss.p_value == pytest.approx(2 / 1024)
    assert verdict(loss.p_value, loss.direction) == "worse"
    tie = paired_wilcoxon(BASE, BASE)
    assert tie.p_value == 1.0 and tie.direction == 0
    assert verdict(tie.p_value, tie.direction) == "no difference"
    assert paired_wilcoxon(MOSTLY, BASE).p_value == pytest.approx(50 / 1024)
    # pairs with a missing value on either side are dropped
    partial = paired_wilcoxon([math.nan, *WIN[1:]], [*BASE[:-1], math.nan])
    assert partial.pairs == 8 and partial.p_value == pytest.approx(2 / 2**8)
    assert np.isnan(paired_wilcoxon([math.nan], [1.0]).p_value)
    assert verdict(math.nan, 0) == "too few seeds"


def test_three_seeds_can_never_be_significant():
    assert smallest_p(3) == 0.25 and smallest_p(10) == 2 / 1024 and smallest_p(0) == 1.0
    result = paired_wilcoxon([1.0, 2.0, 3.0], [5.0, 7.0, 9.0])
    assert result.p_value == pytest.approx(smallest_p(3))
    assert verdict(result.p_value, result.direction) == "no difference"


def test_final_table_verdicts_against_random():
    runs = paired_runs("f", {"random": BASE, "good": WIN, "bad": LOSS, "same": BASE}, 10)
    table = by_strategy(final_table(regret_curves(runs, {"f": 0.0})))
    assert table.loc["random", "verdict"] == "baseline"
    assert np.isnan(table.loc["random", "p_value"]) and table.loc["random", "pairs"] == 10
    assert table.loc["good", "verdict"] == "better"
    assert table.loc["bad", "verdict"] == "worse"
    assert table.loc["same", "verdict"] == "no difference"
    assert table.loc["good", "p_value"] == pytest.approx(2 / 1024)
    assert table.loc["same", "p_value"] == 1.0
    # Holm over the three comparisons: 2/1024 * 3 for both extremes, then 1
    assert table.loc["good", "p_holm"] == pytest.approx(6 / 1024)
    assert table.loc["bad", "p_holm"] == pytest.approx(6 / 1024)
    assert table.loc["same", "p_holm"] == 1.0
    others = table.drop(index="random")
    assert (others["p_holm"] >= others["p_value"]).all()
    assert (others["pairs"] == 10).all()


def test_holm_over_strategies_can_undo_a_raw_p_below_five_percent():
    alone = paired_runs("f", {"random": BASE, "x": MOSTLY}, 10)
    single = by_strategy(final_table(regret_curves(alone, {"f": 0.0})))
    assert single.loc["x", "p_holm"] == pytest.approx(50 / 1024)
    assert single.loc["x", "verdict"] == "better"
    both = paired_runs("f", {"random": BASE, "x": MOSTLY, "y": MOSTLY}, 10)
    table = by_strategy(final_table(regret_curves(both, {"f": 0.0})))
    for name in ("x", "y"):
        assert table.loc[name, "p_value"] == pytest.approx(50 / 1024)
        assert table.loc[name, "p_value"] < 0.05 < table.loc[name, "p_holm"]
        assert table.loc[name, "p_holm"] == pytest.approx(100 / 1024)
        assert table.loc[name, "verdict"] == "no difference"


def test_holm_is_per_objective_and_missing_random_says_so():
    runs = frame(
        paired_runs("f", {"random": BASE, "x": MOSTLY}, 10),
        paired_runs("g", {"random": BASE, "x": MOSTLY, "y": MOSTLY}, 10),
        paired_runs("h", {"tpe": WIN, "x": BASE}, 10),
    )
    table = final_table(regret_curves(runs, {"f": 0.0, "g": 0.0, "h": 0.0}))
    table = table.set_index(["objective", "strategy"])
    assert table.loc[("f", "x"), "verdict"] == "better"
    assert table.loc[("g", "x"), "verdict"] == "no difference"
    assert table.loc[("h", "tpe"), "verdict"] == "no random"
    assert table.loc[("h", "x"), "verdict"] == "no random"
    assert np.isnan(table.loc[("h", "tpe"), "p_holm"]) and table.loc[("h", "tpe"), "pairs"] == 0


def test_three_seeds_in_the_final_table_give_no_verdict_either_way():
    runs = paired_runs("f", {"random": BASE[:3], "x": [0.0, 0.1, 0.2]}, 3)
    table = by_strategy(final_table(regret_curves(runs, {"f": 0.0})))
    assert table.loc["x", "p_value"] == pytest.approx(0.25)
    assert table.loc["x", "verdict"] == "no difference"


# --- 7. bootstrap band --------------------------------------------------------------


def test_median_band_contains_the_median_and_handles_degenerate_columns():
    values = np.array(
        [
            [3.0, 2.0, 1.0, 3.0],
            [1.0, 2.0, np.nan, 1.0],
            [4.0, 2.0, 5.0, 4.0],
            [1.0, 2.0, 2.0, 1.0],
            [5.0, 2.0, 4.0, 5.0],
            [9.0, 2.0, 3.0, 9.0],
            [2.0, 2.0, 2.0, 2.0],
            [6.0, 2.0, 6.0, 6.0],
        ]
    )
    median, low, high = median_band(values)
    assert median[0] == 3.5 and median[1] == 2.0 and np.isnan(median[2])
    assert 1.0 <= low[0] <= 3.5 <= high[0] <= 9.0 and low[0] < high[0]
    assert low[1] == high[1] == 2.0  # constant column: the median itself
    assert np.isnan(low[2]) and np.isnan(high[2])  # a missing value: no band
    assert (low[3], high[3]) == (low[0], high[0])  # a repeated column, same band
    again = median_band(values)
    np.testing.assert_array_equal(again[1], low)
    np.testing.assert_array_equal(again[2], high)


def test_median_band_is_nan_for_a_single_seed():
    median, low, high = median_band(np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(median, [1.0, 2.0])
    assert np.isnan(low).all() and np.isnan(high).all()


def test_median_band_is_reproducible_with_the_same_seed():
    column = np.array([0.3, 0.1, 0.7, 0.2, 0.9, 0.4])
    _, low, high = median_band(column[:, None], seed=3)
    _, low2, high2 = median_band(column[:, None], seed=3)
    assert (low[0], high[0]) == (low2[0], high2[0])
    assert low[0] <= np.median(column) <= high[0]


# --- 8. the incumbent's test value --------------------------------------------------


def test_incumbent_test_is_the_test_value_of_the_best_validation_configuration():
    runs = frame(
        # validation picks trial 1 (0.20); its test value 0.28 counts, not the 0.05 seen later
        trace("mlp", "random", 0, [1, 1, 1], [0.30, 0.20, 0.25], test=[0.10, 0.28, 0.05]),
        trace("mlp", "random", 1, [1, 1, 1], [0.40, 0.10, 0.12], test=[0.30, 0.15, 0.01]),
        trace("mlp", "random", 2, [1, 1, 1], [0.50, 0.60, 0.55], test=[0.45, 0.40, 0.30]),
        trace("mlp", "tpe", 0, [1, 1, 1], [0.35, 0.50, 0.45]),
        trace("mlp", "tpe", 1, [1, 1, 1], [0.20, 0.30, 0.15]),
        trace("mlp", "tpe", 2, [1, 1, 1], [0.90, 0.80, 0.70]),
    )
    refs = references(runs, {"mlp": None})
    assert refs["mlp"].kind == "normalised regret"  # no optimum: judged on validation
    curves = add_regret(incumbent_curves(runs), refs)
    np.testing.assert_allclose(one(curves, "random", 0)["incumbent_test"], [0.10, 0.28, 0.28])
    np.testing.assert_allclose(one(curves, "random", 0)["best"], [0.30, 0.20, 0.20])
    final = final_rows(curves).set_index(["strategy", "seed"])
    assert final.loc[("random", 0), "incumbent_test"] == pytest.approx(0.28)
    assert final.loc[("random", 1), "incumbent_test"] == pytest.approx(0.15)
    assert final.loc[("random", 2), "incumbent_test"] == pytest.approx(0.45)
    table = by_strategy(final_table(curves))
    # medians over seeds of the incumbents' validation (0.20, 0.10, 0.50) and test
    # (0.28, 0.15, 0.45) values
    assert table.loc["random", "median_best"] == pytest.approx(0.20)
    assert table.loc["random", "median_test"] == pytest.approx(0.28)
    assert np.isnan(table.loc["tpe", "median_test"])
    assert table.loc["tpe", "median_best"] == pytest.approx(0.35)


# --- 9. optimizer overhead --------------------------------------------------------------


def timed(strategy, seed, ms):
    """A run whose trial i spends ms[i] milliseconds in ask + tell (split evenly)."""
    n = len(ms)
    times = [(m / 2000, 0.5, m / 2000) for m in ms]
    return trace("f", strategy, seed, [1] * n, list(range(n, 0, -1)), times=times)


def test_overhead_table_median_windows_and_growth():
    runs = frame(
        timed("slow", 0, [float(i) for i in range(1, 13)]),  # 1..12 ms over 12 trials
        timed("slow", 1, [100.0] * 5),
        timed("fast", 0, [2.0] * 12),
    )
    table = overhead_table(runs).set_index("strategy")
    assert list(overhead_table(runs)["strategy"]) == ["fast", "slow"]  # by median
    assert table.loc["slow", "trials"] == 17 and table.loc["fast", "trials"] == 12
    # all 17: 1..12 and five 100s -> 9th value = 9
    assert table.loc["slow", "median_ms"] == pytest.approx(9.0)
    # first 10 trials of each run: 1..10 and five 100s -> 8th of 15 = 8
    assert table.loc["slow", "first_ms"] == pytest.approx(8.0)
    # last 10 trials of each run: 3..12 and five 100s -> 8th of 15 = 10
    assert table.loc["slow", "last_ms"] == pytest.approx(10.0)
    assert table.loc["slow", "growth"] == pytest.approx(1.25)
    assert table.loc["fast", "median_ms"] == pytest.approx(2.0)
    assert table.loc["fast", "growth"] == pytest.approx(1.0)
    # a refit every few trials hides in a median: the largest and a run's total show it
    assert table.loc["slow", "max_ms"] == pytest.approx(100.0)
    assert table.loc["slow", "run_total_s"] == pytest.approx((78 + 500) / 2 / 1e3)
    assert table.loc["fast", "run_total_s"] == pytest.approx(0.024)
    small = overhead_table(runs[runs["seed"] == 0], window=3).set_index("strategy")
    assert small.loc["slow", "first_ms"] == pytest.approx(2.0)  # 1, 2, 3
    assert small.loc["slow", "last_ms"] == pytest.approx(11.0)  # 10, 11, 12
    assert small.loc["slow", "growth"] == pytest.approx(5.5)
    assert table["startup_ms"].isna().all()


def test_overhead_table_counts_the_constructor_apart_from_the_trials():
    runs = frame(timed("slow", 0, [1.0] * 3), timed("slow", 1, [1.0] * 3), timed("fast", 0, [1.0]))
    startup = {("f", "slow", 0): 2.0, ("f", "slow", 1): 4.0, ("f", "fast", 0): 0.001}
    table = overhead_table(runs, startup=startup).set_index("strategy")
    assert table.loc["slow", "startup_ms"] == pytest.approx(3000.0)
    assert table.loc["fast", "startup_ms"] == pytest.approx(1.0)
    assert table.loc["slow", "median_ms"] == pytest.approx(1.0)


# --- 10. palette ----------------------------------------------------------------------


def test_builtin_strategies_keep_their_colour_whatever_else_is_present():
    alone = palette(["random", "tpe"])
    crowded = palette(["zzz", "tpe", "random", "random[scale=linear]", "aaa", *BUILTIN])
    for name in ("random", "tpe"):
        assert alone[name] == crowded[name] == BUILTIN[name]
    assert len(set(BUILTIN.values())) == len(BUILTIN)


def test_unknown_strategies_get_distinct_stable_colours():
    names = [f"plugin-{i}" for i in range(20)]
    # make sure at least two of them hash to the same tab20b slot
    slots = [zlib.crc32(n.encode()) % len(_OTHERS) for n in names]
    assert len(set(slots)) < len(slots)
    colours = palette([*names, "random"])
    assert len({colours[n] for n in names}) == 20
    assert not {colours[n] for n in names} & set(BUILTIN.values())
    assert palette(reversed([*names, "random"])) == colours
    assert palette(names) == {n: colours[n] for n in names}
    assert palette(["my-search"])["my-search"] == palette(["my-search", "tpe"])["my-search"]


# --- 11. summary ----------------------------------------------------------------------


def hand_table(objective, seeds, rows):
    """A final table as ``final_table`` returns it, from (strategy, median, mean rank,
    p_holm, verdict) tuples."""
    return pd.DataFrame(
        [
            {
                "objective": objective,
                "strategy": strategy,
                "seeds": seeds,
                "budget": 50.0,
                "median_regret": median,
                "ci_low": median / 2,
                "ci_high": median * 2,
                "mean_rank": rank,
                "median_best": median,
                "median_test": np.nan,
                "regret_kind": "regret",
                "pairs": 0 if strategy == "random" else seeds,
                "p_value": p,
                "p_holm": p,
                "verdict": outcome,
            }
            for strategy, median, rank, p, outcome in rows
        ]
    )


def test_summary_names_the_best_strategy_and_its_verdict():
    table = pd.concat(
        [
            hand_table(
                "branin",
                10,
                [
                    ("random", 0.5, 2.8, np.nan, "baseline"),
                    ("tpe", 0.001, 1.1, 0.0039, "better"),
                    ("grid", 0.9, 2.1, 0.02, "worse"),
                ],
            ),
            hand_table(
                "hartmann6",
                3,
                [
                    ("random", 0.2, 1.7, np.nan, "baseline"),
                    ("tpe", 0.1, 1.3, 0.5, "no difference"),
                ],
            ),
        ],
        ignore_index=True,
    )
    sentences = summarise(table, overall_table(table))
    assert len(sentences) == 3
    branin, hartmann, overall = sentences
    assert branin.startswith("branin (budget 50, 10 seeds): tpe has the lowest median regret")
    assert "It is better than random search" in branin and "p = 0.0039" in branin
    assert "better: tpe; worse: grid; no difference: 0." in branin
    assert "can be significant" not in branin
    assert hartmann.startswith("hartmann6 (budget 50, 3 seeds): tpe has the lowest median")
    assert "not distinguishable from random search" in hartmann
    assert (
        "With 3 paired seeds and 1 comparison the smallest possible Holm-adjusted p-value "
        "is 0.25" in hartmann
    )
    assert "no difference can be significant" in hartmann
    assert overall.startswith("Overall (2 objectives): tpe has the best mean rank")
    assert "better than random search on 1 of 2, worse on 0" in overall


def test_too_few_seeds_counts_the_holm_factor():
    """8 seeds reach p = 2/2**8 = 0.0078 alone, but Holm multiplies the smallest p by the
    number of comparisons: 12 x 0.0078 = 0.094 can never be below 5%; 9 seeds can."""
    rows = [("random", 0.5, 6.5, np.nan, "baseline")]
    rows += [(f"s{i}", 0.4, 6.0, 0.3, "no difference") for i in range(12)]
    eight = summarise(hand_table("f", 8, rows), overall_table(hand_table("f", 8, rows)))[0]
    assert "With 8 paired seeds and 12 comparisons" in eight
    assert "is 0.0938" in eight and "run at least 9 seeds" in eight
    nine = summarise(hand_table("f", 9, rows), overall_table(hand_table("f", 9, rows)))[0]
    assert "can be significant" not in nine


def test_summary_without_random_says_there_is_no_test():
    table = hand_table(
        "f", 5, [("tpe", 0.3, 1.4, np.nan, "no random"), ("gp", 0.2, 1.6, np.nan, "no random")]
    )
    first, overall = summarise(table, overall_table(table))
    assert "gp has the lowest median regret" in first
    assert "No random search in this suite, so no test against it." in first
    assert (
        overall == "Overall (1 objective): tpe has the best mean rank at the final budget (1.40)."
    )


def test_summary_never_calls_a_significant_difference_indistinguishable():
    # x has the lower median (2.7 against 5) but is higher than random on 9 of 10
    # paired seeds: Wilcoxon T = 6, p = 28/1024, verdict "worse"
    baseline = [0.0] * 5 + [10.0] * 5
    x = [0.1, 0.2, 0.3, 0.4, 0.5, 4.9, 16.0, 17.0, 18.0, 19.0]
    runs = paired_runs("f", {"random": baseline, "x": x}, 10)
    table = final_table(regret_curves(runs, {"f": 0.0}))
    row = by_strategy(table).loc["x"]
    assert row["median_regret"] == pytest.approx(2.7) and row["verdict"] == "worse"
    assert row["p_holm"] == pytest.approx(28 / 1024)
    sentence = summarise(table, overall_table(table))[0]
    assert sentence.startswith("f (budget 1, 10 seeds): x has the lowest median regret")
    assert "not distinguishable" not in sentence
    assert "worse than random search on paired seeds" in sentence


# --- 12. the page ---------------------------------------------------------------------


HOSTILE = "<script>alert('x')</script> & co"


def tiny_png(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [1, 0])
    fig.savefig(path, dpi=20)
    plt.close(fig)
    return path


def hostile_sections(png):
    return [
        Section(
            "Suite <b>",
            paragraphs=[f"description: {HOSTILE}"],
            items=[f"strategies: random, {HOSTILE}"],
            figures=[Figure("Best <found>", "caption & <i>more</i>", png)],
            tables=[
                Table(
                    "results",
                    pd.DataFrame({"strategy": [HOSTILE, "random"], "verdict": ["better", "x"]}),
                    note="see https://example.org & <b>",
                )
            ],
            code="[suite]\ndescription = '<script>'",
        )
    ]


def test_render_html_escapes_text_and_embeds_figures(tmp_path):
    png = tiny_png(tmp_path / "report" / "figures" / "tiny.png")
    page = render_html("report <of> & more", hostile_sections(png))
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page and "&amp; co" in page
    assert "Suite &lt;b&gt;" in page and "&lt;i&gt;more&lt;/i&gt;" in page
    assert "<i>" not in page and "<found>" not in page
    assert 'alt="Best &lt;found&gt;"' in page
    assert "<title>report &lt;of&gt; &amp; more</title>" in page
    encoded = base64.b64encode(png.read_bytes()).decode("ascii")
    assert f'src="data:image/png;base64,{encoded}"' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?://""", page, re.IGNORECASE)
    assert "tiny.png" not in page  # embedded, not linked
    assert '<td class="better">better</td>' in page


def test_render_markdown_links_figures_relative_to_the_base(tmp_path):
    base = tmp_path / "report"
    png = tiny_png(base / "figures" / "tiny.png")
    text = render_markdown("report", hostile_sections(png), base)
    assert "](figures/tiny.png)" in text
    assert str(tmp_path) not in text
    prose, code = text.split("```", 1)
    assert "<script>" not in prose and "<b>" not in prose and "<i>" not in prose
    assert "description: &lt;script&gt;" in prose and "Suite &lt;b&gt;" in prose
    assert "description = '<script>'" in code  # verbatim, inside a code fence
    assert "data:image" not in text


# --- 13. end to end on a stored suite -------------------------------------------------


SUITE = """
description = "report test <suite> & co"
strategies = ["random", "tpe"]
objectives = ["branin"]
seeds = 3
budget = 8
"""
FIGURES = [
    "best_vs_budget",
    "best_vs_time",
    "rank_vs_budget",
    "final_regret",
    "overhead",
    "anytime_ecdf",
    "critical_difference",
]
TABLES = ["summary", "ranks", "overhead", "ert", "critical_difference", "bayesmark"]


def test_write_report_from_stored_runs_only(tmp_path, monkeypatch):
    suite = tmp_path / "tiny.toml"
    suite.write_text(SUITE)
    results = tmp_path / "results"
    assert main(["run", str(suite), "--results", str(results), "--jobs", "1"]) == 0
    root = results / "tiny"
    stored = {p: p.stat().st_mtime_ns for p in (root / "runs").rglob("*.parquet")}
    assert len(stored) == 6

    def no_rerun(*args, **kwargs):
        raise AssertionError("the report ran a strategy")

    monkeypatch.setattr(bench.loop, "run", no_rerun)
    monkeypatch.setattr(bench.execute, "run", no_rerun)
    written = write_report(root)

    out = root / "report"
    expected = [out / name for name in ("index.html", "report.md")]
    expected += [out / f"{name}.csv" for name in TABLES]
    expected += [out / "figures" / f"{f}.{ext}" for f in FIGURES for ext in ("png", "svg")]
    for path in expected:
        assert path.is_file() and path.stat().st_size > 0, path
        assert path in written
    assert {p: p.stat().st_mtime_ns for p in stored} == stored

    summary = pd.read_csv(out / "summary.csv").set_index("strategy")
    assert sorted(summary.index) == ["random", "tpe"]
    assert (summary["objective"] == "branin").all() and (summary["seeds"] == 3).all()
    assert (summary["budget"] == 8).all()
    assert summary.loc["random", "verdict"] == "baseline"
    assert summary.loc["tpe", "pairs"] == 3
    assert summary.loc["tpe", "verdict"] == "no difference"  # 3 seeds: p >= 0.25
    assert (summary["median_regret"] >= 0).all()
    assert summary["mean_rank"].sum() == pytest.approx(3.0)  # ranks 1 and 2 share out 3

    page = (out / "index.html").read_text()
    assert "report test &lt;suite&gt; &amp; co" in page and "<suite>" not in page
    assert page.count("data:image/png;base64,") >= len(FIGURES)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*https?://""", page, re.IGNORECASE)
    assert "With 3 paired seeds" in page
    markdown = (out / "report.md").read_text()
    for name in FIGURES:
        assert f"](figures/{name}.png)" in markdown
    ranks_csv = pd.read_csv(out / "ranks.csv")
    assert set(ranks_csv["strategy"]) == {"random", "tpe"}
    assert ranks_csv["mean_rank"].between(1, 2).all()
    overhead_csv = pd.read_csv(out / "overhead.csv")
    assert set(overhead_csv["strategy"]) == {"random", "tpe"}
    assert (overhead_csv["trials"] == 24).all()


def test_combining_suites_that_share_an_objective_is_refused():
    from bench.report.stored import Stored, combined

    def part(*objectives):
        return Stored(runs=pd.DataFrame({"objective": list(objectives)}), optima={}, manifest={})

    assert len(combined(part("mlp-sgd"), part("surrogate-mlp-sgd")).runs) == 2
    with pytest.raises(ValueError, match=r"share objective.*mlp-sgd"):
        combined(part("mlp-sgd", "a"), part("mlp-sgd"))
