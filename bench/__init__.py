"""tunebench: benchmark hyperparameter-search strategies under equal budgets.

The public API: the vocabulary of spaces, strategies and objectives, the
registry, and ``run``, the one loop.
"""

from bench.budget import Budget
from bench.loop import run
from bench.objective import Evaluation, Fidelity, Objective
from bench.registry import get_objective, get_strategy, list_objectives, list_strategies
from bench.space import Categorical, Float, Int, Space
from bench.strategy import Exhausted, Strategy, Suggestion, Wait

__all__ = [
    "Budget",
    "Categorical",
    "Evaluation",
    "Exhausted",
    "Fidelity",
    "Float",
    "Int",
    "Objective",
    "Space",
    "Strategy",
    "Suggestion",
    "Wait",
    "get_objective",
    "get_strategy",
    "list_objectives",
    "list_strategies",
    "run",
]

__version__ = "0.1.0"
