"""Where evaluations run: W simulated workers on a discrete-event clock, or W
real worker processes. ``bench.loop`` asks and tells; a pool only evaluates."""

from __future__ import annotations

import math
import multiprocessing
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from heapq import heappop, heappush
from typing import NamedTuple

from bench.evaluation import Outcome, checked_duration, evaluate
from bench.objective import Objective
from bench.space import Config


class Asked(NamedTuple):
    """What the loop keeps of a suggestion it asked for (``asked``-th, from 0):
    its configuration normalised, its fidelity level, its planned cost (it was
    affordable) and the seconds ``ask`` took. (Tuples, not
    dataclasses: one of each is built per trial, and the simulated clock's
    overhead per trial is a goal of its own, see ``make perf-simulator``.)"""

    asked: int
    config: Config
    level: float | None
    planned: float
    t_ask: float


class Job(NamedTuple):
    """An evaluation of ``asked`` on ``worker`` from ``start`` to ``end`` (seconds on
    the run's clock), its outcome, and the evaluation's wall time ``t_eval``."""

    asked: Asked
    worker: int
    start: float
    end: float
    outcome: Outcome
    t_eval: float


class SimulatedWorkers:
    """W simulated workers: an evaluation runs in this process when it starts
    and ends after its duration on the simulated clock (``Objective.duration``,
    else its measured wall time). Running jobs end in order of end time (ties:
    the job asked first)."""

    def __init__(
        self, count: int, objective: Objective, seed: int, timeout: float | None, overhead: str
    ):
        self.objective, self.seed, self.timeout = objective, seed, timeout
        self.measured_overhead = overhead == "measured"
        self.free = list(range(count))
        self.running: list[tuple[float, int, Job]] = []
        self.sources: set[str] = set()
        self._planned: list[float] = []
        #: The planned cost of the running jobs.
        self.pending = 0.0

    @property
    def clock(self) -> str:
        """Where the durations came from: "declared" (or recorded), "measured", or "mixed"."""
        return "mixed" if len(self.sources) > 1 else next(iter(self.sources), "declared")

    def start(self, asked: Asked, now: float) -> float:
        """Evaluate ``asked`` on the first free worker; the driver's time after it."""
        outcome, t_eval = evaluate(
            self.objective, asked.config, asked.level, self.seed, self.timeout, asked.planned
        )
        duration = self.objective.duration(asked.config, asked.level, outcome.extras)
        if type(duration) is not float or not 0.0 <= duration < math.inf:
            duration = checked_duration(self.objective, duration)
        self.sources.add("measured" if duration is None else "declared")
        start = now + (asked.t_ask if self.measured_overhead else 0.0)
        end = start + (t_eval if duration is None else duration)
        job = tuple.__new__(Job, (asked, heappop(self.free), start, end, outcome, t_eval))
        heappush(self.running, (end, asked.asked, job))
        self._planned.append(asked.planned)
        self.pending = math.fsum(self._planned)
        return start

    def finish(self) -> Job:
        """The running job that ends first, its worker freed."""
        _, _, job = heappop(self.running)
        heappush(self.free, job.worker)
        self._planned.remove(job.asked.planned)
        self.pending = math.fsum(self._planned)
        return job

    def close(self) -> None:
        pass


class ProcessWorkers:
    """W real worker processes: each evaluation runs in one, and jobs end in the
    order they really finish. Each process receives the objective once, when it
    starts, and then configurations only; the processes are started before the
    clock starts: times are wall-clock seconds since then (a pool of long-lived
    workers, not its start-up)."""

    clock = "real"

    def __init__(self, count: int, objective: Objective, seed: int, timeout: float | None):
        self.objective, self.seed, self.timeout = objective, seed, timeout
        context = multiprocessing.get_context("forkserver")
        self.executor = ProcessPoolExecutor(
            count, mp_context=context, initializer=_install, initargs=(objective,)
        )
        wait([self.executor.submit(time.sleep, 0.05 * count) for _ in range(count)])
        self.free = list(range(count))
        self.futures: dict[Future[tuple[Outcome, float]], tuple[Asked, int, float]] = {}
        self.origin = time.perf_counter()

    @property
    def running(self) -> bool:
        return bool(self.futures)

    @property
    def pending(self) -> float:
        return math.fsum(asked.planned for asked, _, _ in self.futures.values())

    def start(self, asked: Asked, now: float) -> float:
        future = self.executor.submit(
            _evaluate_installed, asked.config, asked.level, self.seed, self.timeout, asked.planned
        )
        started = time.perf_counter() - self.origin
        self.futures[future] = (asked, heappop(self.free), started)
        return started

    def finish(self) -> Job:
        done, _ = wait(self.futures, return_when=FIRST_COMPLETED)
        ended = time.perf_counter() - self.origin
        future = min(done, key=lambda f: self.futures[f][0].asked)
        asked, worker, started = self.futures.pop(future)
        heappush(self.free, worker)
        outcome, t_eval = future.result()
        return Job(asked, worker, started, ended, outcome, t_eval)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


#: The objective a worker process of ``ProcessWorkers`` evaluates.
_worker_objective: list[Objective] = []


def _install(objective: Objective) -> None:
    _worker_objective.append(objective)


def _evaluate_installed(
    config: Config, level: float | None, seed: int, timeout: float | None, planned: float
) -> tuple[Outcome, float]:
    return evaluate(_worker_objective[0], config, level, seed, timeout, planned)
