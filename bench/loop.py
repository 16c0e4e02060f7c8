"""The one loop that drives a strategy: ask, evaluate, tell, record."""

from __future__ import annotations

import math
import traceback
from time import perf_counter
from typing import Literal

from bench.budget import Budget
from bench.evaluation import Outcome, real_number
from bench.objective import Fidelity, Objective
from bench.registry import Registry, default_registry
from bench.space import SpaceError
from bench.strategy import Exhausted, Strategy, Suggestion, Wait
from bench.trace import Trace
from bench.variant import Variant
from bench.workers import Asked, Job, ProcessWorkers, SimulatedWorkers

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
    is ``trace.meta["t_init"]``, the time its release took (its library's study
    freed) ``trace.meta["t_close"]``; a suggestion is released within its tell's
    time. ``KeyboardInterrupt`` propagates. The run stops
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
    started = perf_counter()
    try:
        searcher = s_class(
            obj.space, seed=seed, budget=budget, fidelity=obj.fidelity, **dict(s_variant.options)
        )
        trace.meta["t_init"] = perf_counter() - started
        _drive(searcher, obj, seed, budget, trace, timeout, workers, overhead, clock)
        trace.meta["initial_design"] = searcher.initial_design
    except Exception:
        if on_error == "raise":
            raise
        trace.error = traceback.format_exc()
    closing = perf_counter()
    searcher = None
    trace.meta["t_close"] = perf_counter() - closing
    trace.meta["wall"] = perf_counter() - started
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
        SimulatedWorkers(workers, objective, seed, timeout, overhead)
        if clock == "simulated"
        else ProcessWorkers(workers, objective, seed, timeout)
    )
    rows = _Rows(objective.fidelity)
    awaiting: dict[int, Suggestion] = {}
    now, asked, asking, on_clock = 0.0, 0, True, overhead == "measured"
    try:
        while True:
            while asking and pool.free and not budget.exhausted_with(pool.pending):
                try:
                    step = _ask(searcher, objective, budget, pool.pending, asked, awaiting)
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
            now += _tell(searcher, job, awaiting.pop(job.asked.asked), budget, rows, on_clock)
    finally:
        try:
            rows.write(trace)
        finally:
            pool.close()
    trace.meta["clock"] = pool.clock


def _tell(
    searcher: Strategy,
    job: Job,
    suggestion: Suggestion,
    budget: Budget,
    rows: _Rows,
    on_clock: bool,
) -> float:
    """Tell ``job``'s result for ``suggestion``, charge it and keep its row; the
    seconds the tell took if they count on the clock, else 0. The tell's time
    includes releasing ``suggestion`` (a library's trial object), the
    strategy's own cost, once the caller holds no reference to it."""
    started = perf_counter()
    value = job.outcome.value if job.outcome.status == "ok" else None
    searcher.tell(suggestion, value)
    del suggestion
    t_tell = perf_counter() - started
    rows.told.append((job, budget.spend(job.outcome.cost), t_tell))
    return t_tell if on_clock else 0.0


def _ask(
    searcher: Strategy,
    objective: Objective,
    budget: Budget,
    pending: float,
    asked: int,
    awaiting: dict[int, Suggestion],
) -> Asked | None:
    """The next suggestion, normalised (the suggestion itself goes to
    ``awaiting`` under ``asked``, until it is told), or None if the strategy is
    exhausted or the suggestion does not fit the budget net of ``pending``.
    ``Wait`` propagates."""
    started = perf_counter()
    try:
        suggestion = searcher.ask()
    except Exhausted:
        return None
    t_ask = perf_counter() - started
    try:
        config = objective.space.normalise(suggestion.config)
    except SpaceError as exc:
        raise StrategyError(f"strategy {searcher.name!r} at trial {asked}: {exc}") from None
    level = suggestion.fidelity
    if level is not None:
        _check_level(searcher, level, objective, asked)
    planned = objective.cost(level)
    if not budget.affords(planned, pending):
        return None
    awaiting[asked] = suggestion
    return tuple.__new__(Asked, (asked, config, level, planned, t_ask))


class _Rows:
    """The rows of a run, kept as told (the job, the cumulative cost, the tell's
    seconds) until ``write`` derives the trace's columns from them: the
    incumbent (best full-fidelity value so far and its test value), errors and
    a cost mismatch. Deriving them once, when the run ends, keeps the
    per-trial work small: the simulated clock's overhead per trial is a goal
    of its own (see ``make perf-simulator``)."""

    def __init__(self, fidelity: Fidelity | None):
        self.full = fidelity.high if fidelity is not None else math.nan
        self.told: list[tuple[Job, float, float]] = []

    def write(self, trace: Trace) -> None:
        """Add the run's rows to ``trace``'s columns in the order they were told
        (once, when the run ends), their errors to ``trace.errors`` and the first
        cost mismatch to ``trace.meta``. A row that cannot be derived (a test
        value that is not a number) raises, keeping the rows before it."""
        full, best, test = self.full, math.inf, math.nan
        rows = []
        try:
            for trial, (job, cum_cost, t_tell) in enumerate(self.told):
                asked, outcome = job.asked, job.outcome
                level, ok = asked.level, outcome.status == "ok"
                if outcome.reason is not None:
                    trace.errors[trial] = outcome.reason
                if ok and outcome.cost != asked.planned:
                    _note_cost_mismatch(trace, trial, level, outcome, asked.planned)
                if ok and (level is None or level == full) and outcome.value < best:
                    best, extras = outcome.value, outcome.extras
                    test = float(extras.get("test", math.nan)) if extras else math.nan
                rows.append(
                    (
                        asked.config,
                        full if level is None else float(level),
                        outcome.cost,
                        cum_cost,
                        outcome.value,
                        outcome.status,
                        best if best < math.inf else math.nan,
                        test,
                        asked.t_ask,
                        job.t_eval,
                        t_tell,
                        job.worker,
                        asked.asked,
                        job.start,
                        job.end,
                    )
                )
        finally:
            _extend_columns(trace, rows)


def _extend_columns(trace: Trace, rows: list[tuple[object, ...]]) -> None:
    if not rows:
        return
    columns = (
        trace.configs,
        trace.fidelity,
        trace.cost,
        trace.cum_cost,
        trace.value,
        trace.status,
        trace.best,
        trace.incumbent_test,
        trace.t_ask,
        trace.t_eval,
        trace.t_tell,
        trace.worker,
        trace.asked,
        trace.t_start,
        trace.t_end,
    )
    for column, values in zip(columns, zip(*rows, strict=True), strict=True):
        column.extend(values)


def _check_level(searcher: Strategy, level: object, objective: Objective, trial: int) -> None:
    """``StrategyError`` unless ``level`` is a fidelity level of ``objective``."""
    fidelity = objective.fidelity
    if fidelity is None or real_number(level) is None or not fidelity.contains(level):
        raise StrategyError(
            f"strategy {searcher.name!r} asked for fidelity {level!r} "
            f"({type(level).__name__}) at trial {trial}, "
            f"but the objective's fidelity is {fidelity!r}"
        )


def _note_cost_mismatch(
    trace: Trace, trial: int, level: float | None, outcome: Outcome, planned: float
) -> None:
    """Note in ``trace.meta["cost_mismatch"]`` the first trial whose stated cost
    differs from its planned one (beyond rounding)."""
    if "cost_mismatch" in trace.meta or math.isclose(outcome.cost, planned, rel_tol=1e-9):
        return
    at = "full fidelity" if level is None else f"fidelity {level:g}"
    trace.meta["cost_mismatch"] = (
        f"trial {trial}: the objective stated cost {outcome.cost:g} at {at}, where its "
        f"cost model (Objective.cost) says {planned:g}; the stated cost was charged "
        "(omit Evaluation.cost to have the cost derived from the fidelity)"
    )


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
