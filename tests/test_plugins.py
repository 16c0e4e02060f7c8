"""Adding a strategy: an installed distribution found through its entry point,
`new-strategy` output passing `check-strategy` unmodified, a broken copy failing
with its specific reasons, and the errors a plugin author meets."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main

ROOT = Path(__file__).resolve().parent.parent


def bench(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=cwd, capture_output=True, text=True, env=env
    )


def test_an_installed_distribution_is_discovered_through_its_entry_point_and_runs(tmp_path):
    site = tmp_path / "site"
    package = site / "tunebench_ext"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        textwrap.dedent('''
        """A strategy shipped by a third-party distribution."""
        import numpy as np

        from bench import Strategy


        class CentreFirst(Strategy):
            """Tries the centre of the space, then samples at random."""
            name = "centre-first"

            def __init__(self, space, *, seed, budget, fidelity=None):
                super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
                self.rng = np.random.default_rng(seed)

            def ask(self):
                if self.suggested == 0:
                    return self.suggest(self.space.from_unit([0.5] * len(self.space)))
                return self.suggest(self.space.sample(self.rng))

            def tell(self, suggestion, value):
                pass
        ''')
    )
    info = site / "tunebench_ext-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tunebench-ext\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[tunebench.strategies]\ncentre-first = tunebench_ext:CentreFirst\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}

    listed = bench("list", "strategies", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "centre-first" in listed.stdout and "Tries the centre" in listed.stdout

    suite = tmp_path / "ext.toml"
    suite.write_text(
        'strategies = ["random", "centre-first"]\nobjectives = ["branin"]\nseeds = 2\nbudget = 6\n'
    )
    ran = bench("run", str(suite), "--results", str(tmp_path / "r"), "--jobs", "2", env=env)
    assert ran.returncode == 0, ran.stderr
    rows = pd.read_parquet(tmp_path / "r" / "ext" / "runs" / "branin" / "centre-first")
    assert len(rows) == 12
    assert rows.loc[rows["trial"] == 0, "param_x1"].tolist() == [2.5, 2.5]

    without = bench("list", "strategies")
    assert "centre-first" not in without.stdout


def test_new_strategy_output_passes_check_strategy_unmodified(tmp_path):
    made = bench("new-strategy", "my-search", "--path", str(tmp_path))
    assert made.returncode == 0, made.stderr
    strategy_file, test_file = tmp_path / "my_search.py", tmp_path / "test_my_search.py"
    assert strategy_file.is_file() and test_file.is_file()
    assert f"python -m bench check-strategy {strategy_file}" in made.stdout

    checked = bench("check-strategy", str(strategy_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "strategy 'my-search'" in checked.stdout
    assert "FAIL" not in checked.stdout
    assert "7 passed, 0 failed, 3 skipped: the strategy meets the contract" in checked.stdout

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout
    assert "7 passed, 3 skipped" in tested.stdout

    again = bench("new-strategy", "my-search", "--path", str(tmp_path))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr


def test_a_broken_copy_fails_with_the_out_of_space_and_the_ignored_seed_reasons(tmp_path):
    assert bench("new-strategy", "broken-search", "--path", str(tmp_path)).returncode == 0
    path = tmp_path / "broken_search.py"
    source = path.read_text()
    source = source.replace(
        "self.rng = np.random.default_rng(seed)", "self.rng = np.random.default_rng(0)"
    )
    source = source.replace(
        "        config = self.space.sample(self.rng)\n",
        "        config = self.space.sample(self.rng)\n        config['x'] = 7.5\n",
    )
    path.write_text(source)
    checked = bench("check-strategy", str(path))
    assert checked.returncode == 1
    out = checked.stdout
    assert "FAIL  suggestions inside the space with the right types" in out
    assert "'x'=7.5 is outside" in out
    assert "FAIL  different seeds give different runs" in out
    assert "seeds 0 and 1 gave the same configurations: the strategy ignores its `seed`" in out


def test_a_plugin_declaring_a_model_it_does_not_use_fails_check_strategy(tmp_path):
    from bench.check import check_strategy
    from bench.registry import default_registry
    from bench.scaffold import new_strategy

    path = new_strategy("posing-search", tmp_path, default_registry())[0]
    path.write_text(path.read_text().replace("model_based = False", "model_based = True"))
    results = {r.check: r for r in check_strategy("posing-search", (str(path),))}
    told = results["a model based strategy uses what it is told"]
    assert told.outcome == "fail" and "do not depend on what it is told" in told.reason
    skipped = {name: r.reason for name, r in results.items() if r.outcome == "skip"}
    assert list(skipped) == ["with workers each suggestion is told once and runs repeat"]
    assert all(reason.startswith("not parallel") for reason in skipped.values()), skipped


def test_check_strategy_accepts_a_registered_name():
    checked = bench("check-strategy", "random")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "strategy 'random' (module strategies.random_search) against the shared contract" in (
        checked.stdout
    )
    assert "FAIL" not in checked.stdout


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "class NoName(Strategy):\n    'x'\n    def ask(self): pass\n    def tell(self, s, v): pass\n",
            "defines no `name`",
        ),
        (
            "class Clash(Strategy):\n    'x'\n    name = 'tpe'\n"
            "    def ask(self): pass\n    def tell(self, s, v): pass\n",
            "defined by module strategies.optuna_samplers and by plugin",
        ),
        (
            "import not_a_module_anyone_installed\n",
            "'not_a_module_anyone_installed', which is not installed here: install it",
        ),
        ("def broken(:\n", "SyntaxError"),
    ],
    ids=["missing-name", "name-clash", "missing-package", "syntax-error"],
)
def test_plugin_mistakes_say_what_to_do(tmp_path, caplog, body, message):
    plugin = tmp_path / "plugin.py"
    plugin.write_text("from bench import Strategy\n" + body)
    suite = tmp_path / "s.toml"
    suite.write_text('strategies = ["random"]\nobjectives = ["branin"]\nseeds = 1\nbudget = 2\n')
    status = main(["run", str(suite), "--results", str(tmp_path / "r"), "--plugin", str(plugin)])
    assert status == 2
    assert message in caplog.text
    assert str(plugin) in caplog.text


def test_a_suggestion_with_a_missing_or_extra_key_names_both(tmp_path, caplog):
    plugin = tmp_path / "keys.py"
    plugin.write_text(
        textwrap.dedent('''
        from bench import Strategy

        class WrongKeys(Strategy):
            """Forgets x2 and invents y."""
            name = "wrong-keys"
            def ask(self):
                return self.suggest({"x1": 0.0, "y": 1.0})
            def tell(self, suggestion, value):
                pass
        ''')
    )
    suite = tmp_path / "s.toml"
    suite.write_text(
        'strategies = ["wrong-keys"]\nobjectives = ["branin"]\nseeds = 1\nbudget = 2\n'
    )
    args = ["run", str(suite), "--results", str(tmp_path / "r"), "--plugin", str(plugin)]
    assert main([*args, "--jobs", "1"]) == 1
    assert "missing ['x2']" in caplog.text and "unexpected ['y']" in caplog.text


def test_a_renamed_or_moved_plugin_file_keeps_its_fingerprint(tmp_path):
    from bench.fingerprint import fingerprint
    from bench.registry import default_registry

    source = (Path(__file__).parents[1] / "strategies" / "random_search.py").read_text()
    source = source.replace('name = "random"', 'name = "my-random"')
    first = tmp_path / "first.py"
    first.write_text(source)
    moved = tmp_path / "elsewhere" / "renamed.py"
    moved.parent.mkdir()
    moved.write_text(source)

    def code(path):
        cls = default_registry((str(path),)).strategy("my-random")[1]
        return fingerprint(cls).to_json()["modules"]

    before, after = code(first), code(moved)
    assert after == before and "plugin:strategy:my-random" in before
    edited = tmp_path / "edited.py"
    edited.write_text(source + "\n# edited\n")
    assert code(edited)["plugin:strategy:my-random"] != before["plugin:strategy:my-random"]


def test_a_moved_plugin_file_is_named_by_the_report_and_its_runs_reused(tmp_path, caplog):
    from bench.registry import default_registry
    from bench.report.stored import load
    from bench.scaffold import new_strategy

    first = new_strategy("search-a", tmp_path / "plugins", default_registry())[0]
    suite = tmp_path / "mini.toml"
    suite.write_text(
        'strategies = ["random", "search-a"]\nobjectives = ["branin"]\nseeds = 1\nbudget = 4\n'
    )
    results = tmp_path / "results"
    assert main(["run", str(suite), "--plugin", str(first), "--results", str(results)]) == 0
    moved = first.rename(tmp_path / "renamed.py")
    default_registry.cache_clear()  # as a new `report` process starts
    reasons = [left.reason for left in load(results / "mini").left_out]
    assert len(reasons) == 1 and f"plugin file {first} is gone (moved or renamed?)" in reasons[0]
    assert f"run {suite} --plugin NEW/PATH.py --strategies search-a" in reasons[0]
    caplog.clear()
    assert main(["run", str(suite), "--plugin", str(moved), "--results", str(results)]) == 0
    assert "2 stored, 0 to run" in caplog.text
    assert not load(results / "mini").left_out
    moved.write_text(moved.read_text() + "\n# edited\n")
    rerun = bench("run", str(suite), "--plugin", str(moved), "--results", str(results))
    assert rerun.returncode == 0, rerun.stderr
    (old,) = load(results / "mini").left_out
    assert old.key == "branin / search-a / seed=0"
    assert old.reason.startswith(
        "superseded: a run of today's code replaces it (module plugin:strategy:search-a"
    )


FULL_PRICE = '''
import numpy as np
from bench import Evaluation, Fidelity, Float, Objective, Space


class FullPrice(Objective):
    """A bowl that states a full evaluation's cost at every fidelity."""

    name = "full-price"
    fidelity = Fidelity("epochs", 1, 27, eta=3)

    def __init__(self):
        self.space = Space({"x": Float(0.0, 1.0)})

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(float((config["x"] - 0.3) ** 2), cost=1.0)
'''


def test_a_stated_cost_at_odds_with_the_cost_model_is_said_by_run_and_report(tmp_path, caplog):
    plugin = tmp_path / "full_price.py"
    plugin.write_text(FULL_PRICE)
    suite = tmp_path / "priced.toml"
    suite.write_text(
        'strategies = ["hyperband"]\nobjectives = ["full-price"]\nseeds = 1\nbudget = 3\n'
    )
    results = tmp_path / "results"
    assert main(["run", str(suite), "--plugin", str(plugin), "--results", str(results)]) == 0
    assert (
        "objective full-price charged costs its cost model does not give (hyperband," in caplog.text
    )
    from bench.report import _summary
    from bench.report.stored import load

    stored = load(results / "priced")
    summary = " ".join(_summary(stored, stored.runs, {}, None).items)
    assert (
        "Objective full-price charged costs its cost model does not give (hyperband: trial 0"
        in summary
    )
    assert (
        "stated cost 1 at fidelity 1, where its cost model (Objective.cost) says 0.037" in summary
    )


def test_a_strategy_and_an_objective_of_one_name_are_fingerprinted_apart(tmp_path):
    from bench.fingerprint import fingerprint
    from bench.registry import default_registry

    source = (Path(__file__).parents[1] / "strategies" / "random_search.py").read_text()
    strategy_file = tmp_path / "twin_search.py"
    strategy_file.write_text(source.replace('name = "random"', 'name = "twin"'))
    objective_file = tmp_path / "twin_objective.py"
    objective_file.write_text(FULL_PRICE.replace('name = "full-price"', 'name = "twin"'))
    registry = default_registry((str(strategy_file), str(objective_file)))
    strategy, objective = registry.strategy("twin")[1], registry.objective("twin")[1]
    modules = fingerprint(strategy, type(objective)).to_json()["modules"]
    assert modules["plugin:strategy:twin"] != modules["plugin:objective:twin"]
