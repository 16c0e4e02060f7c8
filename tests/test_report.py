"""Report metrics on small hand-made traces with known answers."""

import numpy as np
import pandas as pd
import pytest

from bench.report.metrics import add_regret, best_at, budget_grid, final_table, incumbent_curves


def trace(objective, strategy, seed, costs, values):
    cum = np.cumsum(costs)
    best = np.fmin.accumulate(np.array(values, dtype=float))
    return pd.DataFrame(
        {
            "objective": objective,
            "strategy": strategy,
            "seed": seed,
            "trial": np.arange(len(costs)),
            "cum_cost": cum,
            "value": values,
            "status": ["ok" if np.isfinite(v) else "failed" for v in values],
            "best": best,
            "incumbent_test": np.nan,
        }
    )


def test_best_at_reads_the_incumbent_of_each_budget():
    cum = np.array([1 / 3, 2 / 3, 1.0, 2.0])
    best = np.array([np.nan, 5.0, 4.0, 1.0])
    grid = np.array([0.1, 1 / 3, 0.5, 1.0, 1.5, 2.0, 3.0])
    np.testing.assert_array_equal(
        best_at(cum, best, grid), [np.nan, np.nan, np.nan, 4.0, 4.0, 1.0, 1.0]
    )


def test_budget_grid_is_the_distinct_costs_or_evenly_spaced_when_too_many():
    np.testing.assert_allclose(budget_grid(np.array([1.0, 2.0, 2.0, 3.0])), [1, 2, 3])
    grid = budget_grid(np.arange(1, 1001, dtype=float))
    assert len(grid) == 200 and grid[0] == 1 and grid[-1] == 1000


def test_regret_uses_the_optimum_and_aggregation_happens_per_seed_first():
    runs = pd.concat(
        [
            trace("f", "a", 0, [1, 1, 1], [5.0, 3.0, 4.0]),
            trace("f", "a", 1, [1, 1, 1], [2.0, 6.0, 1.0]),
            trace("f", "b", 0, [1, 1, 1], [9.0, 9.0, 9.0]),
            trace("f", "b", 1, [1, 1, 1], [0.5, 9.0, 9.0]),
        ]
    )
    curves = add_regret(incumbent_curves(runs), runs, {"f": 0.0})
    a0 = curves[(curves.strategy == "a") & (curves.seed == 0)]
    assert a0["regret"].tolist() == [5.0, 3.0, 3.0]
    assert set(curves["regret_kind"]) == {"regret"}
    table = final_table(curves).set_index("strategy")
    assert table.loc["a", "median_regret"] == pytest.approx(2.0)
    assert table.loc["b", "median_regret"] == pytest.approx(4.75)
    # seed 0: a (3) beats b (9); seed 1: b (0.5) beats a (1)
    assert table.loc["a", "mean_rank"] == 1.5 and table.loc["b", "mean_rank"] == 1.5


def test_without_an_optimum_regret_is_normalised_by_best_and_median():
    runs = pd.concat(
        [
            trace("g", "a", 0, [1, 1], [4.0, 2.0]),
            trace("g", "b", 0, [1, 1], [6.0, 8.0]),
        ]
    )
    curves = add_regret(incumbent_curves(runs), runs, {"g": None})
    # f_best = 2, f_ref = median(4, 2, 6, 8) = 5
    final = curves[curves.budget == 2].set_index("strategy")["regret"]
    assert final["a"] == 0.0 and final["b"] == pytest.approx((6 - 2) / (5 - 2))
    assert set(curves["regret_kind"]) == {"normalised regret"}


def test_fractional_costs_share_one_grid_per_objective():
    runs = pd.concat(
        [
            trace("h", "hb", 0, [1 / 3, 1 / 3, 1 / 3, 1], [np.nan, np.nan, 2.0, 1.0]),
            trace("h", "rs", 0, [1, 1], [3.0, 0.5]),
        ]
    )
    curves = incumbent_curves(runs)
    assert sorted(curves["budget"].unique()) == pytest.approx([1 / 3, 2 / 3, 1.0, 2.0])
    rs = curves[curves.strategy == "rs"].set_index("budget")["best"]
    assert np.isnan(rs.iloc[0]) and rs.iloc[-1] == 0.5


def test_regret_of_a_noisy_function_is_judged_on_the_incumbents_noiseless_value():
    runs = trace("n", "a", 0, [1, 1], [0.5, -0.2])
    runs["incumbent_test"] = [1.0, 0.3]
    curves = add_regret(incumbent_curves(runs), runs, {"n": 0.0})
    assert curves["regret"].tolist() == [1.0, 0.3]
