"""The report's generated verdicts: which strategy is best where, and how sure."""

from __future__ import annotations

import math

import pandas as pd

from bench.report.metrics import BASELINE
from bench.report.stats import ALPHA, seeds_needed, smallest_holm_p


def summarise(table: pd.DataFrame, overall: pd.DataFrame, *, baseline: str = BASELINE) -> list[str]:
    """Plain-text sentences from the final table (``tables.final_table``) and the
    overall ranking (``tables.overall_table``): the best strategy per objective
    and overall, each qualified by the paired tests against ``baseline``."""
    sentences = [_objective(group, baseline) for _, group in table.groupby("objective", sort=True)]
    sentences.append(_overall(table, overall, baseline))
    return sentences


def _objective(group: pd.DataFrame, baseline: str) -> str:
    objective = group["objective"].iloc[0]
    kind = group["regret_kind"].iloc[0]
    seeds = int(group["seeds"].max())
    ranked = group.sort_values(["median_regret", "mean_rank", "strategy"], na_position="last")
    best = ranked.iloc[0]
    text = (
        f"{objective} (budget {best['budget']:g}, {_count(seeds, 'seed')}): {best['strategy']} "
        f"has the lowest median {kind}, {_number(best['median_regret'])} {_interval(best)}, "
        f"mean rank {best['mean_rank']:.2f} of {len(group)}."
    )
    if baseline not in set(group["strategy"]):
        return text + f" No {baseline} search in this suite, so no test against it."
    compared = group[group["strategy"] != baseline]
    verdicts = {
        v: sorted(compared.loc[compared["verdict"] == v, "strategy"])
        for v in ("better", "worse", "no difference")
    }
    if best["strategy"] == baseline:
        text += f" {baseline} search itself has the lowest median."
    elif best["verdict"] == "better":
        text += (
            f" It is better than {baseline} search (Wilcoxon signed-rank on paired seeds, "
            f"Holm-adjusted p = {best['p_holm']:.2g})."
        )
    elif best["verdict"] == "worse":
        text += (
            f" Yet it is worse than {baseline} search on paired seeds (Wilcoxon signed-rank, "
            f"Holm-adjusted p = {best['p_holm']:.2g}): its median is lower, but it loses on "
            "most seeds."
        )
    elif best["verdict"] == "no difference":
        text += (
            f" It is not distinguishable from {baseline} search at the 5% level "
            f"(Holm-adjusted p = {best['p_holm']:.2g})."
        )
    else:
        text += f" Too few paired seeds to test it against {baseline} search."
    text += (
        f" Against {baseline} ({len(compared)} comparison{'s' if len(compared) != 1 else ''}, "
        f"Holm-corrected at {ALPHA:g}): "
        f"better: {_names(verdicts['better'])}; worse: {_names(verdicts['worse'])}; "
        f"no difference: {len(verdicts['no difference'])}."
    )
    pairs = int(compared["pairs"].max()) if len(compared) else 0
    tests = int(compared["p_value"].notna().sum())
    if pairs and smallest_holm_p(pairs, tests) >= ALPHA:
        text += (
            f" With {_count(pairs, 'paired seed')} and {_count(tests, 'comparison')} the "
            f"smallest possible Holm-adjusted p-value is {smallest_holm_p(pairs, tests):.3g}, "
            f"so no difference can be significant: run at least {seeds_needed(tests)} seeds."
        )
    if group["median_test"].notna().any():
        gap = best["median_test"] - best["median_best"]
        text += (
            f" Its incumbents' median validation error is {best['median_best']:.4f} and their "
            f"median held-out test error {best['median_test']:.4f} ({gap:+.4f})."
        )
    return text


def _overall(table: pd.DataFrame, overall: pd.DataFrame, baseline: str) -> str:
    objectives = table["objective"].nunique()
    top = overall.iloc[0]
    text = (
        f"Overall ({objectives} objective{'s' if objectives != 1 else ''}): {top['strategy']} has "
        f"the best mean rank at the final budget ({top['mean_rank']:.2f})"
    )
    if baseline not in set(table["strategy"]):
        return text + "."
    if top["strategy"] == baseline:
        return text + f"; no strategy beats {baseline} search on average."
    return (
        text + f"; it is better than {baseline} search on {int(top['better'])} of "
        f"{int(top['objectives'])}, worse on {int(top['worse'])}."
    )


def _interval(row: pd.Series) -> str:
    """The median's 95% confidence interval, or why there is none."""
    if pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return "(a single seed: no interval)"
    return f"[95% CI {_number(row['ci_low'])}, {_number(row['ci_high'])}]"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def _number(value: float) -> str:
    return (
        "n/a"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.3g}"
    )
