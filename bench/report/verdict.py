"""Verdicts on claims from paired seeds: effect size, bootstrap confidence
interval, p-value, and whether the data support the claim, contradict it, or
cannot tell. Never written by hand: a lesson's text is built from these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from bench.report.stats import ALPHA, holm

Holds = Literal["supported", "contradicted", "inconclusive"]


@dataclass(frozen=True)
class Verdict:
    """``effect`` is the median over paired seeds of how much the claim's
    winner beats its loser (positive: as claimed), in ``unit``; ``ci_low`` and
    ``ci_high`` bound it (95% percentile bootstrap of the median); ``p_value``
    is a two-sided Wilcoxon signed-rank test of the paired differences,
    Holm-adjusted over the ``family`` cases of one lesson once ``holm_cases``
    has run (``p_raw`` is then the unadjusted value)."""

    claim: str
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    pairs: int
    unit: str
    holds: Holds
    p_raw: float = np.nan
    family: int = 1

    def sentence(self) -> str:
        """The verdict in words, with its statistics."""
        if self.pairs == 0:
            return f"No data: nothing to test '{self.claim}' on."
        if np.isnan(self.p_value):
            stats_text = f"in {self.effect:.0%} of {self.pairs} bootstrap resamples"
        else:
            stats_text = (
                f"median effect {self.effect:+.3g} {self.unit} "
                f"[95% CI {self.ci_low:+.3g}, {self.ci_high:+.3g}], "
                f"Wilcoxon p = {self.p_value:.2g}{self._adjusted()}, {self.pairs} paired seeds"
            )
        if self.holds == "supported":
            return f"Supported: {self.claim} ({stats_text})."
        if self.holds == "contradicted" and np.isnan(self.p_value):
            return f"Contradicted: '{self.claim}' holds only {stats_text}."
        if self.holds == "contradicted":
            return f"Contradicted: the data say the opposite of '{self.claim}' ({stats_text})."
        if np.isnan(self.p_value):
            return f"Inconclusive: '{self.claim}' holds {stats_text}."
        if self.ci_low <= 0 <= self.ci_high:
            return f"Inconclusive: the confidence interval includes 0 ({stats_text})."
        return (
            "Inconclusive: the confidence interval excludes 0 but the signed-rank test "
            f"does not reach 5% ({stats_text})."
        )

    def _adjusted(self) -> str:
        if self.family <= 1:
            return ""
        return f" (Holm-adjusted over {self.family} cases; unadjusted {self.p_raw:.2g})"


def _holds(low: float, high: float, p: float, alpha: float) -> Holds:
    if low > 0 and p < alpha:
        return "supported"
    if high < 0 and p < alpha:
        return "contradicted"
    return "inconclusive"


def holm_cases(
    verdicts: Sequence[tuple[str, Verdict]], alpha: float = ALPHA
) -> list[tuple[str, Verdict]]:
    """The cases of one lesson with their p-values Holm-adjusted over the cases
    that have one, and each verdict decided again on the adjusted p-value: a
    lesson tested on 8 cases is not supported by one lucky case at 5%. The
    bootstrap intervals are unadjusted (per-case 95%)."""
    adjusted = holm([v.p_value for _, v in verdicts])
    family = int(np.sum(~np.isnan(adjusted)))
    out = []
    for (case, v), p in zip(verdicts, adjusted):
        if np.isnan(p):
            out.append((case, v))
            continue
        holds = _holds(v.ci_low, v.ci_high, float(p), alpha)
        out.append(
            (case, replace(v, p_value=float(p), p_raw=v.p_value, family=family, holds=holds))
        )
    return out


def paired_verdict(
    claim: str,
    winner: Sequence[float],
    loser: Sequence[float],
    *,
    unit: str,
    log: bool = False,
    seed: int = 0,
    alpha: float = ALPHA,
) -> Verdict:
    """The verdict on "``winner`` is lower than ``loser``" over paired seeds.

    The effect per seed is ``loser - winner`` (or ``log10(loser / winner)``
    with ``log``, in decades: for regrets spanning orders of magnitude). The
    claim is supported when the 95% CI of the median effect lies above 0,
    contradicted when it lies below 0, and inconclusive otherwise. Two Series
    are paired by index (seed); pairs with a missing value are dropped."""
    if isinstance(winner, pd.Series) and isinstance(loser, pd.Series):
        joined = pd.concat([winner.rename("w"), loser.rename("l")], axis=1, join="inner")
        winner, loser = joined["w"], joined["l"]
    w = np.asarray(winner, dtype=float)
    lo = np.asarray(loser, dtype=float)
    keep = ~(np.isnan(w) | np.isnan(lo))
    if log:
        floor = 1e-12
        effect = np.log10(np.maximum(lo[keep], floor)) - np.log10(np.maximum(w[keep], floor))
    else:
        effect = lo[keep] - w[keep]
    n = int(effect.size)
    if n == 0:
        return Verdict(claim, np.nan, np.nan, np.nan, np.nan, 0, unit, "inconclusive")
    median = float(np.median(effect))
    if n < 2 or np.ptp(effect) == 0:
        low = high = median
    else:
        ci = stats.bootstrap(
            (effect,), np.median, method="percentile", n_resamples=2000, rng=seed
        ).confidence_interval
        low, high = float(ci.low), float(ci.high)
    nonzero = effect[effect != 0]
    p = 1.0 if nonzero.size == 0 else float(stats.wilcoxon(nonzero).pvalue)
    return Verdict(claim, median, low, high, p, n, unit, _holds(low, high, p, alpha))
