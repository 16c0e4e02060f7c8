"""A tunebench ``Space`` as optuna distributions, and back.

optuna has no ``log1m`` scale, so such a dimension is searched as t = 1 - x
on a log scale (``FloatDistribution(1 - high, 1 - low, log=True)``) and
decoded as x = 1 - t: optuna's model then sees the coordinate the scale means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from bench import Categorical, Float, Space
from bench.space import Config


def distributions(space: Space) -> dict[str, BaseDistribution]:
    """One optuna distribution per dimension, in the space's order."""
    out: dict[str, BaseDistribution] = {}
    for name, dim in space.items():
        if isinstance(dim, Categorical):
            out[name] = CategoricalDistribution(dim.choices)
        elif isinstance(dim, Float):
            if dim.scale == "log1m":
                out[name] = FloatDistribution(1.0 - dim.high, 1.0 - dim.low, log=True)
            else:
                out[name] = FloatDistribution(dim.low, dim.high, log=dim.scale == "log")
        else:
            out[name] = IntDistribution(dim.low, dim.high, log=dim.scale == "log")
    return out


def to_config(space: Space, params: Mapping[str, Any]) -> Config:
    """The configuration optuna's ``params`` stand for (Python types, in bounds)."""
    return space.coerce(
        {name: 1.0 - params[name] if _flipped(dim) else params[name] for name, dim in space.items()}
    )


def to_params(space: Space, config: Mapping[str, Any]) -> dict[str, Any]:
    """optuna's ``params`` for a configuration (the inverse of ``to_config``)."""
    params = dict(config)
    for name, dim in space.items():
        if _flipped(dim):
            params[name] = min(max(1.0 - float(config[name]), 1.0 - dim.high), 1.0 - dim.low)
    return params


def _flipped(dim: object) -> bool:
    return isinstance(dim, Float) and dim.scale == "log1m"
