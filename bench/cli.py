"""The command line: ``python -m bench run|report|list``."""

from __future__ import annotations

import argparse
import logging
import math
import os
import shlex
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.registry import Registry, RegistryError, default_registry
from bench.spec import RunSpec
from bench.suite import Suite, SuiteError, available_suites, load_suite, plan
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
    except (SuiteError, RegistryError, SignatureDrift) as exc:
        log.error("error: %s", exc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        log.error("interrupted before any run started; nothing was changed")
        return EXIT_INTERRUPTED


def default_jobs() -> int:
    """One worker per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark hyperparameter-search strategies."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

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
        "--jobs",
        type=int,
        default=default_jobs(),
        help="parallel runs; 1 runs in-process for debugging (default: one per core)",
    )
    p_run.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local process pool (default) or an existing Dask cluster (with --address)",
    )
    p_run.add_argument(
        "--address", help="the Dask scheduler, tcp://HOST:PORT (with --executor dask)"
    )
    _plugin_option(p_run)
    p_run.set_defaults(command=cmd_run)

    p_report = sub.add_parser("report", help="write figures and tables from stored runs")
    p_report.add_argument("target", help="a results folder (results/<suite>) or a suite name")
    p_report.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
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

    p_list = sub.add_parser("list", help="list strategies, objectives and suites")
    p_list.add_argument("what", nargs="?", choices=("strategies", "objectives", "suites"))
    _plugin_option(p_list)
    p_list.set_defaults(command=cmd_list)
    return parser


def _plugin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="FILE.py",
        help="load strategies and objectives from a Python file (repeatable)",
    )


def parse_seeds(text: str) -> list[int]:
    """``"5"`` -> 0..4; ``"2-4"`` -> 2, 3, 4; ``"0,3,7"`` -> 0, 3, 7."""
    text = text.strip()
    try:
        if "," in text:
            return [int(part) for part in text.split(",") if part.strip()]
        if "-" in text:
            start, end = (int(part) for part in text.split("-", 1))
            if end < start:
                raise ValueError
            return list(range(start, end + 1))
        count = int(text)
        if count <= 0:
            raise ValueError
        return list(range(count))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected N (the first N seeds), A-B or A,B,C with non-negative integers, got {text!r}"
        ) from None


class SignatureDrift(RuntimeError):
    """An objective's values changed since its runs were stored."""


def cmd_run(args: argparse.Namespace) -> int:
    from bench.environment import environment
    from bench.execute import Interrupted, execute
    from bench.progress import Progress
    from bench.store import Store

    suite = load_suite(args.suite).narrow(
        strategies=args.strategies,
        objectives=args.objectives,
        seeds=args.seeds,
        budget=args.budget,
        timeout=args.timeout,
    )
    if args.executor == "dask" and not args.address:
        log.error(
            "error: --executor dask needs --address tcp://HOST:PORT (a running Dask scheduler)"
        )
        return EXIT_USAGE
    registry = default_registry(tuple(str(Path(p).resolve()) for p in args.plugin))
    registry.check_plugins()
    specs, objectives = plan(suite, registry)
    store = Store(args.results / suite.name)
    manifest = store.read_manifest() or {}
    signatures = {name: objective.signature() for name, objective in objectives.items()}
    check_signatures(manifest, signatures, store.root)

    states = Counter()
    pending = []
    for spec in specs:
        state = store.state(spec)
        states[state] += 1
        if state != "stored":
            pending.append(spec)
    log.info(
        "suite %s: %d runs (%d strategies x %d objectives x %d seeds, budget %g): "
        "%d stored, %d to run%s",
        suite.name,
        len(specs),
        len(suite.strategies),
        len(suite.objectives),
        len(suite.seeds),
        suite.budget,
        states["stored"],
        len(pending),
        f" ({states['stale']} stale: code or spec changed)" if states["stale"] else "",
    )
    started = datetime.now(UTC)
    manifest = _manifest(
        manifest, suite, specs, objectives, signatures, environment(), args, started
    )
    store.write_manifest(manifest)

    progress = Progress(len(pending))
    t0 = time.monotonic()
    status = "complete"
    outcomes = []
    try:
        outcomes = execute(
            pending,
            store.root,
            jobs=args.jobs,
            executor=args.executor,
            address=args.address,
            plugins=registry.plugins,
            progress=progress,
        )
    except Interrupted as interrupt:
        status = "interrupted"
        outcomes = interrupt.outcomes
    ran = [o for o in outcomes if o.skipped is None]
    skipped = [o for o in outcomes if o.skipped is not None]
    errored = [o for o in ran if o.error is not None]
    if errored and status == "complete":
        status = "errored"
    manifest["last_run"].update(
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.monotonic() - t0, 3),
        ran=len(ran),
        errored=[o.spec.key for o in errored],
        skipped=len(skipped),
        status=status,
    )
    store.write_manifest(manifest)
    for outcome in errored:
        log.error("run %s errored:\n%s", outcome.spec.key, outcome.error.rstrip())
    log.info(
        "%s: %d runs ran in %.1fs (%d failed trials, %d timeouts, %d errored runs); results in %s",
        status,
        len(ran),
        time.monotonic() - t0,
        sum(o.failed for o in ran),
        sum(o.timeouts for o in ran),
        len(errored),
        store.root,
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
    if status == "interrupted":
        log.error(
            "interrupted: %d runs completed and stored in %s, %d not run; "
            "run the same command again to resume: %s",
            len(ran) - len(errored),
            store.root,
            len(pending) - len(ran) - len(skipped),
            shlex.join(["python", "-m", "bench", *args.argv]),
        )
        return EXIT_INTERRUPTED
    return EXIT_ERRORED if errored else 0


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def check_signatures(
    manifest: dict[str, Any], signatures: dict[str, list[float]], root: Path
) -> None:
    """Refuse to resume if an objective's values drifted from the stored ones."""
    stored = manifest.get("signatures", {})
    for name, values in signatures.items():
        old = stored.get(name, {}).get("signature")
        if old is None:
            continue
        same = len(old) == len(values) and all(
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
            for a, b in zip(old, values)
        )
        if not same:
            raise SignatureDrift(
                f"objective {name!r} changed since its runs were stored in {root}: its values at the "
                f"five signature configurations were {old}, now {values}. Its stored runs cannot be "
                f"mixed with new ones: move {root / 'runs' / name} away, or use --results elsewhere."
            )


def _manifest(
    previous: dict[str, Any],
    suite: Suite,
    specs: list[RunSpec],
    objectives: dict[str, Any],
    signatures: dict[str, list[float]],
    env: dict[str, Any],
    args: argparse.Namespace,
    started: datetime,
) -> dict[str, Any]:
    known = dict(previous.get("signatures", {}))
    for name, objective in objectives.items():
        known[name] = {
            "signature": signatures[name],
            "optimum": objective.optimum,
            "fidelity": None if objective.fidelity is None else vars(objective.fidelity),
            "space": objective.space.describe(),
        }
    return {
        "suite": suite.name,
        "suite_file": suite.source,
        "suite_toml": suite.text,
        "description": suite.description,
        "narrowed": {k: list(v) if isinstance(v, tuple) else v for k, v in suite.narrowed.items()},
        "strategies": list(dict.fromkeys(spec.strategy for spec in specs)),
        "objectives": list(objectives),
        "seeds": list(suite.seeds),
        "budget": suite.budget,
        "spec_hashes": [spec.hash for spec in specs],
        "created": previous.get("created", started.isoformat(timespec="seconds")),
        "environment": env,
        "signatures": known,
        "last_run": {
            "started": started.isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "jobs": args.jobs,
            "plugins": list(args.plugin),
            "status": "running",
        },
        "history": [*previous.get("history", []), previous["last_run"]]
        if "last_run" in previous
        else [],
    }


def cmd_report(args: argparse.Namespace) -> int:
    from bench.report import write_report

    target = Path(args.target)
    if not target.exists() and not target.is_absolute() and (args.results / target).exists():
        target = args.results / target
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
    from bench.check import check_strategy, render, strategies_to_check

    plugins = [*args.plugin]
    if args.target.endswith(".py"):
        if not Path(args.target).is_file():
            log.error("error: no plugin file %s", args.target)
            return EXIT_USAGE
        plugins.append(args.target)
    plugins_resolved = tuple(dict.fromkeys(str(Path(p).resolve()) for p in plugins))
    registry = default_registry(plugins_resolved)
    registry.check_plugins()
    failed = False
    for name in strategies_to_check(args.target, registry):
        results = check_strategy(name, plugins_resolved, model_based=args.model_based)
        sys.stdout.write(render(name, registry.strategies[name].source, results) + "\n")
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


def cmd_list(args: argparse.Namespace) -> int:
    registry: Registry = default_registry(tuple(str(Path(p).resolve()) for p in args.plugin))
    what = args.what
    out = sys.stdout
    if what in (None, "strategies"):
        out.write("strategies:\n")
        for name, entry in sorted(registry.strategies.items()):
            out.write(f"  {name:<18} {entry.description}\n")
    if what in (None, "objectives"):
        out.write(
            f"objectives:\n  {'name':<18} {'dims':>4} {'optimum':>22}  {'fidelity':<18} about\n"
        )
        for name, entry in sorted(registry.objectives.items()):
            objective = registry.objective(name)[1]
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
    if what in (None, "suites"):
        out.write("suites:\n")
        for name in available_suites():
            out.write(f"  {name:<18} {load_suite(name).description}\n")
    if registry.broken:
        out.write("broken (not loaded):\n")
        for broken in registry.broken:
            out.write(f"  {broken.source}: {broken.error.splitlines()[-1]}\n")
    return 0
