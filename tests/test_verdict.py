"""Verdicts on paired data where the answer is known: a clear win, a clear loss, a tie."""

import numpy as np
import pytest

from bench.report.verdict import paired_verdict

CLAIM = "random search beats grid search"


def test_a_clear_win_is_supported_with_a_positive_interval():
    grid = np.linspace(1.0, 2.0, 10)
    random = grid - 0.5 - np.linspace(0, 0.1, 10)
    verdict = paired_verdict(CLAIM, random, grid, unit="regret")
    assert verdict.holds == "supported"
    assert verdict.effect == pytest.approx(0.55)
    assert 0 < verdict.ci_low <= verdict.effect <= verdict.ci_high
    assert verdict.p_value == pytest.approx(2 / 1024)
    assert verdict.pairs == 10
    assert verdict.sentence().startswith(
        "Supported: random search beats grid search (median effect +0.55"
    )


def test_a_clear_loss_is_contradicted():
    grid = np.linspace(1.0, 2.0, 10)
    verdict = paired_verdict(CLAIM, grid * 10, grid, unit="decades of regret", log=True)
    assert verdict.holds == "contradicted"
    assert verdict.effect == pytest.approx(-1.0)
    assert verdict.ci_high < 0
    assert "Contradicted" in verdict.sentence()


def test_a_tie_is_inconclusive_and_says_the_interval_includes_zero():
    rng = np.random.default_rng(0)
    a = rng.normal(size=12)
    b = a + rng.normal(scale=1.0, size=12) * np.array([1, -1] * 6)
    verdict = paired_verdict(CLAIM, a, b, unit="regret")
    assert verdict.holds == "inconclusive"
    assert verdict.ci_low <= 0 <= verdict.ci_high
    assert "the confidence interval includes 0" in verdict.sentence()


def test_identical_runs_are_inconclusive_with_p_one():
    values = np.arange(8.0)
    verdict = paired_verdict(CLAIM, values, values, unit="regret")
    assert verdict.holds == "inconclusive" and verdict.p_value == 1.0 and verdict.effect == 0.0


def test_missing_pairs_are_dropped():
    verdict = paired_verdict(CLAIM, [1.0, np.nan, 1.0], [2.0, 3.0, np.nan], unit="regret")
    assert verdict.pairs == 1 and verdict.effect == 1.0


def test_budget_to_reach_is_the_first_budget_at_or_below_the_target():
    import pandas as pd

    from bench.report.lessons import budget_to_reach

    curve = pd.DataFrame({"budget": [1.0, 2.0, 3.0, 4.0], "best": [0.5, 0.3, 0.3, 0.1]})
    assert budget_to_reach(curve, 0.3) == 2.0
    assert budget_to_reach(curve, 0.1) == 4.0
    assert budget_to_reach(curve, 0.05) == float("inf")


def test_series_are_paired_by_seed_not_by_position():
    import pandas as pd

    winner = pd.Series([1.0, 1.0, 1.0], index=[0, 1, 3])
    loser = pd.Series([2.0, 5.0, 3.0], index=[3, 1, 2])
    verdict = paired_verdict(CLAIM, winner, loser, unit="regret")
    assert verdict.pairs == 2 and verdict.effect == pytest.approx(2.5)  # seeds 1 and 3: 4 and 1


def test_at_budget_reads_the_first_grid_point_at_or_after_the_budget():
    import pandas as pd

    from bench.report.lessons import at_budget

    curves = pd.DataFrame({"budget": [0.5, 1.2, 2.9, 3.4], "best": [4.0, 3.0, 2.0, 1.0]})
    assert at_budget(curves, 1.0)["best"].tolist() == [3.0]
    assert at_budget(curves, 3.4)["best"].tolist() == [1.0]
    assert at_budget(curves, 10)["best"].tolist() == [1.0]
