"""What a report is made from: the stored runs a suite folder holds, checked
and filtered, with each objective's optimum and the manifest."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pandas as pd
import pyarrow as pa

from bench import manifest as manifest_file
from bench.fingerprint import objective_code
from bench.registry import RegistryError, default_registry
from bench.spec import RunSpec, SpecError, run_label, spec_changes
from bench.store import CorruptRun, Store, read_run, runs_frame
from bench.suite import Suite, SuiteError, parse_suite, plan
from bench.trace import LEADING, TRAILING

log = logging.getLogger("bench")


@dataclass(frozen=True)
class LeftOut:
    """A stored run file the report does not use, and why (in words a reader
    can act on: "errored: ...", "stale: module bench/space.py changed", ...)."""

    key: str
    reason: str
    path: str = ""


@dataclass(frozen=True)
class Stored:
    """What a report is made from: the trial rows of the runs compatible with
    the suite's current definition (possibly none: zero rows), each objective's
    optimum, the manifest (``{}`` if there is none), the keys of errored runs,
    every stored run left out with its reason (errored ones included), and the
    keys of planned runs with no usable stored run (``missing``)."""

    runs: pd.DataFrame
    optima: dict[str, float | None]
    manifest: dict[str, Any]
    errored: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()
    missing: tuple[str, ...] = ()
    designs: Mapping[tuple[str, str, int], int] = field(default_factory=dict)
    """(objective, strategy, seed) -> the run's initial design size, for the
    kept runs of strategies that have one (``Strategy.initial_design``)."""
    startup: Mapping[tuple[str, str, int], float] = field(default_factory=dict)
    """(objective, strategy, seed) -> seconds the strategy's constructor took,
    for the kept runs that recorded it."""
    cost_mismatch: Mapping[str, str] = field(default_factory=dict)
    """objective -> the first kept run's note of a stated cost at odds with the
    objective's cost model (``trace.meta["cost_mismatch"]``)."""

    @property
    def samples(self) -> dict[str, list[float]]:
        """Each objective's values at its five seeded signature configurations."""
        return {
            name: entry["signature"]
            for name, entry in self.manifest.get("signatures", {}).items()
            if entry.get("signature")
        }


def combined(*parts: Stored) -> Stored:
    """Several suites' stored runs read as one; their objectives must differ
    (``ValueError`` otherwise: one objective's runs would be pooled across suites)."""
    seen: set[str] = set()
    for part in parts:
        shared = seen & set(part.runs["objective"].unique()) if len(part.runs) else set()
        if shared:
            raise ValueError(f"combined suites share objective(s) {', '.join(sorted(shared))}")
        seen |= set(part.runs["objective"].unique()) if len(part.runs) else set()
    manifest = dict(parts[0].manifest)
    manifest["signatures"] = {
        name: entry for part in parts for name, entry in part.manifest.get("signatures", {}).items()
    }
    return Stored(
        runs=pd.concat([part.runs for part in parts], ignore_index=True),
        optima={name: value for part in parts for name, value in part.optima.items()},
        manifest=manifest,
        errored=tuple(key for part in parts for key in part.errored),
        left_out=tuple(item for part in parts for item in part.left_out),
        missing=tuple(key for part in parts for key in part.missing),
        designs={k: v for part in parts for k, v in part.designs.items()},
        startup={k: v for part in parts for k, v in part.startup.items()},
        cost_mismatch={k: v for part in parts for k, v in part.cost_mismatch.items()},
    )


def load(root: str | Path) -> Stored:
    """The stored runs of a suite folder that the current code and the suite's
    current definition would produce, each objective's optimum and the manifest.

    A run is kept only if its file is intact (checksum), it did not error, and
    its spec hash is one the suite's definition (as the manifest records it,
    with every strategy stored in the folder, raced plugins included) plans
    with today's code, library versions and objective signatures: so the same
    budget, timeout, space, seeds among the suite's, and unchanged code. Every
    other file is in ``left_out`` with the reason.
    """
    store = Store(root)
    manifest = manifest_file.read(root) or {}
    kept: list[pa.Table] = []
    left_out: list[LeftOut] = []
    intact: list[tuple[Path, pa.Table, dict[str, Any]]] = []
    for path in store.files():
        try:
            table, meta = read_run(path)
        except CorruptRun as exc:
            left_out.append(LeftOut(_key_of(path, store.runs), f"damaged: {exc.reason}", str(path)))
            continue
        misplaced = _misplaced(store, path, meta)
        if misplaced:
            left_out.append(LeftOut(_key(meta["spec"]), misplaced, str(path)))
            continue
        intact.append((path, table, meta))
    current = current_plan(manifest, [meta["spec"] for _, _, meta in intact])
    errored, used = [], set()
    designs: dict[tuple[str, str, int], int] = {}
    startup: dict[tuple[str, str, int], float] = {}
    cost_mismatch: dict[str, str] = {}
    stale: list[tuple[int, tuple[str, str, int]]] = []
    for path, table, meta in intact:
        reason = current.judge(meta)
        key = _key(meta["spec"])
        run_key = _run_key(meta["spec"])
        if reason is None and table.num_rows == 0:
            reason = "no trials: the strategy proposed nothing that fit the budget"
        if reason is None:
            kept.append(table)
            used.add(run_key)
            if meta.get("initial_design") is not None:
                designs[run_key] = int(meta["initial_design"])
            if meta.get("t_init") is not None:
                startup[run_key] = float(meta["t_init"])
            if meta.get("cost_mismatch"):
                cost_mismatch.setdefault(run_key[0], f"{run_key[1]}: {meta['cost_mismatch']}")
            continue
        if reason.startswith("stale:"):
            stale.append((len(left_out), run_key))
        left_out.append(LeftOut(key, reason, str(path)))
        if reason.startswith("errored"):
            errored.append(key)
    runs = _labelled(runs_frame(kept, store.runs)) if kept else _empty()
    for index, run_key in stale:
        if run_key in used:
            left_out[index] = _superseded(left_out[index])
    missing = tuple(current.missing(used))
    return Stored(
        runs,
        current.optima,
        manifest,
        errored=tuple(errored),
        left_out=tuple(left_out),
        missing=missing,
        designs=designs,
        startup=startup,
        cost_mismatch=cost_mismatch,
    )


@dataclass
class Plan:
    """The specs the suite's current definition plans with today's code, by hash
    and by (objective, strategy, seed); ``problems`` says why a strategy or
    objective could not be planned; ``optima`` each planned objective's optimum."""

    definition: Suite | None
    by_hash: dict[str, RunSpec] = field(default_factory=dict)
    by_key: dict[tuple[str, str, int], RunSpec] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    optima: dict[str, float | None] = field(default_factory=dict)

    def judge(self, meta: dict[str, Any]) -> str | None:
        """None if the run with metadata ``meta`` belongs to the plan, else why not."""
        spec = meta["spec"]
        if meta.get("error"):
            return f"errored: {_last_line(meta['error'])}"
        if self.definition is None:
            return "unverified: " + self.problems.get("", "no suite definition")
        if meta.get("spec_hash") in self.by_hash:
            return None
        objective, strategy, seed = _run_key(spec)
        if objective not in self.definition.objectives:
            return f"outside the suite: objective {objective!r} is not one of its objectives"
        if seed not in self.definition.seeds:
            return f"outside the suite: seed {seed} is not one of its seeds"
        if spec.get("budget") != self.definition.budget:
            return (
                f"narrowed: budget {spec.get('budget'):g} is not the suite's "
                f"{self.definition.budget:g} (a run of a narrowed command)"
            )
        if spec.get("timeout") != self.definition.timeout:
            return (
                f"narrowed: timeout {spec.get('timeout')} is not the suite's "
                f"{self.definition.timeout}"
            )
        if spec.get("workers", 1) not in self.definition.workers:
            return (
                f"outside the suite: {spec.get('workers')} workers is not one of its worker counts"
            )
        if spec["strategy"] in self.problems:
            return "unverified: " + self.problems[spec["strategy"]]
        planned = self.by_key.get((objective, strategy, seed))
        if planned is None:
            return "outside the suite: not part of its plan"
        changes = spec_changes(spec, planned)
        if planned.signature is None:
            changes = [c for c in changes if "signature" not in c]
            if not changes:
                return "unverified: " + self.problems.get(objective, "no signature recorded")
        return "stale: " + ("; ".join(changes) if changes else "spec differs")

    def missing(self, kept: set[tuple[str, str, int]]) -> list[str]:
        """Keys of planned runs (every planned strategy) not among ``kept``."""
        return [f"{o} / {s} / seed={k}" for (o, s, k) in self.by_key if (o, s, k) not in kept]


def current_plan(manifest: dict[str, Any], stored_specs: list[dict[str, Any]]) -> Plan:
    """The plan of the manifest's suite definition, with every stored strategy."""
    if not manifest.get("suite_toml"):
        return Plan(None, problems={"": "no manifest.json with the suite's definition"})
    try:
        definition = parse_suite(
            manifest["suite_toml"], manifest.get("suite_file", "?"), manifest["suite"]
        )
    except (SuiteError, KeyError) as exc:
        return Plan(None, problems={"": f"the manifest's suite definition is unusable: {exc}"})
    result = Plan(definition)
    try:
        registry = default_registry(manifest_file.plugins_of(manifest))
    except RegistryError as exc:
        return Plan(None, problems={"": f"the folder's plugins cannot be loaded together: {exc}"})
    names = list(dict.fromkeys([*definition.strategies, *(s["strategy"] for s in stored_specs)]))
    for specs, objectives in _plans(definition, names, registry, result.problems):
        signatures = _signatures(manifest, objectives, result.problems)
        for spec in specs:
            if spec.objective in signatures:
                spec = spec.with_signature(signatures[spec.objective])
                result.by_hash[spec.hash] = spec
            result.by_key[_run_key(spec.to_json())] = spec
        result.optima.update({label: obj.optimum for label, obj in objectives.items()})
    _hint_moved_plugins(manifest, result.problems)
    return result


def _superseded(left: LeftOut) -> LeftOut:
    """A stale ``left`` that a kept run of the same objective, strategy and seed replaces."""
    reason = (
        "superseded: a run of today's code replaces it ("
        + left.reason.removeprefix("stale: ")
        + ")"
    )
    return LeftOut(left.key, reason, left.path)


def _hint_moved_plugins(manifest: dict[str, Any], problems: dict[str, str]) -> None:
    """Add to each unknown strategy's problem the plugin files the manifest
    records that are gone, and the command that records a moved file's new path."""
    gone = [p for p in manifest_file.plugins_of(manifest) if not Path(p).is_file()]
    if not gone:
        return
    suite_file = Path(manifest.get("suite_file", ""))
    built_in = suite_file.parent == Path(__file__).parents[1] / "suites"
    suite = manifest["suite"] if built_in else str(suite_file)
    for name in [n for n in problems if n and "unknown strategy" in problems[n]]:
        problems[name] += (
            f"; the folder's plugin file{'s' if len(gone) > 1 else ''} {', '.join(gone)} "
            f"{'are' if len(gone) > 1 else 'is'} gone (moved or renamed?): "
            f"`python -m bench run {suite} --plugin NEW/PATH.py --strategies {name}` records "
            "its new path and reuses the stored runs"
        )


def _plans(
    definition: Suite, names: list[str], registry: Any, problems: dict[str, str]
) -> list[tuple[list[RunSpec], dict[str, Any]]]:
    """The plan of ``definition`` with the strategies ``names``: one plan for all,
    or, if one of them cannot be planned, one per strategy, the others' problems
    recorded in ``problems``."""
    try:
        return [plan(definition.narrow(strategies=names), registry)]
    except SuiteError:
        pass
    plans = []
    for name in names:
        try:
            plans.append(plan(definition.narrow(strategies=[name]), registry))
        except SuiteError as exc:
            problems[name] = f"cannot be planned with today's code: {_last_line(str(exc))}"
    return plans


def _signatures(
    manifest: dict[str, Any], objectives: dict[str, Any], problems: dict[str, str]
) -> dict[str, list[float]]:
    found = {}
    for label, objective in objectives.items():
        values = manifest_file.cached_signature(manifest, label, objective_code(objective))
        if values is None:
            problems[label] = (
                f"objective {label!r} changed since its signature was recorded; run "
                f"`python -m bench run` to check its values and recompute its runs"
            )
        else:
            found[label] = values
    return found


def _misplaced(store: Store, path: Path, meta: dict[str, Any]) -> str | None:
    """Why an intact file cannot be the run its metadata describes: a spec of
    another tunebench version, a stated hash that is not its spec's, or a file
    that is not where that spec is stored (a copy, a moved file)."""
    try:
        spec = RunSpec.from_json(meta["spec"])
    except (SpecError, TypeError, ValueError, KeyError) as exc:
        return f"unverified: {exc}"
    if spec.hash != meta.get("spec_hash"):
        return "damaged: its stated spec hash is not its spec's"
    expected = store.path(spec)
    if path != expected:
        return f"misplaced: its spec belongs in {expected.relative_to(store.runs)}"
    return None


def _key(spec: dict[str, Any]) -> str:
    label = run_label(str(spec.get("strategy")), spec.get("workers", 1))
    return f"{spec.get('objective')} / {label} / seed={spec.get('seed')}"


def _run_key(spec: dict[str, Any]) -> tuple[str, str, int]:
    """(objective, strategy as the report names it, seed) of a spec's JSON form."""
    return spec["objective"], run_label(spec["strategy"], spec.get("workers", 1)), spec["seed"]


def _labelled(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows with a run of several workers named as ``run_label`` names it,
    so every table and figure tells "tpe ×4" from "tpe"."""
    if "workers" not in runs or (runs["workers"] == 1).all():
        return runs
    many = runs["workers"] != 1
    runs = runs.copy()
    runs.loc[many, "strategy"] = [
        run_label(s, int(w)) for s, w in zip(runs.loc[many, "strategy"], runs.loc[many, "workers"])
    ]
    return runs


def _key_of(path: Path, runs: Path) -> str:
    parts = path.relative_to(runs).parts
    return " / ".join(unquote(p) for p in parts[:-1]) + f" / {path.name.split('-')[0]}"


def _last_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _empty() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in (*LEADING, *TRAILING)})
