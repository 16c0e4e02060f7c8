"""ASHA: asynchronous successive halving (Li et al. 2020, Algorithm 2)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bench import Budget, Fidelity, Space, Strategy, Suggestion
from bench.space import Config
from strategies.hyperband import hyperband_schedule


@dataclass(frozen=True)
class Job:
    """A suggestion's token: configuration ``index`` evaluated in rung ``rung``."""

    index: int
    rung: int


class ASHA(Strategy):
    """Asynchronous successive halving (Li et al. 2020, "A system for massively
    parallel hyperparameter tuning", Algorithm 2), with early-stopping rate s = 0.

    Rung k = 0..K evaluates at fidelity high * eta^(k - K), K = floor(log_eta(high
    / low)), as ``hyperband``'s rungs do: rungs 1, 3, 9, 27 epochs for the MLPs,
    the top rung always at full fidelity (the paper's rungs are low * eta^k; the
    two agree when high / low is a power of eta). Every ``ask`` is the
    paper's ``get_job``: from the top rung but one down to the bottom, the first
    configuration among the best floor(|rung k| / eta) told in rung k that has
    not been promoted yet goes on to rung k + 1; if there is none, a new
    uniformly random configuration starts in rung 0. Nothing waits for a rung to
    fill (unlike ``hyperband``), so the schedule never stalls on evaluations
    still out; a configuration is marked promoted when it is asked, so it is
    never proposed twice. A failed evaluation counts in its rung's size with an
    infinite loss and is never promoted. Options: ``eta`` (default: the
    fidelity's).
    """

    name = "asha"
    parallel = True
    needs_fidelity = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        eta: float | None = None,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        assert fidelity is not None
        self.eta = fidelity.eta if eta is None else eta
        try:  # Hyperband's largest bracket has a rung at every level: the same rungs.
            largest = hyperband_schedule(fidelity, eta)[0]
        except ValueError as exc:
            raise ValueError(f"asha: {str(exc).removeprefix('hyperband: ')}") from exc
        self.levels = [level for _, level in largest]
        self._rng = np.random.default_rng(seed)
        self.configs: list[Config] = []
        #: Per rung: configuration index -> loss (inf: failed), in the order told.
        self.losses: list[dict[int, float]] = [{} for _ in self.levels]
        #: Per rung: the configurations already sent on to the next rung.
        self.promoted: list[set[int]] = [set() for _ in self.levels]

    def promotable(self) -> Job | None:
        """The paper's promotion check: the job that moves a configuration up, if any."""
        for k in range(len(self.levels) - 2, -1, -1):
            told = self.losses[k]
            best = sorted(told, key=lambda i: (told[i], i))[: math.floor(len(told) / self.eta)]
            for index in best:
                if index not in self.promoted[k] and math.isfinite(told[index]):
                    return Job(index, k + 1)
        return None

    def ask(self) -> Suggestion:
        job = self.promotable()
        if job is None:
            self.configs.append(self.space.sample(self._rng))
            job = Job(len(self.configs) - 1, 0)
        else:
            self.promoted[job.rung - 1].add(job.index)
        return self.suggest(dict(self.configs[job.index]), self.levels[job.rung], job)

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        job: Job = suggestion.token
        if job.index in self.losses[job.rung]:
            raise ValueError(f"asha: {job} was told twice")
        finite = value is not None and math.isfinite(value)
        self.losses[job.rung][job.index] = float(value) if finite else math.inf
