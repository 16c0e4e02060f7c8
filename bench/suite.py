"""Suite files: which strategies run on which objectives, with which seeds
and budget. Parsed with ``tomllib`` and validated whole before any run.

```toml
description = "..."
strategies = ["random", "grid", "random[scale=linear]"]
objectives = ["branin", "hartmann6"]
seeds = 10          # the first 10 seeds (0..9), or a list such as [0, 3, 7]
budget = 50         # full-evaluation equivalents per run
timeout = 60        # optional: seconds per evaluation; a longer one is a 'timeout' trial
workers = [1, 4, 16]  # optional: a run per number of simulated workers (default [1])
overhead = "ignored"  # optional: "measured" puts the strategy's ask/tell time on the clock

[space.branin]      # optional: search an objective over other bounds or scales
x1 = { low = -5.0, high = 0.0 }
```
"""

from __future__ import annotations

import difflib
import inspect
import re
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.budget import Budget
from bench.fingerprint import fingerprint
from bench.objective import Objective
from bench.registry import Registry, RegistryError
from bench.space import Categorical, Dimension, Space, SpaceError
from bench.spec import RunSpec
from bench.strategy import Strategy, StrategyUnavailable
from bench.variant import Variant

SUITES_DIR = Path(__file__).parent / "suites"
KEYS = (
    "description",
    "strategies",
    "objectives",
    "seeds",
    "budget",
    "timeout",
    "workers",
    "overhead",
    "space",
)
#: The most simulated workers a run may have.
MAX_WORKERS = 4096
DIMENSION_KEYS = ("low", "high", "scale", "choices")

MAX_BUDGET = 1_000_000
"""The largest budget, in full evaluations per run: a larger one is a typo
(``1e308``), and its run would neither finish nor fit its trace in memory."""

MAX_SEEDS = 10_000
"""The most seeds a suite runs: checked before a count is turned into a list,
so ``seeds = 100000000`` is refused at once instead of filling the memory."""

MAX_SEED = 2**32 - 1
"""The largest seed: numpy's ``RandomState``, which optuna and scikit-optimize
seed with it, takes no larger one."""

PROBE_BUDGET = 10
"""The budget, in full evaluations, strategies are built with at plan time
(at most the suite's): enough for every constructor, small enough for a grid."""

MAX_RUNS = 1_000_000
"""The most runs a suite plans (strategies x objectives x seeds): the plan, the
manifest and the results tree all grow with it."""
#: The most seeds a suite (or ``--seeds``) may ask for.
MAX_SEEDS = 10_000


class SuiteError(ValueError):
    """A suite file (or a command-line narrowing of it) that cannot run."""


@dataclass(frozen=True)
class Suite:
    """A parsed suite: names as written, checked for shape but not yet resolved."""

    name: str
    source: str
    text: str
    description: str
    strategies: tuple[str, ...]
    objectives: tuple[str, ...]
    seeds: tuple[int, ...]
    budget: float
    timeout: float | None = None
    spaces: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    narrowed: Mapping[str, Any] = field(default_factory=dict)
    workers: tuple[int, ...] = (1,)
    overhead: str = "ignored"

    def narrow(
        self,
        *,
        strategies: Sequence[str] | None = None,
        objectives: Sequence[str] | None = None,
        seeds: Sequence[int] | None = None,
        budget: float | None = None,
        timeout: float | None = None,
        workers: Sequence[int] | None = None,
    ) -> Suite:
        """The suite with some of its lists replaced (from the command line)."""
        changes: dict[str, Any] = {}
        if workers is not None:
            changes["workers"] = tuple(workers)
        if strategies is not None:
            changes["strategies"] = tuple(strategies)
        if objectives is not None:
            changes["objectives"] = tuple(objectives)
        if seeds is not None:
            changes["seeds"] = tuple(seeds)
        if budget is not None:
            changes["budget"] = budget
        if timeout is not None:
            changes["timeout"] = timeout
        if not changes:
            return self
        errors = _check_shape(
            {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()},
            "the command line",
            "--",
        )
        if errors:
            raise SuiteError("\n".join(errors))
        return replace(self, **changes, narrowed={**self.narrowed, **changes})


def suite_path(name_or_path: str | Path) -> Path:
    """A suite file: a path, or the name of one in ``bench/suites``."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise SuiteError(f"no suite file {path}")
        return path
    candidate = SUITES_DIR / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    known = available_suites()
    close = difflib.get_close_matches(str(name_or_path), known, n=2, cutoff=0.5)
    hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise SuiteError(
        f"no suite named {str(name_or_path)!r}{hint} (suites: {', '.join(known)}; or give a path to a .toml file)"
    )


def suite_name(path: Path) -> str:
    """The name of a suite's results folder: its file's base name, made safe
    for a folder name (never ``..`` or hidden). Two files of one name share a
    name; ``suite_identity`` tells them apart."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).stem).lstrip(".")
    return stem or "suite"


def suite_identity(path: str | Path) -> str:
    """What a suite is: a shipped suite's name, or any other file's absolute path."""
    resolved = Path(path).resolve()
    if resolved.parent == SUITES_DIR.resolve():
        return f"shipped suite {resolved.stem}"
    return f"suite file {resolved}"


def code_of(strategy: type, objective: Objective) -> dict[str, Any]:
    """The fingerprint of the code a run of ``strategy`` on ``objective`` uses."""
    return fingerprint(strategy, type(objective)).to_json()


def available_suites() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.toml"))


def load_suite(name_or_path: str | Path) -> Suite:
    """Read and shape-check a suite file (names are resolved by ``plan``)."""
    path = suite_path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"suite file {path}: cannot be read ({exc})") from None
    return parse_suite(text, path, suite_name(path))


def parse_suite(text: str, path: str | Path, name: str) -> Suite:
    """Shape-check the text of the suite file ``path`` (a manifest keeps it) as
    the suite ``name``."""
    where = f"suite file {path}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{where}: not valid TOML: {exc}") from None
    errors = []
    for key in data:
        if key not in KEYS:
            errors.append(
                f"{where}: unknown key {key!r}{_hint(key, KEYS)}; expected keys: {', '.join(KEYS)}"
            )
    for key in ("strategies", "objectives", "seeds", "budget"):
        if key not in data:
            errors.append(f"{where}: missing key {key!r}")
    errors += _check_shape({k: v for k, v in data.items() if k in KEYS}, where, "")
    if errors:
        raise SuiteError("\n".join(errors))
    seeds = data["seeds"]
    return Suite(
        name=name,
        source=str(path),
        text=text,
        description=str(data.get("description", "")),
        strategies=tuple(data["strategies"]),
        objectives=tuple(data["objectives"]),
        seeds=tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds),
        budget=float(data["budget"]),
        timeout=float(data["timeout"]) if "timeout" in data else None,
        spaces=data.get("space", {}),
        workers=tuple(data.get("workers", (1,))),
        overhead=data.get("overhead", "ignored"),
    )


def _check_shape(data: Mapping[str, Any], where: str, prefix: str) -> list[str]:
    errors = []
    for key in ("strategies", "objectives"):
        if key in data:
            value = data[key]
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) and v.strip() for v in value)
            ):
                errors.append(
                    f"{where}, key {prefix + key!r}: expected a non-empty list of names, got {value!r}"
                )
            elif len(set(value)) != len(value):
                errors.append(
                    f"{where}, key {prefix + key!r}: names listed twice: "
                    f"{sorted({v for v in value if value.count(v) > 1})}"
                )
    if "seeds" in data:
        errors += _check_seeds(data["seeds"], f"{where}, key {prefix + 'seeds'!r}")
    if "budget" in data:
        budget = data["budget"]
        if (
            isinstance(budget, bool)
            or not isinstance(budget, (int, float))
            or not budget > 0
            or budget == float("inf")
        ):
            errors.append(
                f"{where}, key {prefix + 'budget'!r}: expected a positive number of full evaluations, got {budget!r}"
            )
        elif budget > MAX_BUDGET:
            errors.append(
                f"{where}, key {prefix + 'budget'!r}: at most {MAX_BUDGET} full evaluations per "
                f"run, got {budget!r}"
            )
    if "timeout" in data:
        timeout = data["timeout"]
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not 0 < timeout < float("inf")
        ):
            errors.append(
                f"{where}, key {prefix + 'timeout'!r}: expected a positive number of seconds per "
                f"evaluation, got {timeout!r}"
            )
    if "workers" in data:
        errors += _check_workers(data["workers"], f"{where}, key {prefix + 'workers'!r}")
    if "overhead" in data and data["overhead"] not in ("ignored", "measured"):
        errors.append(
            f'{where}, key {prefix + "overhead"!r}: expected "ignored" or "measured" '
            f"(whether the strategy's ask and tell time counts on the simulated clock), "
            f"got {data['overhead']!r}"
        )
    if "description" in data and not isinstance(data["description"], str):
        errors.append(f"{where}, key 'description': expected a string")
    if "space" in data:
        space = data["space"]
        if not isinstance(space, dict) or not all(isinstance(v, dict) for v in space.values()):
            errors.append(
                f"{where}, key 'space': expected tables [space.<objective>] of parameter overrides"
            )
    return errors


def _check_workers(workers: Any, at: str) -> list[str]:
    """Problems with ``workers`` (a list of distinct positive integers), prefixed with ``at``."""
    if (
        not isinstance(workers, list)
        or not workers
        or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in workers)
        or len(set(workers)) != len(workers)
    ):
        return [
            f"{at}: expected a list of distinct positive numbers of simulated workers, "
            f"such as [1, 4, 16], got {workers!r}"
        ]
    if max(workers) > MAX_WORKERS:
        return [f"{at}: at most {MAX_WORKERS} workers, got {max(workers)}"]
    return []


def _check_seeds(seeds: Any, at: str) -> list[str]:
    """Problems with ``seeds`` (a count or a list), each prefixed with ``at``;
    the cap on their number is checked before anything else walks them."""
    count = len(seeds) if isinstance(seeds, list) else seeds
    if isinstance(count, int) and not isinstance(count, bool) and count > MAX_SEEDS:
        return [f"{at}: at most {MAX_SEEDS} seeds, got {count}"]
    if isinstance(seeds, bool) or not (
        (isinstance(seeds, int) and seeds > 0)
        or (
            isinstance(seeds, list)
            and seeds
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)
            and len(set(seeds)) == len(seeds)
        )
    ):
        return [
            f"{at}: expected a positive number of seeds or a list of distinct non-negative "
            f"integers, got {seeds!r}"
        ]
    largest = max(seeds) if isinstance(seeds, list) else seeds - 1
    if largest > MAX_SEED:
        return [f"{at}: seeds must be at most {MAX_SEED}, got {largest}"]
    return []


def plan(suite: Suite, registry: Registry) -> tuple[list[RunSpec], dict[str, Objective]]:
    """Resolve every name, check every pairing and return the runs, in a stable
    order (objective, strategy, seed), with the objectives they use. All the
    problems found are reported together; nothing runs if there is one."""
    where = f"suite file {suite.source}"
    errors = _check_size(suite, where)
    objectives = _resolve_objectives(suite, registry, where, errors)
    for name in suite.spaces:
        if name not in suite.objectives and name not in {o.split("[")[0] for o in suite.objectives}:
            errors.append(
                f"{where}, key 'space.{name}': {name!r} is not one of the suite's objectives "
                f"{list(suite.objectives)}{_hint(name, suite.objectives)}"
            )
    strategies, options = _resolve_strategies(suite, registry, where, errors)
    for s_name, target in strategies.items():
        for o_name, objective in objectives.items():
            try:
                target.check_available(objective.fidelity)
            except StrategyUnavailable as exc:
                errors.append(
                    f"{where}: strategy {s_name!r} cannot run on objective {o_name!r}: {exc}"
                )
    parallel = [w for w in suite.workers if w > 1]
    for s_name, target in strategies.items():
        if parallel and not target.parallel:
            errors.append(
                f"{where}, key 'workers': strategy {s_name!r} cannot run with {parallel} "
                "workers: it does not take pending trials (its class does not set "
                "parallel = True); remove it from this suite or set workers = [1]"
            )
    for problem in _build_each(strategies, options, objectives, suite.budget):
        errors.append(f"{where}, key 'strategies': {problem}")
    if errors:
        raise SuiteError("\n".join(dict.fromkeys(errors)))
    codes = {
        (s_name, o_name): code_of(target, objective)
        for o_name, objective in objectives.items()
        for s_name, target in strategies.items()
    }
    specs = [
        RunSpec(
            suite=suite.name,
            strategy=s_name,
            objective=o_name,
            seed=seed,
            budget=suite.budget,
            space=objective.space.describe(),
            code=codes[s_name, o_name],
            optimum=objective.optimum,
            timeout=suite.timeout,
            workers=workers,
            overhead=suite.overhead,
        )
        for o_name, objective in objectives.items()
        for s_name, target in strategies.items()
        for workers in suite.workers
        for seed in suite.seeds
    ]
    return specs, objectives


def _check_size(suite: Suite, where: str) -> list[str]:
    """The refusal of a suite planning more than ``MAX_RUNS`` runs, if it does."""
    counts = (len(suite.strategies), len(suite.objectives), len(suite.seeds), len(suite.workers))
    runs = counts[0] * counts[1] * counts[2] * counts[3]
    if runs <= MAX_RUNS:
        return []
    workers = f" x {counts[3]} worker counts" if counts[3] > 1 else ""
    return [
        f"{where}, keys 'strategies', 'objectives', 'seeds': {counts[0]} strategies x "
        f"{counts[1]} objectives x {counts[2]} seeds{workers} = {runs} runs; at most "
        f"{MAX_RUNS} runs per suite (narrow it, or split it into several suites)"
    ]


def plugin_hint(error: RegistryError, kind: str) -> str:
    """For an unknown name with no close match, where a plugin's name comes from."""
    text = str(error)
    if not text.startswith(f"unknown {kind}") or "did you mean" in text:
        return ""
    return (
        f"; if it is a plugin, pass its file with --plugin path/to/file.py (or install the "
        f"package that registers it under tunebench.{'strategies' if kind == 'strategy' else 'objectives'})"
    )


def _resolve_objectives(
    suite: Suite, registry: Registry, where: str, errors: list[str]
) -> dict[str, Objective]:
    """The suite's objectives by canonical name, restricted to their
    ``[space.<objective>]`` overrides; problems are appended to ``errors``."""
    objectives: dict[str, Objective] = {}
    seen: dict[str, tuple[str, bool]] = {}
    for text in suite.objectives:
        try:
            variant, objective = registry.objective(text)
        except RegistryError as exc:
            errors.append(f"{where}, key 'objectives': {exc}{plugin_hint(exc, 'objective')}")
            continue
        twin = _twin(text, variant, type(objective), seen, "objective")
        if twin:
            errors.append(f"{where}, key 'objectives': {twin}")
            continue
        overrides = suite.spaces.get(text) or suite.spaces.get(variant.name)
        if overrides:
            try:
                objective = objective.restricted(
                    _override(objective.space, overrides, f"space.{text}")
                )
            except (SpaceError, ValueError) as exc:
                errors.append(f"{where}, key {exc}")
                continue
        objectives[str(variant)] = objective
    return objectives


def _resolve_strategies(
    suite: Suite, registry: Registry, where: str, errors: list[str]
) -> tuple[dict[str, type[Strategy]], dict[str, Mapping[str, Any]]]:
    """The suite's strategy classes and their options, both by canonical
    variant name; problems are appended to ``errors``."""
    strategies: dict[str, type[Strategy]] = {}
    options: dict[str, Mapping[str, Any]] = {}
    seen: dict[str, tuple[str, bool]] = {}
    for text in suite.strategies:
        try:
            variant, target = registry.strategy(text)
        except RegistryError as exc:
            errors.append(f"{where}, key 'strategies': {exc}{plugin_hint(exc, 'strategy')}")
            continue
        twin = _twin(text, variant, target, seen, "strategy")
        if twin:
            errors.append(f"{where}, key 'strategies': {twin}")
            continue
        canonical = canonical_variant(variant, target)
        strategies[str(canonical)] = target
        options[str(canonical)] = canonical.options
    return strategies, options


def _twin(
    text: str, variant: Variant, target: type, seen: dict[str, tuple[str, bool]], kind: str
) -> str:
    """Why ``text`` names the same variant as an earlier spelling in ``seen``
    (canonical name -> spelling, whether it set a default), or ``""`` after
    recording it. An option set to its constructor default counts as unset."""
    kept = canonical_variant(variant, target)
    canonical = str(kept)
    defaulted = len(kept.options) < len(variant.options)
    if canonical not in seen:
        seen[canonical] = (text, defaulted)
        return ""
    first, first_defaulted = seen[canonical]
    why = " (an option set to its default value is the same as leaving it out)"
    return (
        f"{first!r} and {text!r} are the same {kind}, {canonical!r}"
        f"{why if defaulted or first_defaulted else ''}: list it once"
    )


def canonical_variant(variant: Variant, target: type) -> Variant:
    """``variant`` without the options set to their constructor default, so that
    ``tpe[n_startup_trials=10]`` and ``tpe`` are one strategy in every command."""
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        params = {}
    kept = {
        key: value
        for key, value in variant.options.items()
        if key not in params or not _same(value, params[key].default)
    }
    return Variant(variant.name, kept)


def _same(value: Any, default: Any) -> bool:
    """Whether an option ``value`` is its ``default`` (``True`` is not ``1``)."""
    try:
        return isinstance(value, bool) == isinstance(default, bool) and bool(value == default)
    except Exception:
        return False


def _build_each(
    strategies: Mapping[str, type[Strategy]],
    options: Mapping[str, Mapping[str, Any]],
    objectives: Mapping[str, Objective],
    budget: float,
) -> list[str]:
    """Build each strategy variant once on each objective it can run on (seed 0,
    a budget of at most ``PROBE_BUDGET``), so that options its constructor
    refuses are reported before any run, once per variant and reason."""
    problems = []
    for s_name, target in strategies.items():
        failed: dict[str, list[str]] = {}
        for o_name, objective in objectives.items():
            reason = _build(target, options[s_name], objective, budget)
            if reason:
                failed.setdefault(reason, []).append(repr(o_name))
        for reason, names in failed.items():
            on = f"objective {names[0]}" if len(names) == 1 else f"objectives {', '.join(names)}"
            problems.append(f"strategy {s_name!r} cannot be built on {on}: {reason}")
    return problems


def _build(
    target: type[Strategy], options: Mapping[str, Any], objective: Objective, budget: float
) -> str:
    """Why ``target(**options)`` cannot be built on ``objective``, or ``""``
    (also when it cannot run there at all: that is reported on its own)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            target(
                objective.space,
                seed=0,
                budget=Budget(min(budget, PROBE_BUDGET)),
                fidelity=objective.fidelity,
                **options,
            )
    except StrategyUnavailable:
        return ""
    except Exception as exc:
        if isinstance(exc, ValueError) and str(exc):
            return str(exc)
        return f"{type(exc).__name__}: {exc}".rstrip(": ")
    return ""


def _override(space: Space, overrides: Mapping[str, Any], where: str) -> Space:
    """``space`` (the objective's declared domain) with the dimensions named in
    ``overrides`` redefined; each new dimension must lie inside the one it
    replaces. Raises ``SpaceError`` naming the key ``where.<param>``."""
    dims = dict(space.items())
    for param, table in overrides.items():
        key = f"{where}.{param}"
        if param not in dims:
            raise SpaceError(
                f"{key!r}: the objective has no parameter {param!r}{_hint(param, dims)}; "
                f"parameters: {', '.join(dims)}"
            )
        if not isinstance(table, dict):
            raise SpaceError(
                f"{key!r}: expected a table such as {{ low = 0.0, high = 1.0 }}, got {table!r}"
            )
        unknown = [k for k in table if k not in DIMENSION_KEYS]
        if unknown:
            raise SpaceError(
                f"{key!r}: unknown key {unknown[0]!r}{_hint(unknown[0], DIMENSION_KEYS)}; "
                f"expected {', '.join(DIMENSION_KEYS)}"
            )
        try:
            dims[param] = _redefine(dims[param], table)
        except SpaceError as exc:
            raise SpaceError(f"{key!r}: {exc}") from None
    return Space(dims)


def _redefine(dim: Dimension, table: Mapping[str, Any]) -> Dimension:
    """``dim`` with the keys of ``table`` changed, refused unless inside ``dim``."""
    kind = type(dim).__name__
    categorical = isinstance(dim, Categorical)
    misplaced = [k for k in table if (k == "choices") != categorical]
    if misplaced:
        allowed = "choices" if categorical else "low, high, scale"
        raise SpaceError(
            f"{misplaced[0]!r} does not apply to a {kind} dimension (its keys: {allowed})"
        )
    if isinstance(dim, Categorical):
        return _subset(dim, table.get("choices", list(dim.choices)))
    merged = {"low": dim.low, "high": dim.high, "scale": dim.scale, **table}
    new = type(dim)(merged["low"], merged["high"], merged["scale"])
    if new.low < dim.low or new.high > dim.high:
        raise SpaceError(
            f"bounds [{new.low:.15g}, {new.high:.15g}] lie outside the objective's domain "
            f"[{dim.low:.15g}, {dim.high:.15g}]; expected bounds inside it (outside it the "
            "objective is not defined as declared, and its known optimum may not hold)"
        )
    return new


def _subset(dim: Categorical, choices: object) -> Categorical:
    """A categorical dimension of ``choices``, each one of ``dim``'s."""
    if not isinstance(choices, list):
        raise SpaceError(f"expected a list of choices, got {choices!r}")
    known = [c for c in dim.choices if isinstance(c, str)]
    for choice in choices:
        if not dim.contains(choice):
            hint = _hint(choice, known) if isinstance(choice, str) else ""
            raise SpaceError(
                f"choice {choice!r} is not one of the objective's choices "
                f"{', '.join(map(repr, dim.choices))}{hint}"
            )
    return Categorical(tuple(choices))


def _hint(name: str, candidates: Sequence[str] | Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=2, cutoff=0.5)
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""


__all__ = ["Suite", "SuiteError", "available_suites", "load_suite", "plan"]
