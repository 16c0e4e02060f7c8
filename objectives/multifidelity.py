"""Multi-fidelity synthetic functions: cheap, biased, correlated approximations.

Low fidelity costs less and is biased, but its ranking of configurations
correlates with full fidelity's, which is what Hyperband and BOHB exploit. The
forms are those of Kandasamy, Dasarathy, Schneider & Poczos (2017),
*Multi-fidelity Bayesian Optimisation with Continuous Approximations* (ICML;
also the Dragonfly library's test functions), with their fidelity vector
z in [0, 1]^p collapsed to one resource: z = r / high for every component.
At r = high they are exactly Branin and Hartmann-6, so the optimum is the
full-fidelity one; ``cost`` is r / high.

Instances (option ``instance``: shift, the default, rotate or plain; see
``objectives.synthetic``): the instance of the seed transforms the input
before the fidelity formula, so at full fidelity each is exactly the instance
of Branin or Hartmann-6, with the same optimum and ``minimiser(seed)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from bench import Evaluation, Fidelity
from bench.space import Value
from objectives.synthetic import _H6_A, _H6_ALPHA, _H6_P, Branin, Hartmann6, Instances

#: The resource: 1..27 units, halved by successive halving with eta = 3.
RESOURCE = Fidelity("resource", 1, 27, 3)


def branin_at(X: np.ndarray, z: float) -> np.ndarray:
    """Branin with b, c and t shifted by the fidelity z in (0, 1] (z = 1: Branin)."""
    x1, x2 = X[:, 0], X[:, 1]
    b = 5.1 / (4 * math.pi**2) - 0.01 * (1 - z)
    c = 5 / math.pi - 0.1 * (1 - z)
    t = 1 / (8 * math.pi) + 0.05 * (1 - z)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10


def hartmann6_at(X: np.ndarray, z: float) -> np.ndarray:
    """Hartmann-6 with its weights alpha lowered by 0.1 (1 - z) (z = 1: Hartmann-6)."""
    inner = np.sum(_H6_A[None, :, :] * (X[:, None, :] - _H6_P[None, :, :]) ** 2, axis=2)
    return -np.exp(-inner) @ (_H6_ALPHA - 0.1 * (1 - z))


class _MultiFidelity:
    """``evaluate`` at fidelity z = r / high of the family's ``at(X, z)``."""

    fidelity = RESOURCE
    _names: tuple[str, ...]
    instances: Instances

    @staticmethod
    def at(X: np.ndarray, z: float) -> np.ndarray:
        raise NotImplementedError

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        z = 1.0 if fidelity is None else float(fidelity) / RESOURCE.high
        x = np.array([[config[name] for name in self._names]], dtype=float)
        x = self.instances.transform(x, seed)
        return Evaluation(float(self.at(x, z)[0]), cost=RESOURCE.cost(fidelity))


class BraninMultiFidelity(_MultiFidelity, Branin):
    """Branin with a resource 1..27: lower resource shifts b, c, t (Kandasamy et al. 2017)."""

    name = "branin-mf"
    at = staticmethod(branin_at)


class Hartmann6MultiFidelity(_MultiFidelity, Hartmann6):
    """Hartmann-6 with a resource 1..27: lower resource lowers its weights (Kandasamy et al. 2017)."""

    name = "hartmann6-mf"
    at = staticmethod(hartmann6_at)
