"""``bench compare``: stored runs of B against stored runs of A, with a yes/no a CI job can act on.

Runs are paired by objective and seed (common random numbers: run k of both
sides saw objective instance k). At each budget checkpoint (a fraction of the
objective's budget) each run's incumbent is read as the report reads it; per
cell (objective x strategy x checkpoint) a two-sided Wilcoxon signed-rank test
of B against A on regret (incumbent - known optimum, floored at the report's
1e-12), as the report tests searchers against random search, or, where no
optimum is known, on the incumbent's value; Holm-corrected over all cells.
The effect is the median over paired seeds of log10(regret B / regret A) in
decades (or value B - value A), with a 95% percentile bootstrap interval of
that median. A run with no full-fidelity result yet at a checkpoint counts as
worse than any result (as the report's ranks count it).

Runs that are not comparable are refused, naming what differs: an objective's
signature (its values at five fixed configurations), optimum or space, the
budget, the timeout, the seed set or the set of objectives.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from bench.recorded import Recorded, RecordedError, read
from bench.report.metrics import FLOORS, Reference, best_at, median_band, references
from bench.report.stats import ALPHA, holm, paired_wilcoxon, seeds_needed, smallest_holm_p
from bench.report.stats import verdict as stats_verdict

#: Default checkpoints, as fractions of each objective's budget.
CHECKPOINTS = (0.1, 0.25, 0.5, 1.0)
FLOOR = FLOORS["regret"]
FailOn = Literal["worse", "any", "never"]
Verdict = Literal["better", "worse", "same"]
#: Spec fields two runs of one objective must share to be comparable.
KEYS = ("signature", "optimum", "space", "budget", "timeout")


class CompareError(ValueError):
    """A comparison that cannot be made as asked (a missing folder, an unknown strategy)."""


class Incomparable(CompareError):
    """Runs that are not comparable; the message names each difference."""


@dataclass(frozen=True)
class Side:
    """The runs of one strategy (a run label) in one results folder."""

    recorded: Recorded
    strategy: str

    @property
    def name(self) -> str:
        return f"{self.recorded.folder} ({self.strategy})"


@dataclass(frozen=True)
class Cell:
    """B against A at one checkpoint of one objective, for one strategy (A's
    label, or "A's -> B's" where they differ). ``kind`` is "regret"
    (``effect`` in decades: log10 of B's floored regret over A's) or "value"
    (``effect`` in the objective's units, B - A); negative favours B. ``pairs``
    counts paired seeds; ``p_value`` is the Wilcoxon signed-rank p and
    ``direction`` the sign its signed ranks give B - A (-1: B lower), ``p_holm``
    the Holm-adjusted p over every cell of the comparison."""

    objective: str
    strategy: str
    fraction: float
    budget: float
    kind: str
    pairs: int
    median_a: float
    median_b: float
    effect: float
    ci_low: float
    ci_high: float
    p_value: float
    direction: int = 0
    p_holm: float = np.nan
    verdict: Verdict = "same"


@dataclass(frozen=True)
class Comparison:
    """Every cell of B against A, the significance level and notes in words."""

    a: str
    b: str
    cells: tuple[Cell, ...]
    alpha: float = ALPHA
    notes: tuple[str, ...] = ()

    def count(self, verdict: Verdict) -> int:
        return sum(cell.verdict == verdict for cell in self.cells)

    @property
    def summary(self) -> str:
        return (
            f"{self.count('worse')} worse, {self.count('better')} better, {self.count('same')} same"
        )

    def frame(self) -> pd.DataFrame:
        """One row per cell, the fields of ``Cell`` as columns."""
        return pd.DataFrame(
            [asdict(cell) for cell in self.cells], columns=list(Cell.__annotations__)
        )


def compare_folders(
    a: str | Path,
    b: str | Path | None = None,
    *,
    strategies: Sequence[str] | None = None,
    checkpoints: Sequence[float] = CHECKPOINTS,
    alpha: float = ALPHA,
) -> Comparison:
    """B against A from stored runs: two results folders (``strategies``: none
    for every strategy both hold, one label for that one, two for A's against
    B's), or one folder and two strategies in it."""
    try:
        first = read(a)
        second = first if b is None else read(b)
    except RecordedError as exc:
        raise CompareError(str(exc)) from None
    pairs = strategy_pairs(first, second, strategies, one_folder=b is None)
    return compare(first, second, pairs, checkpoints, alpha)


def strategy_pairs(
    a: Recorded, b: Recorded, strategies: Sequence[str] | None, *, one_folder: bool
) -> list[tuple[str, str]]:
    """(A's strategy, B's strategy) pairs to compare, every label checked."""
    names = list(strategies or [])
    if one_folder and len(names) != 2:
        raise CompareError(
            "with one results folder, name the two strategies to compare: "
            "--strategies A_STRATEGY,B_STRATEGY (e.g. tpe,tpe[n_startup_trials=5])"
        )
    if len(names) > 2:
        raise CompareError(f"--strategies takes one or two strategies, got {len(names)}")
    if not names:
        common = sorted(set(a.strategies) & set(b.strategies))
        if not common:
            raise CompareError(
                f"no strategy has runs in both {a.folder} ({', '.join(a.strategies)}) and "
                f"{b.folder} ({', '.join(b.strategies)}); name them: --strategies A_LABEL,B_LABEL"
            )
        return [(name, name) for name in common]
    first, second = names if len(names) == 2 else (names[0], names[0])
    _check_label(first, a)
    _check_label(second, b)
    return [(first, second)]


def _check_label(label: str, recorded: Recorded) -> None:
    if label in recorded.strategies:
        return
    close = difflib.get_close_matches(label, recorded.strategies, n=2, cutoff=0.5)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise CompareError(
        f"no runs of strategy {label!r} in {recorded.folder}{hint} "
        f"(it holds {', '.join(recorded.strategies)})"
    )


def compare(
    a: Recorded,
    b: Recorded,
    pairs: Sequence[tuple[str, str]],
    checkpoints: Sequence[float] = CHECKPOINTS,
    alpha: float = ALPHA,
) -> Comparison:
    """Every cell of B's strategy against A's for each pair, Holm-corrected
    together; ``CompareError`` for a strategy a folder does not hold and
    ``Incomparable`` (every difference named) before any test."""
    fractions = checked_checkpoints(checkpoints)
    for strategy_a, strategy_b in pairs:
        _check_label(strategy_a, a)
        _check_label(strategy_b, b)
    sides = [(Side(a.only(sa), sa), Side(b.only(sb), sb)) for sa, sb in pairs]
    problems = dict.fromkeys(line for pair in sides for line in differences(*pair))
    if problems:
        notes = dict.fromkeys((*a.notes, *b.notes))
        raise Incomparable(
            f"cannot compare B ({b.folder}) against A ({a.folder}), their runs are not "
            "comparable:\n"
            + "\n".join(f"  - {line}" for line in problems)
            + "".join(f"\n  note: {note}" for note in notes)
        )
    cells: list[Cell] = []
    notes: list[str] = [*a.notes, *(b.notes if b is not a else ())]
    for side_a, side_b in sides:
        label = side_a.strategy
        if side_b.strategy != side_a.strategy:
            label = f"{side_a.strategy} -> {side_b.strategy}"
        found, said = side_cells(side_a, side_b, fractions, label)
        cells += found
        notes += said
    cells = adjusted(cells, alpha)
    notes += power_notes(cells, alpha)
    return Comparison(_title(sides, "A"), _title(sides, "B"), tuple(cells), alpha, tuple(notes))


def checked_checkpoints(checkpoints: Sequence[float]) -> tuple[float, ...]:
    """Distinct fractions in (0, 1], in increasing order; ``CompareError`` otherwise."""
    fractions = tuple(sorted(set(float(f) for f in checkpoints)))
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise CompareError(
            f"checkpoints are fractions of the budget in (0, 1], got {list(checkpoints)}"
        )
    return fractions


def _title(sides: Sequence[tuple[Side, Side]], which: str) -> str:
    chosen = [pair[0] if which == "A" else pair[1] for pair in sides]
    folders = sorted({str(side.recorded.folder) for side in chosen})
    names = ", ".join(side.strategy for side in chosen)
    return f"{', '.join(folders)} ({names})"


def differences(a: Side, b: Side) -> list[str]:
    """What makes the runs of ``a`` and ``b`` not comparable, one line per
    difference (none: comparable)."""
    lines = _mixed(a, "A") + _mixed(b, "B")
    objectives_a, objectives_b = _objectives(a), _objectives(b)
    for objective in sorted(objectives_a ^ objectives_b):
        where, side = ("A", a) if objective in objectives_a else ("B", b)
        lines.append(f"objective {objective}: runs in {where} only ({side.name})")
    for objective in sorted(objectives_a & objectives_b):
        for key in KEYS:
            values_a, values_b = _values(a, objective, key), _values(b, objective, key)
            if len(values_a) == len(values_b) == 1 and values_a != values_b:
                lines.append(f"objective {objective}: {_differ(key, values_a[0], values_b[0])}")
        lines += _seed_differences(objective, a, b)
    return lines


def _objectives(side: Side) -> set[str]:
    return {objective for objective, _, _ in side.recorded.specs}


def _values(side: Side, objective: str, key: str) -> list[Any]:
    """The distinct values of spec field ``key`` among ``side``'s runs of ``objective``."""
    found: list[Any] = []
    for (name, _, _), spec in side.recorded.specs.items():
        if name == objective and spec.get(key) not in found:
            found.append(spec.get(key))
    return found


def _mixed(side: Side, which: str) -> list[str]:
    """Objectives whose runs on one side disagree among themselves."""
    lines = []
    for objective in sorted(_objectives(side)):
        for key in KEYS:
            values = _values(side, objective, key)
            if len(values) > 1:
                shown = ", ".join(_shown(key, v) for v in values)
                lines.append(
                    f"objective {objective}: {which} ({side.name}) mixes runs of "
                    f"{len(values)} {key}s: {shown}"
                )
    return lines


def _differ(key: str, value_a: Any, value_b: Any) -> str:
    if key == "signature":
        index = next(
            (i for i, (x, y) in enumerate(zip(value_a, value_b)) if x != y),
            min(len(value_a), len(value_b)),
        )
        return (
            "its signature (its values at five fixed configurations) differs, so it gives "
            f"other values: value {index + 1} is {_at(value_a, index)} in A, "
            f"{_at(value_b, index)} in B"
        )
    return f"{key} {_shown(key, value_a)} in A, {_shown(key, value_b)} in B"


def _at(values: Sequence[Any], index: int) -> str:
    return repr(values[index]) if index < len(values) else "missing"


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}" if key in ("budget", "timeout") else repr(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _seed_differences(objective: str, a: Side, b: Side) -> list[str]:
    seeds_a, seeds_b = _seeds(a, objective), _seeds(b, objective)
    if seeds_a == seeds_b:
        return []
    parts = [
        f"{_listed(only)} in {which} only"
        for which, only in (("A", seeds_a - seeds_b), ("B", seeds_b - seeds_a))
        if only
    ]
    missing = [
        f"{which} seed {seed} {side.recorded.left_out[(objective, side.strategy, seed)]}"
        for which, side, lacking in (("A", a, seeds_b - seeds_a), ("B", b, seeds_a - seeds_b))
        for seed in sorted(lacking)
        if (objective, side.strategy, seed) in side.recorded.left_out
    ]
    why = f" (left out: {'; '.join(missing)})" if missing else ""
    strategies = a.strategy if a.strategy == b.strategy else f"{a.strategy} vs {b.strategy}"
    return [f"objective {objective}, {strategies}: seeds differ: {'; '.join(parts)}{why}"]


def _seeds(side: Side, objective: str) -> set[int]:
    return {seed for name, _, seed in side.recorded.specs if name == objective}


def _listed(seeds: set[int]) -> str:
    ordered = sorted(seeds)
    shown = ", ".join(map(str, ordered[:8])) + (", ..." if len(ordered) > 8 else "")
    return f"seed{'s' if len(ordered) > 1 else ''} {shown}"


def side_cells(
    a: Side, b: Side, fractions: Sequence[float], label: str
) -> tuple[list[Cell], list[str]]:
    """The cells of B against A (not yet Holm-adjusted), and notes on how
    regret is measured (a known optimum the runs went below is dropped)."""
    specs = a.recorded.specs
    budgets = {objective: float(spec["budget"]) for (objective, _, _), spec in specs.items()}
    optima = {objective: spec.get("optimum") for (objective, _, _), spec in specs.items()}
    refs = references(pd.concat([a.recorded.runs, b.recorded.runs]), optima)
    points_a = measured(incumbents(a.recorded.runs, budgets, fractions), refs)
    points_b = measured(incumbents(b.recorded.runs, budgets, fractions), refs)
    joined = points_a.merge(points_b, on=["objective", "seed", "fraction"], suffixes=("_a", "_b"))
    cells = [
        paired_cell(
            objective,
            label,
            fraction,
            budgets[objective] * fraction,
            rows["kind_a"].iloc[0],
            rows["measure_a"].to_numpy(dtype=float),
            rows["measure_b"].to_numpy(dtype=float),
        )
        for (objective, fraction), rows in joined.groupby(["objective", "fraction"], sort=True)
    ]
    return cells, [ref.note for ref in refs.values() if ref.note]


def incumbents(
    runs: pd.DataFrame, budgets: Mapping[str, float], fractions: Sequence[float]
) -> pd.DataFrame:
    """(objective, seed, fraction, best, incumbent_test): each run's incumbent
    at each checkpoint, ``fraction`` x its objective's budget (NaN before its
    first full-fidelity result). ``runs`` holds one strategy's runs."""
    parts = []
    for (objective, seed), run in runs.groupby(["objective", "seed"], sort=True):
        run = run.sort_values("trial")
        cum = run["cum_cost"].to_numpy(dtype=float)
        grid = np.asarray(fractions, dtype=float) * budgets[objective]
        parts.append(
            pd.DataFrame(
                {
                    "objective": objective,
                    "seed": seed,
                    "fraction": list(fractions),
                    "best": best_at(cum, run["best"].to_numpy(dtype=float), grid),
                    "incumbent_test": best_at(
                        cum, run["incumbent_test"].to_numpy(dtype=float), grid
                    ),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def measured(points: pd.DataFrame, refs: Mapping[str, Reference]) -> pd.DataFrame:
    """``points`` with ``measure`` (regret against the known optimum, else the
    incumbent's value; +inf where there is no incumbent yet) and its ``kind``."""
    parts = []
    for objective, rows in points.groupby("objective", sort=True):
        ref = refs[objective]
        if ref.optimum is None:
            measure, kind = rows["best"], "value"
        else:
            measure, kind = ref.regret(rows["best"], rows["incumbent_test"]), "regret"
        parts.append(rows.assign(measure=measure.fillna(np.inf), kind=kind))
    return pd.concat(parts, ignore_index=True)


def paired_cell(
    objective: str,
    strategy: str,
    fraction: float,
    budget: float,
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
) -> Cell:
    """B's measures ``b`` against A's ``a``, paired by index (one seed each):
    the signed-rank test on regret floored at ``FLOOR`` (or on the value), the
    effect in ``decades`` of that regret (or in value). A pair with no
    incumbent on either side is a tie."""
    neither = np.isinf(a) & np.isinf(b)
    tested_a, tested_b = np.where(neither, 0.0, a), np.where(neither, 0.0, b)
    if kind == "regret":
        tested_a, tested_b = np.maximum(tested_a, FLOOR), np.maximum(tested_b, FLOOR)
        effect = decades(tested_b) - decades(tested_a)
    else:
        effect = tested_b - tested_a
    test = paired_wilcoxon(tested_b, tested_a)
    with np.errstate(invalid="ignore"):
        median, low, high = median_band(effect[:, None])
    return Cell(
        objective,
        strategy,
        fraction,
        budget,
        kind,
        test.pairs,
        float(np.median(a)),
        float(np.median(b)),
        float(median[0]),
        float(low[0]),
        float(high[0]),
        test.p_value,
        direction=test.direction,
    )


def decades(regret: np.ndarray) -> np.ndarray:
    """log10 of regret floored at ``FLOOR``, as the report draws it (+inf stays +inf)."""
    return np.log10(np.maximum(regret, FLOOR))


def adjusted(cells: Sequence[Cell], alpha: float = ALPHA) -> list[Cell]:
    """``cells`` with Holm-adjusted p-values over all of them and each verdict:
    better (B lower) or worse at family-wise level ``alpha``, else same."""
    p_holm = holm([cell.p_value for cell in cells])
    return [
        replace(cell, p_holm=float(p), verdict=_verdict(float(p), cell.direction, alpha))
        for cell, p in zip(cells, p_holm)
    ]


def _verdict(p_holm: float, direction: int, alpha: float) -> Verdict:
    said = stats_verdict(p_holm, direction, alpha)
    return said if said in ("better", "worse") else "same"


def power_notes(cells: Sequence[Cell], alpha: float = ALPHA) -> list[str]:
    """A note when too few seeds are paired for any cell to reach ``alpha``."""
    tested = [cell for cell in cells if not np.isnan(cell.p_value)]
    if not tested:
        return []
    pairs, family = min(cell.pairs for cell in tested), len(tested)
    smallest = smallest_holm_p(pairs, family)
    if smallest < alpha:
        return []
    return [
        f"with {pairs} paired seeds no cell of {family} can reach p < {alpha:g} after Holm's "
        f"correction (the smallest possible adjusted p is {smallest:.2g}): 'same' here means "
        f"'cannot tell'; {seeds_needed(family, alpha)} seeds are needed"
    ]


def exit_status(comparison: Comparison, fail_on: FailOn) -> int:
    """1 if ``fail_on`` is met (``worse``: a cell is worse; ``any``: a cell is
    worse or better), else 0."""
    if fail_on == "worse":
        return int(comparison.count("worse") > 0)
    if fail_on == "any":
        return int(comparison.count("worse") + comparison.count("better") > 0)
    return 0
