"""Does ``bench compare`` catch a planted regression, and only that? (``make compare-check``)

Runs one suite of synthetic functions through ``bench.runner.run_suite`` (the
one loop, stored as every suite is) with three strategies from
``examples/plugins/tpe_regressed.py``'s plugin and the built-in ``tpe``:

- power: ``tpe-regressed`` (tpe for 10 trials, then random search) against
  ``tpe`` on the first ``--seeds`` seeds, at the default checkpoints; the
  share of objectives flagged worse at the final budget;
- false positives: ``tpe-reseeded`` (tpe with an independent sampler seed, a
  true null) against ``tpe`` on ``--reps`` disjoint sets of ``--seeds`` fresh
  seeds; the share of cells flagged (worse or better) and of comparisons with
  at least one flagged cell (what fails a CI job), each with a 95%
  Clopper-Pearson interval.

Prints Markdown (``--out`` also writes it). Stored runs are reused when run
again with the same ``--work`` folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from bench.cli import default_jobs
from bench.compare import CHECKPOINTS, Comparison, compare
from bench.compare_output import markdown
from bench.recorded import Recorded, read
from bench.runner import run_suite

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "examples" / "plugins" / "tpe_regressed.py"
OBJECTIVES = (
    "branin",
    "goldstein-price",
    "six-hump-camel",
    "hartmann3",
    "hartmann6",
    "styblinski-tang",
    "rosenbrock",
    "levy",
    "ackley",
    "rastrigin",
)
SUITE = "compare-check"


def suite_file(work: Path, seeds: int, budget: float) -> Path:
    """The suite's TOML in ``work``: the three strategies, ``seeds`` seeds."""
    path = work / f"{SUITE}.toml"
    listed = ", ".join(f'"{name}"' for name in OBJECTIVES)
    path.write_text(
        'description = "bench compare: a planted regression of tpe and a null twin"\n'
        'strategies = ["tpe", "tpe-regressed", "tpe-reseeded"]\n'
        f"objectives = [{listed}]\nseeds = {seeds}\nbudget = {budget:g}\n"
    )
    return path


def run(work: Path, seeds: int, reps: int, budget: float, jobs: int) -> Recorded:
    """Store tpe and tpe-reseeded on every seed, tpe-regressed on the first ``seeds``."""
    work.mkdir(parents=True, exist_ok=True)
    suite = suite_file(work, seeds * reps, budget)
    results = work / "results"
    for strategies, chosen in (
        (["tpe", "tpe-reseeded"], None),
        (["tpe-regressed"], list(range(seeds))),
    ):
        outcome = run_suite(
            suite, results, strategies=strategies, seeds=chosen, jobs=jobs, plugins=[PLUGIN]
        )
        if outcome.errored or outcome.status != "complete":
            sys.exit(f"suite {SUITE}: {outcome.status}, {len(outcome.errored)} errored runs")
    return read(results / SUITE)


def versus(recorded: Recorded, a: str, b: str, seeds: range) -> Comparison:
    """``b`` against ``a`` on ``seeds`` alone, at the default checkpoints."""
    return compare(recorded.only(a, seeds), recorded.only(b, seeds), [(a, b)], CHECKPOINTS)


def share(count: int, total: int) -> str:
    """``count`` of ``total`` as a share with its 95% Clopper-Pearson interval."""
    ci = binomtest(count, total).proportion_ci(0.95, method="exact")
    return f"{count} of {total} ({count / total:.1%}; 95% CI {ci.low:.1%} to {ci.high:.1%})"


def power_section(comparison: Comparison) -> list[str]:
    lines = ["**Power: tpe-regressed against tpe**", ""]
    for fraction in CHECKPOINTS:
        cells = [c for c in comparison.cells if c.fraction == fraction]
        worse = sum(c.verdict == "worse" for c in cells)
        lines.append(
            f"- at {fraction:.0%} of the budget: {worse} of {len(cells)} objectives "
            f"flagged worse ({worse / len(cells):.0%})"
        )
    return [*lines, "", markdown(comparison).replace("### ", "### Table: ", 1)]


def null_section(comparisons: list[Comparison]) -> list[str]:
    cells = [cell for comparison in comparisons for cell in comparison.cells]
    flagged = sum(cell.verdict != "same" for cell in cells)
    any_flag = sum(any(c.verdict != "same" for c in comparison.cells) for comparison in comparisons)
    any_worse = sum(comparison.count("worse") > 0 for comparison in comparisons)
    smallest = [min(c.p_holm for c in comparison.cells) for comparison in comparisons]
    return [
        "**False positives: tpe-reseeded against tpe on fresh seeds**",
        "",
        f"- cells flagged worse or better: {share(flagged, len(cells))}",
        f"- comparisons with a flagged cell: {share(any_flag, len(comparisons))}",
        f"- comparisons that `--fail-on worse` fails: {share(any_worse, len(comparisons))}",
        f"- smallest Holm p per comparison: median {np.median(smallest):.2g}, "
        f"min {np.min(smallest):.2g}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/tunebench-compare-check"))
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    parser.add_argument("--seeds", type=int, default=15, help="paired seeds per comparison")
    parser.add_argument("--reps", type=int, default=20, help="null comparisons, disjoint seeds")
    parser.add_argument("--budget", type=float, default=50)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    args = parser.parse_args()
    t0 = time.monotonic()
    recorded = run(args.work, args.seeds, args.reps, args.budget, args.jobs)
    ran = time.monotonic() - t0
    power = versus(recorded, "tpe", "tpe-regressed", range(args.seeds))
    nulls = [
        versus(recorded, "tpe", "tpe-reseeded", range(r * args.seeds, (r + 1) * args.seeds))
        for r in range(args.reps)
    ]
    total = time.monotonic() - t0
    text = "\n".join(
        [
            "**bench compare: a planted regression and the false-positive rate**",
            "",
            f"{len(OBJECTIVES)} synthetic objectives ({', '.join(OBJECTIVES)}), budget "
            f"{args.budget:g}, {args.seeds} paired seeds per comparison, checkpoints "
            f"{', '.join(f'{f:.0%}' for f in CHECKPOINTS)}, Holm over "
            f"{len(power.cells)} cells at alpha {power.alpha:g}; {args.reps} null comparisons. "
            f"Wall time {total:.0f} s ({ran:.0f} s running and reading the suite, "
            f"{args.jobs} jobs).",
            "",
            *null_section(nulls),
            "",
            *power_section(power),
        ]
    )
    sys.stdout.write(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
