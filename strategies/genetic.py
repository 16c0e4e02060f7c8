"""A generational genetic algorithm on the unit cube of the space."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from bench import Budget, Categorical, Fidelity, Space, Strategy, Suggestion, Wait


class Genetic(Strategy):
    """A generational genetic algorithm: tournament selection, uniform crossover, elitism.

    Individuals are points of the unit cube (``Space.to_unit`` coordinates),
    decoded with ``Space.from_unit``. The first generation is ``population``
    uniform random points (the same as random search with the same seed).
    Each later generation keeps the ``elite`` best individuals unchanged (they
    are not evaluated again; failed ones never qualify) and fills the rest
    with children: two parents, each the fittest of ``tournament`` distinct
    individuals drawn at random, are mixed gene by gene with probability
    ``crossover`` (otherwise the child copies the first parent), then each
    gene mutates with probability ``mutation`` (default 1/d). A numeric gene
    gets Gaussian noise of standard deviation ``sigma`` (unit coordinates),
    reflected back into [0, 1]; a categorical gene is redrawn uniformly.
    A failed evaluation has fitness +inf. Generations are synchronous: with
    several workers a generation is evaluated in parallel, and ``ask`` raises
    ``Wait`` once all of it is out, until its last result is told.
    """

    name = "genetic"
    parallel = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        population: int = 20,
        elite: int = 2,
        tournament: int = 3,
        crossover: float = 0.9,
        mutation: float | None = None,
        sigma: float = 0.1,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        _check_int("population", population, 2)
        _check_int("elite", elite, 0, population - 1, "population - 1")
        _check_int("tournament", tournament, 1, population, "population")
        _check_probability("crossover", crossover)
        if mutation is not None:
            _check_probability("mutation", mutation)
        _check_positive("sigma", sigma)
        self.population, self.elite, self.tournament = population, elite, tournament
        self.crossover, self.sigma = float(crossover), float(sigma)
        self.mutation = 1.0 / len(space) if mutation is None else float(mutation)
        self._rng = np.random.default_rng(seed)
        self._numeric = np.array([not isinstance(dim, Categorical) for dim in space.values()])
        self.generation = 0
        self.genomes = self._rng.random((population, len(space)))
        self.fitness = np.full(population, np.nan)
        self._unasked = deque(range(population))
        self._pending: set[int] = set()

    @property
    def initial_design(self) -> int:
        """The first generation: ``population`` uniform random genomes."""
        return self.population

    def ask(self) -> Suggestion:
        if not self._unasked:
            raise Wait(
                f"genetic: {len(self._pending)} suggestion(s) of generation {self.generation} "
                "are not told yet; tell them before asking for the next generation"
            )
        index = self._unasked.popleft()
        self._pending.add(index)
        config = self.space.from_unit(self.genomes[index])
        return self.suggest(config, token=(self.generation, index))

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        generation, index = suggestion.token
        if generation != self.generation or index not in self._pending:
            raise ValueError(
                f"genetic: suggestion {suggestion.id} (generation {generation}) is not "
                f"awaiting a value in generation {self.generation}"
            )
        self._pending.remove(index)
        failed = value is None or not math.isfinite(value)
        self.fitness[index] = math.inf if failed else float(value)
        if not self._unasked and not self._pending:
            self._breed()

    def _breed(self) -> None:
        alive = np.flatnonzero(np.isfinite(self.fitness))
        elites = alive[np.argsort(self.fitness[alive], kind="stable")][: self.elite]
        children = np.array([self._child() for _ in range(self.population - len(elites))])
        self.genomes = np.vstack([self.genomes[elites], children])
        self.fitness = np.concatenate([self.fitness[elites], np.full(len(children), np.nan)])
        self._unasked = deque(range(len(elites), self.population))
        self.generation += 1

    def _child(self) -> np.ndarray:
        genes = self.genomes[self._select()].copy()
        other = self.genomes[self._select()]
        if self._rng.random() < self.crossover:
            swap = self._rng.random(genes.size) < 0.5
            genes[swap] = other[swap]
        hit = self._rng.random(genes.size) < self.mutation
        numeric, categorical = hit & self._numeric, hit & ~self._numeric
        noise = self._rng.normal(0.0, self.sigma, np.count_nonzero(numeric))
        genes[numeric] = reflect(genes[numeric] + noise)
        genes[categorical] = self._rng.random(np.count_nonzero(categorical))
        return genes

    def _select(self) -> int:
        """Tournament selection: the fittest of ``tournament`` distinct individuals."""
        entrants = self._rng.choice(self.population, size=self.tournament, replace=False)
        return int(entrants[np.argmin(self.fitness[entrants])])


def reflect(x: np.ndarray) -> np.ndarray:
    """``x`` folded into [0, 1] by reflection at 0 and 1 (as often as needed)."""
    folded = np.abs(x) % 2.0
    return np.where(folded > 1.0, 2.0 - folded, folded)


def _check_int(
    name: str, value: object, low: int, high: int | None = None, high_text: str = ""
) -> None:
    bad = isinstance(value, bool) or not isinstance(value, int)
    if bad or value < low or (high is not None and value > high):
        upper = f" and <= {high_text} ({high})" if high is not None else ""
        raise ValueError(f"genetic: {name} must be an integer >= {low}{upper}, got {value!r}")


def _check_probability(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"genetic: {name} must be a probability in [0, 1], got {value!r}")


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"genetic: {name} must be a positive number, got {value!r}")
