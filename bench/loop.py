"""The one loop that drives a strategy: ask, evaluate, tell, record."""

from __future__ import annotations

import heapq
import math
import numbers
import sys
import time
import traceback
from collections.abc import Mapping
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
    order of tells).

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
        _drive(searcher, obj, seed, budget, trace, timeout, workers, overhead)
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
class _Job:
    """An evaluation occupying ``worker`` from ``start`` to ``end`` (simulated
    seconds); ``asked`` counts the loop's asks from 0."""

    asked: int
    worker: int
    start: float
    end: float
    suggestion: Suggestion
    config: Config
    level: float | None
    planned: float
    outcome: _Outcome
    t_ask: float
    t_eval: float
    #: Whether ``end - start`` is the measured wall time (the objective declares none).
    measured: bool


class _Workers:
    """W simulated workers: the free ones, and the running jobs by end time
    (ties: the job asked first ends first)."""

    def __init__(self, count: int):
        self.free = list(range(count))
        self.running: list[tuple[float, int, _Job]] = []

    @property
    def pending(self) -> float:
        """The planned cost of the running jobs."""
        return math.fsum(job.planned for _, _, job in self.running)

    def start(self, job: _Job) -> None:
        heapq.heappop(self.free)
        heapq.heappush(self.running, (job.end, job.asked, job))

    def finish(self) -> _Job:
        """The running job that ends first, its worker freed."""
        _, _, job = heapq.heappop(self.running)
        heapq.heappush(self.free, job.worker)
        return job


def _drive(
    searcher: Strategy,
    objective: Objective,
    seed: int,
    budget: Budget,
    trace: Trace,
    timeout: float | None,
    workers: int = 1,
    overhead: Overhead = "ignored",
) -> None:
    """Keep ``workers`` simulated workers busy: ask while one is free and the
    budget (net of running evaluations) allows, tell each evaluation when it
    ends on the simulated clock, and record one row per trial into ``trace`` in
    the order they end. Stops asking when the budget is spent or the next
    suggestion is unaffordable or the strategy is exhausted, then drains."""
    pool = _Workers(workers)
    incumbent = _Incumbent(objective.fidelity)
    clock = time.perf_counter
    now, asked, asking = 0.0, 0, True
    while True:
        while asking and pool.free and not budget.exhausted_with(pool.pending):
            try:
                job = _launch(
                    searcher, objective, seed, budget, pool, now, asked, timeout, overhead
                )
            except Wait:
                if not pool.running:
                    raise StrategyError(
                        f"strategy {searcher.name!r} raised Wait at ask {asked} "
                        "with no suggestion pending"
                    ) from None
                break
            if job is None:
                asking = False
                break
            pool.start(job)
            asked += 1
            if overhead == "measured":
                now = job.start
        if not pool.running:
            break
        job = pool.finish()
        now = max(now, job.end)
        t0 = clock()
        searcher.tell(job.suggestion, job.outcome.value if job.outcome.status == "ok" else None)
        t_tell = clock() - t0
        if overhead == "measured":
            now += t_tell
        cum_cost = budget.spend(job.outcome.cost)
        incumbent.record(trace, job, cum_cost, t_tell)
    trace.meta["clock"] = incumbent.clock


def _launch(
    searcher: Strategy,
    objective: Objective,
    seed: int,
    budget: Budget,
    pool: _Workers,
    now: float,
    asked: int,
    timeout: float | None,
    overhead: Overhead,
) -> _Job | None:
    """Ask for a suggestion and evaluate it on the first free worker: the job,
    ending after its simulated duration, or None if the strategy is exhausted
    or the suggestion does not fit the budget. ``Wait`` propagates."""
    clock = time.perf_counter
    t0 = clock()
    try:
        suggestion = searcher.ask()
    except Exhausted:
        return None
    t1 = clock()
    config, level = _normalise_suggestion(searcher, suggestion, objective, asked)
    planned = objective.cost(level)
    if not budget.affords(planned, pool.pending):
        return None
    outcome = _evaluate(objective, dict(config), level, seed, timeout, planned)
    t2 = clock()
    if outcome.status == "timeout" or (timeout is not None and t2 - t1 > timeout):
        limit = "no limit set" if timeout is None else f"the limit of {timeout:g} s"
        reason = f"evaluation took {t2 - t1:.3g} s, over {limit}"
        outcome = _Outcome(math.nan, planned, "timeout", reason=reason)
    duration = _duration(objective, config, level, outcome)
    start = now + (t1 - t0 if overhead == "measured" else 0.0)
    end = start + (t2 - t1 if duration is None else duration)
    return _Job(
        asked,
        pool.free[0],
        start,
        end,
        suggestion,
        config,
        level,
        planned,
        outcome,
        t1 - t0,
        t2 - t1,
        measured=duration is None,
    )


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
        self.sources: set[str] = set()

    @property
    def clock(self) -> str:
        """Where the simulated durations came from: declared, measured or mixed."""
        if len(self.sources) > 1:
            return "mixed"
        return next(iter(self.sources), "declared")

    def record(self, trace: Trace, job: _Job, cum_cost: float, t_tell: float) -> None:
        trial, outcome, level, extras = len(trace), job.outcome, job.level, job.outcome.extras
        self.sources.add("measured" if job.measured else "declared")
        if outcome.reason is not None:
            trace.errors[trial] = outcome.reason
        if outcome.status == "ok" and not math.isclose(outcome.cost, job.planned, rel_tol=1e-9):
            trace.meta.setdefault(
                "cost_mismatch", _cost_mismatch(trial, level, outcome, job.planned)
            )
        at_full = level is None or level == self.full
        if outcome.status == "ok" and at_full and outcome.value < self.best:
            self.best = outcome.value
            self.test = float(extras.get("test", math.nan)) if extras else math.nan
        trace.configs.append(job.config)
        trace.fidelity.append(self.full if level is None else float(level))
        trace.cost.append(outcome.cost)
        trace.cum_cost.append(cum_cost)
        trace.value.append(outcome.value)
        trace.status.append(outcome.status)
        trace.best.append(self.best if self.best < math.inf else math.nan)
        trace.incumbent_test.append(self.test)
        trace.t_ask.append(job.t_ask)
        trace.t_eval.append(job.t_eval)
        trace.t_tell.append(t_tell)
        trace.worker.append(job.worker)
        trace.asked.append(job.asked)
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
