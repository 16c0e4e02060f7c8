"""Suites that cannot run as meant are refused by ``load_suite``/``plan``, before
any run starts, with the file, the key, what was expected and a did-you-mean:
out-of-domain spaces, keys of the wrong dimension kind, absurd sizes, option
values a strategy cannot use, and two spellings of one variant."""

import textwrap

import optuna
import pytest

import bench.suite as suite_module
from bench import Budget
from bench.registry import Registry
from bench.suite import SuiteError, load_suite, plan
from bench.variant import VariantError, parse_variant

OPTUNA = tuple(int(part) for part in optuna.__version__.split(".")[:2])

VALID = """
strategies = ["random", "grid"]
objectives = ["branin", "mixed"]
seeds = 3
budget = 10
"""


@pytest.fixture(scope="module")
def registry():
    return Registry.discover(entry_points=False)


def suite_file(tmp_path, text):
    path = tmp_path / "mine.toml"
    path.write_text(textwrap.dedent(text))
    return path


def refused(tmp_path, registry, text):
    """The SuiteError message of planning ``text``; it names the file."""
    path = suite_file(tmp_path, text)
    with pytest.raises(SuiteError) as info:
        plan(load_suite(path), registry)
    message = str(info.value)
    assert str(path) in message
    return message


@pytest.mark.parametrize(
    ("override", "key", "given", "domain"),
    [
        ("[space.branin]\nx1 = { low = -50.0 }", "space.branin.x1", "[-50, 10]", "[-5, 10]"),
        ("[space.branin]\nx2 = { high = 20.0 }", "space.branin.x2", "[0, 20]", "[0, 15]"),
        ("[space.mixed]\nlayers = { low = 0, high = 4 }", "space.mixed.layers", "[0, 4]", "[1, 8]"),
        ("[space.mixed]\nunits = { high = 4096 }", "space.mixed.units", "[8, 4096]", "[8, 1024]"),
    ],
)
def test_bounds_outside_the_declared_domain_are_refused(
    tmp_path, registry, override, key, given, domain
):
    message = refused(tmp_path, registry, VALID + override + "\n")
    assert f"key '{key}'" in message
    assert f"bounds {given} lie outside the objective's domain {domain}" in message


def test_bounds_inside_the_domain_and_another_scale_are_accepted(tmp_path, registry):
    text = VALID + "[space.mixed]\nlayers = { low = 2, high = 8 }\ndropout = { scale = 'linear' }\n"
    _, objectives = plan(load_suite(suite_file(tmp_path, text)), registry)
    assert objectives["mixed"].space["layers"].low == 2


def test_categorical_choices_must_come_from_the_declared_ones(tmp_path, registry):
    text = VALID + "[space.mixed]\nactivation = { choices = ['relu', 'tanhh'] }\n"
    message = refused(tmp_path, registry, text)
    assert "key 'space.mixed.activation'" in message
    assert (
        "choice 'tanhh' is not one of the objective's choices 'relu', 'tanh', 'sigmoid'" in message
    )
    assert "did you mean 'tanh'?" in message


def test_categorical_choices_must_be_a_list(tmp_path, registry):
    message = refused(
        tmp_path, registry, VALID + "[space.mixed]\nactivation = { choices = 'relu' }\n"
    )
    assert "key 'space.mixed.activation': expected a list of choices, got 'relu'" in message


def test_a_subset_of_the_choices_is_accepted(tmp_path, registry):
    text = VALID + "[space.mixed]\nactivation = { choices = ['tanh', 'relu'] }\n"
    _, objectives = plan(load_suite(suite_file(tmp_path, text)), registry)
    assert objectives["mixed"].space["activation"].choices == ("tanh", "relu")


@pytest.mark.parametrize(
    ("override", "key", "wrong", "kind"),
    [
        ("x1 = { choices = [1.0, 2.0] }", "space.branin.x1", "choices", "Float"),
        ("[space.mixed]\nlayers = { choices = [1, 2] }", "space.mixed.layers", "choices", "Int"),
        (
            "[space.mixed]\nactivation = { low = 0.0 }",
            "space.mixed.activation",
            "low",
            "Categorical",
        ),
        (
            "[space.mixed]\nactivation = { scale = 'log' }",
            "space.mixed.activation",
            "scale",
            "Categorical",
        ),
    ],
)
def test_keys_of_another_kind_of_dimension_are_refused(
    tmp_path, registry, override, key, wrong, kind
):
    text = VALID + ("[space.branin]\n" if override.startswith("x1") else "") + override + "\n"
    message = refused(tmp_path, registry, text)
    assert f"key '{key}'" in message
    assert f"{wrong!r} does not apply to a {kind} dimension" in message


def test_a_budget_above_the_cap_is_refused(tmp_path, registry):
    message = refused(tmp_path, registry, VALID.replace("budget = 10", "budget = 1e308"))
    cap = suite_module.MAX_BUDGET
    assert f"key 'budget': at most {cap} full evaluations per run, got 1e+308" in message


def test_too_many_seeds_are_refused_before_the_list_is_built(tmp_path, registry):
    message = refused(tmp_path, registry, VALID.replace("seeds = 3", "seeds = 100000000"))
    assert f"key 'seeds': at most {suite_module.MAX_SEEDS} seeds, got 100000000" in message


def test_too_many_seeds_from_the_command_line_are_refused(tmp_path):
    suite = load_suite(suite_file(tmp_path, VALID))
    count = suite_module.MAX_SEEDS + 1
    with pytest.raises(SuiteError, match=rf"'--seeds': at most \d+ seeds, got {count}"):
        suite.narrow(seeds=range(count))


def test_a_seed_beyond_what_the_libraries_take_is_refused(tmp_path, registry):
    message = refused(tmp_path, registry, VALID.replace("seeds = 3", "seeds = [0, 4294967296]"))
    assert f"key 'seeds': seeds must be at most {suite_module.MAX_SEED}, got 4294967296" in message


def test_too_many_runs_in_total_are_refused(tmp_path, registry, monkeypatch):
    monkeypatch.setattr(suite_module, "MAX_RUNS", 11)
    message = refused(tmp_path, registry, VALID)
    assert "2 strategies x 2 objectives x 3 seeds = 12 runs; at most 11 runs" in message


def test_a_negative_library_option_is_refused_at_plan_time(tmp_path, registry):
    text = VALID.replace('"grid"', '"tpe[n_startup_trials=-3]"')
    message = refused(tmp_path, registry, text)
    assert "key 'strategies': strategy 'tpe[n_startup_trials=-3]' cannot be built" in message
    assert "tpe: n_startup_trials must be an integer >= 0, got -3" in message


def test_a_wrong_option_value_is_refused_at_plan_time_once(tmp_path, registry):
    message = refused(tmp_path, registry, VALID.replace('"grid"', '"random[scale=foo]"'))
    assert "strategy 'random[scale=foo]' cannot be built on objectives 'branin', 'mixed'" in message
    assert message.count("scale must be linear, log or log1m, got 'foo'") == 1


def test_a_very_long_option_value_is_refused_with_a_message(tmp_path, registry):
    long = "a" * 300
    message = refused(tmp_path, registry, VALID.replace('"grid"', f'"random[scale={long}]"'))
    assert "option 'scale': the value is 300 characters long; at most 100" in message
    assert long not in message
    with pytest.raises(VariantError, match="at most 100"):
        parse_variant(f"random[scale={long}]")


def test_a_long_name_that_would_not_fit_a_results_path_is_refused():
    value = '"' + " " * 90 + '"'
    with pytest.raises(VariantError, match="too long to name a results folder"):
        parse_variant(f"tpe[a={value},b={value}]")


def test_a_plugin_whose_constructor_refuses_its_options_is_refused_at_plan_time(tmp_path):
    plugin = tmp_path / "picky.py"
    plugin.write_text(
        textwrap.dedent('''
        from bench import Strategy

        class Picky(Strategy):
            """Refuses odd sizes."""
            name = "picky"
            def __init__(self, space, *, seed, budget, fidelity=None, size=2):
                super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
                if size % 2:
                    raise ValueError(f"picky: size must be even, got {size}")
            def ask(self): ...
            def tell(self, suggestion, value): ...
    ''')
    )
    registry = Registry.discover([plugin], entry_points=False)
    message = refused(tmp_path, registry, VALID.replace('"grid"', '"picky[size=3]"'))
    assert "strategy 'picky[size=3]' cannot be built on objectives 'branin', 'mixed'" in message
    assert "picky: size must be even, got 3" in message


@pytest.mark.parametrize(
    ("strategy", "options", "expected"),
    [
        ("tpe", {"n_startup_trials": -3}, "tpe: n_startup_trials must be an integer >= 0, got -3"),
        (
            "tpe",
            {"n_startup_trials": 2.5},
            "tpe: n_startup_trials must be an integer >= 0, got 2.5",
        ),
        ("tpe", {"n_ei_candidates": 0}, "tpe: n_ei_candidates must be an integer >= 1, got 0"),
        ("tpe", {"multivariate": "yes"}, "tpe: multivariate must be true or false, got 'yes'"),
        ("gp", {"n_startup_trials": -1}, "gp: n_startup_trials must be an integer >= 0, got -1"),
        ("cmaes", {"sigma0": 0.0}, "cmaes: sigma0 must be a number > 0, got 0.0"),
        ("cmaes", {"popsize": 1}, "cmaes: popsize must be an integer >= 2, got 1"),
        ("cmaes", {"restart_strategy": "foo"}, "cmaes: restart_strategy must be one of"),
        pytest.param(
            "cmaes",
            {"restart_strategy": "ipop"},
            "cmaes: restart_strategy='ipop' would be ignored",
            marks=pytest.mark.skipif(OPTUNA < (4, 4), reason="optuna < 4.4 honours it"),
        ),
        ("qmc", {"scramble": "x"}, "qmc: scramble must be true or false, got 'x'"),
        ("tpe-hyperopt", {"n_startup_jobs": -3}, "n_startup_jobs must be an integer >= 0, got -3"),
        ("tpe-hyperopt", {"n_ei_candidates": 0}, "n_ei_candidates must be an integer >= 1, got 0"),
        ("tpe-hyperopt", {"gamma": 0.0}, "tpe-hyperopt: gamma must be a number in (0, 1], got 0.0"),
        ("tpe-hyperopt", {"gamma": "x"}, "tpe-hyperopt: gamma must be a number in (0, 1], got 'x'"),
        ("gp-skopt", {"n_initial_points": 0}, "n_initial_points must be an integer >= 1, got 0"),
        ("grid", {"shuffle": "foo"}, "grid: shuffle must be true or false, got 'foo'"),
        ("bohb", {"random_fraction": "x"}, "bohb: random_fraction must be a number in [0, 1]"),
    ],
)
def test_nonsensical_options_are_refused_by_the_constructor(registry, strategy, options, expected):
    _, objective = registry.objective("hartmann6-mf")
    target = registry.strategies[strategy].target
    with pytest.raises(ValueError) as info:
        target(objective.space, seed=0, budget=Budget(5), fidelity=objective.fidelity, **options)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("random", "random[]"),
        ("tpe[n_startup_trials=5,n_ei_candidates=8]", "tpe[n_ei_candidates=8, n_startup_trials=5]"),
        ("coarse-to-fine", "coarse-to-fine[zoom=0.5]"),
        ("coarse-to-fine[zoom=0.25]", "coarse-to-fine[zoom=2.5e-1,stages=3]"),
    ],
)
def test_two_spellings_of_one_strategy_variant_are_refused(tmp_path, registry, first, second):
    text = VALID.replace('"random", "grid"', f'"{first}", "{second}"')
    message = refused(tmp_path, registry, text)
    assert f"key 'strategies': {first!r} and {second!r} are the same strategy, " in message


@pytest.mark.parametrize(
    ("first", "second"),
    [("branin", "branin[]"), ("embedded[function=branin]", "embedded[dims=6]")],
)
def test_two_spellings_of_one_objective_are_refused(tmp_path, registry, first, second):
    text = VALID.replace('"branin", "mixed"', f'"{first}", "{second}"')
    message = refused(tmp_path, registry, text)
    assert f"key 'objectives': {first!r} and {second!r} are the same objective, " in message


def test_two_spellings_from_the_command_line_are_refused(tmp_path, registry):
    suite = load_suite(suite_file(tmp_path, VALID)).narrow(
        strategies=["grid", "grid[shuffle=true]"]
    )
    with pytest.raises(
        SuiteError, match="'grid' and 'grid\\[shuffle=true\\]' are the same strategy"
    ):
        plan(suite, registry)


def test_distinct_settings_of_one_strategy_still_plan(tmp_path, registry):
    text = VALID.replace('"grid"', '"coarse-to-fine", "coarse-to-fine[zoom=0.25]"')
    specs, _ = plan(load_suite(suite_file(tmp_path, text)), registry)
    assert {s.strategy for s in specs} == {"random", "coarse-to-fine", "coarse-to-fine[zoom=0.25]"}
