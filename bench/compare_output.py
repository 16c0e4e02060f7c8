"""What ``bench compare`` writes: a Markdown table fit for a pull-request
comment (``compare.md``) and a figure of the effects (``compare.png``, ``.svg``)."""

from __future__ import annotations

import math
from pathlib import Path

from bench.compare import FLOOR, Cell, Comparison
from bench.report import compare_figure

VERDICT_TEXT = {"worse": "**worse**", "better": "better", "same": "same"}


def write(comparison: Comparison, out: str | Path) -> list[Path]:
    """Write ``out/compare.md`` and the figure ``out/compare.png`` (and .svg); return them."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    markdown_file = out / "compare.md"
    markdown_file.write_text(markdown(comparison), encoding="utf-8")
    if not comparison.cells:
        return [markdown_file]
    title = f"B against A: {comparison.summary} (of {len(comparison.cells)} cells)"
    return [markdown_file, *compare_figure.effects(comparison.frame(), out / "compare", title)]


def markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: what was compared, one table row per cell,
    the summary line (k worse, k better, k same), how to read it, and notes."""
    cells = comparison.cells
    several = len({cell.strategy for cell in cells}) > 1
    header = ["objective", *(["strategy"] if several else []), "checkpoint", "n"]
    header += ["median A", "median B", "effect [95% CI]", "p", "Holm p", "verdict"]
    align = ["---", *(["---"] if several else []), "---", "---:", "---:", "---:", "---:"]
    align += ["---:", "---:", "---"]
    lines = [
        "### tunebench compare: B against A",
        "",
        f"- **A**: {comparison.a}",
        f"- **B**: {comparison.b}",
        f"- runs paired by objective and seed; {len(cells)} cells, Holm-corrected together "
        f"at alpha {comparison.alpha:g}",
        "",
        _row(header),
        _row(align),
        *(_row(_cells_row(cell, several)) for cell in cells),
        "",
        f"**{comparison.summary}** (B against A, {len(cells)} cells)",
        "",
        *_legend(comparison),
    ]
    if comparison.notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in comparison.notes)]
    return "\n".join(lines) + "\n"


def _row(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def _cells_row(cell: Cell, several: bool) -> list[str]:
    objective = cell.objective + (" (value)" if cell.kind == "value" else "")
    return [
        objective,
        *([cell.strategy] if several else []),
        f"{cell.fraction:.0%} ({cell.budget:g})",
        str(cell.pairs),
        _number(cell.median_a),
        _number(cell.median_b),
        f"{_signed(cell.effect)} [{_signed(cell.ci_low)}, {_signed(cell.ci_high)}]",
        _p(cell.p_value),
        _p(cell.p_holm),
        VERDICT_TEXT[cell.verdict],
    ]


def _legend(comparison: Comparison) -> list[str]:
    return [
        "How to read it: *median A*, *median B*: median over seeds of the regret "
        "(incumbent - known optimum) at the checkpoint, or of the incumbent's value for an "
        "objective marked (value), which has no known optimum; *n*: paired seeds. *effect*: "
        "median over paired seeds of log10(regret B / regret A), in decades, regrets floored "
        f"at {FLOOR:g} (value: B - A); below 0, B is lower, i.e. better; the interval is a 95% "
        "percentile bootstrap of that median. *p*: two-sided Wilcoxon signed-rank test of "
        "regret B - regret A (regrets floored as above; or value B - value A) over paired "
        "seeds; "
        "*Holm p*: adjusted over every cell; *verdict*: B is better "
        f"or worse than A where Holm p < {comparison.alpha:g}, else the same. A run with no "
        "full-fidelity result yet at a checkpoint counts as worse than any result.",
    ]


def _number(value: float) -> str:
    if math.isnan(value):
        return "-"
    return "no incumbent" if math.isinf(value) else f"{value:.3g}"


def _signed(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:+.2g}"


def _p(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2g}"
