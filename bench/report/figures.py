"""Seaborn figures of stored results, each written as PNG and SVG.

Every function takes tidy frames from ``bench.report.metrics`` and a colour per
strategy (``bench.report.palette``) and returns the files it wrote.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from bench.report.metrics import FLOORS, Axis, median_band, seed_matrix

FORMATS = ("png", "svg")
DPI = 130
AXIS_LABELS = {
    "budget": "budget spent (full-evaluation equivalents)",
    "seconds": "wall time (s, optimizer + evaluation, log)",
}


def regret_curves(curves: pd.DataFrame, axis: Axis, colours: dict, path: Path) -> list[Path]:
    """One panel per objective: median regret over seeds (log) with its bootstrap
    95% band, one line per strategy, against budget or wall time."""
    objectives = sorted(curves["objective"].unique())
    fig, axes = panels(len(objectives))
    for ax, objective in zip(axes, objectives):
        data = curves[curves["objective"] == objective]
        floor = FLOORS[data["regret_kind"].iloc[0]]
        seeds = 0
        for strategy, rows in data.groupby("strategy", sort=True):
            x, values = seed_matrix(rows, "regret", axis)
            median, low, high = median_band(np.clip(values, floor, None))
            seeds = max(seeds, values.shape[0])
            colour = colours[strategy]
            ax.step(x, median, where="post", color=colour, linewidth=1.5, marker=_marker(x))
            ax.fill_between(x, low, high, step="post", color=colour, alpha=0.15, linewidth=0)
        ax.set_yscale("log")
        if axis == "seconds":
            ax.set_xscale("log")
        _thin_log_ticks(ax)
        ax.set_title(f"{objective}: median of {seeds} seeds, 95% band")
        ax.set_xlabel(AXIS_LABELS[axis])
        ax.set_ylabel(f"{data['regret_kind'].iloc[0]} (log)")
    _legend(fig, colours, curves["strategy"].unique())
    return save(fig, path)


def rank_curves(mean_rank: pd.DataFrame, colours: dict, path: Path, objectives: int) -> list[Path]:
    """Mean rank over seeds and objectives (1 = best, at the top) against budget."""
    fig, (ax,) = panels(1, width=7.0)
    for strategy, rows in mean_rank.groupby("strategy", sort=True):
        ax.step(
            rows["budget"],
            rows["mean_rank"],
            where="post",
            color=colours[strategy],
            linewidth=1.6,
            marker=_marker(rows["budget"]),
        )
    ax.invert_yaxis()
    ax.set_xlabel(AXIS_LABELS["budget"])
    ax.set_ylabel("mean rank (1 = best)")
    ax.set_title(f"average rank over seeds and {objectives} objective(s)")
    _legend(fig, colours, mean_rank["strategy"].unique())
    return save(fig, path)


def final_distributions(final: pd.DataFrame, colours: dict, path: Path) -> list[Path]:
    """One panel per objective: each strategy's final regret over seeds (box and
    points, log scale), strategies ordered by median."""
    objectives = sorted(final["objective"].unique())
    fig, axes = panels(len(objectives), height=0.28 * final["strategy"].nunique() + 1.4)
    for ax, objective in zip(axes, objectives):
        data = final[final["objective"] == objective].assign(
            regret=lambda f: f["regret"].clip(lower=FLOORS[f["regret_kind"].iloc[0]])
        )
        order = data.groupby("strategy")["regret"].median().sort_values().index.tolist()
        sns.boxplot(
            data=data,
            x="regret",
            y="strategy",
            hue="strategy",
            order=order,
            palette=colours,
            log_scale=True,
            legend=False,
            fliersize=0,
            linewidth=0.8,
            ax=ax,
        )
        sns.stripplot(
            data=data,
            x="regret",
            y="strategy",
            order=order,
            color="0.15",
            size=2.5,
            jitter=0.15,
            ax=ax,
        )
        _thin_log_ticks(ax)
        ax.set_title(f"{objective} at budget {data['budget'].max():g}")
        ax.set_xlabel(f"final {data['regret_kind'].iloc[0]} (log)")
        ax.set_ylabel("")
    return save(fig, path)


def overhead_curves(overhead: pd.DataFrame, colours: dict, path: Path) -> list[Path]:
    """Optimizer time per trial (ask + tell, ms, log) against trial number."""
    fig, (ax,) = panels(1, width=7.0)
    for strategy, rows in overhead.groupby("strategy", sort=True):
        ax.plot(
            rows["trial"] + 1,
            rows["ms"].clip(lower=1e-3),
            color=colours[strategy],
            linewidth=1.2,
            marker=_marker(rows["trial"]),
        )
    ax.set_yscale("log")
    _thin_log_ticks(ax)
    ax.set_xlabel("trial number")
    ax.set_ylabel("ask + tell per trial (ms, log)")
    ax.set_title("optimizer overhead: median over objectives and seeds")
    _legend(fig, colours, overhead["strategy"].unique())
    return save(fig, path)


def validation_vs_test(final: pd.DataFrame, path: Path) -> list[Path]:
    """One panel per objective with a held-out test set: the final incumbent's
    validation error (what the searcher saw) beside its test error, per strategy."""
    objectives = sorted(final["objective"].unique())
    long = final.melt(
        id_vars=["objective", "strategy", "seed"],
        value_vars=["best", "incumbent_test"],
        var_name="split",
        value_name="error",
    ).replace({"split": {"best": "validation (tuned on)", "incumbent_test": "test (held out)"}})
    fig, axes = panels(len(objectives), height=0.35 * final["strategy"].nunique() + 1.4)
    for ax, objective in zip(axes, objectives):
        data = long[long["objective"] == objective]
        order = data[data["split"].str.startswith("test")].groupby("strategy")["error"].median()
        sns.boxplot(
            data=data,
            x="error",
            y="strategy",
            hue="split",
            order=order.sort_values().index,
            palette=["#4C72B0", "#DD8452"],
            fliersize=2,
            linewidth=0.8,
            ax=ax,
        )
        ax.set_title(f"{objective}: incumbent's error at the final budget")
        ax.set_xlabel("error rate")
        ax.set_ylabel("")
        handles, labels = ax.get_legend_handles_labels()
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="outside right upper", fontsize="small")
    return save(fig, path)


def _marker(x: Sequence[float]) -> str | None:
    """A marker for a line of one point, which a line alone would not show."""
    return "o" if len(x) == 1 else None


def _thin_log_ticks(ax: plt.Axes, decades: float = 3.0) -> None:
    """Drop the minor ticks of a log axis spanning more than ``decades`` decades:
    its labelled major ticks suffice, and minor ticks dominate drawing time."""
    for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        if axis.get_scale() == "log" and low > 0 and np.log10(high / low) > decades:
            axis.set_minor_locator(NullLocator())


def panels(count: int, *, width: float = 4.6, height: float = 3.4) -> tuple[plt.Figure, list]:
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    with sns.axes_style("whitegrid"):
        fig, axes = plt.subplots(
            rows,
            columns,
            figsize=(width * columns + 2.2, height * rows),
            layout="constrained",
            squeeze=False,
        )
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def _legend(fig: plt.Figure, colours: dict, strategies) -> None:
    names = sorted(set(strategies))
    handles = [Line2D([], [], color=colours[name], linewidth=2) for name in names]
    fig.legend(handles, names, title="strategy", loc="outside right upper", fontsize="small")


def save(fig: plt.Figure, path: Path) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)
        written.append(target)
    plt.close(fig)
    return written
