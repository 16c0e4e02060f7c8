"""``python -m bench new-strategy NAME``: a working strategy plugin to start from,
and a test file that runs the shared contract on it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from string import Template

from bench.registry import Registry

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

STRATEGY = Template('''\
"""$title: replace this line with what your searcher does (shown by `python -m bench list`).

A tunebench strategy plugin. Check it against the shared contract:

    python -m bench check-strategy $file

then race it against the built-in searchers and read the report:

    python -m bench run quick --plugin $file --strategies random,tpe,$name
    python -m bench report quick
"""

from __future__ import annotations

import numpy as np

from bench import Budget, Fidelity, Space, Strategy, Suggestion


class $cls(Strategy):
    """Random search, as a working starting point: replace ask and tell with your method."""

    #: The registry key: kebab-case, unique among every strategy (built-in or plugin).
    name = "$name"
    #: Modules this strategy imports that are not part of tunebench's stack, e.g.
    #: ("torch",): a suite that lists it is refused up front, with an install hint.
    requires: tuple[str, ...] = ()
    #: True for a multi-fidelity searcher (Hyperband-like) that sets Suggestion.fidelity.
    needs_fidelity = False

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
    ):
        # Options of a variant, "$name[key=value]", are extra keyword arguments here.
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        # Every random number comes from this generator: never the global numpy or
        # `random` state, never the clock. The same seed must give the same run.
        self.rng = np.random.default_rng(seed)
        # What this strategy has learned: (configuration, value) of each success.
        self.history: list[tuple[dict, float]] = []

    def ask(self) -> Suggestion:
        """The next configuration to evaluate.

        A configuration is a dict with exactly the space's names, each value
        inside its bounds. `space.sample(rng)` draws one on each dimension's
        scale (log for learning rates, log1m for momenta); for a model-based
        method, work in the unit cube and map back with `space.from_unit(u)`.
        Raise `bench.Exhausted` when there is nothing left to propose.
        """
        config = self.space.sample(self.rng)
        # fidelity=None means a full evaluation; a multi-fidelity searcher passes
        # a value between self.fidelity.low and self.fidelity.high.
        return self.suggest(config)

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        """The objective's value at `suggestion.config` (lower is better), or None
        if that evaluation failed (it still cost budget)."""
        if value is not None:
            self.history.append((suggestion.config, value))
''')

TEST = Template('''\
"""The shared strategy contract, run on $name: `pytest $test_file`
(or `python -m bench check-strategy $file` for a readable list)."""

from pathlib import Path

import pytest

from bench.registry import default_registry
from bench.testing import StrategyContract

PLUGIN = str(Path(__file__).with_name("$file_name"))


class TestContract(StrategyContract):
    @pytest.fixture
    def strategy(self):
        return default_registry((PLUGIN,)).strategy("$name")[1]

    @pytest.fixture
    def model_based(self):
        # True once your strategy models past results: it must then beat random
        # search on Branin (60 evaluations, median of 5 seeds).
        return False
''')


class ScaffoldError(ValueError):
    """A name or folder that ``new-strategy`` cannot use."""


def plugin_module(name: str) -> str:
    """The module name of a new plugin ``name``: ``my-search`` -> ``my_search``,
    or ``dehb_strategy`` where ``dehb`` is an importable module (an installed
    package such as the library the plugin wraps), which the file would
    otherwise shadow for every import from its folder."""
    module = name.replace("-", "_")
    try:
        taken = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        taken = True
    return f"{module}_strategy" if taken else module


def new_strategy(name: str, folder: Path, registry: Registry) -> list[Path]:
    """Write ``<module>.py`` (the strategy) and ``test_<module>.py`` into ``folder``
    and return them; refuse a name that is not kebab-case, one that is taken,
    and any file that already exists. The module name never shadows an
    importable module (``plugin_module``)."""
    if not NAME.match(name):
        raise ScaffoldError(
            f"strategy name {name!r}: use kebab-case, lowercase letters, digits and '-' "
            "(e.g. 'my-search')"
        )
    if name in registry.strategies:
        raise ScaffoldError(
            f"a strategy named {name!r} exists already ({registry.strategies[name].source}); "
            "choose another name"
        )
    module = plugin_module(name)
    strategy_file = folder / f"{module}.py"
    test_file = folder / f"test_{module}.py"
    existing = [str(p) for p in (strategy_file, test_file) if p.exists()]
    if existing:
        raise ScaffoldError(f"refusing to overwrite {', '.join(existing)}")
    folder.mkdir(parents=True, exist_ok=True)
    values = {
        "name": name,
        "title": name.replace("-", " ").capitalize(),
        "cls": "".join(part.capitalize() for part in name.split("-")),
        "file": str(strategy_file),
        "file_name": strategy_file.name,
        "test_file": str(test_file),
    }
    strategy_file.write_text(STRATEGY.substitute(values))
    test_file.write_text(TEST.substitute(values))
    return [strategy_file, test_file]
