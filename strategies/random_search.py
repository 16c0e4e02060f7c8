"""Random search (Bergstra & Bengio, 2012)."""

from __future__ import annotations

import difflib

import numpy as np

from bench import Budget, Fidelity, Float, Int, Space, Strategy, Suggestion


class RandomSearch(Strategy):
    """Uniform random sampling on each dimension's scale (Bergstra & Bengio 2012).

    Options: ``scale`` puts numeric dimensions onto one scale (``linear``
    turns a log-scaled learning rate into a plain uniform one), to measure what
    the scale itself is worth; ``dims`` names the dimensions to rescale (one
    name, or a list such as ``dims=["learning_rate_init","momentum"]``; an entry
    ``log`` or ``log1m`` that is not a dimension's name stands for every dimension
    on that scale; default: every numeric dimension), so one dimension's scale
    can be tested with the others unchanged. The other dimensions draw the same
    values as plain ``random`` with the same seed (common random numbers).
    """

    name = "random"
    parallel = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        scale: str | None = None,
        dims: str | list[str] | None = None,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self._rng = np.random.default_rng(seed)
        names = _dimension_names(space, dims)
        if scale is None:
            if dims is not None:
                raise ValueError("random: dims names dimensions to rescale; give scale too")
            self._sampling = space
        else:
            self._sampling = _rescaled(space, scale, names)

    def ask(self) -> Suggestion:
        return self.suggest(self._sampling.sample(self._rng))

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        pass


def _dimension_names(space: Space, dims: str | list[str] | None) -> set[str]:
    """The numeric dimensions ``dims`` names (all numeric ones for ``None``)."""
    numeric = [name for name, dim in space.items() if isinstance(dim, (Float, Int))]
    if dims is None:
        return set(numeric)
    names = [dims] if isinstance(dims, str) else dims
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"random: dims must be a dimension name or a list of them, got {dims!r}")
    chosen = set()
    for name in names:
        if name not in numeric and name in ("log", "log1m"):
            chosen |= {n for n in numeric if space[n].scale == name}
        elif name not in numeric:
            close = difflib.get_close_matches(name, numeric, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"random: dims: {name!r} is not a numeric dimension of this space "
                f"({', '.join(numeric)}){hint}"
            )
        else:
            chosen.add(name)
    if not chosen:
        raise ValueError(f"random: dims {dims!r} selects no dimension of this space")
    return chosen


def _rescaled(space: Space, scale: str, names: set[str]) -> Space:
    """``space`` with the numeric dimensions ``names`` on ``scale`` (same bounds)."""
    if scale not in ("linear", "log", "log1m"):
        raise ValueError(f"random: scale must be linear, log or log1m, got {scale!r}")
    dims = {}
    for name, dim in space.items():
        if name not in names:
            dims[name] = dim
        elif isinstance(dim, Int):
            dims[name] = Int(dim.low, dim.high, "linear" if scale == "log1m" else scale)
        elif isinstance(dim, Float):
            dims[name] = Float(dim.low, dim.high, scale)
        else:
            dims[name] = dim
    return Space(dims)
