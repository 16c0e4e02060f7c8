"""Suite files are validated whole, before anything runs, with messages that
name the file, the key and what was expected."""

import textwrap

import pytest

from bench.registry import Registry
from bench.suite import SuiteError, available_suites, load_suite, parse_suite, plan

VALID = """
strategies = ["random", "grid"]
objectives = ["branin", "hartmann6"]
seeds = 3
budget = 10
"""


@pytest.fixture
def registry():
    return Registry.discover(entry_points=False)


def suite_file(tmp_path, text, name="mine"):
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path, registry, text):
    path = suite_file(tmp_path, text)
    with pytest.raises(SuiteError) as info:
        plan(load_suite(path), registry)
    message = str(info.value)
    assert str(path) in message
    return message


@pytest.mark.parametrize("name", available_suites())
def test_the_shipped_suites_are_valid(name, registry):
    specs, _ = plan(load_suite(name), registry)
    suite = load_suite(name)
    runs = len(suite.strategies) * len(suite.objectives) * len(suite.seeds) * len(suite.workers)
    assert len(specs) == runs


def test_a_valid_suite_plans_every_run_in_a_stable_order(tmp_path, registry):
    specs, _ = plan(load_suite(suite_file(tmp_path, VALID)), registry)
    assert [(s.objective, s.strategy, s.seed) for s in specs[:4]] == [
        ("branin", "random", 0),
        ("branin", "random", 1),
        ("branin", "random", 2),
        ("branin", "grid", 0),
    ]
    assert {s.suite for s in specs} == {"mine"} and {s.budget for s in specs} == {10.0}


def test_seeds_may_be_a_list(tmp_path, registry):
    suite = load_suite(suite_file(tmp_path, VALID.replace("seeds = 3", "seeds = [4, 9]")))
    assert suite.seeds == (4, 9)


def test_unknown_key_with_did_you_mean(tmp_path, registry):
    message = problems(tmp_path, registry, VALID + "stratgies = []\n")
    assert "unknown key 'stratgies' (did you mean 'strategies'?)" in message
    assert "expected keys: description, strategies" in message


def test_unknown_strategy_name(tmp_path, registry):
    message = problems(tmp_path, registry, VALID.replace('"grid"', '"gird"'))
    assert "key 'strategies': unknown strategy 'gird'; did you mean 'grid'?" in message


def test_unknown_strategy_option(tmp_path, registry):
    message = problems(tmp_path, registry, VALID.replace('"grid"', '"grid[shufle=false]"'))
    assert "strategy 'grid' has no option 'shufle'; did you mean 'shuffle'?" in message


def test_negative_budget(tmp_path, registry):
    message = problems(tmp_path, registry, VALID.replace("budget = 10", "budget = -5"))
    assert "key 'budget': expected a positive number of full evaluations, got -5" in message


def test_low_not_below_high_in_a_space_override(tmp_path, registry):
    text = VALID + "[space.branin]\nx1 = { low = 3.0, high = 1.0 }\n"
    message = problems(tmp_path, registry, text)
    assert "key 'space.branin.x1': Float: low (3) must be < high (1)" in message


def test_unknown_parameter_in_a_space_override(tmp_path, registry):
    message = problems(tmp_path, registry, VALID + "[space.branin]\nx3 = { low = 0.0 }\n")
    assert "'space.branin.x3': the objective has no parameter 'x3'" in message


def test_override_of_an_objective_not_in_the_suite(tmp_path, registry):
    message = problems(tmp_path, registry, VALID + "[space.brainin]\nx1 = { low = 0.0 }\n")
    assert "key 'space.brainin': 'brainin' is not one of the suite's objectives" in message


@pytest.mark.parametrize("seeds", ["0", "-2", "[1, 1]", "[-1]", '"3"', "true"])
def test_bad_seeds(tmp_path, registry, seeds):
    message = problems(tmp_path, registry, VALID.replace("seeds = 3", f"seeds = {seeds}"))
    assert "key 'seeds': expected a positive number of seeds or a list" in message


def test_missing_keys_and_bad_toml(tmp_path, registry):
    assert "missing key 'budget'" in problems(tmp_path, registry, VALID.replace("budget = 10", ""))
    assert "not valid TOML" in problems(tmp_path, registry, VALID + "budget = = 3\n")


def test_all_problems_are_reported_together(tmp_path, registry):
    text = VALID.replace('"grid"', '"gird"').replace('"hartmann6"', '"hartman6"')
    message = problems(tmp_path, registry, text)
    assert "'gird'" in message and "'hartman6'" in message


def test_a_restricted_space_keeps_the_optimum_only_if_a_minimiser_is_inside(tmp_path, registry):
    inside = VALID + "[space.branin]\nx1 = { low = 0.0, high = 5.0 }\n"
    _, objectives = plan(load_suite(suite_file(tmp_path, inside)), registry)
    assert objectives["branin"].optimum == pytest.approx(0.397887357729738)
    assert objectives["branin"].space["x1"].low == 0.0
    outside = VALID + "[space.branin]\nx1 = { low = 0.0, high = 2.0 }\n"
    _, objectives = plan(load_suite(suite_file(tmp_path, outside)), registry)
    assert objectives["branin"].optimum is None


def test_a_strategy_needing_a_fidelity_is_refused_on_objectives_without_one(tmp_path):
    plugin = tmp_path / "needy.py"
    plugin.write_text(
        textwrap.dedent('''
        from bench import Strategy

        class Needy(Strategy):
            """Needs a fidelity."""
            name = "needy"
            needs_fidelity = True
            def ask(self): ...
            def tell(self, suggestion, value): ...
    ''')
    )
    registry = Registry.discover([plugin], entry_points=False)
    message = problems(tmp_path, registry, VALID.replace('"grid"', '"needy"'))
    assert "strategy 'needy' cannot run on objective 'branin'" in message
    assert "needs an objective with a fidelity" in message


def test_narrowing_replaces_lists_and_is_validated(tmp_path):
    suite = load_suite(suite_file(tmp_path, VALID))
    narrowed = suite.narrow(strategies=["random"], seeds=[5], budget=3.0)
    assert narrowed.strategies == ("random",) and narrowed.seeds == (5,) and narrowed.budget == 3.0
    assert narrowed.objectives == suite.objectives
    with pytest.raises(SuiteError, match="'--budget': expected a positive number"):
        suite.narrow(budget=-1.0)


def test_hyperband_and_bohb_are_refused_on_an_objective_without_a_fidelity(tmp_path, registry):
    text = VALID.replace('"grid"', '"hyperband", "bohb"').replace('"hartmann6"', '"hartmann6-mf"')
    message = problems(tmp_path, registry, text)
    assert "strategy 'hyperband' cannot run on objective 'branin'" in message
    assert "strategy 'bohb' cannot run on objective 'branin'" in message
    assert "hartmann6-mf" not in message


def test_a_command_line_budget_or_timeout_warns_that_the_report_leaves_the_runs_out():
    from bench.runner import narrowing_warnings

    base = parse_suite(
        'strategies = ["random"]\nobjectives = ["branin"]\nseeds = 2\nbudget = 20\n', "s.toml", "s"
    )
    assert narrowing_warnings(base, base.narrow(seeds=[0])) == []
    (budget,) = narrowing_warnings(base, base.narrow(budget=5))
    assert budget.startswith("--budget 5 is not suite s's budget (20): these runs are stored")
    assert "leaves them out as narrowed" in budget
    (timeout,) = narrowing_warnings(base, base.narrow(timeout=2))
    assert timeout.startswith("--timeout 2 s is not suite s's timeout (none)")
