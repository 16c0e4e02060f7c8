"""check-strategy on a plain install and on variant names (issue 14, items 1 and 2)."""

import tomllib
from pathlib import Path

import pytest

from bench.check import check_strategy, contract_strategy, source_of
from bench.cli import main
from bench.registry import RegistryError, default_registry

ROOT = Path(__file__).resolve().parents[1]


def test_pytest_is_a_runtime_dependency_not_only_a_dev_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("pytest>") for dep in project["dependencies"])


def test_a_variant_binds_its_options_and_keeps_the_name():
    cls = contract_strategy("grid[placement=bounds]")
    assert cls.__dict__["name"] == "grid"
    from bench import Budget, Float, Space

    grid = cls(Space({"x": Float(0.0, 1.0)}), seed=0, budget=Budget(3))
    assert sorted(grid.ask().config["x"] for _ in range(3)) == [0.0, 0.5, 1.0]
    assert source_of("grid[placement=bounds]", default_registry()) == "module strategies.grid"


def test_check_strategy_runs_the_variant_not_the_plain_strategy():
    """A wrong option value must fail the contract: proof the options reach the class."""
    results = check_strategy("random[scale=foo]", (), model_based=False)
    failed = [r for r in results if r.outcome == "fail"]
    assert failed and "scale must be linear, log or log1m, got 'foo'" in failed[0].reason


def test_check_strategy_accepts_a_variant_name(capsys):
    assert main(["check-strategy", "random[scale=linear]"]) == 0
    out = capsys.readouterr().out
    assert "strategy 'random[scale=linear]' (module strategies.random_search)" in out
    assert "the strategy meets the contract" in out


# --- issue 14 item 4: a scaffold never shadows an importable module -----------------


def test_a_plugin_named_like_an_installed_package_gets_another_file_name(tmp_path):
    from bench.scaffold import new_strategy, plugin_module

    assert plugin_module("my-search") == "my_search"
    assert plugin_module("optuna") == "optuna_strategy"  # an installed package
    assert plugin_module("json") == "json_strategy"  # a standard-library module
    written = new_strategy("optuna", tmp_path, default_registry())
    assert [p.name for p in written] == ["optuna_strategy.py", "test_optuna_strategy.py"]


# --- issue 14 item 6: `list` shows options with types and defaults -------------------


def test_list_shows_each_option_with_its_type_and_default(capsys):
    from bench.listing import options_of

    assert options_of(default_registry().strategy("grid")[1]) == [
        "shuffle: bool = True",
        "placement: str = 'centres'",
    ]
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "options: n_startup_trials: int = 10, n_ei_candidates: int = 24" in out
    assert "options: dims: int = 2, instance: str = 'shift'" in out  # ackley, an objective


def test_an_unknown_name_with_no_close_match_suggests_plugin(tmp_path, caplog):
    suite = tmp_path / "s.toml"
    suite.write_text('strategies = ["dehb"]\nobjectives = ["branin"]\nseeds = 1\nbudget = 2\n')
    assert main(["run", str(suite), "--results", str(tmp_path / "r")]) == 2
    assert "unknown strategy 'dehb'; if it is a plugin, pass its file with --plugin" in caplog.text
    suite.write_text('strategies = ["rando"]\nobjectives = ["branin"]\nseeds = 1\nbudget = 2\n')
    caplog.clear()
    assert main(["run", str(suite), "--results", str(tmp_path / "r")]) == 2
    assert "did you mean 'random'?" in caplog.text and "--plugin" not in caplog.text


def test_check_strategy_and_check_objective_suggest_plugin_for_an_unknown_name():
    from bench.check import strategies_to_check
    from bench.check_objective import objectives_to_check

    with pytest.raises(
        RegistryError, match="unknown strategy 'zzz-search'; if it is a plugin, pass"
    ):
        strategies_to_check("zzz-search", default_registry())
    with pytest.raises(
        RegistryError, match="unknown objective 'zzz-bowl'; if it is a plugin, pass"
    ):
        objectives_to_check("zzz-bowl", default_registry())
    with pytest.raises(RegistryError, match=r"did you mean 'tpe'\?$"):
        strategies_to_check("tpx", default_registry())
