"""The one loop that drives a strategy: ask, evaluate, tell, record."""

from __future__ import annotations

import heapq
import math
import multiprocessing
import numbers
import sys
import time
import traceback
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bench.budget import Budget
from bench.deadline import TrialTimeout, deadline
from bench.objective import Evaluation, Fidelity, Objective
from bench.registry import Registry, default_registry
from bench.space import Config, SpaceError
from bench.strategy import Exhausted, Strategy, Suggestion, Wait
from bench.trace import Trace
from bench.variant import Variant

#: Whether the strategy's ask and tell times advance the simulated clock.
Overhead = Literal["ignored", "measured"]
#: Where evaluations run: on simulated workers in this process, or in real processes.
Clock = Literal["simulated", "real"]


class StrategyError(RuntimeError):
    """A strategy broke its contract (a suggestion outside the space, ...)."""


def run(
    strategy: str | Variant | type[Strategy],
    objective: str | Variant | Objective,
    seed: int,
    budget: Budget | float,
    *,
    suite: str = "",
    registry: Registry | None = None,
    timeout: float | None = None,
    on_error: Literal["raise", "record"] = "raise",
    workers: int = 1,
    overhead: Overhead = "ignored",
    clock: Clock = "simulated",
) -> Trace:
    """Run ``strategy`` on ``objective`` with ``seed`` until ``budget`` is spent.

    The run is a discrete-event simulation of ``workers`` workers: each
    evaluation occupies a worker for its simulated duration
    (``Objective.duration``: declared or recorded seconds, else the measured
    evaluation time), plus the strategy's measured ask time if ``overhead`` is
    "measured"; results are told in the order evaluations end (ties: the
    earlier ask first), and the strategy is asked again while a worker is free
    and the budget net of running evaluations allows. With one worker this is
    ask, evaluate, tell in turn. A strategy that is not ``parallel`` is refused
    for more than one worker (``ValueError``). Rows are in the order trials end,
    with their worker, ask order and simulated start and end (seconds);
    ``trace.meta["clock"]`` says whether durations were declared or measured
    (measured ones vary from run to run, and with several workers so may the
    order of tells). With ``clock="real"`` the evaluations run in ``workers``
    real processes instead, and times are wall-clock seconds since the run's
    first evaluation was sent (``trace.meta["clock"]`` is "real"): the check
    of the simulation against reality.

    Names may carry options (``"random[scale=linear]"``). Each trial is timed
    in three parts (ask, evaluate, tell, in seconds). Each suggested
    configuration is copied at ask time as plain Python values (numpy scalars
    converted): that copy is recorded, and the objective gets its own copy, so
    neither a strategy reusing its dict nor an objective mutating its input
    changes the record. An objective that raises (``sys.exit`` included), or
    returns a value that is not a finite real number, or states a cost that is
    not a positive finite number, is a failed trial with its reason in
    ``Trace.errors`` (the exception, and the file and line in the objective's
    code that raised it); one that runs longer than ``timeout`` seconds is
    interrupted and recorded with status ``timeout``. Either is told as
    ``None`` and still costs its budget. An evaluation that states no cost is
    charged the planned cost, ``objective.cost(fidelity)``, as is one whose
    stated cost is invalid; a valid stated cost that differs from the planned
    one is charged as stated and the first such trial is noted in
    ``trace.meta["cost_mismatch"]``. The strategy's constructor time (seconds)
    is ``trace.meta["t_init"]``. ``KeyboardInterrupt`` propagates. The run stops
    when the budget is spent, when the next suggestion costs more than what is
    left, or when the strategy raises ``Exhausted``. A strategy that raises, or
    suggests a configuration or fidelity that is not valid (``StrategyError``),
    ends the run: with the exception (``on_error="raise"``), or with the trials
    so far and the traceback in ``Trace.error`` (``on_error="record"``).
    """
    registry = registry or default_registry()
    s_variant, s_class = _strategy(strategy, registry)
    o_variant, obj = _objective(objective, registry)
    check_workers(s_class, workers, overhead)
    budget = Budget(budget) if not isinstance(budget, Budget) else budget.fresh()
    trace = Trace(suite, str(o_variant), str(s_variant), seed, obj.space, workers=workers)
    trace.meta.update(optimum=obj.optimum, budget=budget.evaluations)
    started = time.perf_counter()
    try:
        searcher = s_class(
            obj.space, seed=seed, budget=budget, fidelity=obj.fidelity, **dict(s_variant.options)
        )
        trace.meta["t_init"] = time.perf_counter() - started
        _drive(searcher, obj, seed, budget, trace, timeout, workers, overhead, clock)
        trace.meta["initial_design"] = searcher.initial_design
    except Exception:
        if on_error == "raise":
            raise
        trace.error = traceback.format_exc()
    trace.meta["wall"] = time.perf_counter() - started
    return trace


def check_workers(strategy: type[Strategy], workers: int, overhead: str = "ignored") -> None:
    """``ValueError`` unless ``workers`` is a positive integer ``strategy`` can use
    and ``overhead`` is "ignored" or "measured"."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if overhead not in ("ignored", "measured"):
        raise ValueError(f"overhead must be 'ignored' or 'measured', got {overhead!r}")
    if workers > 1 and not strategy.parallel:
        raise ValueError(
            f"strategy {strategy.name!r} cannot run with {workers} workers: it does not "
            "take pending trials (its class does not set parallel = True, so it would be "
            "asked again before its last suggestion is told); run it with one worker"
        )


@dataclass(frozen=True)
class _Outcome:
    """What one evaluation came to; ``value`` is NaN unless ``status`` is ok."""

    value: float
    cost: float
    status: Literal["ok", "failed", "timeout"]
    extras: Mapping[str, Any] | None = None
    reason: str | None = None


@dataclass(frozen=True)
class _Asked:
    """A suggestion the loop asked for (``asked``-th, from 0), normalised and
    affordable, with its planned cost and the seconds ``ask`` took."""

    asked: int
    suggestion: Suggestion
    config: Config
    level: float | None
    planned: float
    t_ask: float


class _Simulated:
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
        self.running: list[tuple[float, int, _Job]] = []
        self.sources: set[str] = set()

    @property
    def clock(self) -> str:
        """Where the durations came from: "declared" (or recorded), "measured", or "mixed"."""
        return "mixed" if len(self.sources) > 1 else next(iter(self.sources), "declared")

    @property
    def pending(self) -> float:
        """The planned cost of the running jobs."""
        return math.fsum(job.asked.planned for _, _, job in self.running)

    def start(self, asked: _Asked, now: float) -> float:
        """Evaluate ``asked`` on the first free worker; the driver's time after it."""
        outcome, t_eval = _evaluate_timed(
            self.objective, asked.config, asked.level, self.seed, self.timeout, asked.planned
        )
        duration = _duration(self.objective, asked.config, asked.level, outcome)
        self.sources.add("measured" if duration is None else "declared")
        start = now + (asked.t_ask if self.measured_overhead else 0.0)
        end = start + (t_eval if duration is None else duration)
        job = _Job(asked, heapq.heappop(self.free), start, end, outcome, t_eval)
        heapq.heappush(self.running, (job.end, asked.asked, job))
        return start

    def finish(self) -> _Job:
        """The running job that ends first, its worker freed."""
        _, _, job = heapq.heappop(self.running)
        heapq.heappush(self.free, job.worker)
        return job

    def close(self) -> None:
        pass


class _Processes:
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
        self.futures: dict[Future[tuple[_Outcome, float]], tuple[_Asked, int, float]] = {}
        self.origin = time.perf_counter()

    @property
    def running(self) -> bool:
        return bool(self.futures)

    @property
    def pending(self) -> float:
        return math.fsum(asked.planned for asked, _, _ in self.futures.values())

    def start(self, asked: _Asked, now: float) -> float:
        future = self.executor.submit(
            _evaluate_installed, asked.config, asked.level, self.seed, self.timeout, asked.planned
        )
        started = time.perf_counter() - self.origin
        self.futures[future] = (asked, heapq.heappop(self.free), started)
        return started

    def finish(self) -> _Job:
        done, _ = wait(self.futures, return_when=FIRST_COMPLETED)
        ended = time.perf_counter() - self.origin
        future = min(done, key=lambda f: self.futures[f][0].asked)
        asked, worker, started = self.futures.pop(future)
        heapq.heappush(self.free, worker)
        outcome, t_eval = future.result()
        return _Job(asked, worker, started, ended, outcome, t_eval)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


#: The objective a worker process of ``_Processes`` evaluates.
_worker_objective: list[Objective] = []


def _install(objective: Objective) -> None:
    _worker_objective.append(objective)


def _evaluate_installed(
    config: Config, level: float | None, seed: int, timeout: float | None, planned: float
) -> tuple[_Outcome, float]:
    return _evaluate_timed(_worker_objective[0], config, level, seed, timeout, planned)


def _drive(
    searcher: Strategy,
    objective: Objective,
    seed: int,
    budget: Budget,
    trace: Trace,
    timeout: float | None,
    workers: int = 1,
    overhead: Overhead = "ignored",
    clock: Clock = "simulated",
) -> None:
    """Keep ``workers`` workers busy: ask while one is free and the budget (net
    of running evaluations) allows, tell each evaluation when it ends, and
    record one row per trial into ``trace`` in the order they end. Stops asking
    when the budget is spent or the next suggestion is unaffordable or the
    strategy is exhausted, then drains."""
    pool = (
        _Simulated(workers, objective, seed, timeout, overhead)
        if clock == "simulated"
        else _Processes(workers, objective, seed, timeout)
    )
    incumbent = _Incumbent(objective.fidelity)
    now, asked, asking = 0.0, 0, True
    try:
        while True:
            while asking and pool.free and not budget.exhausted_with(pool.pending):
                try:
                    step = _ask(searcher, objective, budget, pool.pending, asked)
                except Wait:
                    if not pool.running:
                        raise StrategyError(
                            f"strategy {searcher.name!r} raised Wait at ask {asked} "
                            "with no suggestion pending"
                        ) from None
                    break
                if step is None:
                    asking = False
                    break
                now = pool.start(step, now)
                asked += 1
            if not pool.running:
                break
            job = pool.finish()
            now = max(now, job.end)
            now += _tell(searcher, job, trace, budget, incumbent, overhead == "measured")
    finally:
        pool.close()
    trace.meta["clock"] = pool.clock


def _tell(
    searcher: Strategy,
    job: _Job,
    trace: Trace,
    budget: Budget,
    incumbent: _Incumbent,
    on_clock: bool,
) -> float:
    """Tell ``job``'s result, charge it and record its row; the seconds the tell
    took if they count on the clock, else 0."""
    started = time.perf_counter()
    value = job.outcome.value if job.outcome.status == "ok" else None
    searcher.tell(job.asked.suggestion, value)
    t_tell = time.perf_counter() - started
    cum_cost = budget.spend(job.outcome.cost)
    incumbent.record(trace, job, cum_cost, t_tell)
    return t_tell if on_clock else 0.0


def _ask(
    searcher: Strategy, objective: Objective, budget: Budget, pending: float, asked: int
) -> _Asked | None:
    """The next suggestion, normalised, or None if the strategy is exhausted or
    the suggestion does not fit the budget net of ``pending``. ``Wait`` propagates."""
    started = time.perf_counter()
    try:
        suggestion = searcher.ask()
    except Exhausted:
        return None
    t_ask = time.perf_counter() - started
    config, level = _normalise_suggestion(searcher, suggestion, objective, asked)
    planned = objective.cost(level)
    if not budget.affords(planned, pending):
        return None
    return _Asked(asked, suggestion, config, level, planned, t_ask)


def _evaluate_timed(
    objective: Objective,
    config: Config,
    level: float | None,
    seed: int,
    timeout: float | None,
    planned: float,
) -> tuple[_Outcome, float]:
    """``_evaluate`` on a copy of ``config``, with its wall time in seconds; an
    evaluation over ``timeout`` is a timeout whatever it returned."""
    started = time.perf_counter()
    outcome = _evaluate(objective, dict(config), level, seed, timeout, planned)
    t_eval = time.perf_counter() - started
    if outcome.status == "timeout" or (timeout is not None and t_eval > timeout):
        limit = "no limit set" if timeout is None else f"the limit of {timeout:g} s"
        reason = f"evaluation took {t_eval:.3g} s, over {limit}"
        outcome = _Outcome(math.nan, planned, "timeout", reason=reason)
    return outcome, t_eval


@dataclass(frozen=True)
class _Job:
    """An evaluation of ``asked`` on ``worker`` from ``start`` to ``end`` (seconds on
    the run's clock), its outcome, and the evaluation's wall time ``t_eval``."""

    asked: _Asked
    worker: int
    start: float
    end: float
    outcome: _Outcome
    t_eval: float


def _duration(
    objective: Objective, config: Config, level: float | None, outcome: _Outcome
) -> float | None:
    """The objective's simulated duration for this evaluation (None: measured);
    ``ValueError`` naming the objective if it is not a finite number >= 0."""
    duration = objective.duration(config, level, outcome.extras)
    if duration is None:
        return None
    seconds = _real(duration)
    if seconds is None or not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(
            f"objective {objective.name!r}: duration() returned {duration!r}; "
            "expected a finite number of seconds >= 0, or None"
        )
    return seconds


class _Incumbent:
    """The best full-fidelity value told so far and its test value; writes rows."""

    def __init__(self, fidelity: Fidelity | None):
        self.full = fidelity.high if fidelity is not None else math.nan
        self.best = math.inf
        self.test = math.nan

    def record(self, trace: Trace, job: _Job, cum_cost: float, t_tell: float) -> None:
        asked, outcome = job.asked, job.outcome
        trial, level, extras, planned = len(trace), asked.level, outcome.extras, asked.planned
        if outcome.reason is not None:
            trace.errors[trial] = outcome.reason
        if outcome.status == "ok" and not math.isclose(outcome.cost, planned, rel_tol=1e-9):
            trace.meta.setdefault("cost_mismatch", _cost_mismatch(trial, level, outcome, planned))
        at_full = level is None or level == self.full
        if outcome.status == "ok" and at_full and outcome.value < self.best:
            self.best = outcome.value
            self.test = float(extras.get("test", math.nan)) if extras else math.nan
        trace.configs.append(asked.config)
        trace.fidelity.append(self.full if level is None else float(level))
        trace.cost.append(outcome.cost)
        trace.cum_cost.append(cum_cost)
        trace.value.append(outcome.value)
        trace.status.append(outcome.status)
        trace.best.append(self.best if self.best < math.inf else math.nan)
        trace.incumbent_test.append(self.test)
        trace.t_ask.append(asked.t_ask)
        trace.t_eval.append(job.t_eval)
        trace.t_tell.append(t_tell)
        trace.worker.append(job.worker)
        trace.asked.append(asked.asked)
        trace.t_start.append(job.start)
        trace.t_end.append(job.end)


def _normalise_suggestion(
    searcher: Strategy, suggestion: Suggestion, objective: Objective, trial: int
) -> tuple[Config, float | None]:
    """A frozen plain copy of the suggestion's configuration (``Space.normalise``)
    and its fidelity level; ``StrategyError`` if either is not valid."""
    try:
        config = objective.space.normalise(suggestion.config)
    except SpaceError as exc:
        raise StrategyError(f"strategy {searcher.name!r} at trial {trial}: {exc}") from None
    level = suggestion.fidelity
    fidelity = objective.fidelity
    if level is not None and (
        fidelity is None or _real(level) is None or not fidelity.contains(level)
    ):
        raise StrategyError(
            f"strategy {searcher.name!r} asked for fidelity {level!r} "
            f"({type(level).__name__}) at trial {trial}, "
            f"but the objective's fidelity is {fidelity!r}"
        )
    return config, level


def _evaluate(
    objective: Objective,
    config: Config,
    level: float | None,
    seed: int,
    timeout: float | None,
    planned: float,
) -> _Outcome:
    """Evaluate ``config`` (the objective's own copy) within ``timeout`` seconds.

    Whatever the objective does, other than a ``KeyboardInterrupt``, is an
    outcome: an exception or ``sys.exit`` is a failed trial charged ``planned``
    (with the exception's ``extras`` mapping, if it has one: the seconds a
    recorded training ran before it diverged), a ``TrialTimeout`` a timeout."""
    try:
        with deadline(timeout):
            evaluation = objective.evaluate(config, level, seed=seed)
    except TrialTimeout:
        return _Outcome(math.nan, planned, "timeout")
    except SystemExit as exc:
        call = "sys.exit()" if exc.code is None else f"sys.exit({exc.code!r})"
        return _Outcome(math.nan, planned, "failed", reason=f"objective called {call}")
    except Exception as exc:
        reason = "".join(traceback.format_exception_only(exc)).strip()
        extras = getattr(exc, "extras", None)
        extras = extras if isinstance(extras, Mapping) else None
        return _Outcome(math.nan, planned, "failed", extras, f"{reason}{_raised_at(exc)}")
    return _judge(evaluation, planned)


def _raised_at(exc: BaseException) -> str:
    """Where ``exc`` was raised, as " (at path:line in function)": the innermost
    frame outside the standard library and installed packages (the objective's
    own code), else the innermost frame; "" without a traceback."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]
    if not frames:
        return ""
    own = [f for f in frames if not _installed(f.filename)]
    frame = (own or frames)[-1]
    return f" (at {_short_path(frame.filename)}:{frame.lineno} in {frame.name})"


def _installed(filename: str) -> bool:
    return any(part in filename for part in ("site-packages", "dist-packages")) or (
        filename.startswith(sys.prefix) or filename.startswith(sys.base_prefix)
    )


def _short_path(filename: str) -> str:
    """``filename`` relative to the working directory where it lies under it."""
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return filename


def _cost_mismatch(trial: int, level: float | None, outcome: _Outcome, planned: float) -> str:
    at = "full fidelity" if level is None else f"fidelity {level:g}"
    return (
        f"trial {trial}: the objective stated cost {outcome.cost:g} at {at}, where its "
        f"cost model (Objective.cost) says {planned:g}; the stated cost was charged "
        "(omit Evaluation.cost to have the cost derived from the fidelity)"
    )


def _judge(evaluation: object, planned: float) -> _Outcome:
    """The outcome of what ``evaluate`` returned: a failed trial unless it is an
    ``Evaluation`` with a finite real value and a positive finite cost (or no
    cost: then ``planned``). An invalid cost is replaced by ``planned``, so that
    every trial spends budget and every run ends."""
    if not isinstance(evaluation, Evaluation):
        reason = f"objective returned {evaluation!r} of type {type(evaluation).__name__}"
        return _Outcome(math.nan, planned, "failed", reason=f"{reason}; expected an Evaluation")
    reasons = []
    value = _real(evaluation.value)
    if value is None:
        reasons.append(
            f"objective returned value {evaluation.value!r} of type "
            f"{type(evaluation.value).__name__}; expected a real number"
        )
    elif not math.isfinite(value):
        reasons.append(f"non-finite value {value!r}")
    stated = evaluation.cost
    cost = planned if stated is None else _real(stated)
    if cost is None or not (math.isfinite(cost) and cost > 0):
        reasons.append(
            f"objective returned cost {stated!r} of type {type(stated).__name__}; expected "
            f"a positive finite number (charged the planned cost {planned:g})"
        )
        cost = planned
    if value is None or reasons:
        return _Outcome(math.nan, cost, "failed", evaluation.extras, "; ".join(reasons))
    return _Outcome(value, cost, "ok", evaluation.extras)


def _real(number: object) -> float | None:
    """``number`` as a float if it is a real number (numpy's included, bools not)."""
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, numbers.Real):
        return None
    try:
        return float(number)
    except OverflowError:
        return math.copysign(math.inf, number)


def _strategy(
    strategy: str | Variant | type[Strategy], registry: Registry
) -> tuple[Variant, type[Strategy]]:
    if isinstance(strategy, type):
        return Variant(strategy.name), strategy
    return registry.strategy(strategy)


def _objective(
    objective: str | Variant | Objective, registry: Registry
) -> tuple[Variant, Objective]:
    if isinstance(objective, Objective):
        return Variant(objective.label or objective.name), objective
    return registry.objective(objective)
