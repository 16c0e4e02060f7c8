"""The contract every strategy must meet, as a reusable pytest mixin.

A plugin package tests its strategy with one fixture::

    from bench.testing import StrategyContract

    class TestMySearch(StrategyContract):
        @pytest.fixture
        def strategy(self):
            return MySearch          # or a variant string: "my-search[depth=3]"

The project's own tests parametrise the same mixin over every registered
strategy. Every check drives the strategy through ``bench.loop.run``, the one
loop, on small deterministic objectives defined here.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from bench.budget import Budget
from bench.loop import run
from bench.objective import Evaluation, Fidelity, Objective
from bench.registry import default_registry
from bench.space import Categorical, Float, Int, Space, Value
from bench.strategy import Exhausted, Strategy, Suggestion

TIMING = ["t_ask", "t_eval", "t_tell"]


class MixedObjective(Objective):
    """A smooth function on a space with every kind of dimension and scale."""

    name = "contract-mixed"

    def __init__(self) -> None:
        self.space = Space(
            {
                "lr": Float(1e-5, 1.0, "log"),
                "beta": Float(0.5, 0.999, "log1m"),
                "units": Int(8, 512, "log"),
                "layers": Int(1, 3),
                "activation": Categorical(("relu", "tanh", "sigmoid")),
                "x": Float(-2.0, 3.0),
            }
        )
        self._target = np.array([0.3, 0.7, 0.5, 0.5, 0.5, 0.2])

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        value = float(np.sum((self.space.to_unit(config) - self._target) ** 2))
        if self.fidelity is not None and fidelity is not None:
            value += 0.5 / fidelity - 0.5 / self.fidelity.high
        return Evaluation(value, cost=self.cost(fidelity))

    def duration(self, config: Mapping[str, Value], fidelity: float | None, extras) -> float:
        """0.5 to 1.5 simulated seconds per full evaluation, scattered over the
        space: with several workers, results come back in another order than asked."""
        spread = float(np.sum(self.space.to_unit(config))) * 0.618 % 1.0
        return (0.5 + spread) * self.cost(fidelity)


EPOCHS = Fidelity("epochs", 1, 27, 3)


class FidelityObjective(MixedObjective):
    """``MixedObjective`` with a bias that vanishes at full fidelity (epochs 1..27)."""

    name = "contract-fidelity"
    fidelity = EPOCHS


class FlakyObjective(MixedObjective):
    """``MixedObjective`` that raises on every third call and returns NaN on every fifth."""

    name = "contract-flaky"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("injected failure")
        if self.calls % 5 == 0:
            return Evaluation(math.nan)
        return super().evaluate(config, fidelity, seed=seed)


class TinyObjective(Objective):
    """Four configurations in all: strategies must end cleanly when they run out."""

    name = "contract-tiny"
    seconds_per_evaluation = 1.0

    def __init__(self) -> None:
        self.space = Space({"k": Int(1, 2), "c": Categorical(("a", "b"))})

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        return Evaluation(float(config["k"]) + (config["c"] == "b"), cost=self.cost(fidelity))


class WithFidelity(Objective):
    """``base`` with an epochs-like fidelity: lower fidelity is cheaper and biased
    by a smooth perturbation that vanishes at full fidelity, so rankings at low
    fidelity correlate with, but differ from, those at full fidelity."""

    name = "contract-with-fidelity"
    seconds_per_evaluation = 1.0

    def __init__(self, base: Objective, fidelity: Fidelity = EPOCHS, bias: float = 1.0):
        self.base = base
        self.space = base.space
        self.optimum = base.optimum
        self.minimisers = base.minimisers
        self.fidelity = fidelity
        self.label = f"{base.label or base.name}+{fidelity.name}"
        self._bias = bias

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        value = self.base.evaluate(config, seed=seed).value
        if fidelity is not None and fidelity < self.fidelity.high:
            u = self.space.to_unit(config)
            shortfall = 1.0 - fidelity / self.fidelity.high
            value += self._bias * shortfall * float(np.sum(np.sin(3.0 * u + 1.0)))
        return Evaluation(value, cost=self.cost(fidelity))


def recording_class(
    strategy: type[Strategy] | str, asked: list[Suggestion], told: list[Suggestion]
) -> type[Strategy]:
    """``strategy`` (a class or variant name, options included) as a class that
    appends each suggestion it makes to ``asked`` and each one it is told to ``told``."""
    if isinstance(strategy, str):
        variant, cls = default_registry().strategy(strategy)
        options = dict(variant.options)
    else:
        cls, options = strategy, {}

    class Recording(cls):  # type: ignore[misc, valid-type]
        name = cls.name

        def __init__(self, space: Space, **kwargs: object):
            super().__init__(space, **kwargs, **options)

        def ask(self) -> Suggestion:
            suggestion = super().ask()
            asked.append(suggestion)
            return suggestion

        def tell(self, suggestion: Suggestion, value: float | None) -> None:
            told.append(suggestion)
            super().tell(suggestion, value)

    Recording.__name__ = Recording.__qualname__ = f"Recording{cls.__name__}"
    return Recording


def median_final_best(
    strategy: type[Strategy] | str, objective: Objective, budget: float, seeds: int
) -> float:
    """The median over ``seeds`` seeds of the best full-fidelity value found."""
    return float(
        np.median([run(strategy, objective, seed, budget).final_best for seed in range(seeds)])
    )


class StrategyContract:
    """Checks every strategy must pass. Provide the ``strategy`` fixture: a
    ``Strategy`` subclass or a registered variant name."""

    budget: float = 12
    #: Simulated workers in the parallel check (``parallel`` strategies).
    workers: int = 4
    #: Whether no configuration is proposed at a fidelity while the same one is
    #: still pending there (a plugin that may re-propose sets it to False).
    distinct_pending: bool = True
    #: Long enough to see past a random initial design (a GA's first generation).
    space_budget: float = 30
    #: The model-based check: evaluations, seeds, and the objective it runs on.
    quality_budget: float = 60
    quality_seeds: int = 5
    quality_objective: str = "branin"

    @pytest.fixture(autouse=True)
    def _one_blas_thread(self) -> Iterator[None]:
        """One BLAS thread per check: a GP's linear algebra on all cores of a small
        machine costs several times the CPU (a plugin's test took 6x as long)."""
        with threadpool_limits(1):
            yield

    @pytest.fixture
    def strategy(self) -> type[Strategy] | str:
        raise NotImplementedError("define a `strategy` fixture returning the class or its name")

    @pytest.fixture
    def model_based(self, strategy) -> bool:
        """Whether the model-based checks apply: the class's ``model_based``
        attribute unless overridden. A model-based strategy's suggestions must
        depend on the values it is told, and it must beat random search on
        ``quality_objective``."""
        return self._class(strategy).model_based

    @staticmethod
    def _class(strategy: type[Strategy] | str) -> type[Strategy]:
        if isinstance(strategy, str):
            return default_registry().strategy(strategy)[1]
        return strategy

    def _objective(self, strategy: type[Strategy] | str, flaky: bool = False) -> Objective:
        needs_fidelity = self._class(strategy).needs_fidelity
        if flaky:
            flaky_obj = FlakyObjective()
            if needs_fidelity:
                flaky_obj.fidelity = EPOCHS
            return flaky_obj
        return FidelityObjective() if needs_fidelity else MixedObjective()

    def _frame(self, strategy: type[Strategy] | str, seed: int, objective: Objective | None = None):
        trace = run(strategy, objective or self._objective(strategy), seed, self.budget)
        return trace, trace.to_frame().drop(columns=TIMING)

    def test_has_a_registry_name_and_description(self, strategy):
        cls = self._class(strategy)
        assert isinstance(cls.__dict__.get("name"), str) and cls.name, "set a kebab-case `name`"
        assert cls.describe(), "give the class a docstring: its first line is the description"

    def test_suggestions_inside_the_space_with_the_right_types(self, strategy):
        objective = self._objective(strategy)
        trace = run(strategy, objective, 0, self.space_budget)
        assert len(trace) > 0
        for config in trace.configs:
            objective.space.validate(config)
            for name, dim in objective.space.items():
                value = config[name]
                if isinstance(dim, Float):
                    assert isinstance(value, float), f"{name}={value!r} should be a float"
                elif isinstance(dim, Int):
                    assert isinstance(value, int) and not isinstance(value, bool), (
                        f"{name}={value!r} should be an int"
                    )

    def test_same_seed_gives_the_same_run(self, strategy):
        _, first = self._frame(strategy, 3)
        _, second = self._frame(strategy, 3)
        a, b = first["config"].tolist(), second["config"].tolist()
        trial = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
        assert trial is None and len(a) == len(b), (
            "not reproducible: two runs with seed 3 differ"
            + (f" at trial {trial}: {a[trial]} then {b[trial]}" if trial is not None else "")
            + "; draw every random number from a generator seeded with `seed` "
            "(never the global numpy/random state or the clock)"
        )
        pd.testing.assert_frame_equal(first, second)

    def _proposals(
        self,
        strategy: type[Strategy] | str,
        seed: int,
        count: float = 10,
        objective: Objective | None = None,
        sign: float = 1.0,
    ) -> Iterator[str]:
        """What the strategy proposes until ``count`` budget is spent, one at a
        time, driven directly (not through the loop, so that a suggestion
        outside the space does not end the probe), told each value times ``sign``."""
        if isinstance(strategy, str):
            variant, cls = default_registry().strategy(strategy)
            options = dict(variant.options)
        else:
            cls, options = strategy, {}
        objective = objective or self._objective(strategy)
        budget = Budget(count)
        searcher = cls(
            objective.space, seed=seed, budget=budget, fidelity=objective.fidelity, **options
        )
        while not budget.exhausted:
            try:
                suggestion = searcher.ask()
            except Exhausted:
                return
            yield json.dumps([suggestion.config, suggestion.fidelity], default=str)
            inside = objective.space.contains(suggestion.config)
            value = (
                sign * objective.evaluate(suggestion.config, suggestion.fidelity, seed=seed).value
                if inside
                else None
            )
            searcher.tell(suggestion, value)
            budget.spend(objective.cost(suggestion.fidelity))

    @staticmethod
    def _first_difference(first: Iterator[str], second: Iterator[str]) -> int | None:
        """The index of the first proposal where two probes differ (one ending
        before the other counts), None if they agree throughout; stops there."""
        for index, pair in enumerate(itertools.zip_longest(first, second)):
            if pair[0] != pair[1]:
                return index
        return None

    def test_different_seeds_give_different_runs(self, strategy):
        differs = self._first_difference(self._proposals(strategy, 0), self._proposals(strategy, 1))
        assert differs is not None, (
            "seeds 0 and 1 gave the same configurations: the strategy ignores its `seed` "
            "(seed its generator with it: np.random.default_rng(seed)); a wrapped library "
            "that takes no seed, or a deterministic optimizer it picked (nevergrad's NGOpt "
            "runs Cobyla at small budgets), needs its start drawn from `seed`"
        )

    def test_never_exceeds_the_budget(self, strategy):
        for budget in (1, 7, self.budget):
            trace = run(strategy, self._objective(strategy), 0, Budget(budget))
            assert sum(trace.cost) <= budget + 1e-9, (
                f"budget overrun: spent {sum(trace.cost):g} of a budget of {budget:g}"
            )
            assert trace.cum_cost[-1] <= budget + 1e-9
            assert trace.cum_cost[-1] == pytest.approx(math.fsum(trace.cost))

    def test_with_workers_each_suggestion_is_told_once_and_runs_repeat(self, strategy):
        cls, objective = self._class(strategy), self._objective(strategy)
        if not cls.parallel:
            pytest.skip(
                "not parallel: suites with several workers refuse it (a strategy whose ask "
                "may be called while suggestions are pending declares `parallel = True`)"
            )
        asked, told = [], []
        recording = recording_class(strategy, asked, told)
        trace = run(recording, objective, 3, self.space_budget, workers=self.workers)
        frame = trace.to_frame().drop(columns=TIMING)
        told_ids = [id(s) for s in told]
        assert len(set(told_ids)) == len(told_ids) == len(trace), "a suggestion was told twice"
        untold = [s for s in asked if id(s) not in set(told_ids)]
        assert len(untold) <= 1, f"{len(untold)} suggestions were never told"
        assert trace.cum_cost[-1] <= self.space_budget + 1e-9
        assert (frame["asked"] != frame["trial"]).any(), "no result came back out of order"
        self._check_pending(frame)
        again = run(
            recording_class(strategy, [], []), objective, 3, self.space_budget,
            workers=self.workers,
        )  # fmt: skip
        pd.testing.assert_frame_equal(frame, again.to_frame().drop(columns=TIMING))

    def _check_pending(self, frame: pd.DataFrame) -> None:
        """At most ``workers`` evaluations at once, one per worker, and (where
        promised) no configuration proposed again at a fidelity while pending there."""
        where = pd.Series(
            [f"{c} at fidelity {f:g}" for c, f in zip(frame["config"], frame["fidelity"])],
            index=frame.index,
        )
        for row in frame.itertuples():
            now = (frame.t_start <= row.t_start) & (row.t_start < frame.t_end)
            assert now.sum() <= self.workers, f"{now.sum()} evaluations at once"
            assert frame.loc[now, "worker"].is_unique, "a worker ran two evaluations at once"
            repeated = where[now].duplicated()
            assert not (self.distinct_pending and repeated.any()), (
                f"{where[now][repeated].iloc[0]} was proposed again while pending "
                "(set distinct_pending = False if the strategy may do so)"
            )

    def test_survives_failed_trials(self, strategy):
        trace = run(strategy, self._objective(strategy, flaky=True), 0, self.budget)
        assert set(trace.status) == {"ok", "failed"}, set(trace.status)
        first_failure = trace.status.index("failed")
        assert "ok" in trace.status[first_failure + 1 :], "the run must go on after a failure"

    def test_ends_cleanly_when_the_space_runs_out(self, strategy):
        objective = TinyObjective()
        if self._class(strategy).needs_fidelity:
            objective.fidelity = EPOCHS
        trace = run(strategy, objective, 0, 12)
        assert 0 < len(trace) <= 12 / min(trace.cost)
        for config in trace.configs:
            objective.space.validate(config)

    def _quality_objective(self, strategy: type[Strategy] | str) -> Objective:
        objective = default_registry().objective(self.quality_objective)[1]
        return WithFidelity(objective) if self._class(strategy).needs_fidelity else objective

    def test_a_model_based_strategy_uses_what_it_is_told(self, strategy, model_based):
        if not model_based:
            pytest.skip("not model-based: the model checks apply to model-based strategies")
        objective = self._quality_objective(strategy)
        told = self._proposals(strategy, 0, self.quality_budget, objective)
        negated = self._proposals(strategy, 0, self.quality_budget, objective, sign=-1.0)
        after = self._after_first_difference(told, negated, self.direction_window)
        assert after, (
            f"with a budget of {self.quality_budget:g} on {self.quality_objective} (seed 0), "
            "the strategy proposed exactly the same configurations when told the objective's "
            "values as when told their negation: its suggestions do not depend on what it is "
            "told, as if it were random or quasi-random (Sobol) sampling. A wrapped library may "
            "have fallen back to its initial design silently (too few start-up trials, a model "
            "that failed to fit, a value it rejected); if the strategy does not model past "
            "results, set `model_based = False`"
        )
        mine, flipped = (
            float(np.median([self._full_value(objective, text) for text in side if text]))
            for side in zip(*after)
        )
        assert mine < flipped, (
            f"on {self.quality_objective} (seed 0), the {len(after)} suggestions after the two "
            f"runs part have a median value of {mine:.6g} when the strategy is told the "
            f"objective's values and {flipped:.6g} when told their negation: it moves towards "
            "what it is told is worse. Does the wrapper hand a maximising library `value` "
            "instead of `-value`?"
        )

    #: Suggestions compared, after the first that differs, to tell minimising from maximising.
    direction_window: int = 10

    @staticmethod
    def _after_first_difference(
        first: Iterator[str], second: Iterator[str], window: int
    ) -> list[tuple[str | None, str | None]]:
        """Up to ``window`` pairs of proposals from the first where two probes
        differ on; empty if they agree throughout."""
        pairs = itertools.zip_longest(first, second)
        start = next((pair for pair in pairs if pair[0] != pair[1]), None)
        return [] if start is None else [start, *itertools.islice(pairs, window - 1)]

    @staticmethod
    def _full_value(objective: Objective, proposal: str) -> float:
        """The full-fidelity value (seed 0) of a proposal as ``_proposals`` yields it."""
        config, _ = json.loads(proposal)
        return objective.evaluate(config, None, seed=0).value

    def test_a_model_based_strategy_beats_random_search(self, strategy, model_based):
        if not model_based:
            pytest.skip("not model-based: the model checks apply to model-based strategies")
        objective = self._quality_objective(strategy)
        budget, seeds = self.quality_budget, self.quality_seeds
        runs = [run(strategy, objective, seed, budget) for seed in range(seeds)]
        for trace in runs:
            for config in trace.configs:
                objective.space.validate(config)
        mine = float(np.median([trace.final_best for trace in runs]))
        baseline = median_final_best("random", objective, budget, seeds)
        assert mine < baseline, (
            f"median best over {seeds} seeds after {budget:g} evaluations on "
            f"{self.quality_objective}: {mine:.6g}, random search: {baseline:.6g}"
        )
