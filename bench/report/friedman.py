"""Mean ranks over objectives, Friedman's test and the Nemenyi critical
difference (Demšar 2006, "Statistical comparisons of classifiers over multiple
data sets", JMLR 7:1-30, sections 3.2.2 and 3.2.3).

The data are a block design: one row per objective (block, N of them), one
column per strategy (k of them), a score in each cell. Strategies are ranked
within each row (1 = best, ties share the mean rank); two strategies differ
significantly when their mean ranks differ by more than the critical difference
CD = q_alpha * sqrt(k (k + 1) / (6 N)), q_alpha the studentized range quantile
with infinite degrees of freedom over sqrt(2). Groups not significantly
different are found as autorank does (``autorank._util.get_sorted_rank_groups``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from bench.report.metrics import at_fraction
from bench.report.stats import ALPHA

#: The columns of ``rank_table`` (critical_difference.csv), in order.
RANK_TEST_COLUMNS = (
    "point",
    "strategy",
    "mean_rank",
    "objectives",
    "strategies",
    "chi2",
    "p_value",
    "cd",
    "alpha",
)


@dataclass(frozen=True)
class RankTest:
    """Friedman's test and Nemenyi's critical difference on one score matrix.
    ``mean_ranks`` is sorted best first; ``groups`` are the largest runs of
    strategies (in rank order) whose mean ranks differ by at most ``cd``."""

    mean_ranks: pd.Series
    blocks: int
    chi2: float
    p_value: float
    cd: float
    alpha: float
    groups: tuple[tuple[str, ...], ...]


def block_ranks(matrix: pd.DataFrame, *, maximise: bool = False) -> pd.DataFrame:
    """Ranks within each row of ``matrix`` (1 = best: the lowest score, or the
    highest with ``maximise``), ties sharing their mean rank."""
    values = matrix.to_numpy(dtype=float)
    ranked = stats.rankdata(-values if maximise else values, method="average", axis=1)
    return pd.DataFrame(ranked, index=matrix.index, columns=matrix.columns)


def friedman(ranks: pd.DataFrame) -> tuple[float, float]:
    """Friedman's chi-square statistic on within-row ranks, corrected for ties
    (as ``scipy.stats.friedmanchisquare``), and its p-value from the chi-square
    distribution with k - 1 degrees of freedom. Every row tied throughout: no
    evidence of a difference (0, 1)."""
    n, k = ranks.shape
    sums = ranks.to_numpy(dtype=float).sum(axis=0)
    chi2 = 12.0 / (n * k * (k + 1)) * np.sum(sums**2) - 3.0 * n * (k + 1)
    ties = sum(
        float(np.sum(counts**3 - counts))
        for counts in (np.unique(row, return_counts=True)[1] for row in ranks.to_numpy())
    )
    correction = 1.0 - ties / (n * k * (k * k - 1))
    if correction <= 0:
        return 0.0, 1.0
    chi2 /= correction
    return float(chi2), float(stats.chi2.sf(chi2, k - 1))


def nemenyi_q(k: int, alpha: float = ALPHA) -> float:
    """Demšar's q_alpha for k strategies: the studentized range quantile
    (1 - alpha, k groups, infinite degrees of freedom) over sqrt(2)."""
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def critical_difference(k: int, blocks: int, alpha: float = ALPHA) -> float:
    """Nemenyi's critical difference of mean ranks, k strategies on ``blocks`` rows."""
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * blocks))


def cliques(mean_ranks: pd.Series, cd: float) -> tuple[tuple[str, ...], ...]:
    """The groups a critical-difference diagram joins with a bar: for each
    strategy in rank order, it and every later one within ``cd`` of it, kept
    when it reaches further than the groups before (autorank's rule)."""
    ordered = mean_ranks.sort_values(kind="stable")
    values, names = ordered.to_numpy(dtype=float), ordered.index.tolist()
    groups, reach = [], -1
    for i in range(len(values)):
        within = [j for j in range(i + 1, len(values)) if abs(values[i] - values[j]) <= cd]
        if within and within[-1] > reach:
            reach = within[-1]
            groups.append(tuple(names[i : reach + 1]))
    return tuple(groups)


def rank_test(
    matrix: pd.DataFrame, *, maximise: bool = False, alpha: float = ALPHA
) -> RankTest | None:
    """Friedman + Nemenyi on ``matrix`` (rows: objectives, columns: strategies).
    Rows with a missing score are left out (a block must hold every strategy);
    None if fewer than two strategies or no complete row remain."""
    complete = matrix.dropna(axis=0, how="any")
    n, k = complete.shape
    if k < 2 or n == 0:
        return None
    ranks = block_ranks(complete, maximise=maximise)
    chi2, p_value = friedman(ranks)
    mean = ranks.mean(axis=0).sort_values(kind="stable")
    cd = critical_difference(k, n, alpha)
    return RankTest(mean, n, chi2, p_value, cd, alpha, cliques(mean, cd))


def score_matrix(curves: pd.DataFrame, fraction: float = 1.0) -> pd.DataFrame:
    """(objectives x strategies) the median over seeds of each strategy's regret
    at ``fraction`` of each objective's final budget (``metrics.at_fraction``
    of curves with ``regret``); a seed without a result counts as infinite
    regret. A strategy with no run on an objective leaves its cell missing."""
    rows = at_fraction(curves, fraction)
    regret = rows["regret"].astype(float).fillna(np.inf)
    medians = regret.groupby([rows["objective"], rows["strategy"]]).median()
    return medians.unstack("strategy")


def rank_table(tests: dict[str, RankTest | None]) -> pd.DataFrame:
    """(``RANK_TEST_COLUMNS``) one row per budget point and strategy, best first;
    a point without a test has no row."""
    rows = [
        (point, strategy, rank, t.blocks, len(t.mean_ranks), t.chi2, t.p_value, t.cd, t.alpha)
        for point, t in tests.items()
        if t is not None
        for strategy, rank in t.mean_ranks.items()
    ]
    return pd.DataFrame(rows, columns=list(RANK_TEST_COLUMNS))
