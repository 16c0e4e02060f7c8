"""Synthetic test functions with known global minima.

Each function is vectorised over the rows of ``X`` (shape (n, d)) and
evaluated in the coordinates of its usual domain. Optima are computed at the
minimiser to full double precision (tests check them), because regret curves
go down to 1e-8 and a rounded literature figure would make regret negative.

Source for the formulas, domains and minimisers: S. Surjanovic and
D. Bingham, *Virtual Library of Simulation Experiments: Test Functions and
Datasets* (Simon Fraser University, 2013), https://www.sfu.ca/~ssurjano/.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import ClassVar

import numpy as np

from bench import Evaluation, Float, Objective, Space
from bench.space import Value


class SyntheticFunction(Objective):
    """A deterministic function of real parameters ``x1..xd`` on a box."""

    bounds: ClassVar[Sequence[tuple[float, float]]]
    minimiser_points: ClassVar[Sequence[Sequence[float]]] = ()

    def __init__(self) -> None:
        self.space = Space({f"x{i + 1}": Float(lo, hi) for i, (lo, hi) in enumerate(self.bounds)})
        self.minimisers = tuple(dict(zip(self.space.names, p)) for p in self.minimiser_points)
        if self.minimiser_points:
            self.optimum = float(self.function(np.asarray(self.minimiser_points[:1], float))[0])
        self._names = self.space.names

    @staticmethod
    @abc.abstractmethod
    def function(X: np.ndarray) -> np.ndarray:
        """Values at the rows of ``X`` (shape (n, d)), in the function's own domain."""

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        x = np.array([[config[name] for name in self._names]], dtype=float)
        return Evaluation(float(self.function(x)[0]))


class Branin(SyntheticFunction):
    """Branin-Hoo, 2-D, three global minima (f* = 5/(4 pi))."""

    name = "branin"
    bounds = ((-5.0, 10.0), (0.0, 15.0))
    minimiser_points = ((-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475))

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        x1, x2 = X[:, 0], X[:, 1]
        b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
        return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


class Hartmann6(SyntheticFunction):
    """Hartmann, 6-D on [0, 1]^6, one global minimum (f* ~ -3.32237), six local minima."""

    name = "hartmann6"
    bounds = ((0.0, 1.0),) * 6
    # The literature minimiser (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)
    # polished with L-BFGS-B and Nelder-Mead to full double precision.
    minimiser_points = (
        (
            0.20168950308154784,
            0.15001069256125274,
            0.47687397826899963,
            0.2753324293380429,
            0.31165161699824356,
            0.6573005342028397,
        ),
    )

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        inner = np.sum(_H6_A[None, :, :] * (X[:, None, :] - _H6_P[None, :, :]) ** 2, axis=2)
        return -np.exp(-inner) @ _H6_ALPHA


class ForresterOneOfTwo(SyntheticFunction):
    """Forrester et al. (2008) in x1, shifted per seed; x2 does nothing (1 of 2 dimensions matter).

    Bergstra & Bengio (2012)'s argument for random search: a grid of n points
    tries only sqrt(n) distinct values of the one dimension that matters.
    Where the minimiser falls between grid lines would otherwise decide the
    contest by luck, so each seed is an instance (as in COCO): x1 in [0, 1]
    maps to t = 0.8 x1 + s with s ~ U[0, 0.2] drawn from the seed, which keeps
    the minimiser t* = 0.75725 inside and the optimum unchanged.
    """

    name = "forrester-1of2"
    bounds = ((0.0, 1.0), (0.0, 1.0))
    #: argmin of (6t - 2)^2 sin(12t - 4) on [0, 1], bounded Brent to 1e-14.
    T_STAR = 0.7572487585232999

    def __init__(self) -> None:
        super().__init__()
        self.optimum = float(self.function(np.array([[self.T_STAR, 0.0]]))[0])
        self.minimisers = ()

    @staticmethod
    @lru_cache(maxsize=1024)
    def shift(seed: int) -> float:
        """The instance offset s of ``seed``."""
        return float(np.random.default_rng([seed, 1012]).uniform(0.0, 0.2))

    def minimiser(self, seed: int) -> dict[str, float]:
        return {"x1": (self.T_STAR - self.shift(seed)) / 0.8, "x2": 0.5}

    @staticmethod
    def function(X: np.ndarray) -> np.ndarray:
        t = X[:, 0]
        return (6 * t - 2) ** 2 * np.sin(12 * t - 4)

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        t = 0.8 * float(config["x1"]) + self.shift(seed)
        return Evaluation(float(self.function(np.array([[t, 0.0]]))[0]))
