"""Paired tests of each strategy against a baseline, with Holm's correction.

scipy has the Wilcoxon signed-rank test but no Holm step-down adjustment, so
that one is written here (Holm 1979, as statsmodels' ``multipletests``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

#: Family-wise error rate of the comparisons against the baseline.
ALPHA = 0.05

Verdict = Literal["better", "worse", "no difference", "baseline", "too few seeds"]


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-adjusted p-values, in the input's order. NaNs stay NaN and do not
    count towards the number of comparisons."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    m = finite.size
    if m == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


@dataclass(frozen=True)
class Paired:
    """A paired comparison of a strategy's per-seed values with the baseline's
    (lower is better). ``direction`` is -1 if the strategy's signed ranks say
    lower, +1 if higher, 0 if every pair is equal."""

    pairs: int
    p_value: float
    direction: int
    median_difference: float


def paired_wilcoxon(values: Sequence[float], baseline: Sequence[float]) -> Paired:
    """Two-sided Wilcoxon signed-rank test of ``values - baseline`` over the
    seeds both have (pairs with a NaN on either side are dropped). Equal pairs
    are dropped as Wilcoxon did (``zero_method='wilcox'``); if every pair is
    equal the p-value is 1."""
    x = np.asarray(values, dtype=float)
    y = np.asarray(baseline, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    d = x[keep] - y[keep]
    if d.size == 0:
        return Paired(0, np.nan, 0, np.nan)
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return Paired(int(d.size), 1.0, 0, 0.0)
    result = stats.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided")
    signed = np.sign(nonzero) * stats.rankdata(np.abs(nonzero))
    return Paired(
        int(d.size), float(result.pvalue), int(np.sign(signed.sum())), float(np.median(d))
    )


def smallest_p(pairs: int) -> float:
    """The smallest two-sided p-value the exact signed-rank test can give with
    ``pairs`` pairs, 2 / 2**pairs: below about 6 seeds nothing is significant."""
    return min(1.0, 2.0 / 2.0**pairs)


def smallest_holm_p(pairs: int, comparisons: int) -> float:
    """The smallest Holm-adjusted p-value ``comparisons`` signed-rank tests on
    ``pairs`` pairs can give: Holm multiplies the smallest p by the number of
    comparisons, so it is ``comparisons * 2 / 2**pairs`` (at most 1)."""
    return min(1.0, max(comparisons, 1) * smallest_p(pairs))


def seeds_needed(comparisons: int, alpha: float = ALPHA) -> int:
    """The fewest paired seeds with which ``comparisons`` Holm-corrected
    signed-rank tests can reach ``alpha`` (e.g. 6 for 1 comparison, 9 for 12)."""
    pairs = 1
    while smallest_holm_p(pairs, comparisons) >= alpha:
        pairs += 1
    return pairs


def verdict(p_holm: float, direction: int, alpha: float = ALPHA) -> Verdict:
    """better / worse than the baseline at family-wise level ``alpha``, or no
    difference."""
    if np.isnan(p_holm):
        return "too few seeds"
    if p_holm < alpha and direction < 0:
        return "better"
    if p_holm < alpha and direction > 0:
        return "worse"
    return "no difference"
