"""Objectives: what a strategy is measured on. Every objective is minimised."""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from bench.space import Space, Value

log = logging.getLogger("bench")


@dataclass(frozen=True)
class Fidelity:
    """The resource an objective can be evaluated at (epochs for an MLP).

    Successive-halving strategies step it by factors of ``eta`` from ``low``
    to ``high``; an evaluation at ``r`` costs ``r / high`` of a full one.
    """

    name: str
    low: float
    high: float
    eta: float = 3.0

    def __post_init__(self) -> None:
        if not 0 < self.low < self.high:
            raise ValueError(
                f"Fidelity {self.name!r}: need 0 < low < high, got {self.low}, {self.high}"
            )
        if not self.eta > 1:
            raise ValueError(f"Fidelity {self.name!r}: eta must be > 1, got {self.eta}")

    def cost(self, fidelity: float | None) -> float:
        """The budget one evaluation at ``fidelity`` consumes (None: full)."""
        return 1.0 if fidelity is None else float(fidelity) / self.high

    def contains(self, fidelity: float) -> bool:
        return self.low <= fidelity <= self.high


@dataclass(frozen=True)
class Evaluation:
    """One evaluation's outcome.

    ``value`` is what the searcher sees (validation error for an MLP, a noisy
    function's noisy value); ``cost`` is the budget it consumed, or ``None``
    (the default) for what ``Objective.cost`` says at the evaluated fidelity,
    so an objective that states no cost is never charged a full evaluation
    for a low-fidelity one; ``extras`` is
    what only the report may see. By convention ``extras["test"]`` is the value
    the report judges an incumbent by (an MLP's held-out test error, a noisy
    function's noiseless value: the loop records it as ``incumbent_test``) and
    ``extras["seconds"]`` the training time.
    """

    value: float
    cost: float | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


class Objective(abc.ABC):
    """A function to minimise over ``space``.

    Subclasses set ``name`` (kebab-case registry key), ``space``, and where
    known ``optimum`` (the global minimum to full double precision) and
    ``minimisers`` (configurations where it is attained). Options of a
    variant (``name[key=value]``) are the constructor's keyword arguments.
    """

    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]] = ()
    space: Space
    fidelity: Fidelity | None = None
    optimum: float | None = None
    minimisers: tuple[Mapping[str, Value], ...] = ()
    #: The variant name (``name[key=value]``) the registry built this instance from.
    label: str = ""
    #: Declared simulated seconds of one full evaluation (an evaluation at fidelity
    #: r takes ``cost(r)`` times that), or None: see ``duration``.
    seconds_per_evaluation: ClassVar[float | None] = None
    #: True for an objective whose ``extras["seconds"]`` are recorded or predicted
    #: (a replay of recorded trainings), not measured: they are its durations.
    recorded_seconds: ClassVar[bool] = False

    @abc.abstractmethod
    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        """Evaluate ``config`` at ``fidelity`` (None: full); ``seed`` drives every
        random choice of the objective (data split, initial weights, noise)."""

    def cost(self, fidelity: float | None) -> float:
        """The budget an evaluation at ``fidelity`` will consume."""
        return 1.0 if self.fidelity is None else self.fidelity.cost(fidelity)

    def duration(
        self,
        config: Mapping[str, Value],
        fidelity: float | None,
        extras: Mapping[str, Any] | None,
    ) -> float | None:
        """Seconds one evaluation occupies a worker on the loop's simulated clock:
        the declared ``seconds_per_evaluation`` scaled by the cost at
        ``fidelity``; else, where ``recorded_seconds``, ``extras["seconds"]``
        (``extras``: the evaluation's, or for one that raised, the exception's
        ``extras`` attribute, else None); else None, and the loop uses the
        evaluation's measured wall time."""
        if self.seconds_per_evaluation is not None:
            return self.seconds_per_evaluation * self.cost(fidelity)
        if self.recorded_seconds and extras is not None and "seconds" in extras:
            return extras["seconds"]
        return None

    def signature_configs(self) -> list[dict[str, Value]]:
        """Five fixed configurations whose values fingerprint the objective."""
        rng = np.random.default_rng(20260101)
        return [self.space.from_unit(rng.random(len(self.space))) for _ in range(5)]

    def signature(self) -> list[float]:
        """Values at ``signature_configs`` (seed 0, full fidelity), as Bayesmark does:
        if they drift between stored runs and the code, stored runs are stale. A
        configuration whose evaluation fails (a diverging network) counts as NaN,
        as the loop counts it as a failed trial, and is logged."""
        values = []
        for index, config in enumerate(self.signature_configs()):
            try:
                values.append(float(self.evaluate(config, None, seed=0).value))
            except Exception as exc:
                log.warning(
                    "objective %s: signature configuration %d failed: %s", self.name, index, exc
                )
                values.append(math.nan)
        return values

    def restricted(self, space: Space) -> Objective:
        """This objective searched over ``space`` (same parameters, other bounds or
        scales). ``optimum`` is kept only if a known minimiser lies inside."""
        if space.names != self.space.names:
            raise ValueError(
                f"objective {self.name!r}: a restricted space must keep the parameters "
                f"{list(self.space.names)}, got {list(space.names)}"
            )
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.space = space
        inside = tuple(m for m in self.minimisers if space.contains(dict(m)))
        clone.minimisers = inside
        if not inside:
            clone.optimum = None
        return clone

    @classmethod
    def describe(cls) -> str:
        doc = (cls.__doc__ or "").strip().splitlines()
        return doc[0] if doc else ""
