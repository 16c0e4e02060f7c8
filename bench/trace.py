"""A run's trials: the tidy trial rows of the design, column by column."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bench.space import Categorical, Config, Dimension, Float, Int, Space

#: Columns of a trial row in order; ``param_<name>`` columns go after ``config``.
LEADING = ("suite", "objective", "strategy", "seed", "workers", "trial", "config")
TRAILING = (
    "fidelity",
    "cost",
    "cum_cost",
    "value",
    "status",
    "best",
    "incumbent_test",
    "t_ask",
    "t_eval",
    "t_tell",
    "worker",
    "asked",
    "t_start",
    "t_end",
)


def columns_for(space: Space) -> list[str]:
    return [*LEADING, *(f"param_{n}" for n in space.names), *TRAILING]


@dataclass
class Trace:
    """The trials of one run of ``strategy`` on ``objective`` with ``seed``.

    Rows are trials in the order they ended; ``workers`` is the run's number of
    simulated workers, ``worker`` the one a trial ran on, ``asked`` the order in
    which it was asked for, ``t_start`` and ``t_end`` its simulated start and end
    (seconds). ``errors`` maps trial numbers to the reason a trial failed;
    ``meta`` holds what the store writes beside the rows (spec, optimum, wall time).
    """

    suite: str
    objective: str
    strategy: str
    seed: int
    space: Space
    workers: int = 1
    configs: list[Config] = field(default_factory=list)
    fidelity: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    cum_cost: list[float] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    best: list[float] = field(default_factory=list)
    incumbent_test: list[float] = field(default_factory=list)
    t_ask: list[float] = field(default_factory=list)
    t_eval: list[float] = field(default_factory=list)
    t_tell: list[float] = field(default_factory=list)
    worker: list[int] = field(default_factory=list)
    asked: list[int] = field(default_factory=list)
    t_start: list[float] = field(default_factory=list)
    t_end: list[float] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def __len__(self) -> int:
        return len(self.configs)

    @property
    def final_best(self) -> float:
        return self.best[-1] if self.best else math.nan

    def to_frame(self) -> pd.DataFrame:
        """The trial rows, with the design's columns in order and fixed dtypes."""
        n = len(self.configs)
        data: dict[str, Any] = {
            "suite": pd.Series([self.suite] * n, dtype="str"),
            "objective": pd.Series([self.objective] * n, dtype="str"),
            "strategy": pd.Series([self.strategy] * n, dtype="str"),
            "seed": np.full(n, self.seed, dtype=np.int64),
            "workers": np.full(n, self.workers, dtype=np.int64),
            "trial": np.arange(n, dtype=np.int64),
            "config": pd.Series([json.dumps(c) for c in self.configs], dtype="str"),
        }
        for name, dim in self.space.items():
            values = [c[name] for c in self.configs]
            if isinstance(dim, Categorical) and len({type(v) for v in dim.choices}) > 1:
                values = [str(v) for v in values]
            data[f"param_{name}"] = _column(values, dim)
        data.update(
            fidelity=np.asarray(self.fidelity, dtype=np.float64),
            cost=np.asarray(self.cost, dtype=np.float64),
            cum_cost=np.asarray(self.cum_cost, dtype=np.float64),
            value=np.asarray(self.value, dtype=np.float64),
            status=pd.Series(self.status, dtype="str"),
            best=np.asarray(self.best, dtype=np.float64),
            incumbent_test=np.asarray(self.incumbent_test, dtype=np.float64),
            t_ask=np.asarray(self.t_ask, dtype=np.float64),
            t_eval=np.asarray(self.t_eval, dtype=np.float64),
            t_tell=np.asarray(self.t_tell, dtype=np.float64),
            worker=np.asarray(self.worker, dtype=np.int64),
            asked=np.asarray(self.asked, dtype=np.int64),
            t_start=np.asarray(self.t_start, dtype=np.float64),
            t_end=np.asarray(self.t_end, dtype=np.float64),
        )
        return pd.DataFrame(data, columns=columns_for(self.space))


def _column(values: list[Any], dim: Dimension) -> Any:
    if isinstance(dim, Float):
        return np.asarray(values, dtype=np.float64)
    if isinstance(dim, Int):
        return np.asarray(values, dtype=np.int64)
    if values and all(isinstance(v, str) for v in values):
        return pd.Series(values, dtype="str")
    return values
