import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.space import Categorical, Float, Int, Space, SpaceError, space_from_description

PROPERTY = settings(max_examples=100, deadline=None)


@st.composite
def float_dims(draw, scale):
    """Valid bounds, kept apart enough for unit coordinates to hold 1e-9.

    A log1m bound closer to 1 than 1e-6 loses digits in 1 - x itself.
    """
    if scale == "linear":
        low = draw(st.floats(-1e6, 1e6))
        high = low + draw(st.floats(1e-3, 1e3)) * max(1.0, abs(low))
    elif scale == "log":
        low = draw(st.floats(1e-10, 1e6))
        high = low * 10 ** draw(st.floats(0.01, 8))
    else:
        gap = draw(st.floats(1e-6, 10))
        low, high = 1 - gap * 10 ** draw(st.floats(0.5, 6)), 1 - gap
    return Float(low, high, scale)


@st.composite
def int_dims(draw, scale):
    low = draw(st.integers(-(10**6), 10**6) if scale == "linear" else st.integers(1, 10**6))
    return Int(low, low + draw(st.integers(1, 10**6)), scale)


any_float_dim = st.sampled_from(["linear", "log", "log1m"]).flatmap(float_dims)
any_int_dim = st.sampled_from(["linear", "log"]).flatmap(int_dims)
categoricals = st.lists(
    st.one_of(st.text(max_size=5), st.integers()), min_size=1, max_size=8, unique=True
).map(lambda choices: Categorical(tuple(choices)))
factors = st.floats(0.01, 1.0)


def float_close(dim, a, b, rel=1e-9):
    """Closeness in the quantity each scale keeps to relative precision."""
    if dim.scale == "linear":
        return math.isclose(a, b, rel_tol=rel, abs_tol=rel * max(abs(dim.low), abs(dim.high)))
    if dim.scale == "log":
        return math.isclose(a, b, rel_tol=rel)
    return math.isclose(1 - a, 1 - b, rel_tol=rel)


def samples(dim, seed, n):
    space = Space({"x": dim})
    rng = np.random.default_rng(seed)
    return [space.sample(rng)["x"] for _ in range(n)]


# Float


@PROPERTY
@given(any_float_dim, st.integers(0, 2**32))
def test_float_samples_are_floats_in_bounds(dim, seed):
    for value in samples(dim, seed, 20):
        assert type(value) is float
        assert dim.low <= value <= dim.high


@PROPERTY
@given(any_float_dim, st.integers(1, 12))
def test_float_grid_is_sorted_in_bounds_and_spans_the_interval(dim, points):
    grid = dim.grid(points)
    assert len(grid) == points
    assert all(type(v) is float and dim.low <= v <= dim.high for v in grid)
    assert grid == sorted(grid)
    if points == 1:
        assert dim.to_unit(grid[0]) == pytest.approx(0.5, abs=1e-9)
    else:
        assert float_close(dim, grid[0], dim.low, rel=1e-12)
        assert float_close(dim, grid[-1], dim.high, rel=1e-12)


@pytest.mark.parametrize("dim", [Float(3e-5, 1e-2, "log"), Float(1e-5, 0.5, "log")])
def test_float_grid_ends_are_exactly_the_bounds(dim):
    assert dim.grid(2) == [dim.low, dim.high]


@PROPERTY
@given(any_float_dim, st.data())
def test_float_unit_round_trip(dim, data):
    x = data.draw(st.floats(dim.low, dim.high))
    assert float_close(dim, dim.from_unit(dim.to_unit(x)), x)


@PROPERTY
@given(any_float_dim, st.data())
def test_float_to_unit_is_monotone_onto_the_unit_interval(dim, data):
    x, y = sorted(data.draw(st.floats(dim.low, dim.high)) for _ in range(2))
    assert 0.0 <= dim.to_unit(x) <= dim.to_unit(y) <= 1.0
    assert dim.to_unit(dim.low) == 0.0
    assert dim.to_unit(dim.high) == 1.0


@PROPERTY
@given(any_float_dim, st.floats(0.0, 1.0), factors)
def test_float_shrink_is_a_sub_interval_of_unit_width_factor(dim, u, factor):
    center = dim.from_unit(u)
    sub = dim.shrink(center, factor)
    assert sub.scale == dim.scale
    assert dim.low <= sub.low <= center <= sub.high <= dim.high
    assert dim.to_unit(sub.high) - dim.to_unit(sub.low) == pytest.approx(factor, abs=1e-9)


@pytest.mark.parametrize(
    ("dim", "center"),
    [(Float(3e-4, 0.3, "log"), 3e-4), (Float(1e-4, 0.5, "log"), 0.5)],
)
def test_float_shrink_around_a_bound_contains_it(dim, center):
    assert dim.shrink(center, 0.5).contains(center)


# Int


@PROPERTY
@given(any_int_dim, st.integers(0, 2**32))
def test_int_samples_are_ints_in_bounds(dim, seed):
    for value in samples(dim, seed, 20):
        assert type(value) is int
        assert dim.low <= value <= dim.high


@PROPERTY
@given(any_int_dim, st.integers(1, 30))
def test_int_grid_is_strictly_increasing_in_bounds_with_both_ends(dim, points):
    grid = dim.grid(points)
    assert all(type(v) is int and dim.low <= v <= dim.high for v in grid)
    assert grid == sorted(set(grid))
    assert 1 <= len(grid) <= points
    if points >= 2:
        assert grid[0] == dim.low and grid[-1] == dim.high


@PROPERTY
@given(st.sampled_from(["linear", "log"]), st.integers(1, 1000), st.integers(1, 30))
def test_int_grid_with_enough_points_is_every_integer(scale, low, extra):
    dim = Int(low, low + extra, scale)
    assert dim.grid(dim.size) == list(range(dim.low, dim.high + 1))
    assert dim.grid(dim.size + 5) == list(range(dim.low, dim.high + 1))


@PROPERTY
@given(any_int_dim, st.data())
def test_int_unit_round_trip_is_exact(dim, data):
    k = data.draw(st.integers(dim.low, dim.high))
    assert dim.from_unit(dim.to_unit(k)) == k


@PROPERTY
@given(any_int_dim, st.data())
def test_int_to_unit_is_strictly_monotone_inside_the_unit_interval(dim, data):
    j, k = sorted(data.draw(st.integers(dim.low, dim.high), label="k") for _ in range(2))
    uj, uk = dim.to_unit(j), dim.to_unit(k)
    assert 0.0 <= uj <= uk <= 1.0
    if j < k:
        assert uj < uk


@PROPERTY
@given(any_int_dim, st.data(), st.floats(0.0, 1.0, exclude_min=True))
def test_int_shrink_is_a_valid_sub_range_around_the_centre(dim, data, factor):
    center = data.draw(st.integers(dim.low, dim.high))
    sub = dim.shrink(center, factor)
    assert isinstance(sub, Int) and sub.scale == dim.scale
    assert dim.low <= sub.low <= center <= sub.high <= dim.high
    assert sub.low < sub.high


# Categorical


@PROPERTY
@given(categoricals, st.integers(0, 2**32))
def test_categorical_samples_are_choices(dim, seed):
    for value in samples(dim, seed, 20):
        assert value in dim.choices
        assert type(value) is type(dim.choices[dim.choices.index(value)])


@PROPERTY
@given(categoricals, st.integers(1, 10))
def test_categorical_grid_is_every_choice_in_order(dim, points):
    assert dim.grid(points) == list(dim.choices)


@PROPERTY
@given(categoricals)
def test_categorical_unit_round_trip_is_exact(dim):
    for choice in dim.choices:
        u = dim.to_unit(choice)
        assert 0.0 <= u <= 1.0
        assert dim.from_unit(u) == choice
    assert dim.from_unit(0.0) == dim.choices[0]
    assert dim.from_unit(1.0) == dim.choices[-1]


# Distributions on each scale


def test_log_float_puts_a_quarter_of_samples_in_each_decade():
    values = np.array(samples(Float(1e-4, 1.0, "log"), 0, 4000))
    counts, _ = np.histogram(np.log10(values), bins=[-4, -3, -2, -1, 0])
    np.testing.assert_allclose(counts / len(values), 0.25, atol=0.03)


def test_log1m_float_samples_one_minus_x_log_uniformly():
    values = np.array(samples(Float(0.9, 0.999, "log1m"), 0, 4000))
    assert np.mean(values > 0.99) == pytest.approx(0.5, abs=0.03)
    counts, _ = np.histogram(np.log10(1 - values), bins=np.linspace(-3, -1, 5))
    np.testing.assert_allclose(counts / len(values), 0.25, atol=0.03)


def test_linear_int_gives_each_integer_an_equal_share():
    values = samples(Int(1, 4), 0, 4000)
    shares = [values.count(k) / len(values) for k in (1, 2, 3, 4)]
    np.testing.assert_allclose(shares, 0.25, atol=0.03)


def test_log_int_is_log_uniform_on_the_widened_interval():
    """Int(1, 999, "log") spreads [0.5, 999.5] on a log scale, so 1..9 gets the most."""
    edges = [0.5, 9.5, 99.5, 999.5]
    values = np.array(samples(Int(1, 999, "log"), 0, 4000))
    counts, _ = np.histogram(values, bins=edges)
    expected = np.diff(np.log10(edges)) / math.log10(999.5 / 0.5)
    np.testing.assert_allclose(counts / len(values), expected, atol=0.03)


def test_categorical_choices_are_about_uniform():
    choices = ("relu", "tanh", "gelu")
    values = samples(Categorical(choices), 0, 4000)
    shares = [values.count(c) / len(values) for c in choices]
    np.testing.assert_allclose(shares, 1 / 3, atol=0.03)


# Validation of dimensions and spaces


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Float(1.0, 1.0), r"low \(1\) must be < high \(1\)"),
        (lambda: Float(2.0, 1.0), r"low \(2\) must be < high \(1\)"),
        (lambda: Int(3, 3), r"low \(3\) must be < high \(3\)"),
        (lambda: Float(0.0, 1.0, "log"), r"log scale needs low > 0"),
        (lambda: Float(-1.0, 1.0, "log"), r"log scale needs low > 0"),
        (lambda: Float(0.9, 1.0, "log1m"), r"log1m scale .* needs high < 1"),
        (lambda: Float(0.9, 1.5, "log1m"), r"log1m scale .* needs high < 1"),
        (lambda: Int(0, 10, "log"), r"log scale needs low >= 1"),
        (lambda: Int(1, 10, "log1m"), r"scale must be one of linear, log"),
        (lambda: Float(0.0, 1.0, "exp"), r"scale must be one of linear, log, log1m"),
        (lambda: Float("0", 1.0), r"low must be a number"),
        (lambda: Float(0.0, None), r"high must be a number"),
        (lambda: Float(True, 2.0), r"low must be a number"),
        (lambda: Float(0.0, math.inf), r"high must be finite"),
        (lambda: Int("1", 5), r"low must be an integer"),
        (lambda: Int(1, 5.5), r"high must be an integer"),
        (lambda: Categorical(()), r"at least one choice"),
        (lambda: Categorical(("a", "b", "a")), r"choices must be unique"),
        (lambda: Categorical(("a", None)), r"choices must be str, int, float or bool"),
    ],
)
def test_invalid_dimensions_are_refused_with_a_clear_message(make, message):
    with pytest.raises(SpaceError, match=message):
        make()


def test_unhashable_categorical_choice_is_a_space_error():
    with pytest.raises(SpaceError, match=r"choices must be str, int, float or bool"):
        Categorical(([64, 64], [128]))


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [
        ([("lr", Float(0.0, 1.0)), ("lr", Int(1, 3))], r"duplicate parameter names \['lr'\]"),
        ({"learning rate": Float(0.0, 1.0)}, r"identifiers, got 'learning rate'"),
        ({"1st": Float(0.0, 1.0)}, r"identifiers, got '1st'"),
        ({}, r"at least one dimension"),
        ([], r"at least one dimension"),
        ({"lr": (0.0, 1.0)}, r"'lr' must be Float, Int or Categorical"),
    ],
)
def test_invalid_spaces_are_refused_with_a_clear_message(dimensions, message):
    with pytest.raises(SpaceError, match=message):
        Space(dimensions)


# Space


def mixed_space():
    return Space(
        [
            ("lr", Float(1e-5, 1e-1, "log")),
            ("beta", Float(0.9, 0.999, "log1m")),
            ("width", Int(16, 1024, "log")),
            ("activation", Categorical(("relu", "tanh", "gelu"))),
            ("dropout", Float(0.0, 0.5)),
            ("layers", Int(1, 4)),
        ]
    )


def test_space_keeps_the_given_order():
    space = mixed_space()
    order = ["lr", "beta", "width", "activation", "dropout", "layers"]
    assert list(space) == order
    assert list(space.names) == order
    assert list(space.sample(np.random.default_rng(0))) == order
    assert list(space.describe()) == order


def test_same_seed_gives_the_same_configuration():
    space = mixed_space()
    first = [space.sample(np.random.default_rng(7)) for _ in range(3)]
    again = [space.sample(np.random.default_rng(7)) for _ in range(3)]
    other = space.sample(np.random.default_rng(8))
    assert first == again
    assert other != first[0]


def test_samples_of_a_mixed_space_are_contained():
    space = mixed_space()
    rng = np.random.default_rng(1)
    for _ in range(200):
        config = space.sample(rng)
        assert space.contains(config)
        space.validate(config)


def test_unit_round_trip_on_a_mixed_space():
    space = mixed_space()
    rng = np.random.default_rng(2)
    for _ in range(200):
        config = space.sample(rng)
        u = space.to_unit(config)
        assert u.shape == (len(space),)
        assert np.all((u >= 0) & (u <= 1))
        back = space.from_unit(u)
        assert list(back) == list(config)
        for name, dim in space.items():
            if isinstance(dim, Float):
                assert float_close(dim, back[name], config[name])
            else:
                assert back[name] == config[name]


def test_from_unit_needs_one_coordinate_per_dimension():
    with pytest.raises(SpaceError, match="expected 6 coordinates, got 2"):
        mixed_space().from_unit([0.5, 0.5])


def grid_space():
    return Space(
        {
            "a": Float(0.0, 1.0),
            "b": Int(1, 3),
            "c": Categorical(("x", "y")),
        }
    )


def test_grid_is_the_product_with_the_first_dimension_slowest():
    grid = grid_space().grid({"a": 3, "b": 3})
    assert len(grid) == 3 * 3 * 2
    assert [tuple(c.values()) for c in grid[:7]] == [
        (0.0, 1, "x"),
        (0.0, 1, "y"),
        (0.0, 2, "x"),
        (0.0, 2, "y"),
        (0.0, 3, "x"),
        (0.0, 3, "y"),
        (0.5, 1, "x"),
    ]
    assert [c["a"] for c in grid] == [0.0] * 6 + [0.5] * 6 + [1.0] * 6


def test_grid_defaults_missing_dimensions_to_their_centre():
    grid = grid_space().grid({"a": 2})
    assert [tuple(c.values()) for c in grid] == [
        (0.0, 2, "x"),
        (0.0, 2, "y"),
        (1.0, 2, "x"),
        (1.0, 2, "y"),
    ]


def test_grid_with_one_count_for_every_dimension():
    grid = grid_space().grid(2)
    assert len(grid) == 2 * 2 * 2
    assert {c["b"] for c in grid} == {1, 3}


@pytest.mark.parametrize(
    "points", [{"a": 3, "b": 3}, {"a": 4}, {"b": 10}, {"a": 1, "b": 1, "c": 1}, {}]
)
def test_grid_size_counts_the_grid(points):
    space = grid_space()
    assert space.grid_size(points) == len(space.grid(points))


def test_grid_size_of_a_log_int_counts_deduplicated_points():
    space = Space({"width": Int(1, 8, "log"), "lr": Float(1e-3, 1.0, "log")})
    points = {"width": 7, "lr": 2}
    assert space.grid_size(points) == len(space.grid(points))
    assert len({c["width"] for c in space.grid(points)}) == space.grid_size(points) // 2


def test_grid_rejects_unknown_parameters():
    with pytest.raises(SpaceError, match=r"unknown parameters \['d'\]"):
        grid_space().grid({"d": 2})


def test_grid_size_rejects_unknown_parameters_like_grid():
    with pytest.raises(SpaceError, match=r"unknown parameters \['d'\]"):
        grid_space().grid_size({"d": 2})


def test_grid_rejects_zero_points():
    with pytest.raises(SpaceError, match="points per dimension must be >= 1, got 0"):
        grid_space().grid(0)


def valid_config():
    return {
        "lr": 1e-3,
        "beta": 0.99,
        "width": 64,
        "activation": "tanh",
        "dropout": 0.1,
        "layers": 2,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drop": "lr"}, r"missing \['lr'\]"),
        ({"set": ("momentum", 0.9)}, r"unexpected \['momentum'\]"),
        ({"set": ("lr", 0.5)}, r"parameter 'lr'=0\.5 is outside"),
        ({"set": ("beta", 0.9999)}, r"parameter 'beta'=0\.9999 is outside"),
        ({"set": ("width", 8)}, r"parameter 'width'=8 is outside"),
        ({"set": ("width", 64.0)}, r"parameter 'width'=64\.0 is outside"),
        ({"set": ("layers", True)}, r"parameter 'layers'=True is outside"),
        ({"set": ("dropout", True)}, r"parameter 'dropout'=True is outside"),
        ({"set": ("dropout", "0.1")}, r"parameter 'dropout'='0\.1' is outside"),
        ({"set": ("dropout", math.nan)}, r"parameter 'dropout'=nan is outside"),
        ({"set": ("activation", "elu")}, r"parameter 'activation'='elu' is outside"),
    ],
)
def test_invalid_configurations_are_named_by_validate(change, message):
    space = mixed_space()
    config = valid_config()
    if "drop" in change:
        del config[change["drop"]]
    else:
        name, value = change["set"]
        config[name] = value
    assert not space.contains(config)
    with pytest.raises(SpaceError, match=message):
        space.validate(config)


def test_valid_configuration_passes_with_numpy_and_int_values():
    space = mixed_space()
    config = valid_config()
    assert space.contains(config)
    config.update(lr=np.float64(1e-3), width=np.int64(64), dropout=0)
    assert space.contains(config)
    space.validate(config)


def test_describe_round_trips_through_json():
    space = Space(
        [
            *mixed_space().items(),
            ("flags", Categorical((True, 3, 2.5, "x"))),
        ]
    )
    description = space.describe()
    assert space_from_description(description) == space
    rebuilt = space_from_description(json.loads(json.dumps(description)))
    assert rebuilt == space
    assert list(rebuilt) == list(space)
    assert [type(c) for c in rebuilt["flags"].choices] == [bool, int, float, str]


def test_description_with_an_unknown_type_is_refused():
    with pytest.raises(SpaceError, match=r"parameter 'x': unknown type 'complex'"):
        space_from_description({"x": {"type": "complex", "low": 0, "high": 1}})


def test_shrink_narrows_numeric_dimensions_and_keeps_the_centre_choice():
    space = mixed_space()
    center = valid_config()
    sub = space.shrink(center, 0.25)
    assert list(sub) == list(space)
    assert sub.contains(center)
    assert sub["activation"] == Categorical(("tanh",))
    for name in ("lr", "beta", "dropout"):
        dim, part = space[name], sub[name]
        assert part.scale == dim.scale
        assert dim.to_unit(part.high) - dim.to_unit(part.low) == pytest.approx(0.25)
    assert sub["layers"].low >= 1 and sub["layers"].high <= 4
    assert sub["width"].high - sub["width"].low < 1024 - 16


def test_shrink_at_a_border_shifts_the_window_inwards():
    space = Space({"x": Float(0.0, 1.0)})
    assert space.shrink({"x": 0.95}, 0.5)["x"] == Float(0.5, 1.0)
    assert space.shrink({"x": 0.0}, 0.5)["x"] == Float(0.0, 0.5)


def test_shrink_with_factor_one_keeps_linear_dimensions():
    space = Space({"x": Float(-2.0, 3.0), "n": Int(1, 9), "c": Categorical(("a", "b"))})
    sub = space.shrink({"x": 0.5, "n": 4, "c": "b"}, 1.0)
    assert sub["x"] == space["x"]
    assert sub["n"] == space["n"]
    assert sub["c"] == Categorical(("b",))


@pytest.mark.parametrize("factor", [0.0, -0.5, 1.5, math.nan])
def test_shrink_factor_outside_zero_one_is_refused(factor):
    with pytest.raises(SpaceError, match=r"factor must be in \(0, 1\]"):
        mixed_space().shrink(valid_config(), factor)


def test_shrink_refuses_a_centre_outside_the_space():
    config = valid_config()
    config["lr"] = 0.5
    with pytest.raises(SpaceError, match="parameter 'lr'"):
        mixed_space().shrink(config, 0.5)


def test_coerce_turns_library_values_into_python_typed_in_bounds_config():
    space = Space(
        {
            "lr": Float(1e-4, 1.0, "log"),
            "units": Int(8, 64),
            "act": Categorical(("relu", "tanh")),
        }
    )
    config = space.coerce(
        {"lr": np.float64(1.0000000000000002), "units": np.float64(7.6), "act": np.str_("tanh")}
    )
    assert config == {"lr": 1.0, "units": 8, "act": "tanh"}
    assert type(config["lr"]) is float and type(config["units"]) is int
    assert type(config["act"]) is str
    with pytest.raises(SpaceError, match="'act': 'gelu' is not one of"):
        space.coerce({"lr": 0.1, "units": 8, "act": "gelu"})


# --- Space.normalise: the loop's copy of every suggestion --------------------------

NORMALISE_SPACE = Space(
    {"lr": Float(1e-4, 1.0, "log"), "units": Int(8, 64), "act": Categorical(("relu", 1, 1.5))}
)


def test_normalise_returns_a_new_plain_config_in_the_configs_key_order():
    config = {"act": "relu", "units": 8, "lr": 1.0}
    normalised = NORMALISE_SPACE.normalise(config)
    assert normalised == config and normalised is not config
    assert list(normalised) == ["act", "units", "lr"]


def test_normalise_turns_numpy_scalars_and_a_floats_integers_into_python_values():
    config = {"lr": np.float64(0.01), "units": np.int64(9), "act": np.float64(1.5)}
    normalised = NORMALISE_SPACE.normalise(config)
    assert [type(v) for v in normalised.values()] == [float, int, float]
    assert type(NORMALISE_SPACE.normalise({"lr": 1, "units": 8, "act": 1})["lr"]) is float


def test_normalise_accepts_any_mapping():
    from types import MappingProxyType

    config = MappingProxyType({"lr": 0.5, "units": 64, "act": 1})
    assert NORMALISE_SPACE.normalise(config) == dict(config)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("lr", 1.5, "is outside"),
        ("lr", 0.0, "is outside"),
        ("lr", math.nan, "is outside"),
        ("lr", True, "is not valid for"),
        ("lr", "0.1", "is not valid for"),
        ("lr", np.float64(2.0), "is outside"),
        ("units", 65, "is outside"),
        ("units", 7, "is outside"),
        ("units", np.int64(65), "is outside"),
        ("units", 8.0, "is not valid for"),
        ("units", True, "is not valid for"),
        ("act", 1.0, "is outside"),
        ("act", True, "is outside"),
        ("act", "tanh", "is outside"),
    ],
)
def test_normalise_refuses_a_value_outside_its_dimension_naming_it(name, value, words):
    config = {"lr": 0.5, "units": 16, "act": "relu"} | {name: value}
    with pytest.raises(SpaceError, match=rf"parameter '{name}'=.*{words}"):
        NORMALISE_SPACE.normalise(config)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"lr": 0.5, "units": 16}, r"missing \['act'\]"),
        ({"lr": 0.5, "units": 16, "act": 1, "extra": 1}, r"unexpected \['extra'\]"),
        ({"lr": 0.5, "units": 16, "acts": 1}, r"missing \['act'\]; unexpected \['acts'\]"),
        ([("lr", 0.5)], "must be a mapping"),
    ],
)
def test_normalise_refuses_a_config_whose_keys_do_not_match(config, words):
    with pytest.raises(SpaceError, match=words):
        NORMALISE_SPACE.normalise(config)
