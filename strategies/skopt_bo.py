"""scikit-optimize's Bayesian optimisation, through ``skopt.Optimizer`` ask/tell.

skopt has no notion of a failed evaluation: a failed trial is told as the
worst value observed so far (before any success it is not told, and the
random initial design simply continues).

With several workers, an ask while points are pending does what
``Optimizer.ask(n_points, strategy="cl_min")`` does for a batch: a copy of the
optimizer, seeded from the optimizer's own random state, is told every pending
point with the constant lie min(observed values) (0 before any), and asked.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from skopt import Optimizer
from skopt.space import Categorical as SkCategorical
from skopt.space import Dimension, Real

from bench import Budget, Categorical, Fidelity, Float, Int, Space, Strategy, Suggestion
from bench.space import Config
from strategies._options import integer


def skopt_dimensions(space: Space) -> list[Dimension]:
    """The space as skopt dimensions; ``log1m`` floats are searched as t = 1 - x
    with a log-uniform prior. An ``Int`` is searched as the real interval
    [low - 0.5, high + 0.5] (log-uniform on a log scale) and rounded, as
    ``bench.space.Int`` maps it: skopt's own ``Integer`` rounds a draw over
    [low, high], which gives each bound half the share of the other integers."""
    out: list[Dimension] = []
    for name, dim in space.items():
        if isinstance(dim, Categorical):
            out.append(SkCategorical(list(dim.choices), name=name))
        elif isinstance(dim, Float):
            if dim.scale == "log1m":
                out.append(Real(1.0 - dim.high, 1.0 - dim.low, prior="log-uniform", name=name))
            else:
                prior = "log-uniform" if dim.scale == "log" else "uniform"
                out.append(Real(dim.low, dim.high, prior=prior, name=name))
        else:
            prior = "log-uniform" if dim.scale == "log" else "uniform"
            out.append(Real(dim.low - 0.5, dim.high + 0.5, prior=prior, name=name))
    return out


def decode(space: Space, point: Sequence[Any]) -> Config:
    """The configuration of a point skopt asked for (Python types, in bounds)."""
    values = {}
    for (name, dim), value in zip(space.items(), point):
        if isinstance(dim, Int):
            values[name] = min(max(math.floor(value + 0.5), dim.low), dim.high)
        elif isinstance(dim, Float) and dim.scale == "log1m":
            values[name] = 1.0 - value
        else:
            values[name] = value
    return space.coerce(values)


class _SkoptStrategy(Strategy):
    """An ``skopt.Optimizer`` with the base estimator a subclass names."""

    base_estimator: str
    parallel = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        n_initial_points: int = 10,
        acq_func: str = "gp_hedge",
        acq_optimizer: str = "auto",
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        integer(self.name, "n_initial_points", n_initial_points, 1)
        self.optimizer = Optimizer(
            skopt_dimensions(space),
            base_estimator=self.base_estimator,
            n_initial_points=n_initial_points,
            acq_func=acq_func,
            acq_optimizer=acq_optimizer,
            random_state=np.random.RandomState(seed),
        )
        self._worst = -np.inf
        self.n_initial_points = n_initial_points
        self._told = 0
        self._start_up = 0
        #: Points asked and not told yet, by suggestion id.
        self._pending: dict[int, list[Any]] = {}

    @property
    def initial_design(self) -> int:
        """Points asked while fewer than ``n_initial_points`` values had been told
        (a failure before any success is not told, so it does not count)."""
        return self._start_up

    @property
    @abc.abstractmethod
    def base_estimator(self) -> str:
        """skopt's name of the surrogate model."""

    def ask(self) -> Suggestion:
        if self._told < self.n_initial_points:
            self._start_up += 1
        point = self._liar().ask() if self._pending else self.optimizer.ask()
        suggestion = self.suggest(decode(self.space, point), token=point)
        self._pending[suggestion.id] = point
        return suggestion

    def _liar(self) -> Optimizer:
        """A copy of the optimizer told every pending point with skopt's "cl_min" lie."""
        liar = self.optimizer.copy(
            random_state=self.optimizer.rng.randint(0, np.iinfo(np.int32).max)
        )
        lie = float(np.min(liar.yi)) if liar.yi else 0.0
        points = list(self._pending.values())
        liar.tell(points, [lie] * len(points))
        return liar

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        del self._pending[suggestion.id]
        if value is None:
            if np.isfinite(self._worst):
                self.optimizer.tell(suggestion.token, self._worst)
                self._told += 1
            return
        self._worst = max(self._worst, value)
        self.optimizer.tell(suggestion.token, value)
        self._told += 1


class GPSkopt(_SkoptStrategy):
    """Gaussian-process Bayesian optimisation, scikit-optimize's Optimizer with base_estimator="GP"."""

    name = "gp-skopt"
    model_based = True
    base_estimator = "GP"


class RFSkopt(_SkoptStrategy):
    """Random-forest surrogate (SMAC-like), scikit-optimize's Optimizer with base_estimator="RF"."""

    name = "rf-skopt"
    model_based = True
    base_estimator = "RF"
