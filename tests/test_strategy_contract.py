"""Every registered strategy, built-in or plugin, meets the shared contract."""

import pytest

from bench.registry import default_registry
from bench.testing import StrategyContract

STRATEGIES = sorted(default_registry().strategies)
#: Strategies that model past results: they must beat random search on Branin.
MODEL_BASED = {"tpe", "tpe-hyperopt", "gp", "gp-skopt", "rf-skopt", "bohb", "bohb-tpe"}


class TestEveryStrategy(StrategyContract):
    @pytest.fixture(params=STRATEGIES)
    def strategy(self, request):
        return request.param


def test_the_contract_covers_the_built_in_strategies():
    assert {"random", "grid"} <= set(STRATEGIES)


def test_the_model_based_built_ins_declare_it():
    registry = default_registry()
    declared = {name for name in STRATEGIES if registry.strategy(name)[1].model_based}
    assert declared == MODEL_BASED
