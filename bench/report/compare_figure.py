"""The figure of ``bench compare``: each cell's effect of B against A with its
confidence interval, one panel per objective, coloured by verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from bench.report.figures import panels, save

VERDICT_COLOURS = {"worse": "#C44E52", "better": "#55A868", "same": "0.55"}
UNITS = {
    "regret": "effect: decades of regret, B vs A (< 0: B better)",
    "value": "effect: value B - A (< 0: B better)",
}


def effects(cells: pd.DataFrame, path: Path, title: str = "") -> list[Path]:
    """One panel per objective: each checkpoint's (and strategy's) median paired
    effect with its 95% interval, a line at 0 (no difference). ``cells`` is
    ``Comparison.frame()``; a cell whose effect is infinite (no incumbent on one
    side) is named on its axis label instead of drawn."""
    objectives = sorted(cells["objective"].unique())
    tallest = int(cells.groupby("objective").size().max())
    fig, axes = panels(len(objectives), height=0.32 * tallest + 1.3)
    several = cells["strategy"].nunique() > 1
    for ax, objective in zip(axes, objectives):
        rows = cells[cells["objective"] == objective].reset_index(drop=True)
        for index, cell in rows.iterrows():
            if not np.isfinite(cell["effect"]):
                continue
            low, high = (
                _finite(cell["ci_low"], cell["effect"]),
                _finite(cell["ci_high"], cell["effect"]),
            )
            ax.errorbar(
                cell["effect"],
                index,
                xerr=[[cell["effect"] - low], [high - cell["effect"]]],
                fmt="o",
                color=VERDICT_COLOURS[cell["verdict"]],
                capsize=3,
            )
        ax.axvline(0.0, color="0.25", linewidth=0.8)
        ax.set_yticks(range(len(rows)), [_label(cell, several) for _, cell in rows.iterrows()])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_title(objective)
        ax.set_xlabel(UNITS[rows["kind"].iloc[0]])
    handles = [Line2D([], [], color=c, marker="o", linestyle="") for c in VERDICT_COLOURS.values()]
    fig.legend(handles, list(VERDICT_COLOURS), title="B is", loc="outside right upper")
    if title:
        fig.suptitle(title, fontsize="medium")
    return save(fig, path)


def _finite(bound: float, effect: float) -> float:
    """An interval's bound, or the effect itself where the bound is not finite."""
    return bound if np.isfinite(bound) else effect


def _label(cell: pd.Series, several: bool) -> str:
    text = f"{cell['fraction']:.0%} ({cell['budget']:g})"
    if several:
        text = f"{cell['strategy']} {text}"
    if not np.isfinite(cell["effect"]):
        text += f" effect {cell['effect']:+g}"
    return text
