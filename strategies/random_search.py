"""Random search (Bergstra & Bengio, 2012)."""

from __future__ import annotations

import numpy as np

from bench import Budget, Fidelity, Float, Int, Space, Strategy, Suggestion


class RandomSearch(Strategy):
    """Uniform random sampling on each dimension's scale (Bergstra & Bengio 2012).

    Options: ``scale`` forces every numeric dimension onto one scale
    (``linear`` turns log-scaled learning rates into plain uniform ones), to
    measure what the scale itself is worth.
    """

    name = "random"

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        scale: str | None = None,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self._rng = np.random.default_rng(seed)
        self._sampling = space if scale is None else _rescaled(space, scale)

    def ask(self) -> Suggestion:
        return self.suggest(self._sampling.sample(self._rng))

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        pass


def _rescaled(space: Space, scale: str) -> Space:
    """``space`` with every numeric dimension on ``scale`` (same bounds)."""
    if scale not in ("linear", "log", "log1m"):
        raise ValueError(f"random: scale must be linear, log or log1m, got {scale!r}")
    dims = {}
    for name, dim in space.items():
        if isinstance(dim, Int):
            dims[name] = Int(dim.low, dim.high, "linear" if scale == "log1m" else scale)
        elif isinstance(dim, Float):
            dims[name] = Float(dim.low, dim.high, scale)
        else:
            dims[name] = dim
    return Space(dims)
