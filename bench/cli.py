"""The command line: ``python -m bench run|report|lessons|publish|list|...``."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.manifest import ManifestError
from bench.registry import Registry, RegistryError, default_registry
from bench.suite import SuiteError, available_suites, load_suite, suite_name, suite_path
from bench.variant import split_list

log = logging.getLogger("bench")

DEFAULT_RESULTS = Path("results")
EXIT_ERRORED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.command(args))
    except _usage_errors() as exc:
        log.error("error: %s", exc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        log.error("interrupted before any run started; nothing was changed")
        return EXIT_INTERRUPTED


def _usage_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean "this cannot run as asked": printed as one message, exit 2."""
    from bench.curves import TableError
    from bench.execute import ExecutorUnavailable
    from bench.signatures import SignatureError
    from bench.store import CorruptRun
    from bench.tabulate import TabulateError

    return (
        SuiteError,
        RegistryError,
        ManifestError,
        SignatureError,
        ExecutorUnavailable,
        CorruptRun,
        TableError,
        TabulateError,
    )


def default_jobs() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark hyperparameter-search strategies."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    _run_parser(sub)
    _other_parsers(sub)
    _objective_parsers(sub)
    _tabulate_parser(sub)
    _compare_parser(sub)
    return parser


def _run_parser(sub: Any) -> None:
    p_run = sub.add_parser("run", help="run a suite (resuming what is stored)")
    p_run.add_argument(
        "suite", help=f"a suite name ({', '.join(available_suites())}) or a .toml path"
    )
    p_run.add_argument(
        "--strategies", type=split_list, help="replace the suite's strategies (comma-separated)"
    )
    p_run.add_argument(
        "--objectives", type=split_list, help="replace the suite's objectives (comma-separated)"
    )
    p_run.add_argument("--seeds", type=parse_seeds, help="N (seeds 0..N-1), A-B (a range) or A,B,C")
    p_run.add_argument("--budget", type=float, help="full-evaluation equivalents per run")
    p_run.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="results root; the suite's runs go to RESULTS/<suite> (default: results)",
    )
    p_run.add_argument(
        "--timeout",
        type=float,
        help="seconds per evaluation; a longer one is recorded as a 'timeout' trial",
    )
    p_run.add_argument(
        "--workers",
        type=parse_workers,
        help="replace the suite's simulated worker counts (comma-separated, e.g. 1,4,16)",
    )
    _executor_options(p_run, "parallel runs, each in a worker process (default: one per core)")
    p_run.add_argument(
        "--in-process",
        action="store_true",
        help="compute every run in this process, one at a time (for a debugger)",
    )
    _plugin_option(p_run)
    p_run.set_defaults(command=cmd_run)


def _other_parsers(sub: Any) -> None:
    p_report = sub.add_parser("report", help="write figures and tables from stored runs")
    p_report.add_argument(
        "target", help="a results folder (results/<suite>), a suite name or a suite file"
    )
    p_report.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    p_report.add_argument("--plugin", action="append", default=[], help=argparse.SUPPRESS)
    p_report.set_defaults(command=cmd_report)

    p_new = sub.add_parser(
        "new-strategy", help="write a template strategy plugin and its contract test"
    )
    p_new.add_argument("name", help="the new strategy's registry name, kebab-case (my-search)")
    p_new.add_argument(
        "--path", type=Path, default=Path("."), help="folder to write into (default: .)"
    )
    p_new.set_defaults(command=cmd_new_strategy)

    p_check = sub.add_parser(
        "check-strategy", help="run the shared contract on one strategy and list pass/fail"
    )
    p_check.add_argument("target", help="a registered strategy name, or a plugin file path.py")
    p_check.add_argument(
        "--model-based",
        action="store_true",
        help="also require it to beat random search on Branin (for model-based searchers)",
    )
    _plugin_option(p_check)
    p_check.set_defaults(command=cmd_check_strategy)

    p_lessons = sub.add_parser(
        "lessons", help="the lessons section from the stored lessons-* suites (make lessons)"
    )
    p_lessons.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    p_lessons.set_defaults(command=cmd_lessons)

    p_publish = sub.add_parser(
        "publish",
        help="recompute the README's claims and figures from stored results (make publish)",
    )
    p_publish.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    p_publish.add_argument("--readme", type=Path, default=Path("README.md"))
    p_publish.add_argument(
        "--check",
        action="store_true",
        help="only compare the README's generated blocks with results/published/claims.json",
    )
    p_publish.set_defaults(command=cmd_publish)

    p_list = sub.add_parser("list", help="list strategies, objectives and suites")
    p_list.add_argument("what", nargs="?", choices=("strategies", "objectives", "suites"))
    _plugin_option(p_list)
    p_list.set_defaults(command=cmd_list)


def _objective_parsers(sub: Any) -> None:
    p_new = sub.add_parser(
        "new-objective", help="write a template objective plugin, its contract test and a suite"
    )
    p_new.add_argument("name", help="the new objective's registry name, kebab-case (my-objective)")
    p_new.add_argument(
        "--path", type=Path, default=Path("."), help="folder to write into (default: .)"
    )
    p_new.set_defaults(command=cmd_new_objective)

    p_check = sub.add_parser(
        "check-objective", help="run the shared contract on one objective and list pass/fail"
    )
    p_check.add_argument(
        "target", help="a registered objective name or variant, or a plugin file path.py"
    )
    p_check.add_argument(
        "--may-fail",
        action="store_true",
        help="it raises at some configurations by design (a network that diverges)",
    )
    p_check.add_argument(
        "--measures-cost",
        action="store_true",
        help="its Evaluation.cost is measured, not self.cost(fidelity): only require it positive",
    )
    _plugin_option(p_check)
    p_check.set_defaults(command=cmd_check_objective)


#: The objectives ``tabulate`` records by default: both MLPs on the three data sets.
TABULATED = tuple(
    f"{objective}[dataset={dataset}]"
    for objective in ("mlp-sgd", "mlp-adam")
    for dataset in ("digits", "wine", "breast_cancer")
)


def _tabulate_parser(sub: Any) -> None:
    p_tab = sub.add_parser(
        "tabulate",
        help="record learning curves over a Sobol design into a Parquet table (resumable)",
    )
    p_tab.add_argument(
        "--objectives",
        type=split_list,
        default=list(TABULATED),
        help="objectives with a curve() method, comma-separated (default: mlp-sgd and "
        "mlp-adam on digits, wine and breast_cancer)",
    )
    p_tab.add_argument(
        "--configs", type=positive_int, default=512, help="design points (a power of 2)"
    )
    p_tab.add_argument("--seeds", type=positive_int, default=3, help="data seeds 0..N-1 per point")
    p_tab.add_argument(
        "--block", type=positive_int, default=16, help="design points per task (default: 16)"
    )
    p_tab.add_argument(
        "--out", type=Path, default=Path("results/tables/curves.parquet"), help="the table"
    )
    p_tab.add_argument(
        "--work",
        type=Path,
        help="where finished blocks are kept until the table is written "
        "(default: results/tabulate/<out's stem>)",
    )
    _executor_options(
        p_tab, "blocks computed at once, each in a worker process (default: one per core)"
    )
    p_tab.set_defaults(command=cmd_tabulate)


COMPARE_EPILOG = """\
Runs are paired by objective and seed. Each cell (objective x checkpoint, and
strategy when two folders share several) gets a two-sided Wilcoxon signed-rank
test of B against A on regret (on the incumbent's value where no optimum is
known), Holm-corrected over all cells at alpha 0.05, and a verdict: B better,
worse or same.

exit status:
  0  compared, and the --fail-on condition is not met
  1  --fail-on worse: some cell is worse; --fail-on any: some cell is worse or better
  2  cannot compare: a missing folder, an unknown strategy, or runs that are not
     comparable (another objective signature, optimum or space, budget, timeout,
     seed set or set of objectives: the message names each difference)

examples:
  python -m bench compare results-main/default results/default --fail-on worse
  python -m bench compare results/quick --strategies tpe,tpe[n_startup_trials=5]
"""


def _compare_parser(sub: Any) -> None:
    p_cmp = sub.add_parser(
        "compare",
        help="B against A from stored runs: paired tests at budget checkpoints (a CI verdict)",
        description="Compare stored runs of B against A: two results folders of the same "
        "suite, or two strategies inside one folder. Writes a Markdown table fit for a "
        "pull-request comment (OUT/compare.md, also printed) and a figure (OUT/compare.png).",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_cmp.add_argument(
        "a", metavar="A", help="the baseline's results folder (results/<suite>) or suite name"
    )
    p_cmp.add_argument(
        "b",
        metavar="B",
        nargs="?",
        help="the results folder judged against A (omit it to compare two strategies of A)",
    )
    p_cmp.add_argument(
        "--strategies",
        type=split_list,
        help="A_STRATEGY,B_STRATEGY: A's strategy against B's (with one folder: both in A); "
        "one name: that strategy in both folders (default: every strategy both folders hold)",
    )
    p_cmp.add_argument(
        "--checkpoints",
        type=parse_fractions,
        help="budget checkpoints as fractions of the budget, comma-separated "
        "(default: 0.1,0.25,0.5,1)",
    )
    p_cmp.add_argument(
        "--fail-on",
        choices=("worse", "any", "never"),
        default="never",
        help="exit 1 when some cell is worse (worse), or differs either way (any); "
        "never: exit 0 whatever the verdicts (default)",
    )
    p_cmp.add_argument(
        "--out",
        type=Path,
        help="folder for compare.md and compare.png (default: B/compare, or A/compare "
        "with one folder)",
    )
    p_cmp.set_defaults(command=cmd_compare)


def parse_fractions(text: str) -> list[float]:
    """``--checkpoints 0.1,0.25,0.5,1``: fractions in (0, 1]."""
    try:
        fractions = [float(part) for part in split_list(text)]
    except ValueError:
        fractions = []
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated fractions of the budget in (0, 1] such as "
            f"0.1,0.25,0.5,1, got {text!r}"
        )
    return fractions


def cmd_compare(args: argparse.Namespace) -> int:
    from bench.compare import CHECKPOINTS, CompareError, compare_folders, exit_status
    from bench.compare_output import markdown, write

    a = report_folder(args.a, DEFAULT_RESULTS)
    b = None if args.b is None else report_folder(args.b, DEFAULT_RESULTS)
    try:
        comparison = compare_folders(
            a, b, strategies=args.strategies, checkpoints=args.checkpoints or CHECKPOINTS
        )
    except CompareError as exc:
        log.error("error: %s", exc)
        return EXIT_USAGE
    sys.stdout.write(markdown(comparison))
    out = args.out or (b or a) / "compare"
    written = write(comparison, out)
    log.info("wrote %s", ", ".join(str(path) for path in written))
    return exit_status(comparison, args.fail_on)


def cmd_tabulate(args: argparse.Namespace) -> int:
    from bench.tabulate import tabulate

    if _lacks_dask_address(args):
        return EXIT_USAGE
    work = args.work or Path("results/tabulate") / args.out.stem
    try:
        done = tabulate(
            args.objectives,
            args.out,
            work=work,
            configs=args.configs,
            seeds=args.seeds,
            block=args.block,
            jobs=args.jobs,
            executor=args.executor,
            address=args.address,
        )
    except KeyboardInterrupt:
        log.error("interrupted: the finished blocks are kept under %s; rerun to go on", work)
        return EXIT_INTERRUPTED
    log.info(
        "wrote %s: %d blocks (%d were stored, %d computed) in %.0f s",
        done.out, done.blocks, done.stored, done.computed, done.seconds,
    )  # fmt: skip
    return 0


def _executor_options(parser: argparse.ArgumentParser, jobs_help: str) -> None:
    """--jobs, --executor and --address: where the tasks of a command run."""
    parser.add_argument("--jobs", type=positive_int, default=default_jobs(), help=jobs_help)
    parser.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local process pool (default) or an existing Dask cluster (with --address)",
    )
    parser.add_argument(
        "--address", help="the Dask scheduler, tcp://HOST:PORT (with --executor dask)"
    )


def _lacks_dask_address(args: argparse.Namespace) -> bool:
    """True (and said) when --executor dask comes without --address."""
    if args.executor == "dask" and not args.address:
        log.error(
            "error: --executor dask needs --address tcp://HOST:PORT (a running Dask scheduler)"
        )
        return True
    return False


def _plugin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="FILE.py",
        help="load strategies and objectives from a Python file (repeatable)",
    )


def positive_int(text: str) -> int:
    """An integer >= 1 (``--jobs``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parse_workers(text: str) -> list[int]:
    """``--workers 1,4,16``: simulated worker counts."""
    try:
        return [int(part) for part in split_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated whole numbers of workers such as 1,4,16, got {text!r}"
        ) from None


def parse_seeds(text: str) -> list[int]:
    """``"5"`` -> 0..4; ``"2-4"`` -> 2, 3, 4; ``"0,3,7"`` -> 0, 3, 7; at most
    ``MAX_SEEDS`` seeds (checked before any list is built). ``"0"`` (no seeds)
    is refused with a pointer to ``0-0`` for seed 0 alone."""
    from bench.suite import MAX_SEEDS

    text = text.strip()
    try:
        if "," in text:
            seeds = [int(part) for part in text.split(",") if part.strip()]
            if any(seed < 0 for seed in seeds):
                raise ValueError
            count = len(seeds)
        elif "-" in text:
            start, end = (int(part) for part in text.split("-", 1))
            if end < start or start < 0:
                raise ValueError
            count, seeds = end - start + 1, None
        else:
            count, seeds = int(text), None
            start = 0
            if count == 0:
                raise argparse.ArgumentTypeError(
                    f"{text!r} means the first 0 seeds, that is none (N counts seeds from 0); "
                    "for seed 0 alone write 0-0 (or 0,)"
                )
            if count < 0:
                raise ValueError
        if count > MAX_SEEDS:
            raise argparse.ArgumentTypeError(
                f"{count} seeds asked for ({text!r}); at most {MAX_SEEDS} seeds per suite"
            )
        return seeds if seeds is not None else list(range(start, start + count))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected N (the first N seeds), A-B or A,B,C with non-negative integers, got {text!r}"
        ) from None


def cmd_run(args: argparse.Namespace) -> int:
    from bench.runner import run_suite

    if _lacks_dask_address(args):
        return EXIT_USAGE
    command = shlex.join(["python", "-m", "bench", *args.argv])
    outcome = run_suite(
        args.suite,
        args.results,
        strategies=args.strategies,
        objectives=args.objectives,
        seeds=args.seeds,
        budget=args.budget,
        timeout=args.timeout,
        workers=args.workers,
        jobs=args.jobs,
        executor=args.executor,
        address=args.address,
        plugins=args.plugin,
        in_process=args.in_process,
        command=command,
    )
    _print_outcome(outcome, command)
    if outcome.status == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_ERRORED if outcome.errored else 0


def _print_outcome(outcome: Any, command: str) -> None:
    ran, errored, skipped = outcome.ran, outcome.errored, outcome.skipped
    for run in errored:
        log.error("run %s errored:\n%s", run.spec.key, run.error.rstrip())
    mismatches = {o.spec.objective: o for o in ran if o.cost_mismatch}
    for objective, run in sorted(mismatches.items()):
        log.warning(
            "objective %s charged costs its cost model does not give (%s, %s); "
            "`python -m bench check-objective` shows where",
            objective,
            run.spec.strategy,
            run.cost_mismatch,
        )
    log.info(
        "%s: %d runs ran in %.1fs (%d failed trials, %d timeouts, %d errored runs); results in %s",
        outcome.status,
        len(ran),
        outcome.seconds,
        sum(o.failed for o in ran),
        sum(o.timeouts for o in ran),
        len(errored),
        outcome.folder,
    )
    if skipped:
        log.info(
            "%d runs left to another process running the same suite (claimed or stored by it)",
            len(skipped),
        )
    if errored:
        log.error(
            "errored runs (stored with their traceback; retried by the next run):\n%s",
            "\n".join(f"  {o.spec.key}: {_last_line(o.error)}" for o in errored),
        )
    if outcome.status == "interrupted":
        log.error(
            "interrupted: %d runs completed and stored in %s, %d not run; "
            "run the same command again to resume: %s",
            len(ran) - len(errored),
            outcome.folder,
            outcome.planned - outcome.stored - len(ran) - len(skipped),
            command,
        )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def cmd_report(args: argparse.Namespace) -> int:
    from bench.report import write_report

    if args.plugin:
        log.error(
            "error: report takes no --plugin: it loads the plugin files the folder's "
            "manifest records from its runs. A plugin file that moved is recorded by "
            "running the suite again: python -m bench run SUITE --plugin NEW/PATH.py"
        )
        return EXIT_USAGE
    target = report_folder(args.target, args.results)
    if not (target / "runs").is_dir():
        log.error(
            "error: no stored runs in %s (expected %s); run `python -m bench run SUITE` first",
            target,
            target / "runs",
        )
        return EXIT_USAGE
    t0 = time.monotonic()
    written = write_report(target)
    log.info(
        "report written to %s in %.1fs (%d files)",
        target / "report",
        time.monotonic() - t0,
        len(written),
    )
    return 0


def report_folder(target: str, results: Path) -> Path:
    """A results folder named by its path, a suite name or a suite file's path."""
    path = Path(target)
    if path.suffix == ".toml" and path.is_file():
        return results / suite_name(path)
    if path.is_dir():
        return path
    if not path.is_absolute() and (results / path).is_dir():
        return results / path
    try:
        return results / suite_name(suite_path(target))
    except SuiteError:
        return path


def cmd_new_strategy(args: argparse.Namespace) -> int:
    from bench.scaffold import ScaffoldError, new_strategy

    try:
        written = new_strategy(args.name, args.path, default_registry())
    except ScaffoldError as exc:
        log.error("error: %s", exc)
        return EXIT_USAGE
    strategy_file, test_file = written
    sys.stdout.write(
        f"wrote {strategy_file} (strategy {args.name!r}: random search to start from) "
        f"and {test_file} (its contract test)\n"
        f"next: edit ask/tell, then\n"
        f"  python -m bench check-strategy {strategy_file}\n"
        f"  python -m bench run quick --plugin {strategy_file} --strategies random,tpe,{args.name}\n"
    )
    return 0


def cmd_check_strategy(args: argparse.Namespace) -> int:
    from bench.check import check_strategy, render, source_of, strategies_to_check

    loaded = _checked_plugins(args)
    if loaded is None:
        return EXIT_USAGE
    plugins, registry = loaded
    failed = False
    for name in strategies_to_check(args.target, registry):
        results = check_strategy(name, plugins, model_based=args.model_based)
        sys.stdout.write(render(name, source_of(name, registry), results) + "\n")
        failed = failed or any(r.outcome == "fail" for r in results)
    return 1 if failed else 0


def _checked_plugins(args: argparse.Namespace) -> tuple[tuple[str, ...], Registry] | None:
    """The plugin files of a check-* command (``--plugin`` and a ``path.py``
    target), resolved, and their registry; None (said) if the target file is missing."""
    plugins = [*args.plugin]
    if args.target.endswith(".py"):
        if not Path(args.target).is_file():
            log.error("error: no plugin file %s", args.target)
            return None
        plugins.append(args.target)
    resolved = tuple(dict.fromkeys(str(Path(p).resolve()) for p in plugins))
    registry = default_registry(resolved)
    registry.check_plugins()
    return resolved, registry


def cmd_new_objective(args: argparse.Namespace) -> int:
    from bench.scaffold import ScaffoldError, new_objective

    try:
        objective_file, test_file, suite_file = new_objective(
            args.name, args.path, default_registry()
        )
    except ScaffoldError as exc:
        log.error("error: %s", exc)
        return EXIT_USAGE
    sys.stdout.write(
        f"wrote {objective_file} (objective {args.name!r}: a smooth function to start from), "
        f"{test_file} (its contract test) and {suite_file} (a suite racing searchers on it)\n"
        f"next: edit the space and evaluate, then\n"
        f"  python -m bench check-objective {objective_file}\n"
        f"  python -m bench run {suite_file} --plugin {objective_file}\n"
        f"  python -m bench report {suite_file}\n"
    )
    return 0


def cmd_check_objective(args: argparse.Namespace) -> int:
    from bench.check_objective import check_objective, objectives_to_check, render, source_of

    loaded = _checked_plugins(args)
    if loaded is None:
        return EXIT_USAGE
    plugins, registry = loaded
    failed = False
    for name in objectives_to_check(args.target, registry):
        results = check_objective(
            name, plugins, may_fail=args.may_fail, measures_cost=args.measures_cost
        )
        sys.stdout.write(render(name, source_of(name, registry), results) + "\n")
        failed = failed or any(r.outcome == "fail" for r in results)
    return 1 if failed else 0


def cmd_lessons(args: argparse.Namespace) -> int:
    from bench.report.lessons_report import write_lessons

    t0 = time.monotonic()
    try:
        written = write_lessons(args.results)
    except FileNotFoundError as exc:
        log.error("error: %s", exc)
        return EXIT_USAGE
    log.info(
        "lessons written to %s in %.1fs (%d files)",
        args.results / "lessons",
        time.monotonic() - t0,
        len(written),
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    import json

    from bench.publish import CLAIMS, PublishError, check, publish

    published = args.results / "published"
    try:
        if args.check:
            problems = check(args.readme.read_text(), json.loads((published / CLAIMS).read_text()))
            for problem in problems:
                log.error("%s: %s", args.readme, problem)
            return 1 if problems else 0
        written = publish(args.results, args.readme, published)
    except (PublishError, OSError) as exc:
        log.error("error: %s", exc)
        return EXIT_USAGE
    log.info("published %d files; README blocks rewritten in %s", len(written), args.readme)
    return 0


def _write_options(out: Any, cls: type) -> None:
    from bench.listing import options_of

    options = options_of(cls)
    if options:
        out.write(f"  {'':<18} options: {', '.join(options)}\n")


def cmd_list(args: argparse.Namespace) -> int:
    registry: Registry = default_registry(tuple(str(Path(p).resolve()) for p in args.plugin))
    what = args.what
    out = sys.stdout
    if what in (None, "strategies"):
        out.write("strategies:\n")
        for name, entry in sorted(registry.strategies.items()):
            out.write(f"  {name:<18} {entry.description}\n")
            _write_options(out, entry.target)
    if what in (None, "objectives"):
        out.write(
            f"objectives:\n  {'name':<18} {'dims':>4} {'optimum':>22}  {'fidelity':<18} about\n"
        )
        for name, entry in sorted(registry.objectives.items()):
            try:
                objective = registry.objective(name)[1]
            except RegistryError as exc:
                out.write(f"  {name:<18} unavailable: {exc}\n")
                continue
            optimum = "unknown" if objective.optimum is None else f"{objective.optimum:.17g}"
            fidelity = objective.fidelity
            span = (
                "-"
                if fidelity is None
                else (f"{fidelity.name} {fidelity.low:g}..{fidelity.high:g}")
            )
            out.write(
                f"  {name:<18} {len(objective.space):>4} {optimum:>22}  {span:<18} "
                f"{entry.description}\n"
            )
            _write_options(out, entry.target)
    if what in (None, "suites"):
        out.write("suites:\n")
        for name in available_suites():
            out.write(f"  {name:<18} {load_suite(name).description}\n")
    if registry.broken:
        out.write("broken (not loaded):\n")
        for broken in registry.broken:
            out.write(f"  {broken.source}: {broken.error.splitlines()[-1]}\n")
    return 0
