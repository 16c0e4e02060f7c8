"""Seaborn figures of stored results (PNG and SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from bench.report.metrics import REGRET_FLOOR

FORMATS = ("png", "svg")


def palette(strategies: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """One colour per strategy name, the same in every figure of a report."""
    names = sorted(set(strategies))
    colours = sns.color_palette("colorblind", max(len(names), 10))
    return {name: colours[i % len(colours)] for i, name in enumerate(names)}


def best_vs_budget(curves: pd.DataFrame, objective: str, colours: dict, path: Path) -> list[Path]:
    """Median regret over seeds with a bootstrap 95% band, against budget."""
    data = curves[curves["objective"] == objective].copy()
    data["regret"] = data["regret"].clip(lower=REGRET_FLOOR)
    kind = data["regret_kind"].iloc[0]
    seeds = data.groupby("strategy")["seed"].nunique()
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    sns.lineplot(
        data=data,
        x="budget",
        y="regret",
        hue="strategy",
        palette=colours,
        estimator="median",
        errorbar=("ci", 95),
        n_boot=1000,
        seed=0,
        ax=ax,
        drawstyle="steps-post",
        err_kws={"step": "post"},
    )
    ax.set_yscale("log")
    ax.set_xlabel("budget (full-evaluation equivalents)")
    ax.set_ylabel(f"{kind} of best found (log)")
    ax.set_title(f"{objective}: median over {int(seeds.max())} seeds, 95% bootstrap band")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(title="strategy", loc="upper right", frameon=True, fontsize="small")
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
