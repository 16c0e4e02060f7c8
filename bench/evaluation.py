"""One evaluation of an objective, and what it came to whatever the objective does."""

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

from bench.deadline import TrialTimeout, deadline
from bench.objective import Evaluation, Objective
from bench.space import Config


@dataclass(frozen=True)
class Outcome:
    """What one evaluation came to; ``value`` is NaN unless ``status`` is ok."""

    value: float
    cost: float
    status: Literal["ok", "failed", "timeout"]
    extras: Mapping[str, Any] | None = None
    reason: str | None = None


def evaluate(
    objective: Objective,
    config: Config,
    level: float | None,
    seed: int,
    timeout: float | None,
    planned: float,
) -> tuple[Outcome, float]:
    """``config`` (a copy) evaluated by ``objective`` at ``level``: its outcome and
    wall time in seconds; an evaluation over ``timeout`` is a timeout whatever
    it returned."""
    started = time.perf_counter()
    outcome = _evaluate_once(objective, dict(config), level, seed, timeout, planned)
    t_eval = time.perf_counter() - started
    if outcome.status == "timeout" or (timeout is not None and t_eval > timeout):
        limit = "no limit set" if timeout is None else f"the limit of {timeout:g} s"
        reason = f"evaluation took {t_eval:.3g} s, over {limit}"
        outcome = Outcome(math.nan, planned, "timeout", reason=reason)
    return outcome, t_eval


def checked_duration(objective: Objective, duration: object) -> float | None:
    """What ``objective.duration`` returned as seconds (None: measured);
    ``ValueError`` naming the objective if it is not a finite number >= 0."""
    if duration is None:
        return None
    seconds = real_number(duration)
    if seconds is None or not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(
            f"objective {objective.name!r}: duration() returned {duration!r}; "
            "expected a finite number of seconds >= 0, or None"
        )
    return seconds


def _evaluate_once(
    objective: Objective,
    config: Config,
    level: float | None,
    seed: int,
    timeout: float | None,
    planned: float,
) -> Outcome:
    """Evaluate ``config`` (the objective's own copy) within ``timeout`` seconds.

    Whatever the objective does, other than a ``KeyboardInterrupt``, is an
    outcome: an exception or ``sys.exit`` is a failed trial charged ``planned``
    (with the exception's ``extras`` mapping, if it has one: the seconds a
    recorded training ran before it diverged), a ``TrialTimeout`` a timeout."""
    try:
        with deadline(timeout):
            evaluation = objective.evaluate(config, level, seed=seed)
    except TrialTimeout:
        return Outcome(math.nan, planned, "timeout")
    except SystemExit as exc:
        call = "sys.exit()" if exc.code is None else f"sys.exit({exc.code!r})"
        return Outcome(math.nan, planned, "failed", reason=f"objective called {call}")
    except Exception as exc:
        reason = "".join(traceback.format_exception_only(exc)).strip()
        extras = getattr(exc, "extras", None)
        extras = dict(extras) if isinstance(extras, Mapping) else None
        return Outcome(math.nan, planned, "failed", extras, f"{reason}{_raised_at(exc)}")
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


def _judge(evaluation: object, planned: float) -> Outcome:
    """The outcome of what ``evaluate`` returned: a failed trial unless it is an
    ``Evaluation`` with a finite real value and a positive finite cost (or no
    cost: then ``planned``). An invalid cost is replaced by ``planned``, so that
    every trial spends budget and every run ends."""
    if not isinstance(evaluation, Evaluation):
        reason = f"objective returned {evaluation!r} of type {type(evaluation).__name__}"
        return Outcome(math.nan, planned, "failed", reason=f"{reason}; expected an Evaluation")
    reasons = []
    value = real_number(evaluation.value)
    if value is None:
        reasons.append(
            f"objective returned value {evaluation.value!r} of type "
            f"{type(evaluation.value).__name__}; expected a real number"
        )
    elif not math.isfinite(value):
        reasons.append(f"non-finite value {value!r}")
    stated = evaluation.cost
    cost = planned if stated is None else real_number(stated)
    if cost is None or not (math.isfinite(cost) and cost > 0):
        reasons.append(
            f"objective returned cost {stated!r} of type {type(stated).__name__}; expected "
            f"a positive finite number (charged the planned cost {planned:g})"
        )
        cost = planned
    if value is None or reasons:
        return Outcome(math.nan, cost, "failed", _copy(evaluation.extras), "; ".join(reasons))
    return Outcome(value, cost, "ok", _copy(evaluation.extras))


def _copy(extras: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The outcome's own copy of ``extras``: the loop reads it when the run ends,
    and an objective may reuse and update one dict for every evaluation."""
    return None if extras is None else dict(extras)


def real_number(number: object) -> float | None:
    """``number`` as a float if it is a real number (numpy's included, bools not)."""
    if type(number) is float:
        return number
    if isinstance(number, (bool, np.bool_)) or not isinstance(number, numbers.Real):
        return None
    try:
        return float(number)
    except OverflowError:
        return math.copysign(math.inf, number)
