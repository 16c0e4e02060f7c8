"""Per-seed instances of the synthetic functions (issue 13, item 4): a seeded shift
(and optionally rotation) of the input, as COCO does, keeping the optimum value
known, attained inside the domain and never undercut."""

import math

import numpy as np
import pytest

from bench import Float, Space, get_objective, list_objectives, run
from bench.registry import RegistryError
from objectives.synthetic import (
    Branin,
    Embedded,
    ForresterOneOfTwo,
    Instances,
    Noisy,
    Rosenbrock,
    fold,
)

BRANIN_OPTIMUM = 0.397887357729738  # 5 / (4 pi)


def branin_reference(x1, x2):
    """Branin as published (https://www.sfu.ca/~ssurjano/branin.html)."""
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def fold_by_hand(t):
    """Reflection at 0 and 1, for t in [-1, 2] (enough for a shift of at most 0.2)."""
    if t < 0:
        return -t
    if t > 1:
        return 2 - t
    return t


# Every registered synthetic objective but mixed (which has no instances), with
# the options that change how instances are built.
NAMES = [
    "branin",
    "hartmann6",
    "forrester",
    "six-hump-camel",
    "goldstein-price",
    "hartmann3",
    "rosenbrock",
    "rosenbrock[dims=10]",
    "ackley[dims=5]",
    "rastrigin[dims=5]",
    "levy",
    "levy[dims=1]",
    "styblinski-tang[dims=8]",
    "forrester-1of2",
    "embedded",
    "embedded[function=forrester,dims=3]",
    "embedded[function=six-hump-camel,dims=4]",
    "noisy",
    "noisy[function=hartmann3,noise=0.5]",
    "branin-mf",
    "hartmann6-mf",
]
ROTATED = [
    f"{name[:-1]},instance=rotate]" if "[" in name else f"{name}[instance=rotate]"
    for name in NAMES
    if not name.startswith("forrester-1of2")
]
SYNTHETIC_MODULES = {"objectives.synthetic", "objectives.multifidelity"}


def noiseless(objective, config, seed):
    evaluation = objective.evaluate(config, seed=seed)
    return evaluation.extras.get("test", evaluation.value)


def sample(objective, n, seed):
    rng = np.random.default_rng(seed)
    return [objective.space.sample(rng) for _ in range(n)]


def as_rows(objective, configs):
    return np.array([[c[name] for name in objective.space.names] for c in configs], dtype=float)


def test_every_registered_synthetic_function_but_mixed_is_covered():
    registered = {
        name
        for name, entry in list_objectives().items()
        if entry.target.__module__ in SYNTHETIC_MODULES
    }
    assert registered - {n.split("[")[0] for n in NAMES} == {"mixed"}
    for name in registered - {"mixed"}:
        assert get_objective(name).instance == "shift"


# A hand-computed instance


def test_a_shifted_branin_by_hand():
    branin = Branin()
    # Force the shift of seed 7 to (0.1, -0.1) in unit coordinates.
    branin.instances.draw(7)
    anchor = branin.instances.draw(7)[2]
    branin.instances._cache[7] = (np.array([0.1, -0.1]), None, anchor)
    # u = (0.05, 0.95); u - s = (-0.05, 1.05), reflected to (0.05, 0.95) in both
    # coordinates; back on the domain [-5, 10] x [0, 15]: x' = (-4.25, 14.25).
    x = {"x1": -5 + 0.05 * 15, "x2": 0.95 * 15}
    expected = branin_reference(-4.25, 14.25)
    assert branin.evaluate(x, seed=7).value == pytest.approx(expected, rel=1e-12)
    # u = (0.5, 0.5): no reflection, x' = (-5 + 0.4 * 15, 0.6 * 15) = (1, 9).
    assert branin.evaluate({"x1": 2.5, "x2": 7.5}, seed=7).value == pytest.approx(
        branin_reference(1.0, 9.0), rel=1e-12
    )


@pytest.mark.parametrize("seed", [0, 1, 5, 123])
def test_branin_instance_against_a_scalar_reference(seed):
    branin = Branin()
    s, rotation, _ = branin.instances.draw(seed)
    assert rotation is None
    assert np.all(np.abs(s) <= 0.2)
    low, span = (-5.0, 0.0), (15.0, 15.0)
    for config in sample(branin, 20, seed=3):
        x = (config["x1"], config["x2"])
        moved = [
            lo + fold_by_hand((xi - lo) / sp - si) * sp for xi, lo, sp, si in zip(x, low, span, s)
        ]
        assert branin.evaluate(config, seed=seed).value == pytest.approx(
            branin_reference(*moved), rel=1e-12, abs=1e-12
        )


# Seeds, reproducibility, plain


@pytest.mark.parametrize("name", NAMES)
def test_seeds_are_different_instances(name):
    objective = get_objective(name)
    config = sample(objective, 1, seed=11)[0]
    values = [noiseless(objective, config, seed) for seed in range(5)]
    assert len(set(values)) == 5


@pytest.mark.parametrize("name", NAMES + ROTATED)
def test_the_same_seed_is_reproducible_bit_for_bit(name):
    first, second = get_objective(name), get_objective(name)
    configs = sample(first, 5, seed=12)
    values = [first.evaluate(c, seed=3) for c in configs]
    for seed in (0, 1, 2):  # other seeds in between change nothing
        second.evaluate(configs[0], seed=seed)
    assert [second.evaluate(c, seed=3) for c in configs] == values
    assert [first.evaluate(c, seed=3) for c in configs] == values


def test_plain_is_todays_branin_for_every_seed():
    branin = get_objective("branin[instance=plain]")
    assert branin.optimum == pytest.approx(BRANIN_OPTIMUM, abs=1e-15)
    for seed in range(5):
        for x1, x2 in [(-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475)]:
            value = branin.evaluate({"x1": x1, "x2": x2}, seed=seed).value
            assert value == pytest.approx(BRANIN_OPTIMUM, abs=1e-14)
        for config in sample(branin, 10, seed=13):
            value = branin.evaluate(config, seed=seed).value
            assert value == branin_reference(config["x1"], config["x2"]) or value == (
                pytest.approx(branin_reference(config["x1"], config["x2"]), rel=1e-14)
            )
        assert branin.minimiser(seed) == {"x1": -math.pi, "x2": 12.275}


def test_seed_zero_is_an_instance_too():
    shifted, plain = Branin(), Branin(instance="plain")
    config = {"x1": 2.5, "x2": 7.5}
    assert shifted.evaluate(config, seed=0).value != plain.evaluate(config, seed=0).value
    assert shifted.signature() != plain.signature()


def test_rotate_is_the_shift_plus_a_rotation():
    shifted, rotated = Branin(), Branin(instance="rotate")
    for seed in range(5):
        s, none, anchor = shifted.instances.draw(seed)
        s2, rotation, anchor2 = rotated.instances.draw(seed)
        assert none is None
        np.testing.assert_array_equal(s, s2)
        np.testing.assert_array_equal(anchor, anchor2)
        np.testing.assert_allclose(rotation @ rotation.T, np.eye(2), atol=1e-14)
        assert shifted.minimiser(seed) == rotated.minimiser(seed)
        config = {"x1": 8.0, "x2": 1.0}
        assert (
            shifted.evaluate(config, seed=seed).value != rotated.evaluate(config, seed=seed).value
        )
    rotations = [Rosenbrock(dims=5, instance="rotate").instances.draw(k)[1] for k in range(3)]
    assert not np.allclose(rotations[0], rotations[1])


# The optimum: attained inside the domain, never undercut


@pytest.mark.parametrize("name", NAMES + ROTATED)
def test_each_seed_attains_the_optimum_inside_and_nothing_undercuts_it(name):
    objective = get_objective(name)
    assert objective.optimum is not None
    for seed in range(10):
        minimiser = objective.minimiser(seed)
        assert objective.space.contains(minimiser)
        assert noiseless(objective, minimiser, seed) == pytest.approx(
            objective.optimum, rel=1e-9, abs=1e-9
        )
        configs = sample(objective, 2000, seed=100 + seed)
        if hasattr(objective, "values"):
            values = objective.values(as_rows(objective, configs), seed)
        else:
            values = np.array([noiseless(objective, c, seed) for c in configs])
        assert values.shape == (2000,)
        assert np.all(np.isfinite(values))
        assert values.min() >= objective.optimum


@pytest.mark.parametrize("name", [n for n in NAMES + ROTATED if not n.startswith("noisy")])
def test_batch_values_equal_evaluate(name):
    objective = get_objective(name)
    configs = sample(objective, 30, seed=14)
    for seed in (0, 4):
        batch = objective.values(as_rows(objective, configs), seed)
        for config, value in zip(configs, batch):
            assert objective.evaluate(config, seed=seed).value == pytest.approx(
                value, rel=1e-13, abs=1e-13
            )


@pytest.mark.parametrize("kind", ["shift", "rotate"])
def test_a_minimiser_in_a_corner_stays_inside(kind):
    """A shift that would take the minimiser out changes sign in that coordinate."""
    instances = Instances(kind, [0.0, -1.0, 2.0], [1.0, 1.0, 3.0], [[1.0, -1.0, 2.5]])
    flipped = 0
    for seed in range(200):
        point = instances.minimiser(seed)
        assert np.all(point >= instances.low) and np.all(point <= instances.high)
        np.testing.assert_allclose(
            instances.transform(point[None, :], seed)[0], [1.0, -1.0, 2.5], atol=1e-12
        )
        flipped += instances.draw(seed)[0][0] < 0
    assert flipped == 200  # the first coordinate can only move inwards
    with pytest.raises(ValueError, match="no known minimiser"):
        Instances(kind, [0.0], [1.0]).minimiser(0)


def test_instances_of_a_restricted_space_keep_the_minimiser_inside():
    branin = Branin()
    narrow = branin.restricted(Space({"x1": Float(0.0, 5.0), "x2": Float(0.0, 15.0)}))
    assert narrow.optimum == branin.optimum
    for seed in range(10):
        minimiser = narrow.minimiser(seed)
        assert narrow.space.contains(minimiser)
        assert narrow.evaluate(minimiser, seed=seed).value == pytest.approx(branin.optimum)
        values = narrow.values(as_rows(narrow, sample(narrow, 2000, seed=seed)), seed)
        assert values.min() >= branin.optimum
    for objective, x1 in [(Embedded(), Float(0.0, 0.5)), (Noisy(), Float(-5.0, 5.0))]:
        narrow = objective.restricted(Space({**objective.space, "x1": x1}))
        assert narrow.optimum == objective.optimum
        for seed in range(10):
            minimiser = narrow.minimiser(seed)
            assert narrow.space.contains(minimiser)
            assert noiseless(narrow, minimiser, seed) == pytest.approx(objective.optimum)


# Continuity at the reflections


def test_fold_is_a_continuous_triangle_wave():
    t = np.linspace(-5, 5, 100_001)
    np.testing.assert_allclose(fold(t), 1 - np.abs(np.mod(t, 2) - 1), atol=1e-15)
    assert np.all((fold(t) >= 0) & (fold(t) <= 1))
    inside = np.random.default_rng(0).random(1000)
    np.testing.assert_array_equal(fold(inside), inside)  # exactly the identity on [0, 1]
    for edge in (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0):
        below, above = fold(np.array([edge - 1e-12, edge + 1e-12]))
        assert below == pytest.approx(above, abs=1e-11)
        assert fold(np.array([edge]))[0] == pytest.approx(below, abs=1e-11)


@pytest.mark.parametrize("seed", range(5))
def test_an_instance_is_continuous_across_its_reflection(seed):
    branin = Branin()
    s = branin.instances.draw(seed)[0]
    # The reflection line in x1: u1 = s1 (t = 0) if s1 > 0, else u1 = 1 + s1 (t = 1).
    u1 = s[0] if s[0] > 0 else 1 + s[0]
    x1 = -5.0 + 15.0 * u1
    for x2 in (0.0, 4.0, 11.0):
        left = branin.evaluate({"x1": x1 - 1e-9, "x2": x2}, seed=seed).value
        right = branin.evaluate({"x1": x1 + 1e-9, "x2": x2}, seed=seed).value
        assert left == pytest.approx(right, abs=1e-6)


# Wrappers: multi-fidelity, noisy, embedded, forrester-1of2


@pytest.mark.parametrize("instance", ["shift", "rotate"])
def test_multi_fidelity_transforms_the_input_before_the_fidelity_formula(instance):
    mf = get_objective(f"branin-mf[instance={instance}]")
    plain = get_objective(f"branin[instance={instance}]")
    for seed in (0, 2):
        for config in sample(mf, 20, seed=15):
            full = plain.evaluate(config, seed=seed).value
            assert mf.evaluate(config, None, seed=seed).value == full
            assert mf.evaluate(config, 27, seed=seed).value == full
            x1, x2 = mf.instances.transform(as_rows(mf, [config]), seed)[0]
            z = 3 / 27
            b = 5.1 / (4 * math.pi**2) - 0.01 * (1 - z)
            c = 5 / math.pi - 0.1 * (1 - z)
            t = 1 / (8 * math.pi) + 0.05 * (1 - z)
            low = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
            assert mf.evaluate(config, 3, seed=seed).value == pytest.approx(low, rel=1e-12)
        assert mf.evaluate(mf.minimiser(seed), seed=seed).value == pytest.approx(mf.optimum)


def test_noisy_judges_on_the_noiseless_instance():
    noisy, branin = Noisy(noise=1.0), Branin()
    for seed in range(5):
        for config in sample(noisy, 10, seed=16):
            evaluation = noisy.evaluate(config, seed=seed)
            assert evaluation.extras["test"] == branin.evaluate(config, seed=seed).value
            assert evaluation.value != evaluation.extras["test"]
        best = noisy.evaluate(noisy.minimiser(seed), seed=seed).extras["test"]
        assert best == pytest.approx(noisy.optimum, abs=1e-12)


def test_embedded_instances_act_on_the_function_not_the_idle_parameters():
    embedded = Embedded(function="branin", dims=5)
    for seed in range(5):
        minimiser = embedded.minimiser(seed)
        assert [minimiser[f"x{i}"] for i in (3, 4, 5)] == [0.5] * 3
        assert embedded.evaluate(minimiser, seed=seed).value == pytest.approx(embedded.optimum)
        config = {**minimiser, "x4": 0.0, "x5": 1.0}
        assert embedded.evaluate(config, seed=seed) == embedded.evaluate(minimiser, seed=seed)


def test_forrester_one_of_two_keeps_its_own_scheme():
    default, plain = ForresterOneOfTwo(), ForresterOneOfTwo(instance="plain")
    for seed in range(5):
        t = 0.8 * 0.3 + ForresterOneOfTwo.shift(seed)
        expected = (6 * t - 2) ** 2 * math.sin(12 * t - 4)
        assert default.evaluate({"x1": 0.3, "x2": 0.9}, seed=seed).value == expected
        assert plain.evaluate({"x1": 0.3, "x2": 0.9}, seed=seed).value == pytest.approx(
            (6 * 0.3 - 2) ** 2 * math.sin(12 * 0.3 - 4), rel=1e-14
        )
    assert plain.minimisers == ({"x1": ForresterOneOfTwo.T_STAR, "x2": 0.5},)


# Refusals


@pytest.mark.parametrize(
    "text",
    [
        "branin[instance=rotated]",
        "rosenbrock[instance=none]",
        "embedded[instance=1]",
        "noisy[instance=Shift]",
        "hartmann6-mf[instance=nope]",
        "forrester-1of2[instance=rotate]",
    ],
)
def test_a_wrong_instance_is_refused(text):
    with pytest.raises(RegistryError, match=r"option instance="):
        get_objective(text)


def test_the_refusal_names_the_option_the_allowed_values_and_the_value():
    with pytest.raises(
        ValueError, match=r"option instance='rotated': must be one of 'shift', 'rotate', 'plain'"
    ):
        Branin(instance="rotated")
    with pytest.raises(ValueError, match=r"instance='rotate'.*'shift', 'plain'.*x2 matter"):
        ForresterOneOfTwo(instance="rotate")
    with pytest.raises(ValueError, match=r"option instance=None"):
        Rosenbrock(dims=3, instance=None)


# What it is for


def test_a_deterministic_searcher_scores_differently_on_each_seed():
    finals = [run("grid", "branin", seed=k, budget=16).final_best for k in range(5)]
    assert len(set(finals)) == 5
    assert min(finals) >= BRANIN_OPTIMUM
    plain = [run("grid", "branin[instance=plain]", seed=k, budget=16).final_best for k in range(3)]
    assert len(set(plain)) == 1


def test_signatures_are_stable():
    for name in ("branin", "branin-mf", "hartmann6[instance=rotate]", "embedded", "noisy"):
        first, second = get_objective(name).signature(), get_objective(name).signature()
        assert first == second
        assert all(math.isfinite(v) for v in first)
