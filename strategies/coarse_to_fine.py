"""Coarse-to-fine search: random search, then random search in shrinking boxes."""

from __future__ import annotations

import bisect
import math

import numpy as np

from bench import Budget, Fidelity, Space, Strategy, Suggestion
from bench.space import Config, Value


class CoarseToFine(Strategy):
    """Random search, then random search in shrinking boxes around the best so far.

    The first ``first`` of the budget (a fraction of ``budget.evaluations``)
    samples the whole space; it is random search with the same seed. The rest
    is shared equally by ``stages`` stages: stage k samples uniformly in
    ``space.shrink(centre, zoom**k)``, whose numeric sides are ``zoom**k`` of
    the full ones in unit coordinates and whose categorical values are the
    centre's. The centres are the ``top`` best distinct configurations
    observed when the stage starts (failed evaluations never count), sampled
    round-robin. Until something has succeeded it samples the whole space
    (and zooms at the first ask after a success). After the last stage it
    keeps sampling the last stage's boxes. Stages are counted in trials: it
    only asks for full evaluations, so one trial costs one evaluation. With
    several workers a stage zooms around the results told when it starts.
    """

    name = "coarse-to-fine"
    parallel = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        first: float = 0.3,
        stages: int = 3,
        zoom: float = 0.5,
        top: int = 1,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        _check_fraction("first", first)
        _check_fraction("zoom", zoom)
        _check_count("stages", stages)
        _check_count("top", top)
        self.first, self.stages, self.zoom, self.top = float(first), stages, float(zoom), top
        self.starts = stage_starts(budget.evaluations, self.first, stages)
        self._rng = np.random.default_rng(seed)
        self._observed: list[tuple[float, int, Config]] = []
        self._stage = 0
        self._boxes: list[Space] = []
        self._turn = 0

    @property
    def initial_design(self) -> int:
        """The coarse phase: uniform random search before the first zoom."""
        return self.starts[0]

    def ask(self) -> Suggestion:
        stage = bisect.bisect_right(self.starts, self.suggested)
        if stage != self._stage or (stage and not self._boxes):
            self._stage, self._boxes, self._turn = stage, self._zoom_in(stage), 0
        if not self._boxes:
            return self.suggest(self.space.sample(self._rng))
        sub = self._boxes[self._turn % len(self._boxes)]
        self._turn += 1
        return self.suggest(sub.sample(self._rng))

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        if value is not None and math.isfinite(value):
            self._observed.append((float(value), suggestion.id, suggestion.config))

    def centres(self) -> list[Config]:
        """The ``top`` best distinct configurations observed so far, best first."""
        chosen: dict[tuple[tuple[str, Value], ...], Config] = {}
        for _, _, config in sorted(self._observed, key=lambda row: row[:2]):
            chosen.setdefault(tuple(config.items()), config)
            if len(chosen) == self.top:
                break
        return list(chosen.values())

    def _zoom_in(self, stage: int) -> list[Space]:
        if stage == 0:
            return []
        return [self.space.shrink(c, self.zoom**stage) for c in self.centres()]


def stage_starts(evaluations: float, first: float, stages: int) -> list[int]:
    """The trial number at which each of stages 1..``stages`` starts.

    The coarse phase takes ``ceil(first * n)`` trials (at least one) of the
    ``n`` full evaluations the budget affords; the stages share the rest
    equally, the later ones taking the remainder.
    """
    n = math.floor(evaluations + 1e-9)
    coarse = min(max(math.ceil(first * n - 1e-9), 1), max(n, 1))
    rest = max(n - coarse, 0)
    return [coarse + (k * rest) // stages for k in range(stages)]


def _check_fraction(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"coarse-to-fine: {name} must be a number in (0, 1), got {value!r}")


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"coarse-to-fine: {name} must be an integer >= 1, got {value!r}")
