"""Running a suite: plan it, check what is stored, compute what is not, and
record it all in the manifest. ``run_suite`` is the Python entry point (a
notebook calls it as the command line does).

A planned run is reused only if a file with its exact spec hash is stored and
intact. Every other stored run of the same objective, strategy and seed is
kept beside it, never overwritten, and the reason it cannot be reused is
said ("budget 10 -> 50", "module bench.space changed", "checksum mismatch").
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import manifest as manifest_file
from bench.environment import environment
from bench.execute import ExecutorName, Interrupted, Outcome, check_address, execute, run_kind
from bench.fingerprint import edited_since_import, objective_code
from bench.objective import Objective
from bench.progress import Progress
from bench.registry import Registry, default_registry
from bench.signatures import objective_signatures
from bench.spec import RunSpec, spec_changes
from bench.store import CorruptRun, Store, read_run
from bench.suite import Suite, SuiteError, load_suite, plan, suite_identity

log = logging.getLogger("bench")

#: Seconds an objective may take to compute its five signature values.
SIGNATURE_TIMEOUT = 300.0


class ResultsError(SuiteError):
    """A results root that cannot hold a suite's results."""


@dataclass
class SuiteRun:
    """What ``run_suite`` did: the folder, the plan, and each run's outcome."""

    suite: str
    folder: Path
    planned: int
    stored: int
    status: str = "complete"
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ran(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.skipped is None]

    @property
    def errored(self) -> list[Outcome]:
        return [o for o in self.ran if o.error is not None]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.skipped is not None]


def results_folder(results: str | Path, suite: Suite) -> Path:
    """``results/<suite>``, checked: inside ``results``, a writable folder."""
    root = Path(results)
    if root.exists() and not root.is_dir():
        raise ResultsError(f"--results {root}: is a file, expected a folder for results")
    folder = root / suite.name
    if folder.resolve().parent != root.resolve():
        raise ResultsError(f"suite name {suite.name!r} would write outside {root}")
    if folder.exists() and not folder.is_dir():
        raise ResultsError(f"{folder}: is a file, expected the suite's results folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ResultsError(
            f"cannot write results to {folder} ({exc.strerror or exc}); give a writable "
            f"folder with --results"
        ) from None
    return folder


def signatures_of(
    objectives: Mapping[str, Objective], plugins: tuple[str, ...]
) -> dict[str, list[float]]:
    """Each objective's signature, computed afresh in a separate process (an
    objective that exits or hangs is named, never takes the driver down)."""
    return objective_signatures(
        {label: (label, obj.space.describe()) for label, obj in objectives.items()},
        plugins,
        SIGNATURE_TIMEOUT,
    )


def run_suite(
    suite: Suite | str | Path,
    results: str | Path = "results",
    *,
    strategies: Sequence[str] | None = None,
    objectives: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    budget: float | None = None,
    timeout: float | None = None,
    workers: Sequence[int] | None = None,
    jobs: int = 1,
    executor: ExecutorName = "local",
    address: str | None = None,
    plugins: Sequence[str | Path] = (),
    in_process: bool = False,
    command: str = "",
    progress: bool | None = None,
) -> SuiteRun:
    """Run every planned run of ``suite`` (narrowed by the keyword lists) not
    stored yet under ``results/<suite>``; return what happened. Refuses with
    ``SuiteError`` (or a subclass) before anything runs if the suite, the
    results folder, the manifest or an objective's signature is unusable.
    ``Interrupted`` never escapes: an interrupted suite has status "interrupted".
    ``command`` is recorded as the run's command line (the report's "last run"
    line); called from Python without one, the record says so."""
    if executor == "dask":
        check_address(address)
    base = suite if isinstance(suite, Suite) else load_suite(suite)
    narrowed = base.narrow(
        strategies=strategies,
        objectives=objectives,
        seeds=seeds,
        budget=budget,
        timeout=timeout,
        workers=workers,
    )
    for warning in narrowing_warnings(base, narrowed):
        log.warning("%s", warning)
    plugin_paths = tuple(dict.fromkeys(str(Path(p).resolve()) for p in plugins))
    registry = default_registry(plugin_paths)
    registry.check_plugins()
    specs, planned_objectives = plan(narrowed, registry)
    check_not_edited(specs)
    folder = results_folder(results, narrowed)
    recorded = manifest_file.read(folder) or {}
    check_identity(recorded, base, folder)
    check_plugin_names(recorded, plugin_paths)
    signatures = signatures_of(planned_objectives, plugin_paths)
    specs = [spec.with_signature(signatures[spec.objective]) for spec in specs]
    store = Store(folder)
    pending = in_rounds(_pending(store, specs, narrowed))
    run_id = manifest_file.begin(
        folder,
        definition=definition_of(base),
        plan=_plan_entry(narrowed, specs),
        signatures=_signature_entries(planned_objectives, signatures),
        environment=environment(),
        command=command or f"bench.run_suite({narrowed.name!r}) from Python",
        plugins=plugin_paths,
        check=lambda manifest: check_identity(manifest, base, folder),
    )
    outcome = SuiteRun(narrowed.name, folder, len(specs), len(specs) - len(pending))
    try:
        _execute(outcome, pending, registry, jobs, executor, address, in_process, progress)
    except BaseException as exc:
        manifest_file.finish(folder, run_id, status=f"failed: {type(exc).__name__}: {exc}")
        raise
    manifest_file.finish(folder, run_id, **_finish_fields(outcome))
    return outcome


def check_not_edited(specs: Sequence[RunSpec]) -> None:
    """Refuse a plan whose modules were edited since this process imported them
    (a notebook that runs a suite again after an edit): the process would run
    their old code."""
    edited = edited_since_import({name for spec in specs for name in spec.code["modules"]})
    if edited:
        raise SuiteError(
            f"{', '.join(edited)} changed on disk after this Python process imported "
            f"{'it' if len(edited) == 1 else 'them'}: it would run the old code. Restart "
            f"Python (in a notebook, restart the kernel) and run the suite again"
        )


def narrowing_warnings(base: Suite, narrowed: Suite) -> list[str]:
    """What a command-line budget or timeout other than the suite's means for its
    report: the runs are stored, and the suite's report leaves them out."""
    warnings = []
    for key, unit in (("budget", ""), ("timeout", " s")):
        mine, theirs = getattr(narrowed, key), getattr(base, key)
        if mine != theirs:
            warnings.append(
                f"--{key} {mine:g}{unit} is not suite {base.name}'s {key} "
                f"({'none' if theirs is None else f'{theirs:g}{unit}'}): these runs are stored, "
                f"but `python -m bench report` on the suite leaves them out as narrowed; to "
                f"report them, race in a suite file of your own with {key} = {mine:g}"
            )
    return warnings


def check_plugin_names(manifest: Mapping[str, Any], plugins: tuple[str, ...]) -> None:
    """Refuse plugins whose names collide with those of a plugin file another
    command recorded in this results folder (the report could not tell them apart)."""
    recorded = tuple(p for p in manifest_file.plugins_of(manifest) if Path(p).is_file())
    if recorded and plugins:
        default_registry(tuple(dict.fromkeys([*recorded, *plugins])))


def _execute(
    outcome: SuiteRun,
    pending: list[RunSpec],
    registry: Registry,
    jobs: int,
    executor: ExecutorName,
    address: str | None,
    in_process: bool,
    interactive: bool | None,
) -> None:
    t0 = time.monotonic()
    try:
        outcome.outcomes = execute(
            pending,
            outcome.folder,
            jobs=jobs,
            executor=executor,
            address=address,
            plugins=registry.plugins,
            progress=Progress(
                len(pending),
                interactive=interactive,
                kinds=[run_kind(spec) for spec in pending],
                parallel=1 if in_process else jobs,
            ),
            in_process=in_process,
        )
    except Interrupted as interrupt:
        outcome.status = "interrupted"
        outcome.outcomes = interrupt.outcomes
    outcome.seconds = time.monotonic() - t0
    if outcome.errored and outcome.status == "complete":
        outcome.status = "errored"


def in_rounds(specs: list[RunSpec]) -> list[RunSpec]:
    """``specs`` reordered in rounds: the first run of every kind (``run_kind``:
    strategy, objective, budget, workers), then the second of each, and so on,
    each round in plan order. Runs are independent, so the order changes no
    value; it lets the ETA time every kind early instead of near the end."""
    seen: Counter[tuple] = Counter()
    rounds = []
    for spec in specs:
        kind = run_kind(spec)
        rounds.append(seen[kind])
        seen[kind] += 1
    order = sorted(range(len(specs)), key=lambda i: (rounds[i], i))
    return [specs[i] for i in order]


def _pending(store: Store, specs: list[RunSpec], suite: Suite) -> list[RunSpec]:
    """The specs to compute, with a log line saying how many and why."""
    states: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    pending = []
    for spec in specs:
        state, damage = store.inspect(spec)
        if state == "missing":
            why = _why_missing(store, spec)
            state = "stale" if why else "new"
            reasons.update(why)
        elif state == "corrupt":
            log.warning("recomputing %s: %s", spec.key, damage)
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
        _breakdown(states),
    )
    for reason, count in reasons.most_common():
        log.info("  %d stored runs of another spec kept beside, not reused: %s", count, reason)
    return pending


def _why_missing(store: Store, spec: RunSpec) -> list[str]:
    """Why the latest stored run of the same objective, strategy and seed (if
    any) does not serve; [] if there is none."""
    others = store.others(spec)
    if not others:
        return []
    latest = max(others, key=lambda path: path.stat().st_mtime_ns)
    try:
        _, meta = read_run(latest)
        return spec_changes(meta["spec"], spec) or ["another spec"]
    except (CorruptRun, KeyError, TypeError) as exc:
        return [f"unusable file ({getattr(exc, 'reason', exc)})"]


def _breakdown(states: Counter[str]) -> str:
    parts = [
        f"{states[name]} {label}"
        for name, label in (
            ("new", "new"),
            ("stale", "stale: code or spec changed"),
            ("errored", "errored before, retried"),
            ("corrupt", "damaged files, recomputed"),
        )
        if states[name]
    ]
    return f" ({', '.join(parts)})" if parts else ""


def check_identity(manifest: Mapping[str, Any], suite: Suite, folder: Path) -> None:
    """Refuse a suite whose results folder holds another suite of the same name
    (a suite file of the same base name elsewhere, with other content)."""
    recorded = manifest.get("identity")
    if recorded is None and manifest.get("suite_file"):
        recorded = suite_identity(manifest["suite_file"])
    identity = suite_identity(suite.source)
    if recorded is None or recorded == identity or manifest.get("suite_toml") == suite.text:
        return
    raise SuiteError(
        f"{folder} holds the results of {recorded}; {identity} is another suite with the same "
        f"name. Rename one of the two files, or give this one its own --results folder"
    )


def definition_of(suite: Suite) -> dict[str, Any]:
    """The suite as its file defines it (before any narrowing), for the manifest."""
    return {
        "suite": suite.name,
        "identity": suite_identity(suite.source),
        "suite_file": suite.source,
        "suite_toml": suite.text,
        "description": suite.description,
        "strategies": list(suite.strategies),
        "objectives": list(suite.objectives),
        "seeds": list(suite.seeds),
        "budget": suite.budget,
        "timeout": suite.timeout,
        "workers": list(suite.workers),
        "overhead": suite.overhead,
    }


def _plan_entry(narrowed: Suite, specs: list[RunSpec]) -> dict[str, Any]:
    return {
        "narrowed": {
            k: list(v) if isinstance(v, tuple) else v for k, v in narrowed.narrowed.items()
        },
        "planned": len(specs),
        "spec_hashes": [spec.hash for spec in specs],
    }


def _signature_entries(
    objectives: Mapping[str, Objective], signatures: Mapping[str, list[float]]
) -> dict[str, dict[str, Any]]:
    return {
        label: manifest_file.signature_entry(
            signatures[label],
            code=objective_code(objective),
            optimum=objective.optimum,
            fidelity=None if objective.fidelity is None else vars(objective.fidelity),
            space=objective.space.describe(),
        )
        for label, objective in objectives.items()
    }


def _finish_fields(outcome: SuiteRun) -> dict[str, Any]:
    return {
        "seconds": round(outcome.seconds, 3),
        "ran": len(outcome.ran),
        "errored": [o.spec.key for o in outcome.errored],
        "skipped": len(outcome.skipped),
        "status": outcome.status,
    }
