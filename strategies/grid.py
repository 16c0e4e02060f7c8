"""Grid search: the largest full grid that fits the budget.

The grid has the most points a full grid can have within the budget (the
product of the points per dimension, each numeric dimension capped by the
number of distinct values it has); among grids of that size the most balanced
one is taken, and the larger counts go to the earlier dimensions. Points sit
at the centres of equal cells on each dimension's scale by default, or on an
evenly spaced grid with both ends included (``placement=bounds``).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from bench import Budget, Categorical, Exhausted, Fidelity, Float, Int, Space, Strategy, Suggestion
from strategies._options import choice, flag

PLACEMENTS = ("centres", "bounds")


class GridSearch(Strategy):
    """The largest full grid that fits the budget, visited in a seeded random order.

    The grid has the most points that fit (the product of the points per
    numeric dimension, each capped by its number of distinct values, times all
    the categorical choices); among grids of that size the most balanced one
    wins (the smallest count as large as possible, then the next smallest, ...),
    and the larger counts go to the earlier dimensions: 10 x 5 on Branin and
    5 x 5 x 2 x 1 x 1 x 1 on Hartmann-6 at 50 evaluations.

    ``placement`` says where a dimension's n points go on its scale:
    ``centres`` (the default) puts them at the midpoints of n equal cells,
    (i + 0.5)/n in unit coordinates, the midpoint rule, so every dimension is
    covered evenly and no point is spent on a bound; ``bounds`` spaces them
    evenly with both ends included (the classic linspace grid, e.g. sklearn's
    ``ParameterGrid`` over ``np.linspace``), which with 2 points per dimension
    tries only the corners: on Hartmann-6 at 50 evaluations, 4 of its 6
    dimensions would take only 0 and 1. One point is the centre either way.

    The visiting order is shuffled by ``seed`` (``shuffle=false`` keeps the
    grid's own order), so a run cut short is not biased towards one corner.
    Raises ``Exhausted`` after the last point.
    """

    name = "grid"
    parallel = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        shuffle: bool = True,
        placement: str = "centres",
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        flag(self.name, "shuffle", shuffle)
        self.placement = choice(self.name, "placement", placement, PLACEMENTS)
        evaluations = math.floor(budget.evaluations + 1e-9)
        self.points = largest_grid(space, evaluations, placement=self.placement)
        configs = space.grid(self.points, placement=self.placement)
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


def largest_grid(space: Space, evaluations: int, *, placement: str = "centres") -> dict[str, int]:
    """Points per numeric dimension of the largest full grid with at most
    ``evaluations`` points.

    The product of the counts is the largest that fits once the categorical
    choices are paid for; ties go to the most balanced counts (the ascending
    sorted counts compared lexicographically, larger wins), and the larger
    counts to the earlier dimensions. Each count is capped by the number of
    distinct values the dimension has. If the categorical choices alone exceed
    the budget, every numeric dimension gets one point (the run then stops when
    the budget is spent).
    """
    numeric = [name for name, dim in space.items() if not isinstance(dim, Categorical)]
    categorical = math.prod(dim.size for dim in space.values() if isinstance(dim, Categorical))
    room = evaluations // categorical
    if room < 1 or not numeric:
        return dict.fromkeys(numeric, 1)
    caps = [_cap(space[name], room, placement) for name in numeric]
    product = _largest_product(sorted(caps), room)
    counts = _most_balanced(product, sorted(caps))
    return dict(zip(numeric, _assign(counts, caps)))


def _cap(dim: Float | Int, room: int, placement: str) -> int:
    """The most points ``dim`` can take (at most ``room``) with every count up to
    it giving that many distinct values: an integer has ``size`` values, but a
    log-scaled one merges points crowding at its low end before that."""
    if isinstance(dim, Float):
        return room
    cap = min(dim.size, room)
    if dim.scale == "linear":
        return cap
    for n in range(2, cap + 1):
        if len(dim.grid(n, placement)) < n:
            return n - 1
    return cap


def _largest_product(caps: list[int], room: int) -> int:
    """The largest product of counts (count i in 1..caps[i]) that is <= room;
    ``caps`` ascending."""
    tail = [math.prod(caps[i:]) for i in range(len(caps) + 1)]

    @cache
    def best(i: int, limit: int) -> int:
        # Products of counts i.. that are <= limit (limit = room // product so far:
        # few distinct values, hence the cache).
        ceiling = min(limit, tail[i])
        if i == len(caps) or ceiling == tail[i]:
            return ceiling
        found = 1
        for v in range(min(caps[i], limit), 0, -1):
            if v * min(limit // v, tail[i + 1]) <= found:
                if v * tail[i + 1] <= found:
                    break
                continue
            found = max(found, v * best(i + 1, limit // v))
            if found == ceiling:
                break
        return found

    return best(0, room)


def _most_balanced(product: int, caps: list[int]) -> list[int]:
    """The ascending counts with exactly this ``product``, the i-th at most
    ``caps[i]`` (ascending), that are lexicographically largest."""
    divisors = [d for d in range(1, math.isqrt(product) + 1) if product % d == 0]
    divisors = sorted(set(divisors + [product // d for d in divisors]))
    k = len(caps)

    @cache
    def feasible(i: int, rest: int, low: int) -> bool:
        # Whether rest is a product of counts i.., ascending from low, within caps.
        if i == k:
            return rest == 1
        if low ** (k - i) > rest:
            return False
        return any(
            rest % d == 0 and feasible(i + 1, rest // d, d)
            for d in divisors
            if low <= d <= min(caps[i], rest)
        )

    counts: list[int] = []
    rest, low = product, 1
    for i in range(k):
        v = max(
            d
            for d in divisors
            if low <= d <= min(caps[i], rest) and rest % d == 0 and feasible(i + 1, rest // d, d)
        )
        counts.append(v)
        rest, low = rest // v, v
    return counts


def _assign(counts: list[int], caps: list[int]) -> list[int]:
    """``counts`` in the dimensions' order, each within its cap, larger counts
    to earlier dimensions (the lexicographically largest such order)."""
    left = sorted(counts, reverse=True)
    out = []
    for i, cap in enumerate(caps):
        for v in sorted(set(left), reverse=True):
            if v > cap:
                continue
            rest = list(left)
            rest.remove(v)
            # The rest fit the remaining dimensions iff, both sorted, each count
            # is within the cap it is paired with.
            if all(c <= d for c, d in zip(sorted(rest), sorted(caps[i + 1 :]))):
                out.append(v)
                left = rest
                break
    return out
