"""The report: figures, tables and verdicts from stored runs only (never reruns).

``write_report(root)`` reads ``root/runs`` and ``root/manifest.json`` and writes
``root/report/``: ``index.html`` (self-contained), ``report.md``, ``summary.csv``
(the final-budget table), ``ranks.csv``, ``overhead.csv``, ``ert.csv`` (expected
running times), ``critical_difference.csv`` (Friedman and Nemenyi on mean
ranks), ``bayesmark.csv`` (Bayesmark's normalised median score) and
``figures/*.png|svg``.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.report import anytime, anytime_figures, bayesmark, figures, friedman, parallel
from bench.report.designs import design_sentences, never_left
from bench.report.metrics import (
    BASELINE,
    OVERHEAD_COLUMNS,
    RANK_COLUMNS,
    Reference,
    add_regret,
    final_rows,
    incumbent_curves,
    mean_ranks,
    overhead,
    overhead_table,
    ranks,
    references,
    without_result,
)
from bench.report.page import Figure, Section, Table, render_html, render_markdown
from bench.report.palette import palette
from bench.report.stored import LeftOut, Stored, load
from bench.report.summary import summarise
from bench.report.tables import SUMMARY_COLUMNS, final_table, overall_table
from bench.trace import LEADING, TRAILING

log = logging.getLogger("bench")


#: Every figure the report may draw; files of these names it did not draw this
#: time are removed, so ``figures/`` never shows an earlier report's data.
FIGURES = (
    "best_vs_budget",
    "best_vs_time",
    "rank_vs_budget",
    "final_regret",
    "overhead",
    "validation_vs_test",
    "workers_best_vs_time",
    "workers_speedup",
    "anytime_ecdf",
    "critical_difference",
)
#: Tables written only for some suites (``time_to_target``: runs with several
#: workers); a file of these names this report did not write is removed.
OPTIONAL_CSV = ("time_to_target",)
#: Up to this many left-out runs are listed one per line; more are grouped by reason.
LIST_EACH = 12
#: The budget points of the rank tests and Bayesmark's score, as fractions of the final budget.
POINTS = {"final budget": 1.0, "25% of the budget": 0.25}


@dataclass(frozen=True)
class Anytime:
    """Fixed-target and rank statistics: the ERT table (``anytime.ert``), a
    Friedman-Nemenyi test per point of ``POINTS`` (None where there is none)
    and Bayesmark's scores at those points (``bayesmark.scores``)."""

    ert: pd.DataFrame
    rank_tests: dict[str, friedman.RankTest | None]
    scores: pd.DataFrame


@dataclass(frozen=True)
class Results:
    """What the report computed from the usable runs."""

    refs: dict[str, Reference]
    table: pd.DataFrame
    overall: pd.DataFrame
    cost: pd.DataFrame
    tested: bool
    anytime: Anytime
    workers: pd.DataFrame | None = None
    """The time-to-target table (``parallel.target_table``) when some run had
    several simulated workers (empty without one-worker random search), else None."""


def write_report(root: str | Path, stored: Stored | None = None) -> list[Path]:
    """Write the report of the suite stored under ``root`` (read from ``root``
    unless ``stored`` is given) to ``root/report``; return the files written."""
    root = Path(root)
    stored = load(root) if stored is None else stored
    return render(stored, root / "report", stored.manifest.get("suite", root.name))


def render(stored: Stored, out: Path, name: str) -> list[Path]:
    """Write the report of ``stored`` (suite ``name``) into ``out``; return the files
    written. Objectives without a successful trial, runs left out and a suite with
    no usable run at all are said in words; figures and tables show what has data."""
    art = out / "figures"
    runs = trial_rows(stored.runs)
    lost = without_result(runs)
    usable = runs[~runs["objective"].isin(lost)]
    if stored.left_out:
        log.warning("%s (listed in the report)", left_out_line(stored.left_out))
    if stored.missing:
        log.warning("%s", missing_line(stored.missing))
    for left in stored.left_out:
        if left.reason.startswith("damaged"):
            log.warning("%s: %s; `python -m bench run` recomputes it", left.path, left.reason)
    for sentence in lost.values():
        log.warning("%s: left out of every figure and table", sentence)
    out.mkdir(parents=True, exist_ok=True)
    results, written = _results(usable, stored, out) if len(usable) else (None, _no_tables(out))
    _drop_stale(art, written)
    sections = _sections(stored, runs, lost, results, art)
    title = f"tunebench report: {name}"
    (out / "index.html").write_text(render_html(title, sections), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(title, sections, out), encoding="utf-8")
    return [*written, out / "index.html", out / "report.md"]


def trial_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with every column of a trial row the report reads (a frame without
    rows may have no columns; runs stored before test values have none)."""
    missing = [c for c in (*LEADING, *TRAILING) if c not in runs.columns]
    return runs.assign(**{c: pd.Series(np.nan, index=runs.index) for c in missing})


def _results(usable: pd.DataFrame, stored: Stored, out: Path) -> tuple[Results, list[Path]]:
    """Curves, tables and figures of the runs whose objectives have a result."""
    art = out / "figures"
    refs = references(usable, stored.optima, stored.samples)
    by_budget = add_regret(incumbent_curves(usable, "budget"), refs)
    by_time = add_regret(incumbent_curves(usable, "seconds"), refs)
    colours = palette(usable["strategy"].unique())
    table = final_table(by_budget)
    rank_curves = ranks(by_budget)
    cost = overhead_table(usable, startup=stored.startup)
    final = final_rows(by_budget)
    with_test = final[final["objective"].isin(_tested(final, refs))]
    written = [
        *figures.regret_curves(by_budget, "budget", colours, art / "best_vs_budget"),
        *figures.regret_curves(by_time, "seconds", colours, art / "best_vs_time"),
        *figures.rank_curves(mean_ranks(rank_curves), colours, art / "rank_vs_budget", len(refs)),
        *figures.final_distributions(final, colours, art / "final_regret"),
        *figures.overhead_curves(overhead(usable), colours, art / "overhead"),
    ]
    if len(with_test):
        written += figures.validation_vs_test(with_test, art / "validation_vs_test")
    frames = {"summary": table, "ranks": rank_curves, "overhead": cost}
    workers = None
    if parallel.has_workers(usable):
        workers, drawn = _workers(usable, refs, art)
        written += drawn
        frames["time_to_target"] = workers
    stats, drawn = _anytime(usable, refs, by_budget, colours, art)
    written += drawn
    frames |= {
        "ert": stats.ert,
        "critical_difference": friedman.rank_table(stats.rank_tests),
        "bayesmark": stats.scores,
    }
    written += _write_csv(out, frames)
    results = Results(refs, table, overall_table(table), cost, bool(len(with_test)), stats, workers)
    return results, written


def _anytime(
    usable: pd.DataFrame,
    refs: dict[str, Reference],
    by_budget: pd.DataFrame,
    colours: dict,
    art: Path,
) -> tuple[Anytime, list[Path]]:
    """Targets, runtimes, ERT, rank tests and Bayesmark's scores, and their figures."""
    times = anytime.runtimes(add_regret(usable, refs), anytime.targets(usable, refs))
    tests = {
        point: friedman.rank_test(friedman.score_matrix(by_budget, fraction))
        for point, fraction in POINTS.items()
    }
    written = []
    if len(times):
        written += anytime_figures.ecdf_figure(times, colours, art / "anytime_ecdf")
    drawn = {
        f"{point}: {t.blocks} objective(s), Friedman p = {t.p_value:.3g}": t
        for point, t in tests.items()
        if t is not None
    }
    if drawn:
        written += anytime_figures.cd_figure(drawn, colours, art / "critical_difference")
    scores = bayesmark.scores(by_budget, usable, tuple(POINTS.values()))
    return Anytime(anytime.ert(times), tests, scores), written


def _workers(
    usable: pd.DataFrame, refs: dict[str, Reference], art: Path
) -> tuple[pd.DataFrame, list[Path]]:
    """The time-to-target table and the figures of runs with simulated workers."""
    curves = add_regret(parallel.simulated_curves(usable), refs)
    colours = palette(curves["strategy"].unique())
    written = parallel.time_figure(curves, colours, art / "workers_best_vs_time")
    targets = parallel.random_targets(usable)
    table = parallel.target_table(parallel.times_to_target(usable, targets))
    if len(table):
        written += parallel.speedup_figure(table, colours, art / "workers_speedup")
    return table, written


def _no_tables(out: Path) -> list[Path]:
    """The CSV files with their header only: there is no usable run."""
    columns = {
        "summary": SUMMARY_COLUMNS,
        "ranks": RANK_COLUMNS,
        "overhead": OVERHEAD_COLUMNS,
        "ert": anytime.ERT_COLUMNS,
        "critical_difference": friedman.RANK_TEST_COLUMNS,
        "bayesmark": bayesmark.SCORE_COLUMNS,
    }
    return _write_csv(out, {name: pd.DataFrame(columns=list(c)) for name, c in columns.items()})


def _write_csv(out: Path, frames: dict[str, pd.DataFrame]) -> list[Path]:
    for name, frame in frames.items():
        frame.to_csv(out / f"{name}.csv", index=False, float_format="%.6g")
    return [out / f"{name}.csv" for name in frames]


def _drop_stale(art: Path, written: list[Path]) -> None:
    """Remove figures (and optional tables) an earlier report wrote that this one did not."""
    for name in FIGURES:
        for path in art.glob(f"{name}.*"):
            if path not in written:
                path.unlink()
    for name in OPTIONAL_CSV:
        path = art.parent / f"{name}.csv"
        if path.exists() and path not in written:
            path.unlink()


def _tested(final: pd.DataFrame, refs: dict) -> list[str]:
    """Objectives judged on validation whose runs record a held-out test value (MLPs)."""
    return [
        name
        for name, ref in refs.items()
        if ref.optimum is None
        and final.loc[final["objective"] == name, "incumbent_test"].notna().any()
    ]


def left_out_line(left_out: Sequence[LeftOut]) -> str:
    """One line counting the runs left out by kind (the reason up to its first colon)."""
    kinds = Counter(x.reason.partition(":")[0].strip() or "no reason" for x in left_out)
    counts = ", ".join(
        f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return f"{len(left_out)} stored run{'s' if len(left_out) != 1 else ''} left out: {counts}"


def _sections(
    stored: Stored,
    runs: pd.DataFrame,
    lost: dict[str, str],
    results: Results | None,
    art: Path,
) -> list[Section]:
    sections = [_summary(stored, runs, lost, results)]
    if stored.left_out:
        sections.append(_left_out(stored.left_out))
    sections.append(_suite(stored, runs, results))
    if results is not None:
        sections += _result_sections(results, art)
    sections.append(
        Section(
            "Environment",
            items=_environment(stored.manifest),
            code=stored.manifest.get("suite_toml"),
        )
    )
    return sections


def _summary(
    stored: Stored, runs: pd.DataFrame, lost: dict[str, str], results: Results | None
) -> Section:
    """What is missing first, in words, then the verdicts and the count of runs left out."""
    items = []
    if results is None:
        items.append(
            "No run is usable: no objective has a successful trial, so there is no figure or table."
            if len(runs)
            else "No run is usable: there is no trial in any stored run of the suite's "
            "current definition, so there is no figure or table."
        )
    items += [f"{sentence}: left out of every figure and table." for sentence in lost.values()]
    if results is not None:
        items += [ref.note for ref in results.refs.values() if ref.note]
        items += summarise(results.table, results.overall)
    items += design_sentences(never_left(runs, stored.designs))
    items += [
        f"Objective {objective} charged costs its cost model does not give ({note}): "
        "its budget axis counts what the objective stated."
        for objective, note in sorted(stored.cost_mismatch.items())
    ]
    if stored.left_out:
        items.append(left_out_line(stored.left_out) + " (each listed under Left out).")
    if stored.missing:
        items.append(missing_line(stored.missing))
    return Section("Summary", items=items)


def missing_line(missing: Sequence[str]) -> str:
    """A sentence on the planned runs that have no usable stored run."""
    shown = ", ".join(missing[:LIST_EACH]) + (", ..." if len(missing) > LIST_EACH else "")
    return (
        f"{len(missing)} run{'s' if len(missing) != 1 else ''} of the suite's plan "
        f"{'have' if len(missing) != 1 else 'has'} no usable stored result, so the figures "
        f"and tables hold fewer seeds for them (`python -m bench run` completes the suite): "
        f"{shown}."
    )


def _left_out(left_out: Sequence[LeftOut]) -> Section:
    """Every stored run the report does not use, with its reason; grouped by reason
    when there are many."""
    if len(left_out) <= LIST_EACH:
        items = [f"{x.key}: {x.reason}" + (f" ({x.path})" if x.path else "") for x in left_out]
    else:
        groups: dict[str, list[str]] = defaultdict(list)
        for x in left_out:
            groups[x.reason].append(x.key)
        items = [
            f"{reason} ({len(keys)} run{'s' if len(keys) != 1 else ''}): {', '.join(keys)}"
            for reason, keys in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ]
    return Section(
        "Left out",
        paragraphs=[
            "Stored runs this report does not use, and why: none of them enters a figure, "
            "a table or a verdict. Rerunning the suite recomputes stale and errored runs and "
            "stores the new ones beside the old, which are then listed as superseded (kept as "
            "the record of what the earlier code gave)."
        ],
        items=items,
    )


def _suite(stored: Stored, runs: pd.DataFrame, results: Results | None) -> Section:
    manifest = stored.manifest
    items = [*_contents(runs, manifest), *_last_run(manifest)]
    if stored.errored and not stored.left_out:
        items.append(
            f"errored runs, left out of every figure and table: {', '.join(stored.errored)}"
        )
    description = manifest.get("description")
    return Section(
        "Suite",
        paragraphs=[description] if description else [],
        items=items,
        tables=[_measures(results.refs)] if results is not None else [],
    )


def _contents(runs: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """What the stored trial rows cover: strategies, objectives, seeds, budget, counts."""
    if not len(runs):
        return ["stored trials: none"]
    seeds = sorted(runs["seed"].unique().tolist())
    budget = manifest.get("budget", runs["cum_cost"].max())
    return [
        f"strategies ({runs['strategy'].nunique()}): "
        + ", ".join(sorted(runs["strategy"].unique())),
        f"objectives ({runs['objective'].nunique()}): "
        + ", ".join(sorted(runs["objective"].unique())),
        f"seeds ({len(seeds)}): {_span(seeds)}",
        f"budget: {budget:g} full-evaluation equivalents per run",
        f"runs: {runs.groupby(['objective', 'strategy', 'seed']).ngroups}, "
        f"trials: {len(runs)}, failed trials: {int((runs['status'] != 'ok').sum())}",
    ]


def _measures(refs: dict[str, Reference]) -> Table:
    return Table(
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


def _result_sections(results: Results, art: Path) -> list[Section]:
    sections = _curve_sections(art)
    if results.workers is not None:
        sections.append(_workers_section(results.workers, art))
    sections.append(_anytime_section(results.anytime, art))
    sections.append(_rank_section(results.overall, art))
    sections.append(_critical_difference_section(results.anytime.rank_tests, art))
    sections.append(_final_section(results.table, art))
    sections.append(_bayesmark_section(results.anytime.scores, results.table))
    if results.tested:
        sections.append(_test_section(results.table, art))
    sections.append(_overhead_section(results.cost, art))
    return sections


def _curve_sections(art: Path) -> list[Section]:
    return [
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
    ]


def _workers_section(table: pd.DataFrame, art: Path) -> Section:
    """Best found against simulated time per worker count, time to target and speed-up."""
    figures_ = [
        Figure(
            "Best found against simulated wall-clock time, one panel per worker count",
            "Rows are objectives, columns the number of simulated workers W (a run's "
            "evaluations run W at a time; synthetic functions take 1 s per full evaluation, "
            "the surrogate MLP its recorded training seconds). Each line is a strategy's "
            "median over seeds of its best value found by that simulated time (each seed's "
            "running best first), the band its interquartile range; a seed with no "
            "full-fidelity result yet counts as worst, so a line starts once half the seeds "
            "have one. Both axes are log; panels of a row share their axes, so the runs "
            "with more workers end sooner.",
            art / "workers_best_vs_time.png",
        )
    ]
    tables = []
    if len(table):
        figures_.append(
            Figure(
                "Parallel speed-up against the number of workers",
                "Speed-up = a strategy's median time to reach the target with one worker / "
                "with W workers, per target (rows) and objective (columns); the dashed line "
                "is a speed-up of W. A point whose median time is infinite (at most half the "
                "seeds reach the target) is not drawn.",
                art / "workers_speedup.png",
            )
        )
        tables = [
            Table(f"Time to target: {objective}", _format_targets(group))
            for objective, group in table.groupby("objective", sort=True)
        ]
    paragraphs = [
        "Budget is compute; with W workers it is spent W evaluations at a time, so what "
        "matters is how soon a searcher finds good values on the simulated clock. Each "
        "target is a quantile, over seeds, of one-worker random search's final best values "
        "(quantiles "
        + ", ".join(f"{q:g}" for q in parallel.TARGET_QUANTILES)
        + ": 0.5 is the median, as lesson 4 reads its target). A run's time to target "
        "is the simulated time (s) at which its incumbent first reaches the target; a run "
        "that never does counts as infinite, so a median is inf when at most half the "
        "seeds reach it (the table says how many did). Speed-up = median time with one "
        "worker / median time with W."
    ]
    if not len(table):
        paragraphs.append(
            "No target: the stored runs have no one-worker random search to take targets from."
        )
    return Section(
        "Workers: best found against simulated time",
        paragraphs=paragraphs,
        figures=figures_,
        tables=tables,
    )


def _format_targets(group: pd.DataFrame) -> pd.DataFrame:
    """One row per target and strategy: the median time (reached/runs) per W, and
    the speed-up per W > 1."""
    rows = []
    for (q, target, strategy), runs in group.groupby(["quantile", "target", "strategy"]):
        row = {"target": f"{target:.4g} ({q:g})", "strategy": strategy}
        runs = runs.sort_values("workers")
        for w, median, reached, n in runs[["workers", "median_time", "reached", "runs"]].to_numpy():
            row[f"×{int(w)}: median s (reached)"] = f"{median:.3g} ({int(reached)}/{int(n)})"
        for w, speedup in runs[["workers", "speedup"]].to_numpy():
            if w != 1:
                row[f"speed-up ×{int(w)}"] = "" if pd.isna(speedup) else f"{speedup:.3g}"
        rows.append(row)
    return pd.DataFrame(rows)


def _anytime_section(stats: Anytime, art: Path) -> Section:
    """Data profiles of the budget to reach targets, and the expected running times."""
    paragraphs = [
        "How much budget does a searcher need to reach a given quality, and how often does it "
        "get there? Where an objective's optimum is known the targets are "
        + ", ".join(map(anytime.regret_name, anytime.REGRET_TARGETS))
        + "; elsewhere they are quantiles ("
        + ", ".join(f"{q:g}" for q in anytime.TARGET_QUANTILES)
        + ") over seeds of one-worker random search's final best values (the value searchers "
        "see), so a quantile of 0.1 is a value only one random run in ten ends at or below. "
        "A run reaches a target at the cumulative budget (full-evaluation equivalents) after "
        "the first trial whose incumbent is at or below it.",
        "ERT, the expected running time (COCO, Hansen et al.), is the budget a strategy's runs "
        "spent until they reached the target, a run that never did counting its whole budget, "
        "summed over runs and divided by the number of runs that reached it: the budget a "
        "strategy needs per success if restarted until it succeeds. It is inf when no run "
        "reached the target; the brackets say how many runs did.",
    ]
    if not len(stats.ert):
        paragraphs.append("No target: no objective has a known optimum or random search runs.")
        return Section("Anytime: budget to reach targets", paragraphs=paragraphs)
    return Section(
        "Anytime: budget to reach targets",
        paragraphs=paragraphs,
        figures=[
            Figure(
                "Fraction of targets reached against budget (data profile)",
                "COCO's data profile, an empirical cumulative distribution: each line is the "
                "share of a strategy's (objective, seed, target) triples whose target its run "
                "had reached by that budget (log axis); the first panel pools every objective, "
                "the others show one each. Higher and further left is better; the line's end "
                "is the share reached within the whole budget.",
                art / "anytime_ecdf.png",
            )
        ],
        tables=[
            Table(f"Expected running time: {objective}", _format_ert(group))
            for objective, group in stats.ert.groupby("objective", sort=True)
        ],
    )


def _format_ert(group: pd.DataFrame) -> pd.DataFrame:
    """One row per strategy, one column per target (easiest first): ERT (reached/runs)."""
    cells = group.assign(
        cell=[
            f"{e:.3g} ({r}/{n})" for e, r, n in zip(group["ert"], group["reached"], group["runs"])
        ]
    )
    wide = cells.pivot(index="strategy", columns="target", values="cell")
    order = group.drop_duplicates("target").sort_values("level", ascending=False)["target"]
    return wide[order.tolist()].reset_index().rename_axis(columns=None)


def _critical_difference_section(tests: dict[str, friedman.RankTest | None], art: Path) -> Section:
    """Friedman's test and critical-difference diagrams of mean ranks over objectives."""
    shown = {point: t for point, t in tests.items() if t is not None}
    paragraphs = [
        "Each objective ranks the strategies by their median regret over seeds (1 = best, "
        "ties share the mean rank, a seed without a result counts as infinitely bad), at the "
        "final budget and at 25% of it; the mean rank over objectives is compared with "
        "Friedman's test and Nemenyi's post-hoc test (Demšar 2006): two strategies differ "
        "at the 5% level when their mean ranks differ by more than the critical difference "
        "CD = q * sqrt(k (k + 1) / (6 N)), k strategies, N objectives, q the studentized "
        "range quantile over sqrt(2). Objectives count as the samples, so with few of them "
        "the CD is wide."
    ]
    if not shown:
        paragraphs.append("No test: it needs two strategies run on a common objective.")
        return Section("Ranks with a critical difference", paragraphs=paragraphs)
    items = [
        f"{point}: N = {t.blocks} objective(s), k = {len(t.mean_ranks)} strategies, Friedman "
        f"chi2 = {t.chi2:.3g}, p = {t.p_value:.3g}; CD = {t.cd:.3g}; not significantly "
        "different: "
        + ("; ".join("{" + ", ".join(g) + "}" for g in t.groups) or "every pair differs")
        for point, t in shown.items()
    ]
    ranks = pd.DataFrame({point: t.mean_ranks for point, t in shown.items()})
    ranks = ranks.sort_values(next(iter(shown))).map("{:.2f}".format)
    return Section(
        "Ranks with a critical difference",
        paragraphs=paragraphs,
        items=items,
        figures=[
            Figure(
                "Critical-difference diagrams of mean ranks",
                "As autorank draws them: the axis is the mean rank over objectives (1, the "
                "best, on the right), each strategy is placed at its mean rank, the CD bar "
                "shows the critical difference, and a thick bar joins strategies whose mean "
                "ranks are within it (not significantly different). Where Friedman's p is 5% "
                "or more the test finds no difference at all, and the bars only show how far "
                "apart mean ranks fall by chance.",
                art / "critical_difference.png",
            )
        ],
        tables=[Table("Mean rank over objectives", ranks.rename_axis("strategy").reset_index())],
    )


def _bayesmark_section(scores: pd.DataFrame, table: pd.DataFrame) -> Section:
    """Bayesmark's normalised median score beside the report's own measure."""
    at = {fraction: point for point, fraction in POINTS.items()}
    summary = bayesmark.summary(scores).assign(point=lambda f: f["fraction"].map(at))
    overall = summary.pivot(index="strategy", columns="point", values="score")
    overall = overall[[p for p in POINTS if p in overall.columns]].map("{:.3g}".format)
    final = scores[scores["fraction"] == 1.0].merge(
        table[["objective", "strategy", "median_regret", "regret_kind"]],
        on=["objective", "strategy"],
        how="left",
    )
    return Section(
        "Bayesmark's normalised median score",
        paragraphs=[
            "Bayesmark's score (uber/bayesmark, experiment_analysis.compute_aggregates) per "
            "objective: (median over seeds of the best value found - best) / (random(b) - best), "
            "where best is the lowest value any strategy evaluated and random(b) is random "
            "search's median at the same budget b, the median of the minimum of b random "
            "evaluations, estimated from all of random search's evaluations pooled. 0 is the "
            "best found, 1 is random search at that budget; its summary is the median over "
            "objectives. The report's own normalised regret differs: it divides by the median "
            "of a single random evaluation, whatever the budget, and the report measures regret "
            "against the optimum where one is known. No random search, no score."
        ],
        tables=[
            Table(
                "Median over objectives (Bayesmark's summary score)",
                overall.rename_axis(columns=None).reset_index(),
            ),
            Table(
                "Per objective, at the final budget",
                pd.DataFrame(
                    {
                        "objective": final["objective"],
                        "strategy": final["strategy"],
                        "seeds": final["seeds"],
                        "Bayesmark score": final["score"].map(_g),
                        "report's median": final["median_regret"].map(_g),
                        "report's measure": final["regret_kind"],
                    }
                ),
            ),
        ],
    )


def _rank_section(overall: pd.DataFrame, art: Path) -> Section:
    return Section(
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
    )


def _final_section(table: pd.DataFrame, art: Path) -> Section:
    return Section(
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
    )


def _test_section(table: pd.DataFrame, art: Path) -> Section:
    gap = table[table["median_test"].notna()]
    return Section(
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


def _overhead_section(cost: pd.DataFrame, art: Path) -> Section:
    return Section(
        "Optimizer overhead",
        figures=[
            Figure(
                "Optimizer time per trial",
                "Milliseconds spent in ask + tell per trial against the trial number (median "
                "over objectives and seeds), on a log scale: a rising line is a searcher whose "
                "model grows with its history. The table's last columns show what a median "
                "hides: the slowest single ask + tell and a run's total, and the strategy's "
                "start-up (its constructor, median over runs), counted in no trial.",
                art / "overhead.png",
            )
        ],
        tables=[Table("Ask + tell per trial (ms)", _format_overhead(cost))],
    )


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
        frame.insert(4, "median test error", group["median_test"].map(_fixed))
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
            "largest": cost["max_ms"].map("{:.3g}".format),
            "per run, total (s)": cost["run_total_s"].map("{:.3g}".format),
            "start-up (ms)": cost["startup_ms"].map(
                lambda ms: "not recorded" if pd.isna(ms) else f"{ms:.3g}"
            ),
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


def _fixed(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.4f}"


def _g(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.4g}"


__all__ = ["Stored", "load", "render", "write_report"]
