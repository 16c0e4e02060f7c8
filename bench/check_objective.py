"""``python -m bench check-objective NAME|path.py``: the shared objective contract
(``bench.objective_contract.ObjectiveContract``) run on one objective, as a
readable list.

The checks are the very tests a plugin's generated test file runs; this runs
them through pytest in this process and reports each with its reason, as
``check-strategy`` does for strategies.
"""

from __future__ import annotations

from bench.check import CheckResult, run_contract, targets_of
from bench.objective import Objective
from bench.registry import Registry, default_registry
from bench.variant import parse_variant

TEST_MODULE = """
import pytest

from bench.check_objective import contract_objective
from bench.objective_contract import ObjectiveContract


class TestContract(ObjectiveContract):
    @pytest.fixture
    def objective(self):
        return contract_objective({name!r}, {plugins!r})

    @pytest.fixture
    def may_fail(self):
        return {may_fail!r}

    @pytest.fixture
    def measures_cost(self):
        return {measures_cost!r}
"""


def contract_objective(name: str, plugins: tuple[str, ...] = ()) -> Objective:
    """A fresh instance of the objective (or variant) ``name``, from the registry
    of ``plugins``."""
    return default_registry(plugins).objective(name)[1]


def objectives_to_check(target: str, registry: Registry) -> list[str]:
    """``bench.check.targets_of`` for objectives."""
    return targets_of(target, registry, "objective")


def check_objective(
    name: str,
    plugins: tuple[str, ...] = (),
    *,
    may_fail: bool = False,
    measures_cost: bool = False,
) -> list[CheckResult]:
    """Run every contract check on objective ``name`` (registered, or from
    ``plugins``); ``may_fail`` and ``measures_cost`` are the contract's fixtures."""
    options = {"may_fail": may_fail, "measures_cost": measures_cost}
    source = TEST_MODULE.format(name=name, plugins=plugins, **options)
    return run_contract(f"objective_{name}", source)


def source_of(name: str, registry: Registry) -> str:
    """Where the objective of ``name`` (a variant included) comes from."""
    return registry.objectives[parse_variant(name).name].source


def render(name: str, source: str, results: list[CheckResult]) -> str:
    """The pass/fail list ``check-objective`` prints."""
    lines = [f"objective {name!r} ({source}) against the shared contract:"]
    for result in results:
        lines.append(f"  {result.outcome.upper():<4}  {result.check}")
        lines += [f"        {line}" for line in result.reason.splitlines()]
    failed = sum(r.outcome == "fail" for r in results)
    passed = sum(r.outcome == "pass" for r in results)
    lines.append(
        f"{passed} passed, {failed} failed, {len(results) - passed - failed} skipped"
        + ("" if failed else ": the objective meets the contract")
    )
    return "\n".join(lines)
