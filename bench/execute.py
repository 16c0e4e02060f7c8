"""Mapping runs onto an executor: in-process, a local process pool, or a Dask cluster.

Runs are independent tasks. A task computes a run and returns its trace; this
process (the driver) writes it to the results folder, so the folder need not
be shared with the workers (a Dask cluster on other machines writes nothing).
The driver claims each run before submitting it (``Store.claim``) and keeps at
most two runs per worker in flight, so two drivers on one results folder never
compute a run twice, and a driver killed at any moment loses only the runs in
flight: every stored run was written atomically and is skipped on rerun.
"""

from __future__ import annotations

import math
import multiprocessing
import signal
import sys
import traceback
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from threadpoolctl import threadpool_limits

from bench.loop import run
from bench.progress import Progress
from bench.registry import default_registry
from bench.space import space_from_description
from bench.spec import RunSpec
from bench.store import Claim, Store
from bench.trace import Trace

ExecutorName = Literal["local", "dask"]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``execute``; ``outcomes`` holds the runs finished before it."""

    def __init__(self, outcomes: list[Outcome]):
        super().__init__()
        self.outcomes = outcomes


@dataclass(frozen=True)
class Outcome:
    """What became of one run: its trial counts, the traceback that ended it,
    or why this driver left it alone (``skipped``)."""

    spec: RunSpec
    trials: int = 0
    failed: int = 0
    timeouts: int = 0
    best: float = math.nan
    seconds: float = 0.0
    error: str | None = None
    skipped: str | None = None

    @classmethod
    def of(cls, spec: RunSpec, trace: Trace) -> Outcome:
        return cls(
            spec,
            trials=len(trace),
            failed=sum(status == "failed" for status in trace.status),
            timeouts=sum(status == "timeout" for status in trace.status),
            best=trace.final_best,
            seconds=trace.meta["wall"],
            error=trace.error,
        )


def compute(spec: RunSpec, plugins: tuple[str, ...] = ()) -> Trace:
    """Run ``spec`` with one BLAS thread and return its trace. A strategy that
    raises gives a trace with ``error`` set; this raises only if the run cannot
    be set up at all (an unknown name: the suite was validated, so a worker
    whose environment differs from the driver's)."""
    registry = default_registry(plugins)
    _, objective = registry.objective(spec.objective)
    if objective.space.describe() != spec.space:
        objective = objective.restricted(space_from_description(spec.space))
    with threadpool_limits(1):
        return run(
            spec.strategy,
            objective,
            spec.seed,
            spec.budget,
            suite=spec.suite,
            registry=registry,
            timeout=spec.timeout,
            on_error="record",
        )


class Backend(Protocol):
    """Where ``compute`` runs: a future per submitted spec."""

    workers: int

    def submit(self, spec: RunSpec, plugins: tuple[str, ...]) -> Any: ...
    def wait(self, futures: Sequence[Any]) -> set[Any]: ...
    def abort(self, futures: Sequence[Any]) -> None: ...
    def close(self) -> None: ...


class InProcess:
    """Runs each spec when it is submitted, in this process (``--jobs 1``)."""

    workers = 1

    def submit(self, spec: RunSpec, plugins: tuple[str, ...]) -> Future:
        future: Future = Future()
        try:
            future.set_result(compute(spec, plugins))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def wait(self, futures: Sequence[Future]) -> set[Future]:
        return set(futures)

    def abort(self, futures: Sequence[Future]) -> None:
        pass

    def close(self) -> None:
        pass


def _preload() -> list[str]:
    """Modules the fork server imports once, so that each worker starts with the
    harness and every strategy and objective module the driver loaded."""
    loaded = [
        name
        for name in list(sys.modules)
        if name.split(".")[0] in ("strategies", "objectives") and "." in name
    ]
    return ["bench.execute", *sorted(loaded)]


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(1)


class LocalPool:
    """A pool of ``jobs`` worker processes (forkserver), one BLAS thread each.
    Workers ignore Ctrl-C: the driver stops them. When a worker dies (killed,
    out of memory) the pool fails every run in flight; ``execute`` restarts the
    pool and retries each of those runs once."""

    def __init__(self, jobs: int):
        self.workers = jobs
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_preload())
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_init_worker
        )

    def submit(self, spec: RunSpec, plugins: tuple[str, ...]) -> Future:
        try:
            return self._pool.submit(compute, spec, plugins)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            return self._pool.submit(compute, spec, plugins)

    def wait(self, futures: Sequence[Future]) -> set[Future]:
        return wait(futures, return_when=FIRST_COMPLETED).done

    def abort(self, futures: Sequence[Future]) -> None:
        for future in futures:
            future.cancel()
        # ProcessPoolExecutor has no public way to stop running tasks before 3.14
        # (terminate_workers); without this, exit waits for every running run.
        for process in list(getattr(self._pool, "_processes", {}).values()):
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class DaskCluster:
    """Runs as tasks on an existing Dask distributed cluster. Traces come back to
    this process, which writes them: the workers need tunebench installed (and
    any ``--plugin`` file at the same path), not the results folder."""

    def __init__(self, address: str):
        from distributed import Client, as_completed

        self._client = Client(address, set_as_default=False)
        self._completed = as_completed(loop=self._client.loop)
        self.workers = max(1, sum(self._client.nthreads().values()))

    def submit(self, spec: RunSpec, plugins: tuple[str, ...]) -> Any:
        future = self._client.submit(compute, spec, plugins, pure=False)
        self._completed.add(future)
        return future

    def wait(self, futures: Sequence[Any]) -> set[Any]:
        first = next(self._completed)
        return {first, *self._completed.next_batch(block=False)}

    def abort(self, futures: Sequence[Any]) -> None:
        self._completed.clear()
        self._client.cancel(list(futures))
        self._client.close()

    def close(self) -> None:
        self._client.close()


def backend_for(executor: ExecutorName, jobs: int, address: str | None) -> Backend:
    """The backend of ``--executor`` / ``--jobs`` / ``--address``."""
    if executor == "dask":
        if not address:
            raise ValueError("--executor dask needs --address tcp://HOST:PORT of a Dask scheduler")
        return DaskCluster(address)
    return InProcess() if jobs <= 1 else LocalPool(jobs)


def execute(
    specs: Sequence[RunSpec],
    root: str | Path,
    *,
    jobs: int = 1,
    executor: ExecutorName = "local",
    address: str | None = None,
    plugins: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> list[Outcome]:
    """Perform every run of ``specs`` not stored yet and store it under ``root``;
    return the outcomes in completion order.

    Ctrl-C (or any exception) stops the workers and drops the runs in flight;
    every run completed before is already stored. Ctrl-C raises ``Interrupted``
    with the outcomes so far.
    """
    progress = progress or Progress(len(specs), interactive=False)
    store = Store(root)
    backend = backend_for(executor, jobs if len(specs) > 1 else 1, address)
    queue = deque(specs)
    in_flight: dict[Any, tuple[RunSpec, Claim]] = {}
    outcomes: list[Outcome] = []
    retried: set[str] = set()

    def finish(outcome: Outcome) -> None:
        outcomes.append(outcome)
        progress.update(outcome.failed + outcome.timeouts, outcome.error is not None)

    window = 1 if isinstance(backend, InProcess) else 2 * backend.workers

    def fill() -> None:
        while queue and len(in_flight) < window:
            spec = queue.popleft()
            claim = store.claim(spec)
            if claim is None:
                finish(Outcome(spec, skipped="claimed by another process"))
            elif store.state(spec) == "stored":
                claim.release()
                finish(Outcome(spec, skipped="stored meanwhile by another process"))
            else:
                try:
                    in_flight[backend.submit(spec, plugins)] = (spec, claim)
                except BaseException:
                    claim.release()
                    raise

    try:
        fill()
        while in_flight:
            for future in backend.wait(list(in_flight)):
                spec, claim = in_flight.pop(future)
                with claim:
                    try:
                        trace = future.result()
                    except BrokenProcessPool:
                        if spec.hash not in retried:
                            retried.add(spec.hash)
                            queue.appendleft(spec)
                            continue
                        finish(Outcome(spec, error=traceback.format_exc()))
                        continue
                    except Exception:
                        finish(Outcome(spec, error=traceback.format_exc()))
                        continue
                    store.write(trace, spec)
                finish(Outcome.of(spec, trace))
            fill()
    except BaseException as exc:
        for future, (spec, _) in list(in_flight.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                trace = future.result()
                store.write(trace, spec)
                outcomes.append(Outcome.of(spec, trace))
        backend.abort(list(in_flight))
        for _, claim in in_flight.values():
            claim.release()
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(outcomes) from None
        raise
    finally:
        progress.close()
    backend.close()
    return outcomes
