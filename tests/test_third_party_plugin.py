"""A plugin author's first hour (issue 14), through the real command line: a
third-party optimizer that tunebench does not depend on (bayes_opt, installed
by .ci/run from tests/plugin-libraries.txt) wrapped as a scaffolded plugin,
checked against the contract and raced beside built-ins, its report made by a
`report` command that loads the plugin from the folder's manifest; and plugins
raced one command at a time into one folder, all of them in what the report
reads."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench import manifest
from bench.cli import main
from bench.report.stored import load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plugins" / "bayes_opt_strategy.py"
LIBRARIES = "tests/plugin-libraries.txt"
#: The example's cheap variant: ~10 ms a suggestion instead of the library defaults' ~75 ms.
CHEAP = "bayes-opt[gp_restarts=1,n_random=1000,n_smart=2]"
#: One BLAS thread in the subprocesses too, as in the test processes (conftest.py): the
#: GP's linear algebra would otherwise oversubscribe a 2-core machine (~3x the CPU time).
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def bench(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, env=ENV,
    )  # fmt: skip


def require(module: str) -> None:
    """Skip without ``module``, except under CI=true, where its absence fails."""
    if importlib.util.find_spec(module) is not None:
        return
    message = f"{module} is not installed: `.venv/bin/python -m pip install -c constraints.txt -r {LIBRARIES}`"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (.ci/run installs it; under CI it must be there)")
    pytest.skip(message)


def write_suite(folder: Path, name: str, strategies: list[str], objectives: list[str]) -> Path:
    suite = folder / f"{name}.toml"
    suite.write_text(
        f"strategies = {json.dumps(strategies)}\nobjectives = {json.dumps(objectives)}\n"
        "seeds = 2\nbudget = 20\n"
    )
    return suite


def summary(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "report" / "summary.csv")


def test_a_library_wrapped_as_a_scaffolded_plugin_passes_the_contract_and_races(tmp_path):
    require("bayes_opt")
    made = bench("new-strategy", "bayes-opt", "--path", tmp_path / "plugins", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    plugin = tmp_path / "plugins" / "bayes_opt_strategy.py"
    assert plugin.is_file(), f"the scaffold must not shadow bayes_opt: {made.stdout}"
    plugin.write_text(EXAMPLE.read_text())

    checking = subprocess.Popen(
        [sys.executable, "-m", "bench", "check-strategy", CHEAP, "--plugin", str(plugin),
         "--model-based"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
    )  # fmt: skip
    suite = write_suite(tmp_path, "race", ["random", "tpe", CHEAP], ["branin", "hartmann3"])
    results = tmp_path / "results"
    ran = bench(
        "run", suite, "--plugin", plugin, "--results", results, "--in-process", cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    reported = bench("report", results / "race", cwd=tmp_path)
    assert reported.returncode == 0, reported.stdout + reported.stderr
    checked, _ = checking.communicate()

    assert checking.returncode == 0, checked
    assert "FAIL" not in checked, checked
    skipped = [line.strip() for line in checked.splitlines() if line.strip().startswith("SKIP")]
    assert skipped == ["SKIP  with workers each suggestion is told once and runs repeat"], checked
    assert "PASS  a model based strategy uses what it is told" in checked, checked
    assert "PASS  a model based strategy beats random search" in checked, checked

    table = summary(results / "race")
    mine = table[table["strategy"] == CHEAP].set_index("objective")
    assert sorted(mine.index) == ["branin", "hartmann3"], table.to_string()
    assert (mine["seeds"] == 2).all() and (mine["budget"] == 20).all(), mine.to_string()
    assert mine["median_best"].notna().all() and mine["median_regret"].ge(0).all()
    assert set(table["strategy"]) == {"random", "tpe", CHEAP}
    assert CHEAP in (results / "race" / "report" / "index.html").read_text()


def test_plugins_raced_one_command_at_a_time_are_reported_together_without_plugin(tmp_path):
    plugins = tmp_path / "plugins"
    for name in ("search-a", "search-b"):
        assert main(["new-strategy", name, "--path", str(plugins)]) == 0
    suite = write_suite(tmp_path, "mine", ["random"], ["branin"])
    results = tmp_path / "results"

    def race(plugin: str, strategies: str) -> int:
        args = ["run", str(suite), "--results", str(results), "--in-process"]
        return main([*args, "--plugin", str(plugins / plugin), "--strategies", strategies])

    assert race("search_a.py", "random,search-a") == 0
    assert race("search_b.py", "search-b") == 0
    recorded = manifest.plugins_of(manifest.read(results / "mine") or {})
    assert recorded == (str(plugins / "search_a.py"), str(plugins / "search_b.py"))

    stored = load(results / "mine")
    assert not stored.left_out and not stored.missing, stored.left_out
    runs = stored.runs.groupby("strategy")["seed"].nunique().to_dict()
    assert runs == {"random": 2, "search-a": 2, "search-b": 2}
