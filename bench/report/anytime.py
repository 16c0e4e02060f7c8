"""Fixed-target statistics: the budget each run needs to reach a target, the
empirical distribution of those budgets (COCO's data profile, or ECDF) and the
expected running time (ERT).

Budgets are cumulative cost in full-evaluation equivalents (``cum_cost``).
Targets come from an objective's known optimum (regret 1e-1 ... 1e-5) where it
has one, else from quantiles over seeds of random search's final incumbents
(``parallel.random_targets``). A run reaches a target at the first trial after
which its incumbent is at or below it; a run that never does has runtime inf.
Hansen et al., "COCO: performance assessment" (2016/2022), define the data
profile and ERT used here. Pure functions: frames in, frames out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from bench.report.metrics import Reference, budget_grid
from bench.report.parallel import random_targets

#: Regret targets for objectives with a known optimum (COCO uses 1e2 ... 1e-8).
REGRET_TARGETS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)
#: Quantiles, over seeds, of one-worker random search's final incumbents, for
#: objectives without a known optimum: from "better than 9 in 10 random runs"
#: to "better than 1 in 4".
TARGET_QUANTILES = (0.1, 0.25, 0.5, 0.75)
TARGET_COLUMNS = ("objective", "target", "measure", "level", "threshold")
RUNTIME_COLUMNS = ("objective", "strategy", "seed", "target", "level", "runtime", "start", "used")
ERT_COLUMNS = ("objective", "target", "level", "strategy", "runs", "reached", "ert")
RUN = ["objective", "strategy", "seed"]


def targets(
    runs: pd.DataFrame,
    refs: Mapping[str, Reference],
    quantiles: Sequence[float] = TARGET_QUANTILES,
) -> pd.DataFrame:
    """(``TARGET_COLUMNS``) the targets of every objective in ``refs``: a run
    reaches one when its ``measure`` column is at or below ``threshold``.
    Known optimum: measure ``regret``, one target per ``REGRET_TARGETS`` (level
    = threshold). Else: measure ``best``, level = the quantile, threshold = that
    quantile of random search's finals; no one-worker random run, no target."""
    rows = [
        (name, regret_name(level), "regret", level, level)
        for name, ref in refs.items()
        if ref.optimum is not None
        for level in REGRET_TARGETS
    ]
    normalised = [name for name, ref in refs.items() if ref.optimum is None]
    quantile_targets = random_targets(runs[runs["objective"].isin(normalised)], quantiles)
    rows += [
        (name, f"random's q{q:g}", "best", q, threshold)
        for name, q, threshold in quantile_targets.itertuples(index=False)
    ]
    frame = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    order = ["objective", "measure", "level"]
    return frame.sort_values(order, ascending=[True, True, False], ignore_index=True)


def regret_name(level: float) -> str:
    """A regret target's name: "regret 1e-3" for 0.001 (a power of ten)."""
    return f"regret 1e{round(math.log10(level))}"


def runtimes(rows: pd.DataFrame, goals: pd.DataFrame) -> pd.DataFrame:
    """(``RUNTIME_COLUMNS``) for every run of ``rows`` (trial rows with a
    ``regret`` column: ``metrics.add_regret``) and every target of its
    objective in ``goals`` (``targets``): ``runtime``, the cumulative cost
    after the first trial whose incumbent reaches the target (inf if none
    does), ``start``, the cost of its first trial, and ``used``, its whole
    cumulative cost."""
    cost = rows.groupby(RUN, sort=True)["cum_cost"]
    used = pd.concat([cost.min().rename("start"), cost.max().rename("used")], axis=1)
    used = used.reset_index()
    parts = []
    for objective, own in goals.groupby("objective", sort=True):
        of = rows[rows["objective"] == objective]
        runs_of = used[used["objective"] == objective]
        columns = ["target", "measure", "level", "threshold"]
        for target, measure, level, threshold in own[columns].itertuples(index=False):
            hit = of[of[measure] <= threshold].groupby(RUN)["cum_cost"].min().rename("runtime")
            part = runs_of.merge(hit.reset_index(), on=RUN, how="left")
            parts.append(part.assign(target=target, level=level).fillna({"runtime": np.inf}))
    if not parts:
        return pd.DataFrame(columns=list(RUNTIME_COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(RUNTIME_COLUMNS)]


def ecdf_grid(times: pd.DataFrame) -> np.ndarray:
    """The budget points to read data profiles at (``metrics.budget_grid``):
    every finite runtime, and every run's first and whole budget."""
    columns = ("runtime", "start", "used")
    return budget_grid(np.concatenate([times[c].to_numpy(dtype=float) for c in columns]))


def ecdf(times: pd.DataFrame, grid: np.ndarray) -> pd.DataFrame:
    """COCO's data profile: per strategy and budget point of ``grid``, the
    ``fraction`` of its (objective, seed, target) triples in ``times`` reached
    within that budget, out of ``triples``."""
    parts = []
    for strategy, group in times.groupby("strategy", sort=True):
        spent = np.sort(group["runtime"].to_numpy(dtype=float))
        reached = np.searchsorted(spent, grid + 1e-9, side="right")
        parts.append(
            pd.DataFrame(
                {
                    "strategy": strategy,
                    "budget": grid,
                    "fraction": reached / spent.size,
                    "triples": spent.size,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["strategy", "budget", "fraction", "triples"])
    return pd.concat(parts, ignore_index=True)


def ert(times: pd.DataFrame) -> pd.DataFrame:
    """(``ERT_COLUMNS``) per objective, target and strategy, the expected
    running time: the budget its runs spent until they reached the target (a
    run that never did counts its whole budget), summed over runs, divided by
    the number of runs that reached it (inf if none did)."""
    runtime, used = times["runtime"].to_numpy(float), times["used"].to_numpy(float)
    reached = np.isfinite(runtime)
    spent = times.assign(spent=np.where(reached, runtime, used), hit=reached.astype(int))
    table = (
        spent.groupby(["objective", "target", "level", "strategy"], sort=True)
        .agg(runs=("seed", "size"), reached=("hit", "sum"), spent=("spent", "sum"))
        .reset_index()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ert"] = np.where(table["reached"] > 0, table["spent"] / table["reached"], np.inf)
    return table[list(ERT_COLUMNS)]
