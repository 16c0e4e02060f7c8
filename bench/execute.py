"""Mapping runs onto an executor: in-process (jobs=1) or a local process pool.

Workers write each finished run to the results folder themselves (atomic
rename), so whatever finished before a crash or Ctrl-C is kept.
"""

from __future__ import annotations

import math
import multiprocessing
import traceback
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from bench.loop import run
from bench.progress import Progress
from bench.registry import default_registry
from bench.space import space_from_description
from bench.spec import RunSpec
from bench.store import Store


@dataclass(frozen=True)
class Outcome:
    """What became of one run: its trial counts, or the traceback that ended it."""

    spec: RunSpec
    trials: int = 0
    failed: int = 0
    best: float = math.nan
    seconds: float = 0.0
    error: str | None = None


def perform(spec: RunSpec, root: str, plugins: tuple[str, ...] = ()) -> Outcome:
    """Run ``spec`` and store it under ``root``; never raises for a run's own failure."""
    try:
        registry = default_registry(plugins)
        _, objective = registry.objective(spec.objective)
        if objective.space.describe() != spec.space:
            objective = objective.restricted(space_from_description(spec.space))
        trace = run(
            spec.strategy, objective, spec.seed, spec.budget, suite=spec.suite, registry=registry
        )
        Store(root).write(trace, spec)
    except Exception:
        return Outcome(spec, error=traceback.format_exc())
    failed = sum(status != "ok" for status in trace.status)
    return Outcome(spec, len(trace), failed, trace.final_best, trace.meta["wall"])


def _init_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def execute(
    specs: Sequence[RunSpec],
    root: str | Path,
    *,
    jobs: int = 1,
    plugins: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> list[Outcome]:
    """Perform every run, ``jobs`` at a time; returns outcomes in completion order.

    Ctrl-C cancels what has not started and re-raises after the pool is shut
    down; completed runs are already stored.
    """
    progress = progress or Progress(len(specs), interactive=False)
    outcomes: list[Outcome] = []
    root = str(root)
    try:
        if jobs <= 1 or len(specs) <= 1:
            for spec in specs:
                outcome = perform(spec, root, plugins)
                outcomes.append(outcome)
                progress.update(outcome.failed, outcome.error is not None)
            return outcomes
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_init_worker
        ) as pool:
            pending = {pool.submit(perform, spec, root, plugins) for spec in specs}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        outcome = future.result()
                        outcomes.append(outcome)
                        progress.update(outcome.failed, outcome.error is not None)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
        return outcomes
    finally:
        progress.close()
