"""Grid search: the largest full grid that fits the budget."""

from __future__ import annotations

import math

import numpy as np

from bench import Budget, Categorical, Exhausted, Fidelity, Space, Strategy, Suggestion
from strategies._options import flag


class GridSearch(Strategy):
    """The largest full grid that fits the budget, visited in a seeded random order.

    Every numeric dimension gets as many evenly spaced points (ends included,
    on its scale) as the budget allows, one dimension at a time; categorical
    dimensions contribute all their choices. The visiting order is shuffled
    by ``seed`` (``shuffle=false`` keeps the grid's own order), so a run cut
    short is not biased towards one corner. Raises ``Exhausted`` after the
    last point.
    """

    name = "grid"

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        shuffle: bool = True,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        flag(self.name, "shuffle", shuffle)
        self.points = largest_grid(space, math.floor(budget.evaluations + 1e-9))
        configs = space.grid(self.points)
        if shuffle:
            order = np.random.default_rng(seed).permutation(len(configs))
            configs = [configs[i] for i in order]
        self._configs = configs
        self._next = 0

    def ask(self) -> Suggestion:
        if self._next >= len(self._configs):
            raise Exhausted(f"all {len(self._configs)} grid points visited")
        self._next += 1
        return self.suggest(self._configs[self._next - 1])

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        pass


def largest_grid(space: Space, evaluations: int) -> dict[str, int]:
    """Points per numeric dimension of the largest full grid with at most
    ``evaluations`` points, grown one dimension at a time in the space's order."""
    counts = {name: 1 for name, dim in space.items() if not isinstance(dim, Categorical)}
    size = space.grid_size(counts)
    grown = True
    while grown:
        grown = False
        for name in counts:
            candidate = {**counts, name: counts[name] + 1}
            candidate_size = space.grid_size(candidate)
            if size < candidate_size <= evaluations:
                counts, size, grown = candidate, candidate_size, True
    return counts
