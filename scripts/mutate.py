"""A small mutation tester: do the tests catch small wrong changes?

For each target module it makes mutants with the classic operators (a
comparison, arithmetic or boolean operator swapped, a small number moved by
one, a ``not`` dropped, a returned value replaced by ``None``, ``True`` and
``False`` swapped), takes a deterministic seeded sample of them, and runs the
module's tests on each mutant in a copy of the repository. A mutant is killed
when the tests fail (or run past the timeout, which counts as killed and is
shown as such). Docstrings, strings, and the arguments of ``raise`` and of
logging and warning calls are never mutated. Mutants listed in ``EQUIVALENT``
(they cannot change behaviour) are left out of the rate, with their count shown.

    .venv/bin/python scripts/mutate.py                   # every target, the table, exit 1 below 90%
    .venv/bin/python scripts/mutate.py --list            # only list the mutants
    .venv/bin/python scripts/mutate.py --modules bench/budget.py --max-per-module 30

The copy is made once per worker from ``git ls-files`` (untracked files
included), so the working tree is never touched; the tests run there with the
copy first on ``PYTHONPATH`` and as the working directory, so the copy's
modules, not the editable install's, are imported (checked before the run by a
mutant that breaks the import).
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Each target module and the tests that should catch its mutants: test files
#: and an optional ``-k`` expression (the fast, relevant tests of shared files).
TARGETS: dict[str, tuple[list[str], str | None]] = {
    "bench/loop.py": (
        [
            "tests/test_loop.py",
            "tests/test_fault_loop.py",
            "tests/test_workers.py",
            "tests/test_bite.py",
        ],
        "not option_value and not wrapper_spaces and not skopt and not lesson",
    ),
    "bench/evaluation.py": (
        [
            "tests/test_loop.py",
            "tests/test_fault_loop.py",
            "tests/test_workers.py",
            "tests/test_bite.py",
        ],
        "not option_value and not wrapper_spaces and not skopt and not lesson",
    ),
    "bench/workers.py": (
        ["tests/test_workers.py", "tests/test_loop.py"],
        None,
    ),
    "bench/budget.py": (
        ["tests/test_budget.py", "tests/test_bite.py"],
        "budget or allows or stated_cost or records",
    ),
    "bench/report/stats.py": (
        ["tests/test_bite.py", "tests/test_verdict.py"],
        "holm or wilcoxon or threshold or verdict or lesson or winner",
    ),
    "bench/report/verdict.py": (
        ["tests/test_verdict.py", "tests/test_bite.py"],
        "verdict or lesson or random_vs_grid or winner or coarse",
    ),
    "strategies/optuna_samplers.py": (
        ["tests/test_optuna_samplers.py", "tests/test_bite.py"],
        "optuna or tpe or gp or cmaes or nsga2 or qmc or trajectory or round_trips",
    ),
    "strategies/hyperopt_tpe.py": (
        ["tests/test_hyperopt_tpe.py", "tests/test_bite.py"],
        "hyperopt or trajectory or decoding",
    ),
    "strategies/skopt_bo.py": (
        ["tests/test_bite.py", "tests/test_strategy_contract.py"],
        "(skopt and not TestEveryStrategy) or declare_it",
    ),
    "strategies/_optuna_space.py": (
        ["tests/test_optuna_samplers.py", "tests/test_bite.py"],
        "optuna or tpe or trajectory or round_trips or cmaes or qmc",
    ),
    "bench/compare.py": (["tests/test_compare.py"], None),
    "bench/report/anytime.py": (["tests/test_anytime.py"], None),
    "bench/report/friedman.py": (["tests/test_anytime.py"], None),
    "bench/report/bayesmark.py": (["tests/test_anytime.py"], None),
    "bench/progress.py": (["tests/test_progress.py"], None),
}

#: Mutants that cannot change behaviour: (module, line, mutation) -> why.
EQUIVALENT: dict[tuple[str, int, str], str] = {
    (
        "bench/evaluation.py",
        47,
        "> -> >=",
    ): "an evaluation lasting exactly the timeout, to the last "
    "bit of perf_counter, is a measure-zero event",
    ("bench/budget.py", 53, ">= -> >"): "spent equal to evaluations - 1e-9 to the last bit: "
    "the tolerance makes the two comparisons agree on every reachable sum",
    ("bench/budget.py", 58, "<= -> <"): "a cost filling what is left + 1e-9 to the last bit: "
    "the tolerance makes the two comparisons agree on every reachable sum",
    ("bench/budget.py", 68, ">= -> >"): "with sum == cost Neumaier's two branches compute "
    "the same compensation (both terms equal, or the total is 0)",
    ("bench/workers.py", 111, "0.05 -> 0.1"): "how long the warm-up tasks that start the worker "
    "processes sleep, before the clock starts",
    ("bench/workers.py", 111, "* -> /"): "how long the warm-up tasks that start the worker "
    "processes sleep, before the clock starts",
    ("bench/workers.py", 73, "<= -> <"): "the fast path for a valid float duration: 0.0 then "
    "takes checked_duration, which accepts it as the same 0.0",
    ("bench/workers.py", 73, "< -> >"): "the fast path for a valid float duration: every "
    "duration then takes checked_duration, which gives the same seconds or the same error",
    ("bench/workers.py", 156, "0 -> -1"): "a worker process installs exactly one objective "
    "(its initializer runs once): [-1] is [0]",
    ("bench/loop.py", 136, "1 -> 2"): "_drive's default worker count: run, its only caller, "
    "always passes workers",
    ("bench/loop.py", 304, "True -> False"): "strict zips of the 15 columns with rows of 15 "
    "values each, as _Rows.write builds them: strict only guards that invariant",
    ("strategies/hyperopt_tpe.py", 122, "0 -> -1"): "a hyperopt trial document holds one "
    "value per active parameter ([] when inactive, filtered out): [-1] is [0]",
    ("bench/workers.py", 142, "True -> False"): "the loop drains every job before it closes the "
    "pool: no future is left to wait for or cancel, only when the processes exit changes",
    ("strategies/skopt_bo.py", 123, "0.0 -> 1.0"): "the lie used while no result is told: the "
    "liar's values are then all equal, and skopt's acquisitions are invariant to shifting "
    "them all by a constant",
    ("bench/report/stats.py", 86, "1 -> 2"): "seeds_needed may start counting at 2 pairs: one "
    "pair gives p = 1, never below an alpha <= 1",
    ("bench/report/verdict.py", 134, "or -> and"): "for two or more equal effects scipy's "
    "bootstrap returns the constant as both bounds, what the shortcut gives",
    ("strategies/optuna_samplers.py", 182, "False -> True"): "warn_independent_sampling only "
    "switches optuna's log message about independently sampled categoricals (logging)",
    ("bench/report/bayesmark.py", 100, "0 -> -1"): "at_fraction keeps one budget point per "
    "objective: every row of a group has the same budget, the last row's as the first's",
    ("bench/report/friedman.py", 99, "1 -> 2"): "reach may start at -2: within holds indices "
    ">= 1, so the first group reaches further from either start",
    ("bench/compare.py", 158, "0 -> -1"): "that branch has exactly one name (none returned "
    "above, more than two refused, two taken as they are): names[-1] is names[0]",
    ("bench/compare.py", 390, "True -> False"): "measured's only input is incumbents' frame, "
    "already grouped by objective in sorted order: sort=False visits the same order (and the "
    "merge and groupby after it pair and order rows by key)",
}

TIMEOUT = 120.0
THRESHOLD = 0.9

_COMPARE_SWAPS: dict[type, list[type]] = {
    ast.Lt: [ast.LtE, ast.Gt],
    ast.LtE: [ast.Lt, ast.GtE],
    ast.Gt: [ast.GtE, ast.Lt],
    ast.GtE: [ast.Gt, ast.LtE],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
}
_BINOP_SWAPS: dict[type, list[type]] = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.Div],
    ast.Div: [ast.Mult],
    ast.FloorDiv: [ast.Div],
    ast.Pow: [ast.Mult],
    ast.Mod: [ast.FloorDiv],
}
_SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
    ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Add: "+",
    ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Pow: "**", ast.Mod: "%",
    ast.And: "and", ast.Or: "or",
}  # fmt: skip
_QUIET_CALLS = {"warn", "warning", "info", "debug", "error", "exception", "critical", "log"}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # position among the module's candidate sites
    line: int
    description: str

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.module, self.line, self.description)


def _skipped_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes never mutated: docstrings, raise statements, logging and
    warning calls, and everything inside them."""
    skip: set[int] = set()

    def mark(node: ast.AST) -> None:
        for sub in ast.walk(node):
            skip.add(id(sub))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                mark(body[0])
        if isinstance(node, ast.Raise | ast.JoinedStr | ast.Assert):
            mark(node)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _QUIET_CALLS:
                mark(node)
        if isinstance(node, ast.ImportFrom | ast.Import):
            mark(node)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, ast.FunctionDef) and node.returns is not None:
            mark(node.returns)
        if isinstance(node, ast.arg) and node.annotation is not None:
            mark(node.annotation)
    return skip


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, str, object]]:
    """Every (node, description, change) a mutation could make, in a fixed order."""
    skip = _skipped_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for new in _COMPARE_SWAPS.get(type(op), []):
                    yield node, f"{_SYMBOL[type(op)]} -> {_SYMBOL[new]}", ("compare", i, new)
        elif isinstance(node, ast.BinOp | ast.AugAssign):
            for new in _BINOP_SWAPS.get(type(node.op), []):
                text = f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[new]}"
                if isinstance(node, ast.AugAssign):
                    text = f"{_SYMBOL[type(node.op)]}= -> {_SYMBOL[new]}="
                yield node, text, ("binop", new)
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[new]}", ("boolop", new)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not x -> x", ("unwrap",)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield node, "-x -> x", ("unwrap",)
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            yield node, f"{node.value} -> {not node.value}", ("const", not node.value)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = node.value
            if isinstance(value, int):
                if abs(value) <= 1000:
                    yield node, f"{value} -> {value + 1}", ("const", value + 1)
                    yield node, f"{value} -> {value - 1}", ("const", value - 1)
            else:
                new = value + 1.0 if value == 0 else value * 2
                yield node, f"{value!r} -> {new!r}", ("const", new)
        elif isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if not (isinstance(value, ast.Constant) and value.value is None):
                yield node, "return x -> return None", ("return_none",)


def _apply(node: ast.AST, change: tuple) -> None:
    kind = change[0]
    if kind == "compare":
        node.ops[change[1]] = change[2]()
    elif kind in ("binop", "boolop"):
        node.op = change[1]()
    elif kind == "const":
        node.value = change[1]
    elif kind == "return_none":
        node.value = ast.Constant(None)


def candidates(module: str) -> list[Mutant]:
    tree = ast.parse((ROOT / module).read_text())
    return [
        Mutant(module, index, getattr(node, "lineno", 0), text)
        for index, (node, text, _) in enumerate(_sites(tree))
    ]


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((ROOT / mutant.module).read_text())
    for index, (node, _, change) in enumerate(_sites(tree)):
        if index == mutant.index:
            if change[0] == "unwrap":
                _replace(tree, node, node.operand)
            else:
                _apply(node, change)
            break
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return


def sample(module: str, count: int, seed: int) -> list[Mutant]:
    every = candidates(module)
    rng = random.Random(f"{seed}:{module}")
    chosen = every if len(every) <= count else rng.sample(every, count)
    return sorted(chosen, key=lambda m: (m.line, m.index))


def make_copy() -> Path:
    """A copy of the working tree's tracked and untracked (not ignored) files."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    dest = Path(tempfile.mkdtemp(prefix="tunebench-mutate-"))
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def run_tests(copy_root: Path, module: str, timeout: float) -> str:
    """'passed', 'failed' or 'timeout' for the module's tests in ``copy_root``."""
    files, keyword = TARGETS[module]
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *files]
    if keyword:
        command += ["-k", keyword]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(copy_root), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    try:
        done = subprocess.run(
            command, cwd=copy_root, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return "passed" if done.returncode == 0 else "failed"


def check_copy_is_tested(copy_root: Path) -> None:
    """The copy's modules are the ones imported: a broken copy must fail."""
    target = copy_root / "bench" / "budget.py"
    original = target.read_text()
    target.write_text('raise ImportError("mutate.py: the copy is what is tested")\n' + original)
    try:
        outcome = run_tests(copy_root, "bench/budget.py", TIMEOUT)
    finally:
        target.write_text(original)
    if outcome != "failed":
        sys.exit("mutate.py: a broken copy passed its tests: the copy is not what is imported")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--max-per-module", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once")
    parser.add_argument("--list", action="store_true", help="only list the mutants")
    parser.add_argument(
        "--out", type=Path, help="also write the table as Markdown here (make publish shows it)"
    )
    args = parser.parse_args(argv)

    mutants = [m for module in args.modules for m in sample(module, args.max_per_module, args.seed)]
    if args.list:
        for m in mutants:
            flag = "  (equivalent)" if m.key in EQUIVALENT else ""
            print(f"{m.module}:{m.line}: {m.description}{flag}")
        print(f"{len(mutants)} mutants")
        return 0

    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("mutate.py: terminated"))  # copies removed
    jobs = max(1, args.jobs)
    copies = [make_copy() for _ in range(jobs)]
    try:
        check_copy_is_tested(copies[0])
        for module in args.modules:
            if run_tests(copies[0], module, args.timeout * 3) != "passed":
                sys.exit(
                    f"mutate.py: the tests of {module} fail without any mutant: fix them first"
                )
        free = list(copies)

        def test(mutant: Mutant) -> tuple[Mutant, str]:
            root = free.pop()
            target = root / mutant.module
            original = target.read_text()
            try:
                target.write_text(mutated_source(mutant))
                outcome = run_tests(root, mutant.module, args.timeout)
            finally:
                target.write_text(original)
                free.append(root)
            mark = {"failed": "killed", "timeout": "killed (timeout)", "passed": "SURVIVED"}
            print(f"  {mutant.module}:{mutant.line}: {mutant.description}: {mark[outcome]}",
                  flush=True)  # fmt: skip
            return mutant, outcome

        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(test, mutants))
    finally:
        for root in copies:
            shutil.rmtree(root, ignore_errors=True)
    wall = time.monotonic() - started
    if args.out:
        args.out.write_text(markdown(results, args.modules, wall))
    return report(results, args.modules, wall)


def markdown(results: list[tuple[Mutant, str]], modules: list[str], wall: float) -> str:
    """The result table in Markdown, one row per module and a total."""
    lines = [
        "| module | mutants | equivalent | killed | survived |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    total = killed_total = 0
    for module in modules:
        rows = [(m, o) for m, o in results if m.module == module]
        counted = [o for m, o in rows if m.key not in EQUIVALENT]
        killed = sum(o != "passed" for o in counted)
        total, killed_total = total + len(counted), killed_total + killed
        lines.append(
            f"| `{module}` | {len(rows)} | {len(rows) - len(counted)} | {killed} | "
            f"{len(counted) - killed} |"
        )
    rate = killed_total / total if total else 1.0
    lines.append(
        f"\nKilled {killed_total} of {total} mutants ({rate:.1%}; equivalent mutants left out, "
        f"a timeout counts as killed) in {wall / 60:.0f} min."
    )
    return "\n".join(lines) + "\n"


def report(results: list[tuple[Mutant, str]], modules: list[str], wall: float) -> int:
    print()
    header = (
        f"{'module':<32} {'mutants':>7} {'equiv':>5} {'killed':>6} {'timeout':>7} {'survived':>8}"
    )
    print(header)
    print("-" * len(header))
    total = killed_total = 0
    survivors = []
    for module in modules:
        rows = [(m, o) for m, o in results if m.module == module]
        equivalent = [m for m, _ in rows if m.key in EQUIVALENT]
        counted = [(m, o) for m, o in rows if m.key not in EQUIVALENT]
        killed = sum(o != "passed" for _, o in counted)
        timeouts = sum(o == "timeout" for _, o in counted)
        survived = [m for m, o in counted if o == "passed"]
        survivors += survived
        total += len(counted)
        killed_total += killed
        print(
            f"{module:<32} {len(rows):>7} {len(equivalent):>5} {killed:>6} {timeouts:>7} "
            f"{len(survived):>8}"
        )
    rate = killed_total / total if total else 1.0
    equivalent_total = sum(m.key in EQUIVALENT for m, _ in results)
    print("-" * len(header))
    print(
        f"killed {killed_total}/{total} = {rate:.1%} (timeouts count as killed; "
        f"{equivalent_total} equivalent mutants left out), wall {wall:.0f} s"
    )
    for m in survivors:
        print(f"  survived: {m.module}:{m.line}: {m.description}")
    for m, _ in results:
        if m.key in EQUIVALENT:
            print(f"  equivalent: {m.module}:{m.line}: {m.description}: {EQUIVALENT[m.key]}")
    return 0 if rate >= THRESHOLD else 1


if __name__ == "__main__":
    sys.exit(main())
