"""Adding an objective (issue 14 item 8): `new-objective` output meets the contract
unmodified, its refusals, `check-objective` on built-ins, one deliberately broken
objective per check failing exactly that check with its reason; and `--seeds 0`
explained (item 10)."""

import argparse

import pytest

from bench.check_objective import check_objective, render
from bench.cli import main, parse_seeds
from bench.registry import default_registry
from bench.scaffold import new_objective, plugin_module
from bench.suite import load_suite

CHECKS = {
    "name": "has a registry name docstring and space",
    "finite": "values are finite at sampled configurations",
    "deterministic": "same seed gives the same value",
    "cost model": "cost grows with fidelity and is 1 at full",
    "stated cost": "stated costs agree with the cost model",
    "undercut": "nothing undercuts the optimum",
    "minimisers": "minimisers attain the optimum",
    "signature": "signature is stable and finite",
}


def outcomes(results) -> dict[str, str]:
    return {r.check: r.outcome for r in results}


def run_generated_test(test_file, tmp_path) -> int:
    """The generated pytest file, run in this process (a subprocess costs seconds)."""
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")
    return pytest.main(
        [str(test_file), "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-p", "no:unraisableexception", "--import-mode=importlib",
         "-c", str(ini), "--rootdir", str(tmp_path)]
    )  # fmt: skip


# --- new-objective -------------------------------------------------------------------


def test_new_objective_writes_a_plugin_that_meets_the_contract(tmp_path, capsys):
    assert main(["new-objective", "my-objective", "--path", str(tmp_path)]) == 0
    plugin, test_file = tmp_path / "my_objective.py", tmp_path / "test_my_objective.py"
    suite = tmp_path / "my_objective.toml"
    out = capsys.readouterr().out
    assert f"python -m bench check-objective {plugin}" in out
    assert f"python -m bench run {suite} --plugin {plugin}" in out
    source = plugin.read_text()
    assert "cost=" not in source.replace("No cost=...", "")
    assert 'Float(1e-4, 1.0, "log")' in source and "Int(1, 6)" in source

    assert main(["check-objective", str(plugin)]) == 0
    out = capsys.readouterr().out
    assert f"objective 'my-objective' (plugin {plugin}) against the shared contract" in out
    assert "7 passed, 0 failed, 1 skipped: the objective meets the contract" in out

    assert run_generated_test(test_file, tmp_path) == 0
    assert "7 passed, 1 skipped" in capsys.readouterr().out

    loaded = load_suite(suite)
    assert loaded.objectives == ("my-objective",) and "tpe" in loaded.strategies


def test_the_template_fidelity_example_meets_the_contract_once_uncommented(tmp_path):
    new_objective("epochs-objective", tmp_path, default_registry())
    plugin = tmp_path / "epochs_objective.py"
    source = plugin.read_text()
    line = 'fidelity: Fidelity | None = None  # Fidelity("epochs", 1, 27, eta=3)'
    assert line in source
    plugin.write_text(source.replace(line, 'fidelity = Fidelity("epochs", 1, 27, eta=3)'))
    results = check_objective("epochs-objective", (str(plugin),))
    assert set(outcomes(results).values()) == {"pass"}, render("", "", results)


@pytest.mark.parametrize(
    "name, message",
    [
        ("My_Objective", "objective name 'My_Objective': use kebab-case"),
        ("2d-bowl", "objective name '2d-bowl': use kebab-case"),
        ("branin", "an objective named 'branin' exists already (module objectives.synthetic)"),
    ],
)
def test_new_objective_refuses_a_bad_or_taken_name(tmp_path, caplog, name, message):
    assert main(["new-objective", name, "--path", str(tmp_path)]) == 2
    assert message in caplog.text
    assert list(tmp_path.iterdir()) == []


def test_new_objective_never_overwrites_and_never_shadows_a_module(tmp_path, caplog):
    (tmp_path / "test_bowl.py").write_text("# mine\n")
    assert main(["new-objective", "bowl", "--path", str(tmp_path)]) == 2
    assert f"refusing to overwrite {tmp_path / 'test_bowl.py'}" in caplog.text
    assert not (tmp_path / "bowl.py").exists()
    assert (tmp_path / "test_bowl.py").read_text() == "# mine\n"

    assert plugin_module("json", "objective") == "json_objective"
    written = new_objective("json", tmp_path, default_registry())
    assert [p.name for p in written] == [
        "json_objective.py",
        "test_json_objective.py",
        "json_objective.toml",
    ]


# --- check-objective on built-ins ------------------------------------------------------


@pytest.mark.parametrize("name", ["branin", "hartmann6", "branin-mf", "noisy[noise=0.5]", "mixed"])
def test_builtin_objectives_meet_the_contract(name):
    results = check_objective(name)
    assert "fail" not in outcomes(results).values(), render(name, "", results)
    fidelity = default_registry().objective(name)[1].fidelity
    assert outcomes(results)[CHECKS["cost model"]] == ("pass" if fidelity else "skip")


def test_check_objective_prints_one_line_per_check(capsys):
    assert main(["check-objective", "branin-mf"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("objective 'branin-mf' (module objectives.multifidelity)")
    for check in CHECKS.values():
        assert f"  PASS  {check}\n" in out
    assert out.endswith("8 passed, 0 failed, 0 skipped: the objective meets the contract\n")


def test_check_objective_refuses_a_missing_file_and_an_unknown_name(tmp_path, caplog):
    assert main(["check-objective", str(tmp_path / "none.py")]) == 2
    assert "no plugin file" in caplog.text
    assert main(["check-objective", "branon"]) == 2
    assert "unknown objective 'branon'; did you mean 'branin' or 'branin-mf'?" in caplog.text


# --- one broken objective per check -----------------------------------------------------

BASE = """
import math
import random

import numpy as np

from bench import Evaluation, Fidelity, Float, Int, Objective, Space


class Broken(Objective):
    {doc}
    name = "{name}"
    fidelity = {fidelity}
    optimum = {optimum}
    minimisers = {minimisers}

    def __init__(self):
        self.space = Space({{"lr": Float(1e-4, 1.0, "log"), "k": Int(1, 4)}})

    def evaluate(self, config, fidelity=None, *, seed):
        value = 0.1 + math.log10(config["lr"] / 0.01) ** 2 + 0.05 * (config["k"] - 2) ** 2
        {body}
        return Evaluation(value{cost})
{extra}
"""

DEFAULTS = {
    "doc": '"""A bowl in log(lr) and k."""',
    "fidelity": "None",
    "optimum": "0.1",
    "minimisers": '({"lr": 0.01, "k": 2},)',
    "body": "pass",
    "cost": "",
    "extra": "",
}
EPOCHS = 'Fidelity("epochs", 1, 27, eta=3)'

BROKEN = {
    "name": ({"doc": "pass"}, "give class Broken a docstring"),
    "finite": (
        {"body": 'value = math.nan if config["lr"] == 1.0 else value'},
        "1 of 23 evaluations (corners, centre and 20 seeded samples, at fidelities [None]) "
        "gave no finite float:\nevaluate({'lr': 1.0, 'k': 4}, fidelity=None, seed=0) "
        "returned value nan; expected a finite float",
    ),
    "deterministic": (
        {"body": 'value += random.random() if config["k"] == 1 else 0.0'},
        "draw every random number from a generator seeded with `seed`",
    ),
    "cost model": (
        {
            "fidelity": EPOCHS,
            "extra": "    def cost(self, fidelity):\n"
            "        return 1.0 if fidelity in (None, 27) else 1.0 / fidelity\n",
        },
        "cost falls as fidelity rises: cost(1.0) = 1.0 > cost(3.0) = 0.3333333333333333",
    ),
    "stated cost": (
        {"fidelity": EPOCHS, "cost": ", cost=1.0"},
        "evaluate({'lr': 0.0001, 'k': 1}, fidelity=1, seed=0) states cost=1.0, "
        "but cost(1) = 0.037037037037037035",
    ),
    "undercut": (
        {"optimum": "0.1001", "minimisers": "()"},
        "below the stated optimum 0.1001 by 0.0001\nthe optimum is too high",
    ),
    "minimisers": (
        {"minimisers": '({"lr": 0.02, "k": 2},)'},
        "evaluate({'lr': 0.02, 'k': 2}, fidelity=None, seed=0) = 0.1906",
    ),
    "signature": (
        {
            "extra": "    def signature_configs(self):\n"
            "        return [self.space.sample(np.random.default_rng()) for _ in range(5)]\n"
        },
        "it must not change between calls",
    ),
}


def write_plugin(folder, name: str, **edits: str):
    path = folder / f"{name.replace('-', '_')}.py"
    path.write_text(BASE.format(**{**DEFAULTS, "name": name, **edits}))
    return path


def test_the_unbroken_base_objective_meets_the_contract(tmp_path):
    plugin = write_plugin(tmp_path, "unbroken")
    results = check_objective("unbroken", (str(plugin),))
    assert outcomes(results)[CHECKS["cost model"]] == "skip"
    assert "fail" not in outcomes(results).values(), render("", "", results)


@pytest.mark.parametrize("check", list(BROKEN))
def test_a_broken_objective_fails_exactly_its_check_with_the_reason(tmp_path, check):
    edits, message = BROKEN[check]
    name = f"broken-{check.replace(' ', '-')}"
    plugin = write_plugin(tmp_path, name, **edits)
    results = check_objective(name, (str(plugin),))
    failed = {r.check: r.reason for r in results if r.outcome == "fail"}
    assert list(failed) == [CHECKS[check]], render(name, "", results)
    assert message in failed[CHECKS[check]]


def test_check_objective_exits_1_and_lists_the_failure(tmp_path, capsys):
    edits, _ = BROKEN["stated cost"]
    plugin = write_plugin(tmp_path, "costly", **edits)
    assert main(["check-objective", str(plugin)]) == 1
    out = capsys.readouterr().out
    assert "  FAIL  stated costs agree with the cost model\n" in out
    assert "leave `cost` out of the Evaluation" in out
    assert out.endswith("7 passed, 1 failed, 0 skipped\n")


def test_may_fail_allows_raising_but_not_a_nan_or_raising_everywhere(tmp_path):
    finite = CHECKS["finite"]
    plugin = write_plugin(tmp_path, "diverging", body='assert config["k"] < 4, "diverged"')
    results = check_objective("diverging", (str(plugin),))
    reason = {r.check: r.reason for r in results}[finite]
    assert "raised AssertionError: diverged" in reason and "check with --may-fail" in reason
    assert outcomes(check_objective("diverging", (str(plugin),), may_fail=True))[finite] == "pass"

    plugin = write_plugin(tmp_path, "always-raising", body='raise RuntimeError("no")')
    results = check_objective("always-raising", (str(plugin),), may_fail=True)
    assert "every evaluation raised" in {r.check: r.reason for r in results}[finite]
    edits, _ = BROKEN["finite"]
    plugin = write_plugin(tmp_path, "nan-valued", **edits)
    assert outcomes(check_objective("nan-valued", (str(plugin),), may_fail=True))[finite] == "fail"


def test_a_measured_cost_need_only_be_positive(tmp_path):
    plugin = write_plugin(tmp_path, "measured", fidelity=EPOCHS, cost=", cost=0.25")
    stated = CHECKS["stated cost"]
    assert outcomes(check_objective("measured", (str(plugin),)))[stated] == "fail"
    assert outcomes(check_objective("measured", (str(plugin),), measures_cost=True))[stated] == (
        "pass"
    )


# --- issue 14 item 10: --seeds 0 --------------------------------------------------------


def test_seeds_0_says_it_means_no_seeds_and_how_to_ask_for_seed_0(capsys):
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        parse_seeds("0")
    assert str(refused.value) == (
        "'0' means the first 0 seeds, that is none (N counts seeds from 0); "
        "for seed 0 alone write 0-0 (or 0,)"
    )
    assert parse_seeds("0-0") == parse_seeds("0,") == [0]
    with pytest.raises(SystemExit) as exited:
        main(["run", "quick", "--seeds", "0"])
    assert exited.value.code == 2
    assert "argument --seeds: '0' means the first 0 seeds" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["surrogate-mlp-sgd", "tabular-mlp-adam[dataset=wine]"])
def test_the_recorded_curve_objectives_meet_the_contract(name):
    results = check_objective(name, may_fail=True)
    assert "fail" not in outcomes(results).values(), render(name, "", results)
    assert outcomes(results)[CHECKS["cost model"]] == "pass"
