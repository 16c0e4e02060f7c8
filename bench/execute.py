"""Mapping runs onto an executor: a local pool of worker processes, a Dask
cluster, or this process (``in_process``, for debuggers).

Runs are independent tasks. A task computes a run and returns its trace; this
process (the driver) writes it to the results folder, so the folder need not
be shared with the workers (a Dask cluster on other machines writes nothing).
The driver claims each run before submitting it (``Store.claim``) and keeps at
most two runs per worker in flight, so two drivers on one results folder never
compute a run twice, and a driver killed at any moment loses only the runs in
flight: every stored run was written atomically and is skipped on rerun.

Faults: a run whose strategy raises is stored with its traceback (the loop
records it). A worker process that dies (killed, out of memory, an objective
calling ``os._exit``) fails only the run it held: the run is retried once, and
errored if its worker dies again. A run whose trace cannot be stored is
errored. Neither stops the other runs.
"""

from __future__ import annotations

import logging
import math
import re
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from multiprocessing import connection
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal, Protocol

from threadpoolctl import threadpool_limits

from bench.fingerprint import differences, fingerprint
from bench.loop import run
from bench.objective import Objective
from bench.progress import Progress
from bench.registry import default_registry
from bench.space import space_from_description
from bench.spec import RunSpec
from bench.store import Claim, Store
from bench.trace import Trace
from bench.worker import driver_link, exit_status, follow_driver, worker_context

ExecutorName = Literal["local", "dask"]

#: Seconds to wait for a Dask scheduler to answer.
DASK_CONNECT_TIMEOUT = 5.0

log = logging.getLogger(__name__)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``execute``; ``outcomes`` holds the runs finished before it."""

    def __init__(self, outcomes: list[Outcome]):
        super().__init__()
        self.outcomes = outcomes


class ExecutorUnavailable(RuntimeError):
    """The executor asked for cannot be used (a Dask scheduler out of reach)."""


class WorkerDied(RuntimeError):
    """The worker process computing the task ``label`` ended before returning."""

    def __init__(self, label: str, pid: int | None, exitcode: int | None):
        super().__init__(
            f"the worker process (pid {pid}) running {label} died ({exit_status(exitcode)})"
        )
        self.label = label
        self.pid = pid
        self.exitcode = exitcode


class RunRaised(RuntimeError):
    """``compute`` raised in a worker process; the message is its traceback."""


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
    #: A stated cost at odds with the objective's cost model (``trace.meta``).
    cost_mismatch: str | None = None

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
            cost_mismatch=trace.meta.get("cost_mismatch"),
        )


def run_kind(spec: RunSpec) -> tuple[str, str, float, int]:
    """What a run's duration depends on, for the ETA: its strategy, objective,
    budget and workers (seeds differ little)."""
    return (spec.strategy, spec.objective, spec.budget, spec.workers)


def objective_for(name: str, space: dict[str, Any], plugins: tuple[str, ...] = ()) -> Objective:
    """The objective registered as ``name`` (a variant), searched over the space
    ``space`` describes (``Space.describe()``)."""
    _, objective = default_registry(plugins).objective(name)
    if objective.space.describe() != space:
        objective = objective.restricted(space_from_description(space))
    return objective


def compute(spec: RunSpec, plugins: tuple[str, ...] = ()) -> Trace:
    """Run ``spec`` with one BLAS thread and return its trace. A strategy that
    raises gives a trace with ``error`` set; this raises only if the run cannot
    be set up at all (an unknown name: the suite was validated, so a worker
    whose environment differs from the driver's)."""
    registry = default_registry(plugins)
    objective = objective_for(spec.objective, spec.space, plugins)
    check_code(spec, registry.strategy(spec.strategy)[1], objective)
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
            workers=spec.workers,
            overhead=spec.overhead,  # type: ignore[arg-type]
        )


class CodeMismatch(RuntimeError):
    """The process computing a run has other code than the driver planned it with."""


def check_code(spec: RunSpec, strategy: type, objective: Objective) -> None:
    """Refuse to compute ``spec`` with code other than the code its hash covers
    (a Dask worker with another checkout, a module edited since the plan)."""
    here = fingerprint(strategy, type(objective)).to_json()
    if here != spec.code:
        changes = "; ".join(differences(spec.code, here)) or "code differs"
        raise CodeMismatch(
            f"{spec.key}: this worker's code is not the code the run was planned with ({changes}); "
            f"install the same code and versions on every worker"
        )


class Backend(Protocol):
    """Where tasks run: a future per ``submit(task, args, label)``, whose result is
    ``task(*args)``. ``task`` is a module-level function (pickled by reference);
    ``label`` names the task in errors."""

    workers: int

    def submit(self, task: Callable[..., Any], args: tuple, label: str) -> Any: ...
    def wait(self, futures: Sequence[Any]) -> set[Any]: ...
    def abort(self, futures: Sequence[Any]) -> None: ...
    def close(self) -> None: ...


class InProcess:
    """Runs each spec when it is submitted, in this process (``in_process``: a
    debugger sees the run; an objective that ends its process ends the driver)."""

    workers = 1

    def submit(self, task: Callable[..., Any], args: tuple, label: str) -> Future:
        future: Future = Future()
        try:
            future.set_result(task(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def wait(self, futures: Sequence[Future]) -> set[Future]:
        return set(futures)

    def abort(self, futures: Sequence[Future]) -> None:
        pass

    def close(self) -> None:
        pass


def _serve(tasks: Connection, driver: Connection) -> None:
    """A pool worker: call each ``(task, args)`` received on ``tasks`` and send
    back ``("result", task(*args))`` or ``("raised", traceback)``, until the
    driver closes ``tasks`` or ends. A driver that closed its end while a task
    was computing (interrupted) gets no reply: it counts that task as not done."""
    follow_driver(driver)
    threadpool_limits(1)
    while True:
        try:
            task, args = tasks.recv()
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("result", task(*args))
        except Exception:
            reply = ("raised", traceback.format_exc())
        try:
            tasks.send(reply)
        except (BrokenPipeError, ConnectionResetError):
            return
        except Exception:
            tasks.send(("raised", traceback.format_exc()))


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    tasks: Connection
    job: tuple[Future, str] | None = None


class LocalPool:
    """``jobs`` worker processes, forked by the fork server (``bench.worker``),
    each computing one run at a time with one BLAS thread. Workers ignore Ctrl-C
    (the driver stops them) and exit when the driver ends. A worker that dies
    fails only the run it held, with ``WorkerDied``, and is replaced; the runs
    of the other workers go on undisturbed."""

    def __init__(self, jobs: int):
        self.workers = jobs
        self._context = worker_context()
        self._idle: list[_Worker] = []
        self._busy: list[_Worker] = []
        self._queued: deque[tuple[Future, Callable[..., Any], tuple, str]] = deque()

    def submit(self, task: Callable[..., Any], args: tuple, label: str) -> Future:
        future: Future = Future()
        self._queued.append((future, task, args, label))
        self._dispatch()
        return future

    def wait(self, futures: Sequence[Future]) -> set[Future]:
        while not (done := {f for f in futures if f.done()}):
            if not self._busy:
                raise RuntimeError("waiting on runs that no worker holds")
            self._collect()
        return done

    def abort(self, futures: Sequence[Future]) -> None:
        for future, *_ in self._queued:
            future.cancel()
        self._queued.clear()
        workers = [*self._idle, *self._busy]
        for worker in workers:
            worker.process.terminate()
        self._stop(workers)

    def close(self) -> None:
        self._stop([*self._idle, *self._busy])

    def _stop(self, workers: list[_Worker]) -> None:
        for worker in workers:
            worker.tasks.close()
        for worker in workers:
            worker.process.join(10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self._idle, self._busy = [], []

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, driver_link()), name="tunebench-worker"
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _free_worker(self) -> _Worker | None:
        while self._idle:
            worker = self._idle.pop()
            if worker.process.is_alive():
                return worker
            self._retire(worker)
        return self._start() if len(self._busy) < self.workers else None

    def _dispatch(self) -> None:
        while self._queued and (worker := self._free_worker()) is not None:
            future, task, args, label = self._queued.popleft()
            if future.cancelled():
                self._idle.append(worker)
                continue
            try:
                worker.tasks.send((task, args))
            except OSError:
                self._retire(worker)
                self._queued.appendleft((future, task, args, label))
                continue
            future.set_running_or_notify_cancel()
            worker.job = (future, label)
            self._busy.append(worker)

    def _collect(self) -> None:
        """Wait for a busy worker to reply or die; settle its run."""
        handles: dict[Any, _Worker] = {}
        for worker in self._busy:
            handles[worker.tasks] = worker
            handles[worker.process.sentinel] = worker
        ready = connection.wait(list(handles))
        for worker in {handles[handle] for handle in ready}:
            self._settle(worker)
        self._dispatch()

    def _settle(self, worker: _Worker) -> None:
        assert worker.job is not None
        future, label = worker.job
        worker.job = None
        self._busy.remove(worker)
        try:
            kind, payload = worker.tasks.recv() if worker.tasks.poll() else (None, None)
        except (EOFError, OSError):
            kind, payload = None, None
        except Exception:
            kind, payload = "raised", traceback.format_exc()
        if kind is None:
            self._retire(worker)
            future.set_exception(WorkerDied(label, worker.process.pid, worker.process.exitcode))
            return
        self._idle.append(worker)
        if kind == "result":
            future.set_result(payload)
        else:
            future.set_exception(RunRaised(payload))

    def _retire(self, worker: _Worker) -> None:
        worker.tasks.close()
        worker.process.join(10)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()


_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?/?$")


def check_address(address: str | None) -> None:
    """Refuse a Dask scheduler address that is not PROTOCOL://HOST[:PORT]."""
    if not address or not _ADDRESS.match(address):
        raise ExecutorUnavailable(
            f"--address {address!r}: expected a Dask scheduler address such as "
            f"tcp://HOST:8786 (protocols tcp, tls, ws, wss)"
        )


class DaskCluster:
    """Runs as tasks on an existing Dask distributed cluster. Traces come back to
    this process, which writes them: the workers need tunebench installed (and
    any ``--plugin`` file at the same path), not the results folder. Raises
    ``ExecutorUnavailable`` if the scheduler does not answer within ``timeout`` s
    (default ``DASK_CONNECT_TIMEOUT``)."""

    def __init__(self, address: str, timeout: float | None = None):
        from distributed import Client, as_completed

        timeout = DASK_CONNECT_TIMEOUT if timeout is None else timeout
        check_address(address)
        try:
            self._client = Client(address, set_as_default=False, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorUnavailable(
                f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {exc}"
            ) from exc
        self._completed = as_completed(loop=self._client.loop)
        self.workers = max(1, sum(self._client.nthreads().values()))

    def submit(self, task: Callable[..., Any], args: tuple, label: str) -> Any:
        future = self._client.submit(task, *args, pure=False)
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


def backend_for(
    executor: ExecutorName, jobs: int, address: str | None, *, in_process: bool = False
) -> Backend:
    """The backend of ``--executor`` / ``--jobs`` / ``--address`` / ``--in-process``.
    Raises ``ExecutorUnavailable`` for a Dask scheduler out of reach."""
    if executor == "dask":
        if not address:
            raise ValueError("--executor dask needs --address tcp://HOST:PORT of a Dask scheduler")
        return DaskCluster(address)
    return InProcess() if in_process else LocalPool(max(1, jobs))


def execute(
    specs: Sequence[RunSpec],
    root: str | Path,
    *,
    jobs: int = 1,
    executor: ExecutorName = "local",
    address: str | None = None,
    plugins: tuple[str, ...] = (),
    progress: Progress | None = None,
    in_process: bool = False,
) -> list[Outcome]:
    """Perform every run of ``specs`` not stored yet and store it under ``root``;
    return the outcomes in completion order.

    Runs are computed in ``jobs`` worker processes (even for ``jobs=1``), on the
    Dask cluster at ``address``, or with ``in_process`` in this process. Ctrl-C
    (or any exception) stops the workers and drops the runs in flight; every
    run completed before is already stored. Ctrl-C raises ``Interrupted`` with
    the outcomes so far; an unusable executor raises ``ExecutorUnavailable``
    before any run is claimed.
    """
    progress = progress or Progress(len(specs), interactive=False)
    try:
        backend = backend_for(executor, min(jobs, len(specs)), address, in_process=in_process)
        session = _Session(specs, Store(root), backend, plugins, progress)
        try:
            session.drive()
        except BaseException as exc:
            session.abort()
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted(session.outcomes) from None
            raise
    finally:
        progress.close()
    backend.close()
    return session.outcomes


class _Session:
    """One ``execute`` call: the runs queued, in flight and done, and the deaths
    of the worker processes that held each run."""

    def __init__(
        self,
        specs: Sequence[RunSpec],
        store: Store,
        backend: Backend,
        plugins: tuple[str, ...],
        progress: Progress,
    ):
        self.store = store
        self.backend = backend
        self.plugins = plugins
        self.progress = progress
        self.queue = deque(specs)
        self.in_flight: dict[Any, tuple[RunSpec, Claim]] = {}
        self.outcomes: list[Outcome] = []
        self.deaths: dict[str, list[int | None]] = {}
        self.window = 1 if isinstance(backend, InProcess) else 2 * backend.workers

    def drive(self) -> None:
        self.fill()
        while self.in_flight:
            for future in self.backend.wait(list(self.in_flight)):
                spec, claim = self.in_flight.pop(future)
                with claim:
                    outcome = self.settle(spec, future)
                if outcome is not None:
                    self.finish(outcome)
            self.fill()

    def fill(self) -> None:
        while self.queue and len(self.in_flight) < self.window:
            spec = self.queue.popleft()
            claim = self.store.claim(spec)
            if claim is None:
                self.finish(Outcome(spec, skipped="claimed by another process"))
            elif self.store.state(spec) == "stored":
                claim.release()
                self.finish(Outcome(spec, skipped="stored meanwhile by another process"))
            else:
                try:
                    future = self.backend.submit(compute, (spec, self.plugins), spec.key)
                    self.in_flight[future] = (spec, claim)
                except BaseException:
                    claim.release()
                    raise

    def settle(self, spec: RunSpec, future: Any) -> Outcome | None:
        """Store a finished run and give its outcome, or queue it again (None)."""
        try:
            trace = future.result()
        except WorkerDied as died:
            outcome = self.died(spec, died)
            return None if outcome is None else self.record(outcome)
        except RunRaised as raised:
            return self.record(Outcome(spec, error=str(raised)))
        except Exception:
            return self.record(Outcome(spec, error=traceback.format_exc()))
        return self.write(spec, trace)

    def record(self, outcome: Outcome) -> Outcome:
        """Store an errored run that left no trace as a run with no trial and its
        error, so that the report names it and the next ``run`` retries it."""
        spec = outcome.spec
        empty = Trace(spec.suite, spec.objective, spec.strategy, spec.seed,
                      space_from_description(spec.space), workers=spec.workers)  # fmt: skip
        empty.error = outcome.error
        empty.meta.update(optimum=spec.optimum, budget=spec.budget, wall=0.0)
        try:
            self.store.write(empty, spec)
        except Exception:
            log.exception("run %s: its error could not be stored either", spec.key)
        return outcome

    def died(self, spec: RunSpec, died: WorkerDied) -> Outcome | None:
        deaths = self.deaths.setdefault(spec.hash, [])
        deaths.append(died.exitcode)
        if len(deaths) == 1:
            log.warning("%s; running it again", died)
            self.queue.appendleft(spec)
            return None
        log.error("%s again; the run is errored", died)
        statuses = dict.fromkeys(exit_status(code) for code in deaths)
        return Outcome(
            spec,
            error=f"run {spec.key}: the worker process running it died twice "
            f"({', then '.join(statuses)})",
        )

    def write(self, spec: RunSpec, trace: Trace) -> Outcome:
        """Store ``trace``; a run that cannot be stored is errored, with why."""
        outcome = Outcome.of(spec, trace)
        try:
            self.store.write(trace, spec)
        except Exception:
            return self.record(
                replace(
                    outcome,
                    error=f"run {spec.key}: its trace could not be stored\n"
                    f"{traceback.format_exc()}",
                )
            )
        return outcome

    def finish(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        timed = outcome.error is None and outcome.skipped is None
        self.progress.update(
            outcome.failed + outcome.timeouts,
            outcome.error is not None,
            kind=run_kind(outcome.spec),
            seconds=outcome.seconds if timed else math.nan,
        )

    def abort(self) -> None:
        """Keep the runs that finished, stop the backend, release every claim."""
        for future, (spec, _) in list(self.in_flight.items()):
            if future.done() and not future.cancelled() and future.exception() is None:
                self.outcomes.append(self.write(spec, future.result()))
        self.backend.abort(list(self.in_flight))
        for _, claim in self.in_flight.values():
            claim.release()
