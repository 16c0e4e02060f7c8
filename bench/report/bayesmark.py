"""Bayesmark's normalised median score, as uber/bayesmark computes it.

Per objective and strategy at budget b (``experiment_analysis.compute_aggregates``,
its ``NORMED_MED``)::

    score = (median over seeds of the incumbent at b - best) / (random(b) - best)

- the median is ``bayesmark.quantiles.quantile(X, 0.5)``: the order statistic
  ceil(n / 2) of the n seeds (the lower median, no interpolation);
- random(b) is the baseline ``PERF_MED`` of ``experiment_baseline.compute_baseline``:
  ``quantiles.min_quantile_CI(random_evals, 0.5, m)``'s estimate, the median of
  the minimum of m independent random evaluations, read from all of random
  search's evaluations pooled: their order statistic ceil(n q) with
  q = 1 - (1 - 0.5) ** (1 / m);
- best is ``PERF_BEST``: the lowest evaluation of any strategy, moved down by
  ``PAD_FACTOR`` units in the last place so that the denominator is positive.

Bayesmark counts m in evaluations (batch size x iterations); here m = floor(b),
b in full-evaluation equivalents, which is the number of evaluations random
search has made by budget b (its trials are full evaluations). Scores are on
the value the searcher sees (``best``; Bayesmark's leaderboard metric,
``visible_to_opt``): 0 is the best any strategy found, 1 random search's median
at the same budget. The median over objectives of these scores is
Bayesmark's summary ``PERF_MED`` (``compute_aggregates``' ``summary``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bench.report.metrics import BASELINE, at_fraction, full_fidelity

#: ``experiment_analysis.EVAL_Q``: scores summarise seeds by their median.
EVAL_Q = 0.5
#: ``experiment_baseline.PAD_FACTOR`` and ``MIN_POS``: how far below the best
#: evaluation the reference lies.
PAD_FACTOR = 10000
MIN_POS = np.nextafter(0, 1)
#: The columns of ``scores`` (bayesmark.csv), in order.
SCORE_COLUMNS = (
    "objective",
    "strategy",
    "fraction",
    "budget",
    "seeds",
    "median_best",
    "random_median",
    "best",
    "score",
)


def quantile(values: Sequence[float], q: float) -> float:
    """``bayesmark.quantiles.quantile``: the order statistic ceil(n q) of the n
    values (1 = smallest; -inf below the first, +inf past the last)."""
    values = np.sort(np.asarray(values, dtype=float))
    padded = np.concatenate(([-np.inf], values, [np.inf]))
    return float(padded[int(np.ceil(values.size * q))])


def min_quantile(values: Sequence[float], q: float, m: int) -> float:
    """``bayesmark.quantiles.min_quantile_CI``'s estimate: the ``q`` quantile of
    the minimum of ``m`` independent draws, from a sample of single draws."""
    return quantile(values, 1.0 - (1.0 - q) ** (1.0 / m))


def best_reference(values: Sequence[float]) -> float:
    """``compute_baseline``'s ``PERF_BEST``: the lowest value, padded down."""
    best = float(np.min(values))
    return best + PAD_FACTOR * float(np.spacing(-np.maximum(MIN_POS, abs(best))))


def normed_score(median_best: float, random_median: float, best: float) -> float:
    """``np_util.linear_rescale(median_best, best, random_median, 0, 1)``, in its
    order of operations: 0 at ``best``, 1 at ``random_median``."""
    with np.errstate(over="ignore"):
        slope = np.true_divide(1.0 - 0.0, random_median - best)
        return float(slope * (median_best - best) + 0.0)


def scores(
    curves: pd.DataFrame, runs: pd.DataFrame, fractions: Sequence[float] = (1.0,)
) -> pd.DataFrame:
    """(``SCORE_COLUMNS``) per objective, strategy and fraction of the final
    budget (``metrics.at_fraction`` of incumbent ``curves``): the score, from
    the successful full-fidelity evaluations in trial ``runs``. A seed without
    a result counts as infinitely bad; an objective without random search, or a
    budget below one evaluation, has no score (NaN)."""
    rows = []
    ok = runs[(runs["status"] == "ok") & full_fidelity(runs) & np.isfinite(runs["value"])]
    for fraction in fractions:
        point = at_fraction(curves, fraction)
        for (objective, strategy), group in point.groupby(["objective", "strategy"], sort=True):
            evaluations = ok[ok["objective"] == objective]
            random = evaluations.loc[evaluations["strategy"] == BASELINE, "value"].to_numpy(float)
            budget = float(group["budget"].iloc[0])
            m = math.floor(budget + 1e-9)
            median = quantile(group["best"].astype(float).fillna(np.inf), EVAL_Q)
            if random.size and m >= 1:
                best = best_reference(evaluations["value"].to_numpy(float))
                reference = min_quantile(random, EVAL_Q, m)
                score = normed_score(median, reference, best)
            else:
                best = reference = score = np.nan
            rows.append((objective, strategy, fraction, budget, group["seed"].nunique(),
                         median, reference, best, score))  # fmt: skip
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per strategy and fraction: Bayesmark's summary score, the median
    (``quantile(., 0.5)``) over objectives of the scores, and the number of
    objectives with a score."""
    scored = table[table["score"].notna()]
    grouped = scored.groupby(["strategy", "fraction"], sort=True)["score"]
    return pd.DataFrame(
        {"objectives": grouped.size(), "score": grouped.agg(lambda s: quantile(s, EVAL_Q))}
    ).reset_index()
