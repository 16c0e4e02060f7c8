"""Seaborn figures of stored results (PNG and SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from bench.report.metrics import REGRET_FLOOR, median_band, seed_matrix

FORMATS = ("png", "svg")


def palette(strategies: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One colour per strategy name, the same in every figure of a report."""
    names = sorted(set(strategies))
    scheme = "colorblind" if len(names) <= 10 else "tab20"
    colours = sns.color_palette(scheme, max(len(names), 10))
    return {name: colours[i % len(colours)] for i, name in enumerate(names)}


def best_vs_budget(curves: pd.DataFrame, objective: str, colours: dict, path: Path) -> list[Path]:
    """Median regret over seeds with a bootstrap 95% band, against budget (steps)."""
    data = curves[curves["objective"] == objective]
    kind = data["regret_kind"].iloc[0]
    with sns.axes_style("whitegrid"):
        fig, ax = plt.subplots(figsize=(8.0, 4.2), layout="constrained")
    seeds = 0
    for strategy, rows in data.groupby("strategy", sort=True):
        budget, values = seed_matrix(rows, "regret")
        median, low, high = median_band(np.clip(values, REGRET_FLOOR, None))
        seeds = max(seeds, values.shape[0])
        colour = colours[strategy]
        ax.step(budget, median, where="post", color=colour, label=strategy, linewidth=1.6)
        ax.fill_between(budget, low, high, step="post", color=colour, alpha=0.2, linewidth=0)
    ax.set_yscale("log")
    ax.set_xlabel("budget (full-evaluation equivalents)")
    ax.set_ylabel(f"{kind} of best found (log)")
    ax.set_title(f"{objective}: median over {seeds} seeds, 95% bootstrap band")
    ax.legend(title="strategy", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        target = path.with_suffix(f".{fmt}")
        fig.savefig(target, dpi=150, metadata={"Date": None} if fmt == "svg" else None)
        written.append(target)
    plt.close(fig)
    return written


__all__ = ["best_vs_budget", "palette"]
