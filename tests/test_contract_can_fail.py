"""The contract catches the mistakes it names: it is not a test that cannot fail."""

import random

import numpy as np
import pytest
from scipy.stats import qmc

from bench import Strategy
from bench.loop import StrategyError
from bench.testing import StrategyContract
from strategies.optuna_samplers import TPE


class Unseeded(Strategy):
    """Draws from the global random state instead of its seed."""

    name = "unseeded"

    def ask(self):
        return self.suggest(self.space.from_unit([random.random() for _ in self.space]))

    def tell(self, suggestion, value):
        pass


class Escapes(Strategy):
    """Steps past the upper bounds after the first suggestion."""

    name = "escapes"

    def ask(self):
        u = np.full(len(self.space), 0.5)
        config = self.space.from_unit(u)
        if self.suggested:
            config["x"] = 3.5
        return self.suggest(config)

    def tell(self, suggestion, value):
        pass


class Constant(Strategy):
    """Ignores its seed: always the centre."""

    name = "constant"

    def ask(self):
        return self.suggest(self.space.from_unit(np.full(len(self.space), 0.5)))

    def tell(self, suggestion, value):
        pass


@pytest.fixture
def contract():
    return StrategyContract()


def test_an_unseeded_strategy_fails_reproducibility(contract):
    with pytest.raises(AssertionError):
        contract.test_same_seed_gives_the_same_run(Unseeded)


def test_an_out_of_space_strategy_fails_with_the_value(contract):
    with pytest.raises(StrategyError, match=r"'x'=3\.5 is outside"):
        contract.test_suggestions_inside_the_space_with_the_right_types(Escapes)


def test_a_constant_strategy_fails_the_different_seeds_check(contract):
    with pytest.raises(AssertionError):
        contract.test_different_seeds_give_different_runs(Constant)


def test_a_well_behaved_strategy_passes(contract):
    contract.test_same_seed_gives_the_same_run("random")
    contract.test_suggestions_inside_the_space_with_the_right_types("grid")


class SobolFallback(Strategy):
    """Declares a model but proposes a scrambled Sobol sequence whatever it is
    told, as a wrapped library that silently fell back to its initial design."""

    name = "sobol-fallback"
    model_based = True

    def __init__(self, space, **kwargs):
        super().__init__(space, **kwargs)
        self.points = qmc.Sobol(len(space), seed=self.seed).random(64)

    def ask(self):
        return self.suggest(self.space.from_unit(self.points[self.suggested % 64]))

    def tell(self, suggestion, value):
        pass


def test_a_searcher_that_ignores_what_it_is_told_fails_the_model_check(contract):
    with pytest.raises(AssertionError, match="do not depend on what it is told"):
        contract.test_a_model_based_strategy_uses_what_it_is_told(SobolFallback, True)


def test_a_model_based_built_in_passes_the_model_check(contract):
    contract.test_a_model_based_strategy_uses_what_it_is_told("tpe", True)


def test_the_model_checks_follow_the_class_attribute(contract):
    assert contract.model_based.__wrapped__(contract, SobolFallback) is True
    assert contract.model_based.__wrapped__(contract, Constant) is False


class Maximising(TPE):
    """TPE behind a wrapper that forgot a maximising library wants ``-value``."""

    name = "maximising-tpe"

    def tell(self, suggestion, value):
        super().tell(suggestion, None if value is None else -value)


def test_a_wrapper_that_maximises_fails_the_model_check(contract):
    with pytest.raises(AssertionError, match="moves towards what it is told is worse"):
        contract.test_a_model_based_strategy_uses_what_it_is_told(Maximising, True)
