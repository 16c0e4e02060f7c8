"""The one interface every searcher implements."""

from __future__ import annotations

import abc
import importlib.util
from dataclasses import dataclass
from typing import Any, ClassVar

from bench.budget import Budget
from bench.objective import Fidelity
from bench.space import Config, Space


class Exhausted(Exception):
    """Raised by ``ask`` when a strategy has nothing left to propose."""


class Wait(Exception):
    """Raised by ``ask`` when nothing can be proposed until a pending suggestion
    is told (a full generation out, a rung waiting for its last result). Only
    a ``parallel`` strategy with suggestions pending may raise it."""


class StrategyUnavailable(RuntimeError):
    """A strategy that cannot run here (a missing module, no fidelity)."""


@dataclass(frozen=True)
class Suggestion:
    """What ``ask`` returns: a configuration to evaluate at ``fidelity``.

    ``fidelity=None`` means full fidelity. ``token`` is the strategy's own
    bookkeeping (an optuna ``Trial``, a rung position); it comes back unchanged
    in ``tell``.
    """

    id: int
    config: Config
    fidelity: float | None = None
    token: Any = None


class Strategy(abc.ABC):
    """A searcher behind ask/tell.

    Contract: all randomness comes from ``seed`` (never the clock or global
    random state); suggestions lie inside ``space``; ``tell(s, None)`` reports a
    failed evaluation; ``ask`` raises ``Exhausted`` when nothing is left. The
    strategy never evaluates the objective. With one worker the loop tells the
    result of every suggestion before it asks again (ask and tell alternate).
    With W workers, a strategy that sets ``parallel = True`` may be asked up to W
    times before the first of those suggestions is told, and is told in the
    order evaluations complete; its ``ask`` raises ``Wait`` when it can propose
    nothing until something is told. Options of a variant (``name[key=value]``)
    are the constructor's keyword arguments.
    """

    name: ClassVar[str]
    needs_fidelity: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ()
    #: True for a searcher that models past results (TPE, a GP, a random forest):
    #: the shared contract then checks that its suggestions depend on the values
    #: it is told and that it beats random search on Branin.
    model_based: ClassVar[bool] = False
    #: True for a searcher that may be asked again while suggestions are pending
    #: (runs with several workers); others are refused for more than one worker.
    parallel: ClassVar[bool] = False

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
    ):
        self.check_available(fidelity)
        self.space = space
        self.seed = seed
        self.budget = budget
        self.fidelity = fidelity
        self._suggested = 0

    @abc.abstractmethod
    def ask(self) -> Suggestion:
        """The next configuration to evaluate."""

    @abc.abstractmethod
    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        """The value of ``suggestion`` (None: the evaluation failed)."""

    @property
    def initial_design(self) -> int | None:
        """How many suggestions this strategy makes before one depends on a told
        value (its start-up design: TPE's ``n_startup_trials``, a GA's first
        generation), or ``None`` if it never models what it is told (grid,
        random, Hyperband). A model-based strategy whose start-up is dynamic
        reports how many suggestions preceded its first model-based one so far.
        The report flags a run that never left its initial design."""
        return None

    @property
    def suggested(self) -> int:
        """How many suggestions this strategy has made."""
        return self._suggested

    def suggest(
        self, config: Config, fidelity: float | None = None, token: Any = None
    ) -> Suggestion:
        """Wrap ``config`` in a ``Suggestion`` with the next id."""
        self._suggested += 1
        return Suggestion(self._suggested - 1, config, fidelity, token)

    @classmethod
    def check_available(cls, fidelity: Fidelity | None = None) -> None:
        """Raise ``StrategyUnavailable`` if this strategy cannot run here."""
        missing = [m for m in cls.requires if importlib.util.find_spec(m) is None]
        if missing:
            raise StrategyUnavailable(
                f"strategy {cls.name!r} needs {', '.join(missing)}: "
                f"install it with `pip install {' '.join(missing)}`"
            )
        if cls.needs_fidelity and fidelity is None:
            raise StrategyUnavailable(
                f"strategy {cls.name!r} needs an objective with a fidelity (epochs, ...); "
                "this objective has none"
            )

    @classmethod
    def describe(cls) -> str:
        doc = (cls.__doc__ or "").strip().splitlines()
        return doc[0] if doc else ""
