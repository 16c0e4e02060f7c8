"""A planted regression and a null twin of ``tpe``, as a plugin: what ``bench compare`` must tell apart.

- ``tpe-regressed``: tunebench's ``tpe`` for its first ``after`` trials (10 by
  default, TPE's own start-up), then uniform random search. The first
  ``after`` suggestions are exactly ``tpe``'s, so runs of both on the same
  seed share them and differ only from then on.
- ``tpe-reseeded``: ``tpe`` with its sampler seeded apart from the run's seed
  (the objective's instance still follows the run's seed). It is the same
  searcher with independent randomness, so comparing it with ``tpe`` on
  common seeds is a true null: whatever ``compare`` flags there is a false
  positive.

    python -m bench run quick --plugin examples/plugins/tpe_regressed.py \\
        --strategies tpe,tpe-regressed
    python -m bench compare results/quick --strategies tpe,tpe-regressed

``scripts/compare_check.py`` runs both on a suite of synthetic functions.
"""

from __future__ import annotations

import numpy as np
from optuna.samplers import BaseSampler

from bench import Budget, Fidelity, Space, Suggestion
from strategies.optuna_samplers import TPE

#: Added to the run's seed to seed ``tpe-reseeded``'s sampler.
SEED_OFFSET = 1_000_003


class TPERegressed(TPE):
    """tpe for its first trials (after=10), then uniform random search: a planted regression."""

    name = "tpe-regressed"
    model_based = False

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        after: int = 10,
    ):
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ValueError(f"tpe-regressed: after must be an integer >= 0, got {after!r}")
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self.after = after
        self._rng = np.random.default_rng(seed)

    def ask(self) -> Suggestion:
        if self.suggested < self.after:
            return super().ask()
        return self.suggest(self.space.sample(self._rng))

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        if suggestion.token is not None:
            super().tell(suggestion, value)


class TPEReseeded(TPE):
    """tpe with its sampler seeded apart from the run's seed: an independent copy of tpe (a null twin)."""

    name = "tpe-reseeded"

    def make_sampler(self, seed: int) -> BaseSampler:
        return super().make_sampler(seed + SEED_OFFSET)
