"""One figure per lesson (PNG and SVG), drawn from a ``Lesson``'s tidy frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns

from bench.report.figures import panels, save
from bench.report.lessons import Lesson
from bench.report.metrics import seed_matrix
from bench.report.palette import palette


def _q(values: np.ndarray, q: float) -> np.ndarray:
    """Quantile over seeds (rows) of each column, NaN where no seed has a value."""
    return pd.DataFrame(values).quantile(q, axis=0).to_numpy()


def draw(lesson: Lesson, path: Path) -> list[Path]:
    """The figure of ``lesson`` at ``path`` (suffixes added)."""
    return DRAWERS[lesson.number](lesson.data, path)


def _grid(data: pd.DataFrame, path: Path) -> list[Path]:
    objectives = sorted(data["objective"].unique())
    fig, axes = panels(len(objectives), height=3.0)
    colours = palette(data["strategy"].unique())
    for ax, objective in zip(axes, objectives):
        rows = data[data["objective"] == objective].assign(
            regret=lambda f: f["regret"].clip(lower=1e-12), budget=lambda f: f["budget"].astype(str)
        )
        sns.boxplot(rows, x="budget", y="regret", hue="strategy", palette=colours, log_scale=True,
                    fliersize=2, linewidth=0.8, ax=ax)  # fmt: skip
        ax.set_title(objective)
        ax.set_xlabel("trials")
        ax.set_ylabel("final regret (log)")
    return save(fig, path)


def _curves(data: pd.DataFrame, path: Path, column: str = "best", label: str = "") -> list[Path]:
    objectives = sorted(data["objective"].unique())
    fig, axes = panels(len(objectives), height=3.2)
    colours = palette(data["strategy"].unique())
    for ax, objective in zip(axes, objectives):
        for strategy, rows in data[data["objective"] == objective].groupby("strategy"):
            x, values = seed_matrix(rows, column)
            ax.step(x, _q(values, 0.5), where="post", color=colours[strategy],
                    label=strategy)  # fmt: skip
            ax.fill_between(x, _q(values, 0.25),
                            _q(values, 0.75), step="post",
                            color=colours[strategy], alpha=0.15, linewidth=0)  # fmt: skip
        ax.set_title(objective)
        ax.set_xlabel("budget spent (full-evaluation equivalents)")
        ax.set_ylabel(label or "best validation error (median, quartiles)")
        ax.legend(fontsize="small")
    return save(fig, path)


def _zoom(data: pd.DataFrame, path: Path) -> list[Path]:
    fig, (ax,) = panels(1, width=5.5)
    for objective, rows in data.groupby("objective"):
        rows = rows.sort_values("zoom")
        ax.errorbar(rows["zoom"], rows["effect"],
                    yerr=[rows["effect"] - rows["ci_low"], rows["ci_high"] - rows["effect"]],
                    marker="o", capsize=3, label=objective)  # fmt: skip
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("zoom factor (each stage's box, as a fraction of the last)")
    ax.set_ylabel("advantage over random (decades of regret)")
    ax.legend(fontsize="small")
    return save(fig, path)


def _growth(data: pd.DataFrame, path: Path) -> list[Path]:
    objectives = sorted(data["objective"].unique())
    fig, axes = panels(len(objectives), height=3.2)
    colours = palette(data["strategy"].unique())
    for ax, objective in zip(axes, objectives):
        for strategy, rows in data[data["objective"] == objective].groupby("strategy"):
            ax.plot(rows["budget"], rows["advantage"], marker="o", color=colours[strategy],
                    label=strategy)  # fmt: skip
            ax.fill_between(rows["budget"], rows["q25"], rows["q75"], color=colours[strategy],
                            alpha=0.15, linewidth=0)  # fmt: skip
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_title(objective)
        ax.set_xlabel("budget (trials, log)")
        ax.set_ylabel("advantage over random (decades of regret)")
        ax.legend(fontsize="small")
    return save(fig, path)


def _importance(data: pd.DataFrame, path: Path) -> list[Path]:
    fig, (ax,) = panels(1, width=6.5, height=0.35 * data["parameter"].nunique() + 1.5)
    order = data.groupby("parameter")["importance"].max().sort_values(ascending=False).index
    sns.barplot(data, x="importance", y="parameter", hue="objective", order=order, ax=ax)
    ax.set_xlabel("fANOVA importance (share of variance)")
    ax.set_ylabel("")
    return save(fig, path)


def _optimism(data: pd.DataFrame, path: Path) -> list[Path]:
    fig, (ax,) = panels(1, width=6.0)
    for objective, rows in data.groupby("objective"):
        x, values = seed_matrix(rows, "optimism")
        ax.step(x, _q(values, 0.5), where="post", label=objective)
        ax.fill_between(x, _q(values, 0.25),
                        _q(values, 0.75), step="post", alpha=0.15,
                        linewidth=0)  # fmt: skip
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("trials of random search")
    ax.set_ylabel("test error - validation error of the incumbent")
    ax.legend(fontsize="small")
    return save(fig, path)


def _workers(data: pd.DataFrame, path: Path) -> list[Path]:
    fig, (left, right) = panels(2, height=3.4)
    against = data[data["comparison"].str.endswith("vs random")]
    colours = palette(data["strategy"].unique())
    for strategy, rows in against.groupby("strategy"):
        effect = rows.groupby("workers")["effect"]
        ws = np.asarray(sorted(rows["workers"].unique()))
        left.plot(ws, effect.median().reindex(ws), marker="o", color=colours[strategy],
                  label=strategy)  # fmt: skip
        left.fill_between(ws, effect.quantile(0.25).reindex(ws), effect.quantile(0.75).reindex(ws),
                          color=colours[strategy], alpha=0.15, linewidth=0)  # fmt: skip
    left.axhline(0, color="0.3", linewidth=0.8)
    if len(against):
        left.set_xscale("log")
        left.set_xticks(
            sorted(against["workers"].unique()), map(str, sorted(against["workers"].unique()))
        )
        left.minorticks_off()
        left.legend(fontsize="small")
    left.set_title("against random search, same workers, final budget")
    left.set_xlabel("simulated workers (log)")
    left.set_ylabel("advantage over random (decades of regret)")
    asha = data[data["comparison"] == "asha vs hyperband"]
    if len(asha):
        sns.boxplot(asha, x="objective", y="effect", color=colours.get("asha"), fliersize=0,
                    linewidth=0.8, ax=right)  # fmt: skip
        sns.stripplot(asha, x="objective", y="effect", color="0.15", size=3, ax=right)
        w = int(asha["workers"].iloc[0])
        right.set_title(f"asha vs hyperband, {w} workers, same simulated time")
    right.axhline(0, color="0.3", linewidth=0.8)
    right.set_xlabel("")
    right.set_ylabel("asha's advantage (decades of regret)")
    return save(fig, path)


DRAWERS = {
    1: _grid,
    2: _curves,
    3: _zoom,
    4: _curves,
    5: _growth,
    6: _importance,
    7: _optimism,
    8: _workers,
}
