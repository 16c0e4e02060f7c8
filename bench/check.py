"""``python -m bench check-strategy NAME|path.py``: the shared strategy contract
(``bench.testing.StrategyContract``) run on one strategy, as a readable list.

The checks are the very tests every built-in passes in the test suite; this
runs them through pytest in this process and reports each with its reason.
"""

from __future__ import annotations

import itertools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

from bench.registry import Registry, RegistryError, default_registry
from bench.strategy import Strategy
from bench.suite import plugin_hint
from bench.variant import parse_variant

Outcome = Literal["pass", "fail", "skip"]
#: Each check gets its own test module name: pytest caches imported test modules.
_COUNTER = itertools.count()

TEST_MODULE = """
import pytest

from bench.check import contract_strategy
from bench.testing import StrategyContract

STRATEGY = contract_strategy({name!r}, {plugins!r})


class TestContract(StrategyContract):
    @pytest.fixture
    def strategy(self):
        return STRATEGY

    @pytest.fixture
    def model_based(self):
        return {model_based!r} or STRATEGY.model_based
"""


@dataclass(frozen=True)
class CheckResult:
    check: str
    outcome: Outcome
    reason: str = ""


class _Collector:
    """A pytest plugin that keeps each contract test's outcome and reason."""

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.passed:
            return
        check = report.nodeid.rsplit("::", 1)[-1].removeprefix("test_").replace("_", " ")
        if report.passed:
            self.results.append(CheckResult(check, "pass"))
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
            self.results.append(CheckResult(check, "skip", reason.removeprefix("Skipped: ")))
        else:
            self.results.append(CheckResult(check, "fail", _reason(report)))


def _reason(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("AssertionError: "):
        lines[0] = lines[0].removeprefix("AssertionError: ")
    return "\n".join(lines[:6])


def contract_strategy(name: str, plugins: tuple[str, ...] = ()) -> type[Strategy]:
    """The class the contract checks for ``name``: the registered class, or for a
    variant (``random[scale=linear]``) a subclass with the variant's options
    bound, so every check runs the variant and not the plain strategy."""
    variant, cls = default_registry(plugins).strategy(name)
    if not variant.options:
        return cls
    options = dict(variant.options)

    def __init__(self, space, **kwargs):
        cls.__init__(self, space, **{**options, **kwargs})

    bound = type(
        cls.__name__, (cls,), {"__init__": __init__, "__doc__": cls.__doc__, "name": cls.name}
    )
    bound.__module__ = cls.__module__
    return bound


def targets_of(target: str, registry: Registry, kind: str = "strategy") -> list[str]:
    """The names of ``kind`` (strategy or objective) that ``target`` means: a
    registered name or variant, or every one defined in a plugin file (``path.py``,
    which ``registry`` must have loaded)."""
    table = registry.strategies if kind == "strategy" else registry.objectives
    if target.endswith(".py"):
        source = f"plugin {Path(target).resolve()}"
        names = [name for name, entry in table.items() if entry.source == source]
        if not names:
            raise RegistryError(f"{target} defines no {kind.capitalize()} subclass with a `name`")
        return sorted(names)
    try:
        variant, _ = registry.resolve(kind, target)
    except RegistryError as exc:
        raise RegistryError(f"{exc}{plugin_hint(exc, kind)}") from None
    return [str(variant)]


def strategies_to_check(target: str, registry: Registry) -> list[str]:
    """``targets_of`` for strategies."""
    return targets_of(target, registry, "strategy")


def check_strategy(
    name: str, plugins: tuple[str, ...], *, model_based: bool = False
) -> list[CheckResult]:
    """Run every contract check on strategy ``name`` (registered, or from
    ``plugins``); the model-based checks run if the class declares
    ``model_based = True`` or ``model_based`` is passed."""
    source = TEST_MODULE.format(plugins=plugins, name=name, model_based=model_based)
    return run_contract(f"contract_{name}", source)


def run_contract(label: str, source: str) -> list[CheckResult]:
    """Run the pytest module ``source`` in this process, in a scratch folder, and
    return each test's outcome; ``RegistryError`` if no test could run."""
    with tempfile.TemporaryDirectory(prefix="tunebench-check-") as scratch:
        folder = Path(scratch)
        (folder / "pytest.ini").write_text("[pytest]\n")
        test = folder / f"test_{re.sub(r'[^a-z0-9]', '_', label)}_{next(_COUNTER)}.py"
        test.write_text(source)
        collector = _Collector()
        status = pytest.main(
            [str(test), "-p", "no:cacheprovider", "-p", "no:terminal",
             "-p", "no:unraisableexception",  # its gc.collect() at exit costs 0.3 s a check
             "-c", str(folder / "pytest.ini"), "--rootdir", str(folder)],
            plugins=[collector],
        )  # fmt: skip
        if not collector.results:
            raise RegistryError(f"the contract could not run on {label!r} (pytest status {status})")
        return collector.results


def source_of(name: str, registry: Registry) -> str:
    """Where the strategy of ``name`` (a variant included) comes from."""
    return registry.strategies[parse_variant(name).name].source


def render(name: str, source: str, results: list[CheckResult]) -> str:
    """The pass/fail list ``check-strategy`` prints."""
    lines = [f"strategy {name!r} ({source}) against the shared contract:"]
    for result in results:
        lines.append(f"  {result.outcome.upper():<4}  {result.check}")
        reason = result.reason
        if result.outcome == "skip" and "model-based" in reason:
            reason += (
                " (a strategy that models past results declares `model_based = True`; "
                "--model-based forces these checks)"
            )
        if reason:
            lines += [f"        {line}" for line in reason.splitlines()]
    failed = sum(r.outcome == "fail" for r in results)
    passed = sum(r.outcome == "pass" for r in results)
    lines.append(
        f"{passed} passed, {failed} failed, {len(results) - passed - failed} skipped"
        + ("" if failed else ": the strategy meets the contract")
    )
    return "\n".join(lines)
