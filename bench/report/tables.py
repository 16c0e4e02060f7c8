"""The report's tables: final-budget results with tests against random search."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.report.metrics import BASELINE, final_rows, median_band, seed_ranks
from bench.report.stats import ALPHA, holm, paired_wilcoxon, verdict

#: The columns of ``final_table`` (summary.csv), in order.
SUMMARY_COLUMNS = (
    "objective",
    "strategy",
    "seeds",
    "budget",
    "median_regret",
    "ci_low",
    "ci_high",
    "mean_rank",
    "median_best",
    "median_test",
    "regret_kind",
    "pairs",
    "p_value",
    "p_holm",
    "verdict",
)


def final_table(
    curves: pd.DataFrame, *, baseline: str = BASELINE, alpha: float = ALPHA
) -> pd.DataFrame:
    """One row per objective and strategy at the objective's final budget.

    Columns: seeds, budget, median_regret with its 95% bootstrap CI
    (ci_low, ci_high), mean_rank over seeds (1 = best, ties share, no result
    ranks last), median_best (the value searchers saw: validation error for an
    MLP), median_test (the incumbent's test value, NaN where none), pairs,
    p_value and p_holm of a two-sided Wilcoxon signed-rank test against
    ``baseline`` on paired seeds (Holm over the strategies of one objective),
    and verdict: better / worse / no difference / baseline."""
    last = final_rows(curves).copy()
    last["rank"] = seed_ranks(last)
    rows = []
    for (objective, strategy), group in last.groupby(["objective", "strategy"], sort=True):
        regret = group["regret"].to_numpy(dtype=float)
        finite = regret[~np.isnan(regret)]
        median, low, high = (
            median_band(finite[:, None]) if finite.size else (np.array([np.nan]),) * 3
        )
        rows.append(
            {
                "objective": objective,
                "strategy": strategy,
                "seeds": group["seed"].nunique(),
                "budget": float(group["budget"].max()),
                "median_regret": float(median[0]),
                "ci_low": float(low[0]),
                "ci_high": float(high[0]),
                "mean_rank": float(group["rank"].mean()),
                "median_best": float(group["best"].median()),
                "median_test": float(group["incumbent_test"].median())
                if group["incumbent_test"].notna().any()
                else np.nan,
                "regret_kind": group["regret_kind"].iloc[0],
            }
        )
    table = pd.DataFrame(rows)
    tests = [
        _against(last[last["objective"] == o], baseline, alpha) for o in table["objective"].unique()
    ]
    return table.merge(
        pd.concat(tests, ignore_index=True), on=["objective", "strategy"], how="left"
    )


def _against(last: pd.DataFrame, baseline: str, alpha: float) -> pd.DataFrame:
    objective = last["objective"].iloc[0]
    strategies = sorted(last["strategy"].unique())
    wide = last.pivot(index="seed", columns="strategy", values="regret")
    if baseline not in strategies:
        return pd.DataFrame(
            {
                "objective": objective,
                "strategy": strategies,
                "pairs": 0,
                "p_value": np.nan,
                "p_holm": np.nan,
                "verdict": f"no {baseline}",
            }
        )
    others = [s for s in strategies if s != baseline]
    tests = [paired_wilcoxon(wide[s].to_numpy(), wide[baseline].to_numpy()) for s in others]
    adjusted = holm([t.p_value for t in tests])
    out = [
        {
            "objective": objective,
            "strategy": s,
            "pairs": t.pairs,
            "p_value": t.p_value,
            "p_holm": p,
            "verdict": verdict(p, t.direction, alpha),
        }
        for s, t, p in zip(others, tests, adjusted)
    ]
    out.append(
        {
            "objective": objective,
            "strategy": baseline,
            "pairs": int(wide[baseline].notna().sum()),
            "p_value": np.nan,
            "p_holm": np.nan,
            "verdict": "baseline",
        }
    )
    return pd.DataFrame(out)


def overall_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per strategy over objectives: mean of the per-objective mean ranks at the
    final budget, and on how many objectives it is better / worse than the
    baseline / not different. Sorted best first."""
    grouped = table.groupby("strategy")
    out = pd.DataFrame(
        {
            "objectives": grouped["objective"].nunique(),
            "mean_rank": grouped["mean_rank"].mean(),
            "better": grouped["verdict"].agg(lambda v: int((v == "better").sum())),
            "worse": grouped["verdict"].agg(lambda v: int((v == "worse").sum())),
            "no_difference": grouped["verdict"].agg(lambda v: int((v == "no difference").sum())),
        }
    )
    return out.reset_index().sort_values(["mean_rank", "strategy"], ignore_index=True)
