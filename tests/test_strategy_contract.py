"""Every registered strategy, built-in or plugin, meets the shared contract."""

import pytest

from bench.registry import default_registry
from bench.testing import StrategyContract

STRATEGIES = sorted(default_registry().strategies)


class TestEveryStrategy(StrategyContract):
    @pytest.fixture(params=STRATEGIES)
    def strategy(self, request):
        return request.param


def test_the_contract_covers_the_built_in_strategies():
    assert {"random", "grid"} <= set(STRATEGIES)
