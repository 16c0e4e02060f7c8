"""Runs with several simulated workers: the incumbent against simulated wall-clock
time, the time to reach a target, the parallel speed-up, and their figures.

A run's rows are in completion order: ``t_end`` is the simulated second (s) at
which a trial ended and ``best`` the incumbent (best full-fidelity value told so
far) at that moment, so a run's incumbent at time t is ``best`` of its last row
with ``t_end <= t``. ``workers`` holds a run's number of workers W; reports name
a run with W > 1 "name ×W" (``bench.spec.run_label``), and every frame here
carries the base name in ``strategy`` and W in ``workers`` instead. Pure
functions: frames in, frames (or figure files) out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

from bench.report.figures import _legend, _thin_log_ticks, save
from bench.report.metrics import BASELINE, FLOORS, best_at, time_grid

#: Targets are these quantiles, over seeds, of one-worker random search's final
#: incumbents: 0.5 is lesson 4's "final median of random"; 0.75 is looser (three
#: in four random runs reach it), so random search's own median time is finite.
TARGET_QUANTILES = (0.5, 0.75)
#: The curve frame's columns, in order.
CURVE_COLUMNS = ("objective", "strategy", "workers", "seed", "time", "best", "incumbent_test")
#: The time-to-target table's columns (``target_table``), in order.
TARGET_COLUMNS = (
    "objective",
    "quantile",
    "target",
    "strategy",
    "workers",
    "runs",
    "reached",
    "median_time",
    "speedup",
)


def has_workers(runs: pd.DataFrame) -> bool:
    """Whether any run of ``runs`` had more than one simulated worker (rows
    without a ``workers`` value, stored before workers existed, count as W = 1)."""
    return "workers" in runs and bool((runs["workers"].fillna(1) > 1).any())


def base_name(strategy: str, workers: int) -> str:
    """The strategy's name without the " ×W" that ``run_label`` adds for W > 1."""
    return strategy if workers == 1 else strategy.removesuffix(f" ×{workers}")


def run_frames(runs: pd.DataFrame) -> dict[tuple[str, str, int, int], pd.DataFrame]:
    """Each run's rows, ordered by end time (then completion order), keyed by
    (objective, base strategy name, W, seed). Rows without ``t_end`` are dropped."""
    runs = runs[runs["t_end"].notna()]
    workers = runs["workers"].fillna(1).astype(int)
    out = {}
    for (objective, label, w, seed), rows in runs.groupby(
        [runs["objective"], runs["strategy"], workers, runs["seed"]], sort=True
    ):
        key = (objective, base_name(label, int(w)), int(w), int(seed))
        out[key] = rows.sort_values(["t_end", "trial"], kind="stable")
    return out


def simulated_curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Long frame (``CURVE_COLUMNS``): each run's incumbent ``best`` (and its
    ``incumbent_test``) at each point of one grid of simulated seconds per
    objective and W (``metrics.time_grid`` of those runs' end times: log-spaced
    from the first trial's end to the last). NaN before a run's first
    full-fidelity result; a run that has ended keeps its final incumbent."""
    frames = run_frames(runs)
    grids: dict[tuple[str, int], np.ndarray] = {}
    for (objective, _, w, _), rows in frames.items():
        grids.setdefault((objective, w), np.array([]))
        grids[objective, w] = np.concatenate([grids[objective, w], rows["t_end"].to_numpy(float)])
    grids = {key: time_grid(ends) for key, ends in grids.items()}
    parts = []
    for (objective, strategy, w, seed), rows in frames.items():
        grid = grids[objective, w]
        ends = rows["t_end"].to_numpy(dtype=float)
        test = rows["incumbent_test"] if "incumbent_test" in rows else pd.Series(np.nan, rows.index)
        parts.append(
            pd.DataFrame(
                {
                    "objective": objective,
                    "strategy": strategy,
                    "workers": w,
                    "seed": seed,
                    "time": grid,
                    "best": best_at(ends, rows["best"].to_numpy(dtype=float), grid),
                    "incumbent_test": best_at(ends, test.to_numpy(dtype=float), grid),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(CURVE_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def incumbent_at(rows: pd.DataFrame, time: float) -> pd.Series:
    """One run's row (``best``, ``incumbent_test``, ...) current at simulated
    ``time`` (s): its last row ended at or before ``time``, or a row of NaN if
    none has. ``rows`` must be ordered by ``t_end``."""
    index = int(np.searchsorted(rows["t_end"].to_numpy(dtype=float), time + 1e-9, "right")) - 1
    if index < 0:
        return pd.Series(np.nan, index=rows.columns)
    return rows.iloc[index]


def random_targets(
    runs: pd.DataFrame, quantiles: Sequence[float] = TARGET_QUANTILES
) -> pd.DataFrame:
    """(objective, quantile, target): per objective, each ``quantile`` over
    seeds of one-worker random search's final incumbents (the value searchers
    see, as lesson 4 reads its targets). No one-worker random run: no row."""
    one_worker = runs["workers"].fillna(1) == 1
    finals = {
        key: rows["best"].iloc[-1]
        for key, rows in run_frames(runs[(runs["strategy"] == BASELINE) & one_worker]).items()
    }
    rows = []
    for objective in sorted({key[0] for key in finals}):
        values = pd.Series([v for key, v in finals.items() if key[0] == objective], dtype=float)
        if values.notna().any():
            rows += [(objective, q, float(values.quantile(q))) for q in quantiles]
    return pd.DataFrame(rows, columns=["objective", "quantile", "target"])


def time_to_reach(ends: np.ndarray, best: np.ndarray, target: float) -> float:
    """The simulated time (s) at which a run's incumbent first reaches
    ``target`` (``best <= target``), from its rows' end times and incumbents in
    time order; inf if it never does."""
    reached = np.flatnonzero(best <= target)
    return float(ends[reached[0]]) if reached.size else np.inf


def times_to_target(runs: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """(objective, quantile, target, strategy, workers, seed, time): for every
    run and every target of its objective (``random_targets``), the simulated
    time (s) its incumbent first reaches the target, inf if it never does."""
    rows = []
    for (objective, strategy, w, seed), run in run_frames(runs).items():
        ends, best = run["t_end"].to_numpy(dtype=float), run["best"].to_numpy(dtype=float)
        for q, target in targets.loc[
            targets["objective"] == objective, ["quantile", "target"]
        ].to_numpy():
            rows.append(
                (objective, q, target, strategy, w, seed, time_to_reach(ends, best, target))
            )
    columns = ["objective", "quantile", "target", "strategy", "workers", "seed", "time"]
    return pd.DataFrame(rows, columns=columns)


def target_table(times: pd.DataFrame) -> pd.DataFrame:
    """One row per objective, target, strategy and W (``TARGET_COLUMNS``): the
    number of runs, how many reached the target, the median over seeds of the
    time to reach it (s; unreached counts as infinite, so the median is inf when
    at most half reach it), and the speed-up: the strategy's median time with
    one worker divided by its median time with W (inf if only W reaches it,
    0 if only one worker does, NaN if neither does or there is no W = 1 run)."""
    keys = ["objective", "quantile", "target", "strategy", "workers"]
    grouped = times.groupby(keys, sort=True)["time"]
    table = pd.DataFrame(
        {
            "runs": grouped.size(),
            "reached": grouped.apply(lambda t: int(np.isfinite(t).sum())),
            "median_time": grouped.apply(lambda t: float(np.median(t))),
        }
    ).reset_index()
    one = table[table["workers"] == 1].set_index(keys[:4])["median_time"]
    sequential = one.reindex(pd.MultiIndex.from_frame(table[keys[:4]])).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["speedup"] = sequential / table["median_time"].to_numpy()
    return table[list(TARGET_COLUMNS)]


def _quantile_rows(values: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile over seeds (rows) per column, a missing value counted
    as infinitely bad (no result yet); NaN where the quantile is infinite (it
    involves a missing value)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.full(values.shape[1], np.nan)
    worst = finite.max()
    out = np.quantile(np.where(np.isnan(values), np.finfo(float).max / 4, values), q, axis=0)
    return np.where(out <= worst, out, np.nan)


def _quantile_name(q: float) -> str:
    """A target quantile in words ("median", "upper quartile", "0.9 quantile")."""
    return {0.5: "median", 0.25: "lower quartile", 0.75: "upper quartile"}.get(q, f"{q:g} quantile")


def _grid_axes(rows: int, columns: int) -> tuple[plt.Figure, np.ndarray]:
    """A rows x columns grid of panels in the report's style (``figures.panels``)."""
    with sns.axes_style("whitegrid"):
        fig, axes = plt.subplots(
            rows,
            columns,
            figsize=(4.0 * columns + 2.2, 3.2 * rows),
            layout="constrained",
            squeeze=False,
            sharex="row",
            sharey="row",
        )
    return fig, axes


def time_figure(curves: pd.DataFrame, colours: Mapping[str, tuple], path: Path) -> list[Path]:
    """Best found against simulated wall-clock time: one row of panels per
    objective, one column per W; in each, every strategy's median regret over
    seeds (``curves`` with ``regret`` and ``regret_kind``: ``metrics.add_regret``)
    with its interquartile band, both axes log. A seed without a result yet
    counts as worst, so a line starts once half the seeds have one."""
    objectives = sorted(curves["objective"].unique())
    workers = sorted(curves["workers"].unique())
    fig, axes = _grid_axes(len(objectives), len(workers))
    for row, objective in enumerate(objectives):
        data = curves[curves["objective"] == objective]
        kind = data["regret_kind"].iloc[0]
        for column, w in enumerate(workers):
            ax = axes[row, column]
            for strategy, rows in data[data["workers"] == w].groupby("strategy", sort=True):
                wide = rows.pivot(index="seed", columns="time", values="regret")
                x, values = wide.columns.to_numpy(float), wide.to_numpy(float)
                values = np.clip(values, FLOORS[kind], None)
                colour = colours[strategy]
                ax.step(x, _quantile_rows(values, 0.5), where="post", color=colour, linewidth=1.4)
                ax.fill_between(x, _quantile_rows(values, 0.25), _quantile_rows(values, 0.75),
                                step="post", color=colour, alpha=0.12, linewidth=0)  # fmt: skip
            ax.set_xscale("log")
            ax.set_yscale("log")
            _thin_log_ticks(ax)
            seeds = data.loc[data["workers"] == w, "seed"].nunique()
            ax.set_title(f"{objective}, {w} worker{'s' if w != 1 else ''} ({seeds} seeds)")
            ax.set_xlabel(
                "simulated wall-clock time (s, log)" if row == len(objectives) - 1 else ""
            )
            ax.set_ylabel(f"{kind} (log)" if column == 0 else "")
    _legend(fig, colours, curves["strategy"].unique())
    return save(fig, path)


def speedup_figure(table: pd.DataFrame, colours: Mapping[str, tuple], path: Path) -> list[Path]:
    """Parallel speed-up (median time to target with one worker / with W)
    against W, one line per strategy: one row of panels per target quantile,
    one column per objective, both axes log; the dashed line is a speed-up of
    W. Infinite, zero or undefined speed-ups (a median time that is infinite)
    are not drawn."""
    quantiles = sorted(table["quantile"].unique())
    objectives = sorted(table["objective"].unique())
    workers = sorted(table["workers"].unique())
    fig, axes = _grid_axes(len(quantiles), len(objectives))
    for row, q in enumerate(quantiles):
        for column, objective in enumerate(objectives):
            ax = axes[row, column]
            data = table[(table["quantile"] == q) & (table["objective"] == objective)]
            ax.plot(workers, workers, color="0.5", linestyle="--", linewidth=1.0)
            for strategy, rows in data.groupby("strategy", sort=True):
                rows = rows.sort_values("workers")
                speedup = rows["speedup"].to_numpy(dtype=float)
                shown = np.where(np.isfinite(speedup) & (speedup > 0), speedup, np.nan)
                ax.plot(rows["workers"], shown, color=colours[strategy],
                        marker="o", markersize=3.5, linewidth=1.4)  # fmt: skip
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.xaxis.set_major_locator(FixedLocator(workers))
            ax.xaxis.set_major_formatter(ScalarFormatter())
            ax.xaxis.set_minor_locator(NullLocator())
            target = data["target"].iloc[0] if len(data) else np.nan
            ax.set_title(
                f"{objective}: target {target:.4g}\n({_quantile_name(q)} of random's finals)"
            )
            ax.set_xlabel("workers W (log)" if row == len(quantiles) - 1 else "")
            ax.set_ylabel("speed-up: time with 1 / with W (log)" if column == 0 else "")
    _legend(fig, colours, table["strategy"].unique())
    return save(fig, path)
