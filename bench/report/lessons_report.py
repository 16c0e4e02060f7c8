"""``python -m bench lessons``: the lessons section, from the stored runs of the
``lessons-*`` suites and the ``parallel`` suite (``make lessons`` runs them
first), written to ``<results>/lessons/index.html`` and ``report.md``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from bench.report import lessons as lesson_of
from bench.report.lesson_figures import draw
from bench.report.page import Figure, Section, Table, render_html, render_markdown
from bench.report.stored import Stored, combined, load
from bench.report.verdict import holm_cases

SUITES = (
    "lessons-grid-25",
    "lessons-grid-100",
    "lessons-synthetic",
    "lessons-mlp",
    "lessons-surrogate",
    "parallel",
)
#: Said under lessons 2 and 4, which read the real and the surrogate MLPs side by side.
SURROGATE_NOTE = (
    "surrogate-mlp-sgd and surrogate-mlp-adam answer from a model fitted on recorded "
    "trainings of the same MLPs on digits (see the README's surrogate fidelity figures), "
    "with {surrogate} seeds; mlp-sgd and mlp-adam are real trainings, with {real} seeds. "
    "The surrogate has 24 distinct noise draws per configuration (3 recorded seeds x 8 "
    "neighbours): seeds 24 apart share the objective's noise, not the searcher's randomness."
)


def write_lessons(results: str | Path) -> list[Path]:
    """Compute the eight lessons from the stored runs of ``SUITES`` and write the page."""
    results = Path(results)
    missing = [s for s in SUITES if not (results / s / "runs").is_dir()]
    if missing:
        raise FileNotFoundError(
            f"no stored runs of {', '.join(missing)} under {results}: run `make lessons` "
            "(or `python -m bench run <suite>` for each) first"
        )
    lessons = compute_lessons({name: load(results / name) for name in SUITES})
    out = results / "lessons"
    written, sections, summary = [], [], []
    for lesson in lessons:
        files = draw(lesson, out / "figures" / f"lesson{lesson.number}")
        written += files
        counts = pd.Series([v.holds for _, v in lesson.verdicts]).value_counts()
        overall = ", ".join(f"{n} {k}" for k, n in counts.items())
        summary.append(f"{lesson.number}. {lesson.title}: {overall}.")
        sections.append(_section(lesson, files[0]))
    sections.insert(0, Section("Verdicts", paragraphs=[METHOD], items=summary))
    out.mkdir(parents=True, exist_ok=True)
    title = "tunebench: the tuning folklore, measured"
    (out / "index.html").write_text(render_html(title, sections), encoding="utf-8")
    (out / "report.md").write_text(render_markdown(title, sections, out), encoding="utf-8")
    (out / "claims.json").write_text(json.dumps(lesson_claims(lessons), indent=1) + "\n")
    return [*written, out / "index.html", out / "report.md", out / "claims.json"]


METHOD = (
    "Each claim is tested on paired seeds (same seed, same objective instance): "
    "the effect is the median over seeds of how much the claimed winner wins, with a "
    "95% bootstrap confidence interval and a two-sided Wilcoxon signed-rank p-value, "
    "Holm-adjusted over the cases of the lesson. Supported: the interval lies above "
    "0 and the adjusted p < 0.05; contradicted: below 0; inconclusive otherwise. "
    "Computed from the stored runs, never written by hand."
)


def compute_lessons(stored: dict[str, Stored]) -> list[lesson_of.Lesson]:
    """The eight lessons from the stored runs of each suite of ``SUITES``, verdicts
    Holm-adjusted within each lesson. Lessons 2 and 4 read the real and the
    surrogate MLPs together, each case named by its objective; lesson 8's
    conclusions in words come from its adjusted verdicts."""
    mlp, synthetic = stored["lessons-mlp"], stored["lessons-synthetic"]
    both = combined(mlp, stored["lessons-surrogate"])
    note = SURROGATE_NOTE.format(surrogate=_seeds(stored["lessons-surrogate"]), real=_seeds(mlp))
    log_scale, hyperband = lesson_of.log_vs_linear(both), lesson_of.hyperband_compute(both)
    log_scale.notes.append(note)
    hyperband.notes.append(note)
    lessons = [
        lesson_of.random_vs_grid({25: stored["lessons-grid-25"], 100: stored["lessons-grid-100"]}),
        log_scale,
        lesson_of.coarse_to_fine(synthetic),
        hyperband,
        lesson_of.model_based_growth(synthetic, mlp),
        lesson_of.importance(mlp),
        lesson_of.optimism(mlp),
        lesson_of.panda_vs_caviar(stored["parallel"]),
    ]
    for lesson in lessons:
        lesson.verdicts = holm_cases(lesson.verdicts)
    lessons[-1].notes[:0] = lesson_of.panda_vs_caviar_summary(lessons[-1].verdicts)
    return lessons


def _section(lesson: lesson_of.Lesson, figure: Path) -> Section:
    """A lesson's part of the page: claim, verdicts, notes, figure and tables."""
    verdict_rows = pd.DataFrame(
        [
            {
                "case": case,
                "verdict": v.holds,
                "effect": f"{v.effect:+.3g} {v.unit}",
                "95% CI": f"[{v.ci_low:+.3g}, {v.ci_high:+.3g}]",
                "p (Holm)": "" if pd.isna(v.p_value) else f"{v.p_value:.2g}",
                "p": "" if pd.isna(v.p_raw) else f"{v.p_raw:.2g}",
                "pairs": v.pairs,
            }
            for case, v in lesson.verdicts
        ]
    )
    tables = [Table("Verdicts", verdict_rows)]
    if len(lesson.table):
        tables.append(Table("Numbers", lesson.table))
    return Section(
        f"Lesson {lesson.number}: {lesson.title}",
        paragraphs=[f"Claim: {lesson.claim}."],
        items=[f"{case}: {v.sentence()}" for case, v in lesson.verdicts] + lesson.notes,
        figures=[Figure(lesson.title, _captions[lesson.number], figure)],
        tables=tables,
    )


def _seeds(stored: Stored) -> int:
    return int(stored.runs["seed"].nunique()) if len(stored.runs) else 0


def lesson_claims(lessons: list[lesson_of.Lesson]) -> list[dict]:
    """What each lesson found, as plain data: the README's lesson list is
    rendered from it (``bench.publish``), never typed."""
    return [
        {
            "number": lesson.number,
            "title": lesson.title,
            "claim": lesson.claim,
            "cases": [
                {
                    "case": case,
                    "holds": v.holds,
                    "effect": _finite(v.effect),
                    "ci_low": _finite(v.ci_low),
                    "ci_high": _finite(v.ci_high),
                    "p": _finite(v.p_value),
                    "p_raw": _finite(v.p_raw),
                    "pairs": v.pairs,
                    "unit": v.unit,
                }
                for case, v in lesson.verdicts
            ],
            "notes": list(lesson.notes),
            "table": lesson.table.astype(str).to_dict(orient="records"),
        }
        for lesson in lessons
    ]


def _finite(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


_captions = {
    1: "Final regret over seeds of random search and grid search (cell centres: grid; "
    "bounds: grid[placement=bounds]) at 25 and 100 trials, per objective.",
    2: "Median best validation error (quartile band) of random search on each dimension's "
    "own scale, and with only the learning rate, or only the log1m (1-beta) dimensions, "
    "on a linear scale.",
    3: "Median advantage of coarse-to-fine over random search (decades of regret, 95% CI) "
    "against the zoom factor.",
    4: "Median best validation error of Hyperband and random search against the budget spent.",
    5: "Median advantage (quartile band) of TPE and GP over random search at growing budgets.",
    6: "fANOVA importance of each hyperparameter from every full-fidelity evaluation.",
    7: "Median (quartile band) of the incumbent's test error minus its validation error "
    "as random search runs.",
    8: "Left: median advantage (quartile band) over random search with as many simulated "
    "workers, in decades of final regret, pooled over objectives and seeds, against the "
    "number of workers. Right: asha's advantage over synchronous hyperband with the most "
    "workers, at the same simulated time, per objective (one point per seed).",
}
