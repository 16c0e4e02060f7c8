"""``python -m bench new-strategy NAME`` and ``new-objective NAME``: a working
plugin to start from, and a test file that runs the shared contract on it."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from string import Template

from bench.registry import Registry

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

STRATEGY = Template('''\
"""$title: a tunebench strategy plugin (the class docstring's first line is its description).

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
    """Random search, as a working starting point: replace ask and tell with your method.

    The first line above is what `python -m bench list strategies` shows: make it
    say what your searcher does. The untouched template proposes exactly what the
    built-in `random` proposes with the same seed, so its results equal random's.
    """

    #: The registry key: kebab-case, unique among every strategy (built-in or plugin).
    name = "$name"
    #: Modules this strategy imports that are not part of tunebench's stack, e.g.
    #: ("torch",): a suite that lists it is refused up front, with an install hint.
    requires: tuple[str, ...] = ()
    #: True for a multi-fidelity searcher (Hyperband-like) that sets Suggestion.fidelity.
    needs_fidelity = False
    #: True once ask() models past results (a GP, TPE, a forest): check-strategy then
    #: checks that the suggestions depend on the told values and beat random search.
    model_based = False
    #: True once ask() may be called again while suggestions are pending (suites with
    #: workers = [4, ...]); until then such suites refuse this strategy.
    parallel = False

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
    """The model-based checks follow the class's `model_based` attribute."""

    @pytest.fixture
    def strategy(self):
        return default_registry((PLUGIN,)).strategy("$name")[1]
''')


OBJECTIVE = Template('''\
"""$title: a tunebench objective plugin (the class docstring's first line is its description).

A tunebench objective plugin. Check it against the shared contract:

    python -m bench check-objective $file

then race searchers on it with the suite written beside it, and read the report:

    python -m bench run $suite_file --plugin $file
    python -m bench report $suite_file
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from bench import Evaluation, Fidelity, Float, Int, Objective, Space
from bench.space import Value


class $cls(Objective):
    """A smooth stand-in for a training run's validation error: replace evaluate with yours.

    The first line above is what `python -m bench list objectives` shows: make it
    say what your objective measures.
    """

    #: The registry key: kebab-case, unique among every objective (built-in or plugin).
    name = "$name"
    #: Libraries evaluate loads without importing them by name in this file, e.g.
    #: ("torch",): their versions join each stored run's fingerprint, like its imports'.
    requires: tuple[str, ...] = ()
    #: The resource Hyperband-like searchers can evaluate at (epochs for a network), or
    #: None when every evaluation is a full one. To make this objective multi-fidelity,
    #: replace None with the Fidelity in the comment: epochs 1..27, halved by eta = 3.
    fidelity: Fidelity | None = None  # Fidelity("epochs", 1, 27, eta=3)
    #: The global minimum of `value`, to full double precision: the value at a minimiser,
    #: never a rounded figure (regret = value - optimum must never go negative). None
    #: where it is unknown; the report then normalises regret by the best value found.
    optimum: float | None = 0.1
    #: Configurations where `optimum` is attained. Where the minimiser moves with the
    #: seed, define `minimiser(self, seed)` returning it instead.
    minimisers = ({"learning_rate": 0.01, "layers": 3},)

    def __init__(self) -> None:
        # Options of a variant, "$name[key=value]", are keyword arguments here.
        self.space = Space(
            {
                # Searched on a log scale: 10 ** uniform(-4, 0), as learning rates are.
                "learning_rate": Float(1e-4, 1.0, "log"),
                "layers": Int(1, 6),
            }
        )

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        """The value to minimise at `config` (a dict with exactly the space's names).

        `fidelity` is None for a full evaluation, else a level between
        self.fidelity.low and self.fidelity.high. Every random choice (a data
        split, initial weights, noise) comes from `seed`, e.g.
        np.random.default_rng(seed), never from the global random state or the
        clock: the same configuration and seed give the same value, bit for bit.
        """
        start = time.perf_counter()
        distance = math.log10(config["learning_rate"] / 0.01)
        value = 0.1 + distance**2 + 0.05 * (config["layers"] - 3) ** 2
        if self.fidelity is not None and fidelity is not None:
            # Cheaper and biased below full fidelity, like a network trained for fewer epochs.
            value += 0.5 * (1.0 - fidelity / self.fidelity.high)
        # No cost=...: the loop charges self.cost(fidelity), fidelity / high (1 for a full
        # evaluation). A stated cost must equal self.cost(fidelity) unless the objective
        # measures its own (then check it with --measures-cost): a stated 1.0 at the lowest
        # fidelity makes Hyperband pay a full evaluation for each of its cheapest trials.
        # extras: what the report may see and the searcher never does: "seconds" the
        # training time; "test" the value an incumbent is judged by where it is not `value`
        # (an MLP's held-out test error, a noisy function's noiseless value).
        return Evaluation(value, extras={"seconds": time.perf_counter() - start})
''')

OBJECTIVE_TEST = Template('''\
"""The shared objective contract, run on $name: `pytest $test_file`
(or `python -m bench check-objective $file` for a readable list)."""

from pathlib import Path

import pytest

from bench.objective_contract import ObjectiveContract
from bench.registry import default_registry

PLUGIN = str(Path(__file__).with_name("$file_name"))


class TestContract(ObjectiveContract):
    @pytest.fixture
    def objective(self):
        return default_registry((PLUGIN,)).objective("$name")[1]

    @pytest.fixture
    def may_fail(self):
        # True if evaluate raises at some configurations by design (a diverging network).
        return False

    @pytest.fixture
    def measures_cost(self):
        # True if evaluate states a cost it measures itself instead of self.cost(fidelity).
        return False
''')

OBJECTIVE_SUITE = Template("""\
# A suite racing searchers on $name (`python -m bench list strategies` shows them all):
#   python -m bench run $suite_file --plugin $file
#   python -m bench report $suite_file
# Add "gp" where torch is installed (the gp extra), "hyperband" and "bohb" once the
# objective has a fidelity.
description = "$name: random, grid, tpe and cmaes; 10 seeds, 30 evaluations"
strategies = ["random", "grid", "tpe", "cmaes"]
objectives = ["$name"]
seeds = 10
budget = 30
""")

#: What each scaffold writes: (file name, template) pairs, the plugin first.
KINDS = {
    "strategy": (("{module}.py", STRATEGY), ("test_{module}.py", TEST)),
    "objective": (
        ("{module}.py", OBJECTIVE),
        ("test_{module}.py", OBJECTIVE_TEST),
        ("{module}.toml", OBJECTIVE_SUITE),
    ),
}


class ScaffoldError(ValueError):
    """A name or folder that ``new-strategy`` or ``new-objective`` cannot use."""


def plugin_module(name: str, kind: str = "strategy") -> str:
    """The module name of a new plugin ``name``: ``my-search`` -> ``my_search``,
    or ``dehb_strategy`` (``dehb_objective``) where ``dehb`` is an importable
    module (an installed package such as the library the plugin wraps), which
    the file would otherwise shadow for every import from its folder."""
    module = name.replace("-", "_")
    try:
        taken = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        taken = True
    return f"{module}_{kind}" if taken else module


def new_strategy(name: str, folder: Path, registry: Registry) -> list[Path]:
    """Write ``<module>.py`` (the strategy) and ``test_<module>.py`` into ``folder``
    and return them; refuse a name that is not kebab-case, one that is taken,
    and any file that already exists. The module name never shadows an
    importable module (``plugin_module``)."""
    return _scaffold("strategy", name, folder, registry)


def new_objective(name: str, folder: Path, registry: Registry) -> list[Path]:
    """Write ``<module>.py`` (the objective), ``test_<module>.py`` and
    ``<module>.toml`` (a suite racing searchers on it) into ``folder`` and return
    them, with the refusals of ``new_strategy``."""
    return _scaffold("objective", name, folder, registry)


def _scaffold(kind: str, name: str, folder: Path, registry: Registry) -> list[Path]:
    example = "my-search" if kind == "strategy" else "my-objective"
    if not NAME.match(name):
        raise ScaffoldError(
            f"{kind} name {name!r}: use kebab-case, lowercase letters, digits and '-' "
            f"(e.g. {example!r})"
        )
    taken = registry.entries[kind]
    if name in taken:
        raise ScaffoldError(
            f"{'an' if kind == 'objective' else 'a'} {kind} named {name!r} exists already "
            f"({taken[name].source}); choose another name"
        )
    module = plugin_module(name, kind)
    paths = [folder / pattern.format(module=module) for pattern, _ in KINDS[kind]]
    existing = [str(p) for p in paths if p.exists()]
    if existing:
        raise ScaffoldError(f"refusing to overwrite {', '.join(existing)}")
    folder.mkdir(parents=True, exist_ok=True)
    values = {
        "name": name,
        "title": name.replace("-", " ").capitalize(),
        "cls": "".join(part.capitalize() for part in name.split("-")),
        "file": str(paths[0]),
        "file_name": paths[0].name,
        "test_file": str(paths[1]),
        "suite_file": str(paths[-1]),
    }
    for path, (_, template) in zip(paths, KINDS[kind]):
        path.write_text(template.substitute(values))
    return paths
