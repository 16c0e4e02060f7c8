"""hyperopt's TPE (Bergstra et al. 2011), driven one trial at a time.

hyperopt has no public ask/tell. This wrapper does what ``hyperopt.fmin``
does for one trial: reserve a trial id, call ``tpe.suggest`` with a seed
drawn from ``np.random.default_rng(seed)``, insert the returned trial document
and, on tell, mark it done with its result. The trajectory therefore equals
``fmin(fn, space, algo=tpe.suggest, rstate=np.random.default_rng(seed))``
for the same losses (tests check this).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hyperopt import STATUS_FAIL, STATUS_OK, Domain, Trials, hp, tpe
from hyperopt.base import JOB_STATE_DONE, JOB_STATE_RUNNING

from bench import Budget, Categorical, Fidelity, Float, Space, Strategy, Suggestion
from bench.space import Config
from strategies._options import integer, number


def hyperopt_space(space: Space) -> dict[str, Any]:
    """The space as hyperopt expressions, one label per dimension.

    Integers are ``quniform`` over [low - 0.5, high + 0.5] (``qloguniform`` on a
    log scale), so each integer has an equal share, as in ``bench.space.Int``;
    ``log1m`` floats are searched as t = 1 - x with ``loguniform``.
    """
    out: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Categorical):
            out[name] = hp.choice(name, list(dim.choices))
        elif isinstance(dim, Float):
            if dim.scale == "linear":
                out[name] = hp.uniform(name, dim.low, dim.high)
            elif dim.scale == "log":
                out[name] = hp.loguniform(name, math.log(dim.low), math.log(dim.high))
            else:
                out[name] = hp.loguniform(name, math.log(1 - dim.high), math.log(1 - dim.low))
        elif dim.scale == "log":
            out[name] = hp.qloguniform(name, math.log(dim.low - 0.5), math.log(dim.high + 0.5), 1)
        else:
            out[name] = hp.quniform(name, dim.low - 0.5, dim.high + 0.5, 1)
    return out


def decode(space: Space, vals: Mapping[str, Any]) -> Config:
    """The configuration a trial document's raw ``misc.vals`` stand for."""
    values = {}
    for name, dim in space.items():
        value = vals[name]
        if isinstance(dim, Categorical):
            value = dim.choices[int(value)]
        elif isinstance(dim, Float) and dim.scale == "log1m":
            value = 1.0 - value
        values[name] = value
    return space.coerce(values)


def _never_called(_: Any) -> float:
    raise RuntimeError("the objective is evaluated by bench.loop, never through hyperopt")


class HyperoptTPE(Strategy):
    """Tree-structured Parzen estimator, hyperopt's tpe.suggest (Bergstra et al. 2011; hyperopt defaults).

    With several workers, pending suggestions are running trial documents,
    which ``tpe.suggest`` counts with an infinite loss, as under ``fmin``
    with parallel trials.
    """

    name = "tpe-hyperopt"
    parallel = True
    model_based = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        n_startup_jobs: int = 20,
        n_ei_candidates: int = 24,
        gamma: float = 0.25,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        integer(self.name, "n_startup_jobs", n_startup_jobs, 0)
        integer(self.name, "n_ei_candidates", n_ei_candidates, 1)
        number(self.name, "gamma", gamma, 0.0, 1.0, closed=(False, True))
        self.domain = Domain(_never_called, hyperopt_space(space))
        self.trials = Trials()
        self._rstate = np.random.default_rng(seed)
        self.n_startup_jobs = n_startup_jobs
        self._algo = functools.partial(
            tpe.suggest,
            n_startup_jobs=n_startup_jobs,
            n_EI_candidates=n_ei_candidates,
            gamma=gamma,
            verbose=False,
        )

    @property
    def initial_design(self) -> int:
        """hyperopt samples its prior until ``n_startup_jobs`` trials exist
        (failed ones included, at loss +inf)."""
        return self.n_startup_jobs

    def ask(self) -> Suggestion:
        new_ids = self.trials.new_trial_ids(1)
        self.trials.refresh()
        docs = self._algo(new_ids, self.domain, self.trials, self._rstate.integers(2**31 - 1))
        self.trials.insert_trial_docs(docs)
        self.trials.refresh()
        [doc] = [d for d in self.trials._dynamic_trials if d["tid"] == new_ids[0]]
        doc["state"] = JOB_STATE_RUNNING
        vals = {name: values[0] for name, values in doc["misc"]["vals"].items() if values}
        return self.suggest(decode(self.space, vals), token=doc)

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        doc = suggestion.token
        doc["state"] = JOB_STATE_DONE
        doc["result"] = (
            {"status": STATUS_FAIL}
            if value is None
            else {"loss": float(value), "status": STATUS_OK}
        )
        self.trials.refresh()
