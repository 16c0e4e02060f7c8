"""The report: figures, tables and verdicts from stored runs only (never reruns).

``write_report(root)`` reads ``root/runs`` and ``root/manifest.json`` and writes
``root/report/``: ``index.html`` (self-contained), ``report.md``, ``summary.csv``
(the final-budget table), ``ranks.csv``, ``overhead.csv`` and
``figures/*.png|svg``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from bench.report import figures
from bench.report.metrics import (
    BASELINE,
    add_regret,
    final_rows,
    incumbent_curves,
    mean_ranks,
    overhead,
    overhead_table,
    ranks,
    references,
)
from bench.report.page import Figure, Section, Table, render_html, render_markdown
from bench.report.palette import palette
from bench.report.stored import Stored, load
from bench.report.summary import summarise
from bench.report.tables import final_table, overall_table

log = logging.getLogger("bench")


def write_report(root: str | Path, stored: Stored | None = None) -> list[Path]:
    """Write the report of the suite stored under ``root`` (read from ``root``
    unless ``stored`` is given) to ``root/report``; return the files written."""
    root = Path(root)
    stored = load(root) if stored is None else stored
    return render(stored, root / "report", stored.manifest.get("suite", root.name))


def render(stored: Stored, out: Path, name: str) -> list[Path]:
    """Write the report of ``stored`` (suite ``name``) into ``out``; return the files written."""
    art = out / "figures"
    runs = stored.runs
    refs = references(runs, stored.optima, stored.samples)
    by_budget = add_regret(incumbent_curves(runs, "budget"), refs)
    by_time = add_regret(incumbent_curves(runs, "seconds"), refs)
    colours = palette(runs["strategy"].unique())
    table = final_table(by_budget)
    overall = overall_table(table)
    rank_curves = ranks(by_budget)
    average_rank = mean_ranks(rank_curves)
    cost = overhead_table(runs)
    final = final_rows(by_budget)
    with_test = final[final["objective"].isin(_tested(final, refs))]

    written = [
        *figures.regret_curves(by_budget, "budget", colours, art / "best_vs_budget"),
        *figures.regret_curves(by_time, "seconds", colours, art / "best_vs_time"),
        *figures.rank_curves(average_rank, colours, art / "rank_vs_budget", len(refs)),
        *figures.final_distributions(final, colours, art / "final_regret"),
        *figures.overhead_curves(overhead(runs), colours, art / "overhead"),
    ]
    if len(with_test):
        written += figures.validation_vs_test(with_test, art / "validation_vs_test")

    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "summary.csv", index=False, float_format="%.6g")
    rank_curves.to_csv(out / "ranks.csv", index=False, float_format="%.6g")
    cost.to_csv(out / "overhead.csv", index=False, float_format="%.6g")
    written += [out / "summary.csv", out / "ranks.csv", out / "overhead.csv"]

    sections = _sections(stored, refs, table, overall, cost, art, bool(len(with_test)))
    title = f"tunebench report: {name}"
    (out / "index.html").write_text(render_html(title, sections), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(title, sections, out), encoding="utf-8")
    return [*written, out / "index.html", out / "report.md"]


def _tested(final: pd.DataFrame, refs: dict) -> list[str]:
    """Objectives judged on validation whose runs record a held-out test value (MLPs)."""
    return [
        name
        for name, ref in refs.items()
        if ref.optimum is None
        and final.loc[final["objective"] == name, "incumbent_test"].notna().any()
    ]


def _sections(
    stored: Stored,
    refs: dict,
    table: pd.DataFrame,
    overall: pd.DataFrame,
    cost: pd.DataFrame,
    art: Path,
    tested: bool,
) -> list[Section]:
    manifest = stored.manifest
    runs = stored.runs
    seeds = sorted(runs["seed"].unique().tolist())
    budget = manifest.get("budget", runs["cum_cost"].max())
    sections = [
        Section("Summary", items=summarise(table, overall)),
        Section(
            "Suite",
            paragraphs=[manifest.get("description", "")] if manifest.get("description") else [],
            items=[
                f"strategies ({runs['strategy'].nunique()}): "
                + ", ".join(sorted(runs["strategy"].unique())),
                f"objectives ({runs['objective'].nunique()}): "
                + ", ".join(sorted(runs["objective"].unique())),
                f"seeds ({len(seeds)}): {_span(seeds)}",
                f"budget: {budget:g} full-evaluation equivalents per run",
                f"runs: {runs.groupby(['objective', 'strategy', 'seed']).ngroups}, "
                f"trials: {len(runs)}, failed trials: {int((runs['status'] != 'ok').sum())}",
                *_last_run(manifest),
                *(
                    [
                        f"errored runs, left out of every figure and table: {', '.join(stored.errored)}"
                    ]
                    if stored.errored
                    else []
                ),
            ],
            tables=[
                Table(
                    "How regret is measured, per objective",
                    pd.DataFrame(
                        [
                            {
                                "objective": ref.objective,
                                "measure": ref.kind,
                                "optimum": _g(ref.optimum),
                                "f_best": _g(ref.f_best),
                                "f_ref": _g(ref.f_ref),
                                "reference": ref.source,
                            }
                            for ref in refs.values()
                        ]
                    ),
                    "Regret is the incumbent's value minus the known optimum. Normalised regret is "
                    "(best - f_best) / (f_ref - f_best): 0 is the best value any stored run found, "
                    "1 the median value of a random configuration.",
                )
            ],
        ),
        Section(
            "Best found against budget",
            figures=[
                Figure(
                    "Best found against budget",
                    "Each line is one strategy's median, over seeds, of its best value found so far "
                    "(each seed's running best first, then the median); the shaded band is a 95% "
                    "bootstrap confidence interval of that median. The x axis counts budget in "
                    "full-evaluation equivalents (a Hyperband trial at 1/27 of the epochs costs 1/27). "
                    "Lower is better; a line that drops early finds good configurations with few "
                    "evaluations. Regret below 1e-12 (normalised regret below 1e-4) is drawn at "
                    "that floor.",
                    art / "best_vs_budget.png",
                )
            ],
        ),
        Section(
            "Best found against wall time",
            figures=[
                Figure(
                    "Best found against wall time",
                    "The same medians against cumulative wall time: the optimizer's own time "
                    "(ask + tell) plus evaluation time, per run on one core. A model-based "
                    "searcher that wins per evaluation can lose here on cheap objectives.",
                    art / "best_vs_time.png",
                )
            ],
        ),
        Section(
            "Average rank",
            figures=[
                Figure(
                    "Average rank against budget",
                    "Strategies are ranked within each seed and objective (1 = best, ties share "
                    "the mean rank, no result yet ranks last), then averaged over seeds and objectives.",
                    art / "rank_vs_budget.png",
                )
            ],
            tables=[
                Table(
                    "Overall at the final budget",
                    _format_overall(overall),
                    f"better / worse / no difference: the number of objectives where the strategy "
                    f"differs from {BASELINE} search (Wilcoxon signed-rank, Holm-corrected, 5%).",
                )
            ],
        ),
        Section(
            "Final-budget results",
            paragraphs=[
                "Median regret with its 95% bootstrap confidence interval over seeds, mean rank, and "
                f"a two-sided Wilcoxon signed-rank test of each strategy against {BASELINE} search "
                "on paired seeds (same seed, same objective instance), Holm-corrected over the "
                "strategies of one objective at a family-wise level of 5%."
            ],
            figures=[
                Figure(
                    "Final regret per seed",
                    "Boxes span the quartiles of the final regret over seeds, points are single "
                    "seeds; strategies are ordered by median.",
                    art / "final_regret.png",
                )
            ],
            tables=[
                Table(f"{objective}", _format_final(group))
                for objective, group in table.groupby("objective", sort=True)
            ],
        ),
    ]
    if tested:
        gap = table[table["median_test"].notna()]
        sections.append(
            Section(
                "Validation against test",
                paragraphs=[
                    "Searchers tune on a validation split; the held-out test split is touched only "
                    "here. Each run's incumbent (the configuration with the best validation error) "
                    "is evaluated on the test split; the gap is how optimistic the validation "
                    "error is."
                ],
                figures=[
                    Figure(
                        "Validation and test error of the final incumbents",
                        "For each strategy, the validation error its incumbent reached (what it "
                        "optimised) and that incumbent's held-out test error, over seeds.",
                        art / "validation_vs_test.png",
                    )
                ],
                tables=[
                    Table(
                        "Incumbents' median error at the final budget",
                        pd.DataFrame(
                            {
                                "objective": gap["objective"],
                                "strategy": gap["strategy"],
                                "validation": gap["median_best"].map("{:.4f}".format),
                                "test": gap["median_test"].map("{:.4f}".format),
                                "test - validation": (gap["median_test"] - gap["median_best"]).map(
                                    "{:+.4f}".format
                                ),
                            }
                        ),
                    )
                ],
            )
        )
    sections += [
        Section(
            "Optimizer overhead",
            figures=[
                Figure(
                    "Optimizer time per trial",
                    "Milliseconds spent in ask + tell per trial against the trial number (median "
                    "over objectives and seeds), on a log scale: a rising line is a searcher whose "
                    "model grows with its history.",
                    art / "overhead.png",
                )
            ],
            tables=[Table("Ask + tell per trial (ms)", _format_overhead(cost))],
        ),
        Section(
            "Environment",
            items=_environment(manifest),
            code=manifest.get("suite_toml"),
        ),
    ]
    return sections


def _format_final(group: pd.DataFrame) -> pd.DataFrame:
    group = group.sort_values(["mean_rank", "strategy"])
    kind = group["regret_kind"].iloc[0]
    frame = pd.DataFrame(
        {
            "strategy": group["strategy"],
            "seeds": group["seeds"],
            f"median {kind} [95% CI]": [
                f"{_g(m)} [{_g(lo)}, {_g(hi)}]"
                for m, lo, hi in zip(group["median_regret"], group["ci_low"], group["ci_high"])
            ],
            "mean rank": group["mean_rank"].map("{:.2f}".format),
            f"p vs {BASELINE} (Holm)": group["p_holm"].map(
                lambda p: "" if pd.isna(p) else f"{p:.3g}"
            ),
            "verdict": group["verdict"],
        }
    )
    if group["median_test"].notna().any():
        frame.insert(4, "median test error", group["median_test"].map("{:.4f}".format))
    return frame


def _format_overall(overall: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strategy": overall["strategy"],
            "objectives": overall["objectives"],
            "mean rank": overall["mean_rank"].map("{:.2f}".format),
            "better": overall["better"],
            "worse": overall["worse"],
            "no difference": overall["no_difference"],
        }
    )


def _format_overhead(cost: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "strategy": cost["strategy"],
            "trials": cost["trials"],
            "median": cost["median_ms"].map("{:.3g}".format),
            "first 10 trials": cost["first_ms"].map("{:.3g}".format),
            "last 10 trials": cost["last_ms"].map("{:.3g}".format),
            "last / first": cost["growth"].map("{:.2f}".format),
        }
    )


def _last_run(manifest: dict[str, Any]) -> list[str]:
    last = manifest.get("last_run")
    if not last:
        return []
    return [
        f"last run: {last.get('command', '')} (started {last.get('started', '?')}, "
        f"{last.get('status', '?')}, {last.get('ran', '?')} runs in {last.get('seconds', '?')} s)"
    ]


def _environment(manifest: dict[str, Any]) -> list[str]:
    env = manifest.get("environment")
    if not env:
        return ["no manifest.json: environment unknown"]
    git = env.get("git") or {}
    packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
    return [
        f"Python {env.get('python')} ({env.get('implementation')}) on {env.get('platform')}, "
        f"{env.get('cpus')} CPUs",
        f"code: commit {git.get('commit', 'unknown')}"
        + (" with local edits" if git.get("dirty") else ""),
        f"packages: {packages}",
        f"suite file: {manifest.get('suite_file', '?')}",
        "manifest: " + json.dumps({k: manifest[k] for k in ("seeds", "budget") if k in manifest}),
    ]


def _span(seeds: list[int]) -> str:
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}..{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _g(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.4g}"


__all__ = ["Stored", "load", "render", "write_report"]
