"""The one loop that drives a strategy: ask, evaluate, tell, record."""

from __future__ import annotations

import math
import numbers
import time
import traceback
from typing import Any, Literal

import numpy as np

from bench.budget import Budget
from bench.deadline import TrialTimeout, deadline
from bench.objective import Objective
from bench.registry import Registry, default_registry
from bench.space import Config, SpaceError
from bench.strategy import Exhausted, Strategy, Suggestion
from bench.trace import Trace
from bench.variant import Variant


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
) -> Trace:
    """Run ``strategy`` on ``objective`` with ``seed`` until ``budget`` is spent.

    Names may carry options (``"random[scale=linear]"``). Each trial is timed
    in three parts (ask, evaluate, tell, in seconds). An objective that raises
    or returns a non-finite value is a failed trial; one that runs longer than
    ``timeout`` seconds is interrupted and recorded with status ``timeout``.
    Either is told as ``None`` and still costs its budget. The run stops when
    the budget is spent, when the next suggestion costs more than what is left,
    or when the strategy raises ``Exhausted``. A strategy that raises, or
    suggests a configuration outside the space, ends the run: with the
    exception (``on_error="raise"``), or with the trials so far and the
    traceback in ``Trace.error`` (``on_error="record"``).
    """
    registry = registry or default_registry()
    s_variant, s_class = _strategy(strategy, registry)
    o_variant, obj = _objective(objective, registry)
    budget = Budget(budget) if not isinstance(budget, Budget) else budget.fresh()
    trace = Trace(suite, str(o_variant), str(s_variant), seed, obj.space)
    trace.meta.update(optimum=obj.optimum, budget=budget.evaluations)
    started = time.perf_counter()
    try:
        searcher = s_class(
            obj.space, seed=seed, budget=budget, fidelity=obj.fidelity, **dict(s_variant.options)
        )
        _drive(searcher, obj, seed, budget, trace, timeout)
    except Exception:
        if on_error == "raise":
            raise
        trace.error = traceback.format_exc()
    trace.meta["wall"] = time.perf_counter() - started
    return trace


def _drive(
    searcher: Strategy,
    objective: Objective,
    seed: int,
    budget: Budget,
    trace: Trace,
    timeout: float | None,
) -> None:
    fidelity = objective.fidelity
    full = fidelity.high if fidelity is not None else math.nan
    best = math.inf
    incumbent_test = math.nan
    clock = time.perf_counter
    evaluate = objective.evaluate
    while not budget.exhausted:
        t0 = clock()
        try:
            suggestion = searcher.ask()
        except Exhausted:
            break
        t1 = clock()
        config, level = _normalise_suggestion(searcher, suggestion, objective, len(trace))
        planned = objective.cost(level)
        if not budget.affords(planned):
            break
        extras: Any = None
        try:
            with deadline(timeout):
                evaluation = evaluate(dict(config), level, seed=seed)
            value, cost, extras = float(evaluation.value), evaluation.cost, evaluation.extras
            status = "ok"
            if not math.isfinite(value):
                trace.errors[len(trace)] = f"non-finite value {value!r}"
                value, status = math.nan, "failed"
        except TrialTimeout:
            value, cost, status = math.nan, planned, "timeout"
        except Exception as exc:
            value, cost, status = math.nan, planned, "failed"
            trace.errors[len(trace)] = "".join(traceback.format_exception_only(exc)).strip()
        t2 = clock()
        if timeout is not None and t2 - t1 > timeout and status != "timeout":
            value, cost, status = math.nan, planned, "timeout"
        if status == "timeout":
            trace.errors[len(trace)] = (
                f"evaluation took {t2 - t1:.3g} s, over the limit of {timeout:g} s"
            )
        searcher.tell(suggestion, value if status == "ok" else None)
        t3 = clock()
        cum_cost = budget.spend(cost)
        at_full = level is None or level == full
        if status == "ok" and at_full and value < best:
            best = value
            incumbent_test = float(extras.get("test", math.nan)) if extras else math.nan
        trace.configs.append(config)
        trace.fidelity.append(full if level is None else float(level))
        trace.cost.append(cost)
        trace.cum_cost.append(cum_cost)
        trace.value.append(value)
        trace.status.append(status)
        trace.best.append(best if best < math.inf else math.nan)
        trace.incumbent_test.append(incumbent_test)
        trace.t_ask.append(t1 - t0)
        trace.t_eval.append(t2 - t1)
        trace.t_tell.append(t3 - t2)


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
