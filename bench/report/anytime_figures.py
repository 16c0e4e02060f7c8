"""Figures of the anytime statistics: data profiles (ECDF of the budget to reach
targets) and critical-difference diagrams of mean ranks, as autorank draws them
(``autorank._util.cd_diagram`` with ``reverse=True``: rank 1 on the right)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, NullFormatter

from bench.report.anytime import ecdf, ecdf_grid
from bench.report.figures import AXIS_LABELS, _legend, panels, save
from bench.report.friedman import RankTest

#: Width of a critical-difference diagram's rank axis, and of one character of a
#: label beside it (inches).
CD_SCALE, CD_CHAR = 5.0, 0.085


def ecdf_figure(times: pd.DataFrame, colours: Mapping[str, tuple], path: Path) -> list[Path]:
    """Data profiles: the first panel over every objective, then one panel per
    objective; in each, every strategy's fraction of (objective, seed, target)
    triples reached against budget (log)."""
    objectives = sorted(times["objective"].unique())
    groups = [(f"all {len(objectives)} objectives", times)] if len(objectives) > 1 else []
    groups += [(name, times[times["objective"] == name]) for name in objectives]
    fig, axes = panels(len(groups))
    for ax, (title, data) in zip(axes, groups):
        profile = ecdf(data, ecdf_grid(data))
        for strategy, rows in profile.groupby("strategy", sort=True):
            ax.step(rows["budget"], rows["fraction"], where="post",
                    color=colours[strategy], linewidth=1.5)  # fmt: skip
        ax.set_title(
            f"{title}: {data['target'].nunique()} target(s) x {data['seed'].nunique()} seed(s)"
            if title in objectives
            else f"{title}: {int(profile['triples'].max())} triples per strategy"
        )
        ax.set_xscale("log")
        _plain_log_ticks(ax)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(AXIS_LABELS["budget"] + ", log")
        ax.set_ylabel("fraction of targets reached")
    _legend(fig, colours, times["strategy"].unique())
    return save(fig, path)


def _plain_log_ticks(ax: plt.Axes) -> None:
    """Label a log x axis in plain numbers (1, 10, 0.1); within two decades also
    its minor ticks at 2, 3 and 5 times a power of ten."""
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    low, high = ax.get_xlim()
    if low > 0 and np.log10(high / low) <= 2:
        ax.xaxis.set_minor_formatter(
            FuncFormatter(lambda v, _: f"{v:g}" if _leading(v) in (2, 3, 5) else "")
        )
    else:
        ax.xaxis.set_minor_formatter(NullFormatter())


def _leading(value: float) -> int:
    """The leading digit of a positive number (2 for 0.02 and 200)."""
    return round(value / 10 ** math.floor(math.log10(value)))


def cd_figure(
    tests: Mapping[str, RankTest], colours: Mapping[str, tuple], path: Path
) -> list[Path]:
    """One critical-difference diagram per entry of ``tests`` (titled by its
    key), stacked: the rank axis, each strategy at its mean rank, the CD bar,
    and a thick bar joining each group not significantly different."""
    heights = [_cd_height(test) for test in tests.values()]
    longest = max(
        len(_label(name, 0.0)) for test in tests.values() for name in test.mean_ranks.index
    )
    text = 0.4 + CD_CHAR * longest
    fig, axes = plt.subplots(
        len(tests), 1, figsize=(CD_SCALE + 2 * text, sum(heights)), squeeze=False,
        gridspec_kw={"height_ratios": heights, "hspace": 0.0},
    )  # fmt: skip
    fig.subplots_adjust(left=0, right=1, top=1, bottom=0)
    for ax, (title, test), height in zip(axes[:, 0], tests.items(), heights):
        _cd_diagram(ax, test, title, (text, height), colours)
    return save(fig, path)


def _label(name: str, rank: float) -> str:
    return f"{name} ({rank:.2f})"


def _cd_height(test: RankTest) -> float:
    """The inches a diagram needs: title, axis, bars, then one label row per two strategies."""
    return 1.3 + max(0.4, 0.2 + 0.1 * len(test.groups)) + 0.22 * math.ceil(len(test.mean_ranks) / 2)


def _cd_diagram(
    ax: plt.Axes,
    test: RankTest,
    title: str,
    size: tuple[float, float],
    colours: Mapping[str, tuple],
) -> None:
    """autorank's layout in inches from the top left (``size``: the label space
    on each side, the height): the axis at ``axis``, the worse half of the
    strategies labelled on the left, the better half on the right."""
    text, height = size
    ranks = test.mean_ranks
    low, high = 1, max(len(ranks), math.ceil(ranks.max()))

    def x(rank: float) -> float:
        return text + CD_SCALE * (high - rank) / (high - low)

    ax.set_axis_off()
    ax.set_xlim(0, CD_SCALE + 2 * text)
    ax.set_ylim(height, 0)
    ax.text(0.1, 0.25, title, ha="left", va="center", fontsize="medium", weight="bold")
    axis, line = 0.95, {"color": "k", "linewidth": 0.8}
    ax.plot([x(high), x(low)], [axis, axis], **line)
    for tick in np.arange(low, high + 0.25, 0.5):
        size = 0.1 if float(tick).is_integer() else 0.05
        ax.plot([x(tick)] * 2, [axis - size, axis], **line)
        if float(tick).is_integer():
            ax.text(x(tick), axis - 0.12, f"{int(tick)}", ha="center", va="bottom")
    cd_end = x(max(high - test.cd, low))
    ax.plot([x(high), cd_end], [0.55, 0.55], **line)
    for end in (x(high), cd_end):
        ax.plot([end, end], [0.5, 0.6], **line)
    wider = " (wider than the axis)" if high - test.cd < low else ""
    ax.text((x(high) + cd_end) / 2, 0.5, f"CD = {test.cd:.2f}{wider}", ha="center", va="bottom")
    bars = max(0.4, 0.2 + 0.1 * len(test.groups))
    worst_first = ranks.iloc[::-1]
    half = math.ceil(len(ranks) / 2)
    for i, (name, rank) in enumerate(worst_first.items()):
        left = i < half
        row = axis + bars + 0.22 * (i if left else len(ranks) - i - 1) + 0.1
        end = text - 0.1 if left else text + CD_SCALE + 0.1
        ax.plot([x(rank), x(rank), end], [axis, row, row], color=colours[name], linewidth=1.4)
        ax.text(end + (-0.08 if left else 0.08), row, _label(name, rank),
                ha="right" if left else "left", va="center", color="0.1")  # fmt: skip
    for level, group in enumerate(test.groups):
        y = axis + 0.15 + 0.1 * level
        ax.plot([x(ranks[group[0]]) + 0.05, x(ranks[group[-1]]) - 0.05], [y, y],
                color="k", linewidth=2.5, solid_capstyle="round")  # fmt: skip
