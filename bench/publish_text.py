"""The README's generated blocks as Markdown, rendered from the published claims
only (pure functions: the same claims give the same text, byte for byte)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

READING_GUIDE = (
    "How to read it: one panel per objective; the y axis is regret, the incumbent's "
    "value minus the known optimum, on a log scale, so each grid line down is ten times "
    "closer to the optimum (where the optimum is unknown, as for an MLP, normalised "
    "regret: 0 is the best value any stored run found, 1 the median value of a random "
    "configuration); the x axis is budget spent in full-evaluation equivalents (a "
    "trial at 1/27 of the resource costs 1/27). Each line is a searcher's median over "
    "seeds of its running best (every seed's best-so-far first, then the median), the "
    "band a 95% bootstrap confidence interval of that median: where two bands do not "
    "overlap, the difference is unlikely to be seed luck. A multi-fidelity searcher's "
    "line starts where its first full-fidelity evaluation ends: before that it has no "
    "incumbent, only cheaper, biased evaluations."
)


def _g(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _names(names: Sequence[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def default_caption(c: Mapping[str, Any]) -> str:
    """The main figure, its reading guide and what the default suite's data say."""
    names = list(c["objectives"])
    objectives = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    lines = [
        f"![Median regret vs budget of {len(c['strategies'])} searchers on {objectives}]"
        "(results/published/default-best-vs-budget.png)",
        "",
        f"The main figure of `make bench` (suite `{c['suite']}`: {len(c['strategies'])} "
        f"searchers, {c['seeds']} seeds, {c['budget']:g} full evaluations each), as the "
        f"report draws it. {READING_GUIDE}",
        "",
        "What the stored runs say (the report's generated summary, copied by `make publish`):",
        "",
        *[f"- {sentence}" for sentence in c["summary"]],
    ]
    if c["first_incumbent"]:
        firsts = ", ".join(
            f"`{s}` at budget {_g(b)}" for s, b in sorted(c["first_incumbent"].items())
        )
        lines.append(
            f"- First full-fidelity incumbent (median over runs): {firsts}; before that "
            "these searchers have spent budget on low fidelities only."
        )
    lines += [f"- {shape}" for shape in _grid_lines(c["grids"])]
    lines += [f"- {sentence}" for sentence in c["designs"]]
    return "\n".join(lines) + "\n"


def _grid_lines(grids: Mapping[str, Mapping[str, str]]) -> list[str]:
    return [
        f"`{strategy}` visits a full grid of "
        + ", ".join(f"{shape} points on {objective}" for objective, shape in sorted(by.items()))
        + " (points per dimension, in the space's order)."
        for strategy, by in sorted(grids.items())
    ]


def grid_caption(c: Mapping[str, Any]) -> str:
    """The random-vs-grid figure and the paired verdicts of random against each grid."""
    [objective] = c["objectives"]
    medians = c["medians"][objective]
    lines = [
        "![Random search vs grid search on a 2-D function where only one dimension matters]"
        "(results/published/random-vs-grid-forrester-1of2.png)",
        "",
        f"From `python -m bench run random-vs-grid` ({c['seeds']} seeds, {c['budget']:g} "
        f"evaluations) on `{objective}`, where only one of two dimensions matters. Bergstra "
        "& Bengio (2012) predict that random search wins here, because a grid tries few "
        "distinct values of the dimension that counts. Median final regret: "
        + ", ".join(f"`{s}` {_g(v)}" for s, v in sorted(medians.items()))
        + ".",
        "",
        *[f"- {shape}" for shape in _grid_lines(c["grids"])],
    ]
    for v in c["verdicts"]:
        lines.append(
            f"- `random` vs `{v['grid']}`: {v['holds']}, random lower by {_g(v['effect'])} "
            f"decades of regret [95% CI {_g(v['ci_low'])}, {_g(v['ci_high'])}], Wilcoxon "
            f"p = {_g(v['p'])}, {v['pairs']} paired seeds."
        )
    return "\n".join(lines) + "\n"


def lesson_list(lessons: Sequence[Mapping[str, Any]]) -> str:
    """Each lesson's title, its verdict counts and every case, as computed."""
    lines = []
    for lesson in lessons:
        counts: dict[str, int] = {}
        for case in lesson["cases"]:
            counts[case["holds"]] = counts.get(case["holds"], 0) + 1
        tally = ", ".join(f"{n} {holds}" for holds, n in sorted(counts.items()))
        lines.append(
            f"{lesson['number']}. **{lesson['title']}**: {tally} "
            f"(of {len(lesson['cases'])} case{'s' if len(lesson['cases']) != 1 else ''})."
        )
        lines += [f"   - {_case(case)}" for case in lesson["cases"]]
        lines += [f"   - {note}" for note in lesson["notes"]]
    return "\n".join(lines) + "\n"


def _case(case: Mapping[str, Any]) -> str:
    if case["p"] is None:
        return f"{case['case']}: {case['holds']} (in {case['effect']:.0%} of resamples)"
    adjusted = "" if case["p_raw"] is None else f" (unadjusted {_g(case['p_raw'])})"
    return (
        f"{case['case']}: {case['holds']}, {_g(case['effect'])} {case['unit']} "
        f"[95% CI {_g(case['ci_low'])}, {_g(case['ci_high'])}], "
        f"Holm-adjusted p = {_g(case['p'])}{adjusted}, {case['pairs']} pairs"
    )


def command_output(name: str, text: str | None) -> str:
    """What ``make <name>`` wrote, as it wrote it (or how to produce it); for
    ``install-size``, its table cut to the largest wheels and the totals; for
    ``compare-check``, its summary without the cell-by-cell tables."""
    if text is None:
        return f"(not measured yet: run `make {name}`, then `make publish`)\n"
    if name == "install-size":
        return largest_rows(text)
    if name == "compare-check":
        return text.split("\n### ", 1)[0].rstrip("\n") + "\n"
    return text


#: Rows of ``make install-size``'s table the README shows (largest wheels first).
INSTALL_ROWS = 10


def largest_rows(text: str) -> str:
    """``text`` with its Markdown table cut to the first ``INSTALL_ROWS`` rows,
    a row saying how many were left out, and the table's last (totals) row."""
    lines = text.splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("| ")]
    body = rows[2:-1]
    if len(body) <= INSTALL_ROWS:
        return text
    kept, dropped = body[:INSTALL_ROWS], body[INSTALL_ROWS:]
    columns = lines[rows[0]].count("|") - 1
    gap = "| " + " | ".join([f"... {len(dropped)} smaller wheels"] + [""] * (columns - 1)) + " |"
    out = lines[: rows[0] + 2] + [lines[i] for i in kept] + [gap] + lines[rows[-1] :]
    return "\n".join(out) + "\n"
