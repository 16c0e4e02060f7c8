"""Pure functions from stored trial rows to the numbers the report shows.

Every aggregate is taken over seeds *after* each seed's running best is read on
a common axis: never the running best of a mean.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

#: Regret below this is drawn at this value on log axes: a known optimum is
#: stored to full precision, normalised regret is relative to a random
#: configuration's median (0 for the run that found the best value).
FLOORS = {"regret": 1e-12, "normalised regret": 1e-4}
#: At most this many points per objective on a curve's x axis.
MAX_POINTS = 200
#: The strategy every other one is tested against.
BASELINE = "random"

Axis = Literal["budget", "seconds"]

log = logging.getLogger("bench")


def budget_grid(cum_cost: np.ndarray) -> np.ndarray:
    """Budget points to read every run's incumbent at: the distinct cumulative
    costs, or ``MAX_POINTS`` evenly spaced ones if there are more."""
    points = np.unique(np.round(cum_cost[np.isfinite(cum_cost)], 9))
    if len(points) > MAX_POINTS:
        points = np.linspace(points[0], points[-1], MAX_POINTS)
    return points


def time_grid(cum_seconds: np.ndarray) -> np.ndarray:
    """``MAX_POINTS`` log-spaced wall times (s) from the earliest to the latest
    cumulative time of any trial."""
    positive = cum_seconds[np.isfinite(cum_seconds) & (cum_seconds > 0)]
    if positive.size == 0:
        return np.array([0.0])
    low, high = positive.min(), positive.max()
    if high <= low:
        return np.array([high])
    return np.geomspace(low, high, MAX_POINTS)


def best_at(cum: np.ndarray, best: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """One run's incumbent value at each point of ``grid`` (NaN before its first
    full-fidelity success). ``cum`` (cumulative cost or seconds) must be
    increasing."""
    index = np.searchsorted(cum, grid + 1e-9, side="right") - 1
    out = np.full(len(grid), np.nan)
    valid = index >= 0
    out[valid] = best[index[valid]]
    return out


def wall_seconds(run: pd.DataFrame) -> np.ndarray:
    """Cumulative wall time (s) of one run, trial by trial: optimizer time (ask and
    tell) plus evaluation time."""
    return np.cumsum((run["t_ask"] + run["t_eval"] + run["t_tell"]).to_numpy(dtype=float))


CURVE_COLUMNS = ("objective", "strategy", "seed", "best", "incumbent_test")


def incumbent_curves(runs: pd.DataFrame, axis: Axis = "budget") -> pd.DataFrame:
    """Long frame (objective, strategy, seed, <axis>, best, incumbent_test): each
    seed's running best and its incumbent's test value, read on a common grid per
    objective: cumulative cost in full-evaluation equivalents (``budget``) or
    cumulative wall time in seconds (``seconds``). No rows give an empty frame."""
    parts = []
    for objective, rows in runs.groupby("objective", sort=True):
        ordered = {key: run.sort_values("trial") for key, run in rows.groupby(["strategy", "seed"])}
        cums = {
            key: run["cum_cost"].to_numpy(dtype=float) if axis == "budget" else wall_seconds(run)
            for key, run in ordered.items()
        }
        every = np.concatenate(list(cums.values()))
        grid = budget_grid(every) if axis == "budget" else time_grid(every)
        for (strategy, seed), run in ordered.items():
            cum = cums[strategy, seed]
            parts.append(
                pd.DataFrame(
                    {
                        "objective": objective,
                        "strategy": strategy,
                        "seed": seed,
                        axis: grid,
                        "best": best_at(cum, run["best"].to_numpy(dtype=float), grid),
                        "incumbent_test": best_at(cum, _test_values(run), grid),
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=[*CURVE_COLUMNS[:3], axis, *CURVE_COLUMNS[3:]])
    return pd.concat(parts, ignore_index=True)


def _test_values(rows: pd.DataFrame) -> np.ndarray:
    """The incumbents' test values of ``rows`` (all missing in runs stored without them)."""
    if "incumbent_test" not in rows:
        return np.full(len(rows), np.nan)
    return rows["incumbent_test"].to_numpy(dtype=float)


def without_result(runs: pd.DataFrame) -> dict[str, str]:
    """Objectives of ``runs`` with no successful full-fidelity trial in any run
    (so no incumbent anywhere), each with what its runs hold, in words."""
    out = {}
    for objective, rows in runs.groupby("objective", sort=True):
        if rows["best"].notna().any():
            continue
        statuses = rows["status"].value_counts()
        held = ", ".join(f"{count} {status}" for status, count in statuses.items())
        what = (
            "no successful full-fidelity trial"
            if (rows["status"] == "ok").any()
            else "no successful trial"
        )
        runs_of = rows.groupby(["strategy", "seed"]).ngroups
        out[objective] = (
            f"{objective}: {what} in {runs_of} run{'s' if runs_of != 1 else ''} "
            f"({len(rows)} trial{'s' if len(rows) != 1 else ''}: {held})"
        )
    return out


@dataclass(frozen=True)
class Reference:
    """How an objective's regret is measured.

    With a known optimum, regret = incumbent - optimum (``judged_on`` says
    whether the incumbent's noiseless/test value or its observed value is
    used). Without one, normalised regret = (best - f_best) / (f_ref - f_best):
    0 is the best value any stored run found, 1 the median of a random
    configuration; ``source`` says how f_ref was estimated. A known optimum the
    runs went below is dropped: ``rejected_optimum`` holds it and ``lowest``
    the lowest value seen.
    """

    objective: str
    kind: str
    optimum: float | None = None
    f_best: float | None = None
    f_ref: float | None = None
    judged_on: str = "best"
    source: str = "known optimum"
    rejected_optimum: float | None = None
    lowest: float | None = None

    def regret(self, best: pd.Series, incumbent_test: pd.Series) -> pd.Series:
        if self.optimum is not None:
            judged = incumbent_test if self.judged_on == "incumbent_test" else best
            return (judged - self.optimum).clip(lower=0.0)
        scale = self.f_ref - self.f_best if self.f_ref > self.f_best else 1.0
        return (best - self.f_best) / scale

    @property
    def note(self) -> str:
        """Why a known optimum was dropped, in words ("" if it was not)."""
        if self.rejected_optimum is None:
            return ""
        return (
            f"{self.objective}: known optimum {self.rejected_optimum!r} rejected, since the runs "
            f"went below it (lowest value seen {self.lowest!r}); it cannot be right for these "
            f"runs, so {self.objective} is measured by normalised regret instead."
        )


def tolerance(optimum: float) -> float:
    """How far below a known optimum a value may be and still count as rounding."""
    return 1e-9 * max(1.0, abs(optimum))


def references(
    runs: pd.DataFrame,
    optima: Mapping[str, float | None],
    samples: Mapping[str, Sequence[float]] | None = None,
) -> dict[str, Reference]:
    """The regret reference of every objective in ``runs``.

    A known optimum is used unless the values regret is read from (the
    incumbents' noiseless values where the runs record them, else the observed
    ones) go below it by more than ``tolerance``: then it is dropped with a
    warning and the objective falls back to normalised regret. f_ref comes from
    ``random``'s successful full-fidelity evaluations where the runs hold them,
    else from ``samples`` (values at a seeded sample of configurations: the
    manifest's signatures), else from all successful evaluations of the
    objective (and the source says so)."""
    samples = samples or {}
    out: dict[str, Reference] = {}
    for objective, rows in runs.groupby("objective", sort=True):
        optimum = optima.get(objective)
        known = _known(objective, rows, float(optimum)) if optimum is not None else None
        if known is not None and known.rejected_optimum is None:
            out[objective] = known
            continue
        out[objective] = _normalised(objective, rows, samples.get(objective, []))
        if known is not None:
            out[objective] = replace(
                out[objective],
                rejected_optimum=known.rejected_optimum,
                lowest=known.lowest,
                source=f"optimum {known.rejected_optimum!r} rejected; {out[objective].source}",
            )
            log.warning("%s", out[objective].note)
    return out


def _known(objective: str, rows: pd.DataFrame, optimum: float) -> Reference:
    """Regret against ``optimum``, or (``rejected_optimum`` set) the lowest value
    that shows it wrong."""
    test = _test_values(rows)
    has_test = bool(np.isfinite(test).any())
    judged = test if has_test else rows["best"].to_numpy(dtype=float)
    judged = judged[np.isfinite(judged)]
    lowest = float(judged.min()) if judged.size else None
    if lowest is not None and lowest < optimum - tolerance(optimum):
        return Reference(objective, "regret", rejected_optimum=optimum, lowest=lowest)
    return Reference(
        objective,
        "regret",
        optimum=optimum,
        judged_on="incumbent_test" if has_test else "best",
        source="known optimum"
        + (" (judged on the incumbent's noiseless value)" if has_test else ""),
    )


def _normalised(objective: str, rows: pd.DataFrame, sample: Sequence[float]) -> Reference:
    """Normalised regret: 0 at the best value found, 1 at a random configuration's median."""
    full = rows[(rows["status"] == "ok") & full_fidelity(rows)]
    random_values = full.loc[full["strategy"] == BASELINE, "value"]
    sample = np.asarray(sample, dtype=float)
    sample = sample[np.isfinite(sample)]
    if len(random_values):
        f_ref = float(random_values.median())
        source = f"median of random search's {len(random_values)} full-fidelity evaluations"
    elif sample.size:
        f_ref = float(np.median(sample))
        source = f"median of {sample.size} seeded random configurations (the signature)"
    else:
        f_ref = float(full["value"].median())
        source = f"median of all {len(full)} full-fidelity evaluations (no random search)"
    return Reference(
        objective,
        "normalised regret",
        f_best=float(full["value"].min()),
        f_ref=f_ref,
        source=source,
    )


def full_fidelity(rows: pd.DataFrame) -> pd.Series:
    """Rows evaluated at full fidelity (no fidelity recorded, or cost 1)."""
    return rows["fidelity"].isna() | np.isclose(rows["cost"], 1.0)


def add_regret(curves: pd.DataFrame, refs: Mapping[str, Reference]) -> pd.DataFrame:
    """Add ``regret`` and ``regret_kind`` to incumbent curves, objective by objective."""
    curves = curves.copy()
    curves["regret"] = np.nan
    curves["regret_kind"] = ""
    for objective, index in curves.groupby("objective").groups.items():
        ref = refs[objective]
        rows = curves.loc[index]
        curves.loc[index, "regret"] = ref.regret(rows["best"], rows["incumbent_test"])
        curves.loc[index, "regret_kind"] = ref.kind
    return curves


RANK_COLUMNS = ("objective", "strategy", "budget", "mean_rank")
OVERHEAD_COLUMNS = (
    "strategy",
    "trials",
    "median_ms",
    "first_ms",
    "last_ms",
    "growth",
    "max_ms",
    "run_total_s",
    "startup_ms",
)


def ranks(curves: pd.DataFrame, axis: Axis = "budget") -> pd.DataFrame:
    """Mean rank (1 = best) of each strategy per objective and grid point, over
    seeds: strategies are ranked within each seed (common random numbers), ties
    share the mean rank, and a run with no result yet ranks last."""
    rank = seed_ranks(curves, axis)
    ranked = curves[["objective", "strategy", axis]].assign(rank=rank)
    return (
        ranked.groupby(["objective", "strategy", axis], sort=True)["rank"]
        .mean()
        .rename("mean_rank")
        .reset_index()
    )


def seed_ranks(curves: pd.DataFrame, axis: Axis = "budget") -> pd.Series:
    """Each row's rank among the strategies of its objective, seed and grid point
    (1 = lowest regret; ties share the mean rank; no result yet ranks last)."""
    regret = curves["regret"].fillna(np.inf)
    return regret.groupby([curves["objective"], curves["seed"], curves[axis]]).rank(
        method="average"
    )


def mean_ranks(rank_curves: pd.DataFrame, axis: Axis = "budget") -> pd.DataFrame:
    """Mean rank over objectives at each point of the union of their grids (each
    objective's mean rank read as a step function; points before an objective's
    first grid point are left out of the mean)."""
    grid = np.unique(rank_curves[axis].to_numpy(dtype=float))
    parts = []
    for (_, strategy), rows in rank_curves.groupby(["objective", "strategy"], sort=True):
        rows = rows.sort_values(axis)
        parts.append(
            pd.DataFrame(
                {
                    "strategy": strategy,
                    axis: grid,
                    "mean_rank": best_at(
                        rows[axis].to_numpy(dtype=float), rows["mean_rank"].to_numpy(), grid
                    ),
                }
            )
        )
    joined = pd.concat(parts, ignore_index=True)
    return joined.groupby(["strategy", axis], sort=True)["mean_rank"].mean().reset_index()


def final_rows(curves: pd.DataFrame) -> pd.DataFrame:
    """The curves' rows at each objective's final budget point."""
    return curves[curves["budget"] == curves.groupby("objective")["budget"].transform("max")]


def at_fraction(curves: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """The curves' rows, per objective, at the first grid point at or after
    ``fraction`` of that objective's final budget point (``fraction=1``: the
    rows of ``final_rows``)."""
    parts = []
    for _, rows in curves.groupby("objective", sort=True):
        grid = np.sort(rows["budget"].unique())
        point = grid[min(np.searchsorted(grid, fraction * grid[-1] - 1e-9), len(grid) - 1)]
        parts.append(rows[rows["budget"] == point])
    if not parts:
        return curves.iloc[:0]
    return pd.concat(parts)


def median_band(
    values: np.ndarray, *, confidence: float = 0.95, n_resamples: int = 1000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median over seeds (rows) at each point (columns), with a percentile
    bootstrap confidence band (scipy.stats.bootstrap). A column with a missing
    value, or fewer than two seeds, gets no band (NaN); a constant column gets
    the degenerate band (the median itself). A column equal to the one before
    it (a step of incumbent curves) reuses that column's band."""
    values = np.asarray(values, dtype=float)
    median = np.median(values, axis=0)
    low = np.full(values.shape[1], np.nan)
    high = np.full(values.shape[1], np.nan)
    if values.shape[0] < 2 or values.shape[1] == 0:
        return median, low, high
    same = np.isclose(values[:, 1:], values[:, :-1], rtol=0, atol=0, equal_nan=True).all(axis=0)
    starts = np.flatnonzero(np.r_[True, ~same])
    column_of = np.cumsum(np.r_[True, ~same]) - 1
    distinct = values[:, starts]
    d_low = np.full(len(starts), np.nan)
    d_high = np.full(len(starts), np.nan)
    complete = ~np.isnan(distinct).any(axis=0)
    constant = complete & (np.ptp(np.where(complete, distinct, 0.0), axis=0) == 0)
    d_low[constant] = d_high[constant] = distinct[0, constant]
    varying = complete & ~constant
    if varying.any():
        result = stats.bootstrap(
            (distinct[:, varying],),
            np.median,
            axis=0,
            vectorized=True,
            method="percentile",
            confidence_level=confidence,
            n_resamples=n_resamples,
            rng=seed,
        )
        d_low[varying] = result.confidence_interval.low
        d_high[varying] = result.confidence_interval.high
    return median, d_low[column_of], d_high[column_of]


def seed_matrix(
    curves: pd.DataFrame, column: str, axis: Axis = "budget"
) -> tuple[np.ndarray, np.ndarray]:
    """``column`` of one objective and strategy as a (seeds, grid points) matrix."""
    wide = curves.pivot(index="seed", columns=axis, values=column)
    return wide.columns.to_numpy(dtype=float), wide.to_numpy(dtype=float)


def overhead(runs: pd.DataFrame) -> pd.DataFrame:
    """Optimizer time per trial (ask + tell, in milliseconds): the median over
    objectives and seeds of each strategy at each trial number."""
    ms = (runs["t_ask"] + runs["t_tell"]) * 1e3
    frame = runs[["strategy", "trial"]].assign(ms=ms)
    return frame.groupby(["strategy", "trial"], sort=True)["ms"].median().reset_index()


def overhead_table(
    runs: pd.DataFrame,
    window: int = 10,
    startup: Mapping[tuple[str, str, int], float] | None = None,
) -> pd.DataFrame:
    """Per strategy: trials, median ms per trial over all trials, over each run's
    first ``window`` trials and over its last ``window`` trials, and their ratio
    (how the optimizer's cost grows with the number of trials); the largest
    single ask + tell (ms) and the median over runs of a run's total ask + tell
    (s), which a median per trial hides when a library refits now and then; and
    the median over runs of the constructor's time (ms) from ``startup``
    ((objective, strategy, seed) -> seconds; NaN for a strategy without one)."""
    ms = (runs["t_ask"] + runs["t_tell"]) * 1e3
    frame = runs[["strategy", "objective", "seed", "trial"]].assign(ms=ms)
    last_trial = frame.groupby(["strategy", "objective", "seed"])["trial"].transform("max")
    first = frame[frame["trial"] < window]
    last = frame[frame["trial"] > last_trial - window]
    table = pd.DataFrame(
        {
            "trials": frame.groupby("strategy")["ms"].size(),
            "median_ms": frame.groupby("strategy")["ms"].median(),
            "first_ms": first.groupby("strategy")["ms"].median(),
            "last_ms": last.groupby("strategy")["ms"].median(),
            "max_ms": frame.groupby("strategy")["ms"].max(),
            "run_total_s": frame.groupby(["strategy", "objective", "seed"])["ms"]
            .sum()
            .groupby("strategy")
            .median()
            / 1e3,
        }
    )
    table["growth"] = table["last_ms"] / table["first_ms"]
    starts = pd.Series(
        {key: seconds * 1e3 for key, seconds in (startup or {}).items()}, dtype=float
    )
    by_strategy = starts.groupby(level=1).median() if len(starts) else pd.Series(dtype=float)
    table["startup_ms"] = by_strategy.reindex(table.index)
    return table.reset_index().sort_values("median_ms", ignore_index=True)
