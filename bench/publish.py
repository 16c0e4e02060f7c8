"""``python -m bench publish``: the README's measured claims, computed from stored results.

Every number and verdict the README states about results lives between two
markers, ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``, and is
rendered from ``results/published/claims.json``, which this module computes from
the stored runs (through the report's own loader and statistics) and from the
lessons page's ``claims.json``. ``publish`` recomputes the claims, copies the
published figures and rewrites the blocks; ``check`` only compares the README
with the claims file, so a hand edit of a generated block fails the test suite.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.report.designs import design_sentences, never_left
from bench.report.lessons import random_vs_grid
from bench.report.lessons_report import SUITES as LESSON_SUITES
from bench.report.metrics import (
    add_regret,
    final_rows,
    full_fidelity,
    incumbent_curves,
    references,
)
from bench.report.stored import Stored, load
from bench.report.summary import summarise
from bench.report.tables import final_table, overall_table

#: The suites whose results the README shows, and the lessons page.
SUITES = ("default", "random-vs-grid")
CLAIMS = "claims.json"
_BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)",
    re.DOTALL,
)


class PublishError(RuntimeError):
    """A results folder or claims file that cannot be published from."""


def suite_claims(root: Path) -> dict[str, Any]:
    """What one suite's stored runs say: the report's summary sentences, the
    runs never leaving their initial design, each grid's points per dimension,
    when each multi-fidelity searcher first had a full-fidelity incumbent, and
    how long the suite's last complete run took."""
    stored = complete(root)
    runs = stored.runs
    refs = references(runs, stored.optima, stored.samples)
    curves = add_regret(incumbent_curves(runs, "budget"), refs)
    table = final_table(curves)
    manifest = stored.manifest
    return {
        "suite": manifest.get("suite", root.name),
        "strategies": sorted(runs["strategy"].unique()),
        "objectives": sorted(runs["objective"].unique()),
        "seeds": int(runs["seed"].nunique()),
        "budget": float(manifest.get("budget", curves["budget"].max())),
        "summary": summarise(table, overall_table(table)),
        "designs": design_sentences(never_left(runs, stored.designs)),
        "grids": grid_shapes(runs),
        "first_incumbent": first_incumbent(runs),
        "medians": _medians(final_rows(curves)),
    }


def complete(root: Path) -> Stored:
    """The stored runs of ``root``, refused unless every run the suite plans with
    today's code is stored, intact and not errored: a published claim is never
    computed from a partial or stale suite."""
    stored = load(root)
    if stored.missing or stored.errored or not len(stored.runs):
        problems = len(stored.missing) + len(stored.errored)
        raise PublishError(
            f"{root}: {problems} planned run(s) have no usable stored result with today's "
            f"code (e.g. {(list(stored.missing) + list(stored.errored) + ['all'])[0]}); "
            f"run `python -m bench run {root.name} --results {root.parent}` first"
        )
    return stored


def grid_shapes(runs: pd.DataFrame) -> dict[str, dict[str, str]]:
    """For each grid strategy and objective, the points per dimension of seed 0's
    grid as ``"5 x 5 x 2 x 1 x 1 x 1"`` (distinct values visited, in the space's order)."""
    shapes: dict[str, dict[str, str]] = {}
    grids = runs[runs["strategy"].str.match(r"^grid(\[|$)") & (runs["seed"] == runs["seed"].min())]
    for (strategy, objective), rows in grids.groupby(["strategy", "objective"]):
        params = [c for c in rows.columns if c.startswith("param_") and rows[c].notna().any()]
        counts = [str(rows[c].nunique()) for c in params]
        shapes.setdefault(strategy, {})[objective] = " x ".join(counts)
    return shapes


def first_incumbent(runs: pd.DataFrame) -> dict[str, float]:
    """For each strategy that evaluated below full fidelity, the median over runs
    of the budget spent when its first full-fidelity incumbent appeared."""
    low = runs.loc[~full_fidelity(runs), "strategy"].unique()
    firsts = {}
    for strategy in sorted(low):
        rows = runs[(runs["strategy"] == strategy) & np.isfinite(runs["best"])]
        per_run = rows.groupby(["objective", "seed"])["cum_cost"].min()
        firsts[strategy] = float(per_run.median())
    return firsts


def _medians(final: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Median final regret per objective and strategy."""
    medians = final.groupby(["objective", "strategy"])["regret"].median()
    return {
        objective: {s: float(v) for s, v in group.droplevel("objective").items()}
        for objective, group in medians.groupby(level="objective")
    }


def grid_verdicts(stored: Stored) -> list[dict[str, Any]]:
    """Random search against each grid placement on paired seeds, per objective:
    lesson 1's comparison (``lessons.random_vs_grid``) on this suite."""
    budget = int(stored.runs["cum_cost"].max())
    lesson = random_vs_grid({budget: stored})
    return [
        {
            "objective": case.rsplit(", ", 2)[0],
            "grid": case.rsplit(", ", 1)[1],
            "holds": v.holds,
            "effect": v.effect,
            "ci_low": v.ci_low,
            "ci_high": v.ci_high,
            "p": v.p_value,
            "pairs": v.pairs,
        }
        for case, v in lesson.verdicts
    ]


def collect(results: Path) -> dict[str, Any]:
    """Every published claim, computed from ``results``."""
    missing = [s for s in (*SUITES, "lessons") if not (results / s).is_dir()]
    if missing:
        raise PublishError(
            f"no {', '.join(missing)} under {results}: run `make bench`, "
            "`python -m bench run random-vs-grid` and `make lessons` first"
        )
    lessons = results / "lessons" / CLAIMS
    if not lessons.is_file():
        raise PublishError(f"{lessons} is missing: run `python -m bench lessons` first")
    for suite in LESSON_SUITES:
        complete(results / suite)
    claims = {name: suite_claims(results / name) for name in SUITES}
    claims["random-vs-grid"]["verdicts"] = grid_verdicts(complete(results / "random-vs-grid"))
    claims["lessons"] = json.loads(lessons.read_text())
    claims["harness"] = {name: _output(results / "published" / f"{name}.md") for name in HARNESS}
    return claims


#: The harness checks whose output the README shows: ``make mutate``,
#: ``make tamper``, ``make surrogate-fidelity``, ``make simulation-check``,
#: ``make perf-simulator``, ``make perf-loop``, ``make perf-wrappers``,
#: ``make perf-objectives``, ``make perf-scale``, ``make install-size``,
#: ``make compare-check`` and ``make fresh-clone`` write it to
#: ``results/published/<name>.md``.
HARNESS = (
    "mutate",
    "tamper",
    "surrogate-fidelity",
    "simulation-check",
    "perf-simulator",
    "perf-loop",
    "perf-wrappers",
    "perf-objectives",
    "perf-scale",
    "install-size",
    "compare-check",
    "fresh-clone",
)


def _output(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


def publish(results: str | Path, readme: str | Path, published: str | Path) -> list[Path]:
    """Compute the claims from ``results``, write them and the published figures
    to ``published``, and rewrite ``readme``'s generated blocks; return the files."""
    results, published, readme = Path(results), Path(published), Path(readme)
    claims = collect(results)
    published.mkdir(parents=True, exist_ok=True)
    written = [
        _copy(
            results / "default/report/figures/best_vs_budget.png", published / FIGURES["default"]
        ),
        _copy(
            results / "random-vs-grid/report/figures/best_vs_budget.png",
            published / FIGURES["random-vs-grid"],
        ),
    ]
    lessons = published / "lessons"
    if lessons.exists():
        shutil.rmtree(lessons)
    shutil.copytree(results / "lessons", lessons, ignore=shutil.ignore_patterns("*.html", "*.svg"))
    written.append(lessons)
    path = published / CLAIMS
    path.write_text(json.dumps(claims, indent=1, sort_keys=True, default=_plain) + "\n")
    claims = json.loads(path.read_text())
    readme.write_text(rewrite(readme.read_text(), render_blocks(claims)))
    return [*written, path, readme]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in {CLAIMS}")


def _copy(source: Path, target: Path) -> Path:
    if not source.is_file():
        raise PublishError(f"{source} is missing: write the suite's report first")
    shutil.copyfile(source, target)
    return target


FIGURES = {
    "default": "default-best-vs-budget.png",
    "random-vs-grid": "random-vs-grid-forrester-1of2.png",
}


def rewrite(text: str, blocks: Mapping[str, str]) -> str:
    """``text`` with each generated block's body replaced by ``blocks[name]``."""
    found = {m.group("name") for m in _BLOCK.finditer(text)}
    unknown = sorted(found - set(blocks))
    if unknown:
        raise PublishError(f"README has generated blocks nothing renders: {', '.join(unknown)}")
    return _BLOCK.sub(lambda m: m.group(1) + blocks[m.group("name")] + m.group(4), text)


def check(text: str, claims: Mapping[str, Any]) -> list[str]:
    """The names of generated blocks whose text is not what ``claims`` renders
    (a hand edit, or claims changed without ``publish``), and the blocks missing."""
    blocks = render_blocks(claims)
    found = {m.group("name"): m.group("body") for m in _BLOCK.finditer(text)}
    problems = [f"block '{n}' is missing" for n in blocks if n not in found]
    problems += [
        f"block '{n}' differs from what {CLAIMS} renders (run `make publish`)"
        for n, body in found.items()
        if n in blocks and body != blocks[n]
    ]
    return problems


def render_blocks(claims: Mapping[str, Any]) -> dict[str, str]:
    """Each generated block's Markdown, from the claims alone."""
    from bench.publish_text import command_output, default_caption, grid_caption, lesson_list

    return {
        "default-caption": default_caption(claims["default"]),
        "random-vs-grid-caption": grid_caption(claims["random-vs-grid"]),
        "lessons": lesson_list(claims["lessons"]),
        **{name: command_output(name, claims.get("harness", {}).get(name)) for name in HARNESS},
    }
