"""The one loop that drives a strategy: ask, evaluate, tell, record."""

from __future__ import annotations

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
from bench.objective import Evaluation, Objective
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
    budget = Budget(budget) if not isinstance(budget, Budget) else budget.fresh()
    trace = Trace(suite, str(o_variant), str(s_variant), seed, obj.space)
    trace.meta.update(optimum=obj.optimum, budget=budget.evaluations)
    started = time.perf_counter()
    try:
        searcher = s_class(
            obj.space, seed=seed, budget=budget, fidelity=obj.fidelity, **dict(s_variant.options)
        )
        trace.meta["t_init"] = time.perf_counter() - started
        _drive(searcher, obj, seed, budget, trace, timeout)
        trace.meta["initial_design"] = searcher.initial_design
    except Exception:
        if on_error == "raise":
            raise
        trace.error = traceback.format_exc()
    trace.meta["wall"] = time.perf_counter() - started
    return trace


@dataclass(frozen=True)
class _Outcome:
    """What one evaluation came to; ``value`` is NaN unless ``status`` is ok."""

    value: float
    cost: float
    status: Literal["ok", "failed", "timeout"]
    extras: Mapping[str, Any] | None = None
    reason: str | None = None


def _drive(
    searcher: Strategy,
    objective: Objective,
    seed: int,
    budget: Budget,
    trace: Trace,
    timeout: float | None,
) -> None:
    """Ask, evaluate, tell and record one row per trial into ``trace`` until the
    budget is spent, unaffordable, or the strategy is exhausted."""
    fidelity = objective.fidelity
    full = fidelity.high if fidelity is not None else math.nan
    best = math.inf
    incumbent_test = math.nan
    clock = time.perf_counter
    while not budget.exhausted:
        t0 = clock()
        try:
            suggestion = searcher.ask()
        except Exhausted:
            break
        t1 = clock()
        trial = len(trace)
        config, level = _normalise_suggestion(searcher, suggestion, objective, trial)
        planned = objective.cost(level)
        if not budget.affords(planned):
            break
        outcome = _evaluate(objective, dict(config), level, seed, timeout, planned)
        t2 = clock()
        if outcome.status == "timeout" or (timeout is not None and t2 - t1 > timeout):
            limit = "no limit set" if timeout is None else f"the limit of {timeout:g} s"
            reason = f"evaluation took {t2 - t1:.3g} s, over {limit}"
            outcome = _Outcome(math.nan, planned, "timeout", reason=reason)
        if outcome.reason is not None:
            trace.errors[trial] = outcome.reason
        if outcome.status == "ok" and not math.isclose(outcome.cost, planned, rel_tol=1e-9):
            trace.meta.setdefault("cost_mismatch", _cost_mismatch(trial, level, outcome, planned))
        searcher.tell(suggestion, outcome.value if outcome.status == "ok" else None)
        t3 = clock()
        cum_cost = budget.spend(outcome.cost)
        at_full = level is None or level == full
        if outcome.status == "ok" and at_full and outcome.value < best:
            best = outcome.value
            extras = outcome.extras
            incumbent_test = float(extras.get("test", math.nan)) if extras else math.nan
        trace.configs.append(config)
        trace.fidelity.append(full if level is None else float(level))
        trace.cost.append(outcome.cost)
        trace.cum_cost.append(cum_cost)
        trace.value.append(outcome.value)
        trace.status.append(outcome.status)
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
    outcome: an exception or ``sys.exit`` is a failed trial charged ``planned``,
    a ``TrialTimeout`` a timeout."""
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
        return _Outcome(math.nan, planned, "failed", reason=f"{reason}{_raised_at(exc)}")
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
