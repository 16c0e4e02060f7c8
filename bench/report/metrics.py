"""Pure functions from stored trial rows to the numbers the report shows."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

#: Regret below this is drawn at this value on log axes.
REGRET_FLOOR = 1e-12
#: At most this many budget points per objective on the x axis.
MAX_POINTS = 200


def budget_grid(cum_cost: np.ndarray) -> np.ndarray:
    """Budget points to read every run's incumbent at: the distinct cumulative
    costs, or ``MAX_POINTS`` evenly spaced ones if there are more."""
    points = np.unique(np.round(cum_cost[np.isfinite(cum_cost)], 9))
    if len(points) > MAX_POINTS:
        points = np.linspace(points[0], points[-1], MAX_POINTS)
    return points


def best_at(cum_cost: np.ndarray, best: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """One run's incumbent value at each budget in ``grid`` (NaN before its
    first full-fidelity success). ``cum_cost`` must be increasing."""
    index = np.searchsorted(cum_cost, grid + 1e-9, side="right") - 1
    out = np.full(len(grid), np.nan)
    valid = index >= 0
    out[valid] = best[index[valid]]
    return out


def incumbent_curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Long frame (objective, strategy, seed, budget, best, incumbent_test): each
    seed's running best, and its incumbent's test value, on a common budget grid
    per objective. Aggregating over seeds happens after this, never before (no
    running best of a mean)."""
    parts = []
    for objective, rows in runs.groupby("objective", sort=True):
        grid = budget_grid(rows["cum_cost"].to_numpy())
        for (strategy, seed), run in rows.groupby(["strategy", "seed"], sort=True):
            run = run.sort_values("trial")
            cum_cost = run["cum_cost"].to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "objective": objective,
                        "strategy": strategy,
                        "seed": seed,
                        "budget": grid,
                        "best": best_at(cum_cost, run["best"].to_numpy(), grid),
                        "incumbent_test": best_at(cum_cost, run["incumbent_test"].to_numpy(), grid),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def add_regret(
    curves: pd.DataFrame, runs: pd.DataFrame, optima: Mapping[str, float | None]
) -> pd.DataFrame:
    """Add ``regret``: where the optimum is known, the incumbent's value minus the
    optimum, judged on its ``incumbent_test`` value when the runs record one (a
    noisy function's noiseless value) and on ``best`` otherwise; where it is
    not, the normalised regret (best - f_best) / (f_ref - f_best), with f_best
    the best value any stored run found and f_ref the median of all successful
    full-fidelity evaluations of that objective. ``regret_kind`` says which."""
    curves = curves.copy()
    curves["regret"] = np.nan
    curves["regret_kind"] = ""
    for objective, index in curves.groupby("objective").groups.items():
        optimum = optima.get(objective)
        if optimum is not None:
            judged = curves.loc[index, "incumbent_test"]
            if judged.isna().all():
                judged = curves.loc[index, "best"]
            curves.loc[index, "regret"] = judged - optimum
            curves.loc[index, "regret_kind"] = "regret"
        else:
            ok = runs[(runs["objective"] == objective) & (runs["status"] == "ok")]["value"]
            f_best, f_ref = ok.min(), ok.median()
            scale = f_ref - f_best if f_ref > f_best else 1.0
            curves.loc[index, "regret"] = (curves.loc[index, "best"] - f_best) / scale
            curves.loc[index, "regret_kind"] = "normalised regret"
    return curves


def final_table(curves: pd.DataFrame) -> pd.DataFrame:
    """Per objective and strategy at the final budget: seeds, median and
    quartiles of regret, median best value, and the mean rank over seeds
    (1 = best; ties share the mean rank; paired by seed)."""
    last = curves[curves["budget"] == curves.groupby("objective")["budget"].transform("max")].copy()
    last["rank"] = last.groupby(["objective", "seed"])["regret"].rank(method="average")
    grouped = last.groupby(["objective", "strategy"], sort=True)
    table = pd.DataFrame(
        {
            "seeds": grouped["seed"].nunique(),
            "budget": grouped["budget"].max(),
            "median_best": grouped["best"].median(),
            "median_regret": grouped["regret"].median(),
            "q25_regret": grouped["regret"].quantile(0.25),
            "q75_regret": grouped["regret"].quantile(0.75),
            "mean_rank": grouped["rank"].mean(),
            "regret_kind": grouped["regret_kind"].first(),
        }
    ).reset_index()
    return table


def median_band(
    values: np.ndarray, *, confidence: float = 0.95, n_resamples: int = 1000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median over seeds (rows) at each budget point (columns), with a percentile
    bootstrap confidence band (scipy.stats.bootstrap). Columns with a missing
    value, or fewer than two seeds, get no band (NaN)."""
    median = np.median(values, axis=0)
    low = np.full(values.shape[1], np.nan)
    high = np.full(values.shape[1], np.nan)
    complete = ~np.isnan(values).any(axis=0)
    if values.shape[0] >= 2 and complete.any():
        result = stats.bootstrap(
            (values[:, complete],),
            np.median,
            axis=0,
            vectorized=True,
            method="percentile",
            confidence_level=confidence,
            n_resamples=n_resamples,
            rng=seed,
        )
        low[complete] = result.confidence_interval.low
        high[complete] = result.confidence_interval.high
    return median, low, high


def seed_matrix(curves: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` of one objective and strategy as a (seeds, budget points) matrix."""
    wide = curves.pivot(index="seed", columns="budget", values=column)
    return wide.columns.to_numpy(dtype=float), wide.to_numpy(dtype=float)
