"""Runs that never left their initial design: a model-based searcher whose
start-up design (TPE's random start-up, a GA's first generation, NSGA-II's
population) filled the whole run behaved as that design, not as itself, and
the report says so instead of ranking it as if it had modelled anything."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

COLUMNS = ("objective", "strategy", "flagged", "runs", "initial_design", "trials")


def never_left(runs: pd.DataFrame, designs: Mapping[tuple[str, str, int], int]) -> pd.DataFrame:
    """Per (objective, strategy): how many of its runs asked no more trials than
    their initial design (``flagged`` of ``runs``), the largest initial design and
    the most trials among them. Only pairs with at least one flagged run."""
    if not len(runs) or not designs:
        return pd.DataFrame(columns=COLUMNS)
    trials = runs.groupby(["objective", "strategy", "seed"]).size()
    rows = []
    for (objective, strategy), counts in trials.groupby(level=["objective", "strategy"]):
        flagged = [
            (designs[key], n) for key, n in counts.items() if key in designs and n <= designs[key]
        ]
        if flagged:
            rows.append(
                (
                    objective,
                    strategy,
                    len(flagged),
                    len(counts),
                    max(d for d, _ in flagged),
                    max(n for _, n in flagged),
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def design_sentences(flagged: pd.DataFrame) -> list[str]:
    """One sentence per strategy with flagged runs, for the report's Summary."""
    sentences = []
    for strategy, rows in flagged.groupby("strategy", sort=True):
        cases = "; ".join(
            f"{r.objective}: {r.flagged} of {r.runs} runs (initial design {r.initial_design}, "
            f"at most {r.trials} trials)"
            for r in rows.itertuples()
        )
        sentences.append(
            f"{strategy} never left its initial design in {cases}: those runs measure its "
            "start-up sampling, not its model; give it a larger budget or a smaller start-up."
        )
    return sentences
