import itertools
import math

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

from bench import Evaluation, Float, Space
from objectives.synthetic import Branin, ForresterOneOfTwo, Hartmann6

# Reference formulas typed from https://www.sfu.ca/~ssurjano/branin.html and hart6.html,
# and from Forrester, Sobester & Keane (2008), Engineering Design via Surrogate Modelling.


def branin_reference(x1, x2):
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2]
HARTMANN6_A = [
    [10, 3, 17, 3.50, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
HARTMANN6_P = [
    [1312, 1696, 5569, 124, 8283, 5886],
    [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650],
    [4047, 8828, 8732, 5743, 1091, 381],
]


def hartmann6_reference(x):
    total = 0.0
    for alpha, a_row, p_row in zip(HARTMANN6_ALPHA, HARTMANN6_A, HARTMANN6_P):
        inner = sum(a * (xj - 1e-4 * p) ** 2 for a, xj, p in zip(a_row, x, p_row))
        total += alpha * math.exp(-inner)
    return -total


def forrester_reference(t):
    return (6 * t - 2) ** 2 * math.sin(12 * t - 4)


def config_of(objective, x):
    return dict(zip(objective.space.names, (float(v) for v in x)))


def value_at(objective, x, seed=0):
    return objective.evaluate(config_of(objective, x), seed=seed).value


def box_points(objective, n, seed):
    low = np.array([d.low for d in objective.space.values()])
    high = np.array([d.high for d in objective.space.values()])
    random = low + np.random.default_rng(seed).random((n, len(low))) * (high - low)
    corners = np.array(list(itertools.product(*zip(low, high))))
    return np.vstack([random, corners])


# Domains


@pytest.mark.parametrize(
    ("objective", "name", "space"),
    [
        (Branin(), "branin", Space({"x1": Float(-5.0, 10.0), "x2": Float(0.0, 15.0)})),
        (Hartmann6(), "hartmann6", Space({f"x{i}": Float(0.0, 1.0) for i in range(1, 7)})),
        (
            ForresterOneOfTwo(),
            "forrester-1of2",
            Space({"x1": Float(0.0, 1.0), "x2": Float(0.0, 1.0)}),
        ),
    ],
)
def test_space_is_the_documented_domain(objective, name, space):
    assert objective.name == name
    assert objective.space == space
    assert all(dim.scale == "linear" for dim in objective.space.values())
    assert objective.fidelity is None
    for config in objective.minimisers:
        assert objective.space.contains(dict(config))


@pytest.mark.parametrize("objective", [Branin(), Hartmann6(), ForresterOneOfTwo()])
def test_an_evaluation_is_one_full_unit_of_budget(objective):
    evaluation = objective.evaluate(objective.space.sample(np.random.default_rng(0)), seed=3)
    assert isinstance(evaluation, Evaluation)
    assert evaluation.cost == 1.0
    assert isinstance(evaluation.value, float)


# Optima


@pytest.mark.parametrize("objective", [Branin(), Hartmann6()])
def test_value_at_every_minimiser_is_the_optimum(objective):
    assert objective.minimisers
    for config in objective.minimisers:
        assert objective.evaluate(dict(config), seed=0).value == pytest.approx(
            objective.optimum, abs=1e-12
        )


def test_branin_minimisers_and_optimum_match_the_literature():
    branin = Branin()
    assert branin.optimum == pytest.approx(5 / (4 * math.pi), abs=1e-15)
    assert branin.optimum == pytest.approx(0.397887, abs=1e-6)
    literature = [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)]
    assert len(branin.minimisers) == len(literature)
    for config, (x1, x2) in zip(branin.minimisers, literature):
        assert config["x1"] == pytest.approx(x1, abs=1e-5)
        assert config["x2"] == pytest.approx(x2, abs=1e-12)
        assert branin_reference(config["x1"], config["x2"]) == pytest.approx(
            branin.optimum, abs=1e-12
        )


def test_hartmann6_minimiser_and_optimum_match_the_literature():
    hartmann = Hartmann6()
    assert hartmann.optimum == pytest.approx(-3.32237, abs=1e-5)
    (config,) = hartmann.minimisers
    literature = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]
    np.testing.assert_allclose(list(config.values()), literature, atol=1e-5)
    assert hartmann6_reference(list(config.values())) == pytest.approx(hartmann.optimum, abs=1e-12)


def test_no_local_search_goes_below_the_hartmann6_optimum():
    """Regret is measured against ``optimum``: nothing may undercut it."""
    hartmann = Hartmann6()
    starts = [np.array(list(hartmann.minimisers[0].values()))]
    starts += list(np.random.default_rng(2024).random((20, 6)))
    for start in starts:
        result = minimize(
            lambda x: value_at(hartmann, x),
            start,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * 6,
            options={"ftol": 1e-15, "gtol": 1e-12},
        )
        assert result.fun >= hartmann.optimum - 1e-12


def test_forrester_optimum_matches_the_literature():
    forrester = ForresterOneOfTwo()
    assert forrester.optimum == pytest.approx(-6.02074, abs=1e-5)
    assert forrester.optimum == pytest.approx(forrester_reference(0.75725), abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2, 17, 12345])
def test_forrester_minimiser_of_each_seed_attains_the_optimum(seed):
    forrester = ForresterOneOfTwo()
    minimiser = forrester.minimiser(seed)
    assert forrester.space.contains(minimiser)
    assert forrester.evaluate(minimiser, seed=seed).value == forrester.optimum


@pytest.mark.parametrize("seed", [0, 1, 2, 17, 12345])
def test_nothing_in_a_forrester_instance_goes_below_the_optimum(seed):
    forrester = ForresterOneOfTwo()
    x1 = np.linspace(0.0, 1.0, 100_001)
    t = 0.8 * x1 + ForresterOneOfTwo.shift(seed)
    assert ((6 * t - 2) ** 2 * np.sin(12 * t - 4)).min() >= forrester.optimum - 1e-12
    scan = [value_at(forrester, (x, 0.5), seed) for x in np.linspace(0.0, 1.0, 2001)]
    assert min(scan) >= forrester.optimum - 1e-12
    near = forrester.minimiser(seed)["x1"]
    polished = minimize_scalar(
        lambda x: value_at(forrester, (x, 0.5), seed),
        bounds=(near - 0.05, near + 0.05),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert polished.fun >= forrester.optimum - 1e-12
    assert polished.fun == pytest.approx(forrester.optimum, abs=1e-12)


# Values against the reference formulas


def test_branin_matches_the_reference_formula():
    branin = Branin()
    for x in box_points(branin, 5, seed=11):
        assert value_at(branin, x) == pytest.approx(branin_reference(*x), rel=1e-12, abs=1e-12)


def test_hartmann6_matches_the_reference_formula():
    hartmann = Hartmann6()
    for x in box_points(hartmann, 5, seed=12):
        assert value_at(hartmann, x) == pytest.approx(hartmann6_reference(x), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("seed", [0, 5, 99])
def test_forrester_matches_the_reference_formula_on_the_shifted_axis(seed):
    forrester = ForresterOneOfTwo()
    shift = ForresterOneOfTwo.shift(seed)
    for x1, x2 in box_points(forrester, 5, seed=13):
        assert value_at(forrester, (x1, x2), seed) == pytest.approx(
            forrester_reference(0.8 * x1 + shift), rel=1e-12, abs=1e-12
        )


def test_values_at_hand_checked_points():
    assert branin_reference(0.0, 0.0) == pytest.approx(56 - 5 / (4 * math.pi), rel=1e-14)
    assert value_at(Branin(), (0.0, 0.0)) == pytest.approx(56 - 5 / (4 * math.pi), rel=1e-14)
    assert value_at(Hartmann6(), [0.0] * 6) == pytest.approx(hartmann6_reference([0.0] * 6))
    for t, expected in [(0.0, 4 * math.sin(-4.0)), (0.5, math.sin(2.0)), (1.0, 16 * math.sin(8.0))]:
        assert forrester_reference(t) == pytest.approx(expected, rel=1e-14)
        assert ForresterOneOfTwo.function(np.array([[t, 0.0]]))[0] == pytest.approx(
            expected, rel=1e-14
        )


# Vectorised function against evaluate


@pytest.mark.parametrize("objective", [Branin(), Hartmann6()])
def test_vectorised_function_agrees_with_evaluate(objective):
    X = box_points(objective, 20, seed=21)
    values = objective.function(X)
    assert values.shape == (len(X),)
    for row, value in zip(X, values):
        assert value == pytest.approx(value_at(objective, row), rel=1e-13, abs=1e-15)


def test_forrester_vectorised_function_is_on_the_shifted_axis():
    """``function`` takes t = 0.8 x1 + shift(seed), not the space's x1."""
    forrester = ForresterOneOfTwo()
    X = box_points(forrester, 20, seed=22)
    for seed in (0, 4):
        T = np.column_stack([0.8 * X[:, 0] + ForresterOneOfTwo.shift(seed), X[:, 1]])
        values = forrester.function(T)
        for row, value in zip(X, values):
            assert value == pytest.approx(value_at(forrester, row, seed), rel=1e-13, abs=1e-15)


# Forrester instances


def test_forrester_x2_has_no_effect():
    forrester = ForresterOneOfTwo()
    for seed in (0, 3):
        for x1 in (0.0, 0.3, 0.77, 1.0):
            values = {value_at(forrester, (x1, x2), seed) for x2 in np.linspace(0, 1, 11)}
            assert len(values) == 1


def test_forrester_seeds_are_different_instances_with_the_same_optimum():
    forrester = ForresterOneOfTwo()
    seeds = range(20)
    shifts = [ForresterOneOfTwo.shift(s) for s in seeds]
    assert len(set(shifts)) == len(shifts)
    assert len({forrester.minimiser(s)["x1"] for s in seeds}) == len(shifts)
    assert value_at(forrester, (0.5, 0.5), seed=0) != value_at(forrester, (0.5, 0.5), seed=1)
    optima = {forrester.evaluate(forrester.minimiser(s), seed=s).value for s in seeds}
    assert optima == {forrester.optimum}


def test_forrester_shift_is_in_zero_to_a_fifth_and_deterministic():
    shifts = np.array([ForresterOneOfTwo.shift(s) for s in range(500)])
    assert np.all((shifts >= 0.0) & (shifts <= 0.2))
    assert shifts.min() < 0.02 and shifts.max() > 0.18
    assert ForresterOneOfTwo.shift(7) == ForresterOneOfTwo().shift(7)
    assert ForresterOneOfTwo().evaluate({"x1": 0.4, "x2": 0.1}, seed=7) == (
        ForresterOneOfTwo().evaluate({"x1": 0.4, "x2": 0.1}, seed=7)
    )
