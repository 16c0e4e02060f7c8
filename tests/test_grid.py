"""Grid search: the largest full grid within the budget, and where its points go.

Expected counts are worked out by hand (or by the brute force written here),
never by calling the strategy's own helpers.
"""

import itertools
import json
import math

import pytest

from bench import Budget, Categorical, Float, Int, Space, get_objective, get_strategy, run
from bench.space import SpaceError


def counts(objective, budget, **options):
    space = get_objective(objective).space if isinstance(objective, str) else objective
    strategy = get_strategy("grid")(space, seed=0, budget=Budget(evaluations=budget), **options)
    return strategy.points


def unit_space(k):
    return Space({f"x{i}": Float(0.0, 1.0) for i in range(k)})


# Branin: 2 Floats; the budget's factor pair closest to square, larger count first.
# Hartmann-6: 6 Floats; the budget's prime factors spread over as many dimensions
# as possible (then merged as little as the budget allows), larger counts first.
@pytest.mark.parametrize(
    ("objective", "budget", "expected"),
    [
        ("branin", 50, {"x1": 10, "x2": 5}),  # 5 x 10 beats 2 x 25 and 1 x 50
        ("branin", 49, {"x1": 7, "x2": 7}),
        ("branin", 48, {"x1": 8, "x2": 6}),  # 6 x 8 beats 4 x 12, 3 x 16, ...
        ("branin", 7, {"x1": 7, "x2": 1}),
        ("branin", 1, {"x1": 1, "x2": 1}),
        ("branin", 50.7, {"x1": 10, "x2": 5}),  # whole evaluations only
        ("hartmann6", 50, {"x1": 5, "x2": 5, "x3": 2, "x4": 1, "x5": 1, "x6": 1}),
        ("hartmann6", 49, {"x1": 7, "x2": 7, "x3": 1, "x4": 1, "x5": 1, "x6": 1}),
        ("hartmann6", 48, {"x1": 3, "x2": 2, "x3": 2, "x4": 2, "x5": 2, "x6": 1}),
        ("hartmann6", 7, {"x1": 7, "x2": 1, "x3": 1, "x4": 1, "x5": 1, "x6": 1}),
        ("hartmann6", 1, {"x1": 1, "x2": 1, "x3": 1, "x4": 1, "x5": 1, "x6": 1}),
        ("hartmann6", 100, {"x1": 5, "x2": 5, "x3": 2, "x4": 2, "x5": 1, "x6": 1}),
    ],
)
def test_the_largest_most_balanced_grid(objective, budget, expected):
    assert counts(objective, budget) == expected
    assert math.prod(expected.values()) <= budget


def test_the_greedy_grids_are_beaten():
    # The old greedy growth stopped at 7 x 7 = 49 and 3 x 2 x 2 x 2 x 2 x 1 = 48.
    assert math.prod(counts("branin", 50).values()) == 50
    assert math.prod(counts("hartmann6", 50).values()) == 50


def test_an_int_is_capped_by_its_values():
    space = Space({"n": Int(1, 3), "x": Float(0.0, 1.0)})
    # 3 values for n; 50 = 3 x 16 + 2, and 2 x 25 = 1 x 50 = 50 beats 48:
    # 50 with counts (n, x): (2, 25) or (1, 50); (2, 25) is the more balanced.
    assert counts(space, 50) == {"n": 2, "x": 25}
    # At 45: (3, 15) has product 45, the most there is.
    assert counts(space, 45) == {"n": 3, "x": 15}
    # The larger count goes first only where the cap allows it.
    assert counts(Space({"n": Int(1, 3), "m": Int(1, 3)}), 50) == {"n": 3, "m": 3}


@pytest.mark.parametrize("placement", ["centres", "bounds"])
def test_a_log_int_counts_only_points_that_stay_distinct(placement):
    dim = Int(8, 1024, "log")  # its points crowd together near 8
    n = counts(Space({"u": dim}), 1000, placement=placement)["u"]
    assert len(dim.grid(n, placement)) == n
    assert len(dim.grid(n + 1, placement)) < n + 1


def test_a_categorical_contributes_all_its_choices():
    space = Space({"c": Categorical(("a", "b", "c")), "x": Float(0, 1), "y": Float(0, 1)})
    points = counts(space, 50)
    assert points == {"x": 4, "y": 4}  # 3 x 16 = 48 <= 50 < 3 x 17; 16 = 4 x 4
    assert math.prod(points.values()) <= 16


def test_choices_beyond_the_budget_keep_one_point_per_numeric_dimension():
    space = Space({"c": Categorical(tuple("abcdef")), "x": Float(0, 1)})
    assert counts(space, 5) == {"x": 1}


def brute_force(caps, budget):
    """Every count vector within the caps, best by (product <= budget, then the
    ascending sorted counts, then the vector itself in dimension order)."""
    fitting = [
        v for v in itertools.product(*(range(1, c + 1) for c in caps)) if math.prod(v) <= budget
    ]
    return max(fitting, key=lambda v: (math.prod(v), sorted(v), v))


SMALL_SPACES = [
    [Float(0, 1), Float(0, 1)],
    [Float(0, 1), Int(0, 2), Float(0, 1)],
    [Int(1, 4), Int(1, 5), Int(1, 7)],
    [Int(0, 1), Float(0, 1), Int(0, 3), Int(0, 5)],
    [Float(0, 1), Int(1, 9), Float(0, 1), Int(1, 4)],
    [Int(0, 2), Int(0, 2), Int(0, 2), Int(0, 2)],
]


@pytest.mark.parametrize("dims", SMALL_SPACES)
def test_agrees_with_a_brute_force(dims):
    space = Space({f"d{i}": dim for i, dim in enumerate(dims)})
    for budget in range(1, 61):
        caps = [dim.size if isinstance(dim, Int) else budget for dim in dims]
        expected = brute_force(caps, budget)
        assert tuple(counts(space, budget).values()) == expected, budget


def test_centres_and_bounds_on_a_unit_interval():
    dim = Float(0.0, 1.0)
    assert dim.grid(4, "centres") == [0.125, 0.375, 0.625, 0.875]
    assert dim.grid(4, "bounds") == [0.0, 1 / 3, 2 / 3, 1.0]
    assert dim.grid(1, "centres") == dim.grid(1, "bounds") == [0.5]


def test_centres_on_a_log_scale():
    assert Float(1e-4, 1.0, "log").grid(2, "centres") == pytest.approx([1e-3, 1e-1], rel=1e-12)


def test_centres_of_an_int_are_distinct_integers():
    dim = Int(1, 6)  # each integer owns 1/6 of the unit interval
    assert dim.grid(6, "centres") == [1, 2, 3, 4, 5, 6]
    assert dim.grid(2, "centres") == [2, 5]  # 0.5 + 6 (i + 0.5) / 2: 2.0 and 5.0
    # 9 integers in 3 cells: each cell's middle integer, -0.5 + 9 (i + 0.5) / 3.
    assert Int(0, 8).grid(3, "centres") == [1, 4, 7]


def test_space_grid_keeps_bounds_as_its_default():
    space = unit_space(1)
    assert [c["x0"] for c in space.grid(3)] == [0.0, 0.5, 1.0]
    assert [c["x0"] for c in space.grid(2, placement="centres")] == [0.25, 0.75]
    with pytest.raises(SpaceError, match="placement must be one of 'bounds', 'centres'"):
        space.grid(2, placement="middle")


@pytest.mark.parametrize("placement", ["centres", "bounds"])
@pytest.mark.parametrize("objective", ["branin", "hartmann6"])
def test_grid_points_are_inside_the_space(objective, placement):
    space = get_objective(objective).space
    strategy = get_strategy("grid")(
        space, seed=0, budget=Budget(evaluations=50), placement=placement
    )
    configs = space.grid(strategy.points, placement=placement)
    assert len(configs) == 50
    assert all(space.contains(c) for c in configs)


def test_centres_is_the_default():
    space = unit_space(2)
    strategy = get_strategy("grid")(space, seed=0, budget=Budget(evaluations=4))
    assert strategy.placement == "centres"
    seen = {strategy.ask().config["x0"] for _ in range(4)}
    assert seen == {0.25, 0.75}


def test_a_wrong_placement_is_refused():
    with pytest.raises(ValueError, match=r"grid: placement must be one of .*, got 'corners'") as e:
        counts("branin", 10, placement="corners")
    assert "'centres'" in str(e.value) and "'bounds'" in str(e.value)


def visited(strategy, objective, seed, budget):
    frame = run(strategy, objective, seed=seed, budget=budget).to_frame()
    return frame, {tuple(sorted(json.loads(c).items())) for c in frame["config"]}


@pytest.mark.parametrize("placement", ["centres", "bounds"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_run_visits_exactly_the_full_grid(placement, seed):
    frame, seen = visited(f"grid[placement={placement}]", "branin", seed, 50)
    # By hand: 10 x 5 on x1 in [-5, 10] and x2 in [0, 15].
    if placement == "centres":
        x1 = [-5 + 15 * (i + 0.5) / 10 for i in range(10)]
        x2 = [15 * (i + 0.5) / 5 for i in range(5)]
    else:
        x1 = [-5 + 15 * i / 9 for i in range(10)]
        x2 = [15 * i / 4 for i in range(5)]
    expected = {(("x1", a), ("x2", b)) for a in x1 for b in x2}
    assert len(frame) == 50
    assert len(seen) == 50
    rounded = {tuple((k, round(v, 9)) for k, v in c) for c in seen}
    assert rounded == {tuple((k, round(v, 9)) for k, v in c) for c in expected}


def test_hartmann6_with_centres_never_spends_a_point_on_a_bound():
    frame, _ = visited("grid", "hartmann6", 0, 50)
    assert len(frame) == 50
    for name in ["x1", "x2", "x3", "x4", "x5", "x6"]:
        values = frame[f"param_{name}"]
        assert ((values > 0.0) & (values < 1.0)).all(), name
    assert sorted(frame["param_x1"].unique()) == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert sorted(frame["param_x3"].unique()) == pytest.approx([0.25, 0.75])


def test_hartmann6_with_bounds_tries_the_ends():
    frame, _ = visited("grid[placement=bounds]", "hartmann6", 0, 50)
    assert sorted(frame["param_x3"].unique()) == [0.0, 1.0]
