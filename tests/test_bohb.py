"""BOHB's kernel-density generator (Falkner et al. 2018, HpBandSter), checked
against references written by hand: the good/bad split sizes, when a model is
first built, the normal-reference bandwidths, the product-kernel density,
failed trials as bad points, the candidate search, and reproducibility.
The TPE-driven variant ``bohb-tpe`` is checked in tests/test_hyperband.py."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.stats

from bench import Budget, Categorical, Evaluation, Float, Objective, Space, Suggestion, run
from bench.registry import default_registry
from bench.testing import EPOCHS
from strategies import hyperband as module
from strategies.hyperband import BOHB, BOHBTPE, ProductKDE, normal_reference, split_sizes

TIMING = ["t_ask", "t_eval", "t_tell"]


def unit_space(d: int) -> Space:
    return Space({f"x{i}": Float(0.0, 1.0) for i in range(d)})


def bowl(config) -> float:
    return sum((value - 0.3) ** 2 for value in config.values())


def bohb(d: int, **options) -> BOHB:
    return BOHB(unit_space(d), seed=0, budget=Budget(100), fidelity=EPOCHS, **options)


def observe(strategy: BOHB, config, value, level=1) -> None:
    strategy.observe(Suggestion(0, config, level), value)


# The good and bad sets


@pytest.mark.parametrize(
    ("n", "d", "good", "bad"),
    [
        # d = 2, min_points_in_model = 3: n_good = max(3, 15n//100), n_bad = max(3, 85n//100)
        (5, 2, 3, 2),  # n_good = max(3, 0) = 3; n_bad = max(3, 4) = 4, but only 5 - 3 = 2 remain
        (10, 2, 3, 7),  # max(3, 1) = 3; max(3, 8) = 8, 7 remain
        (20, 2, 3, 17),  # max(3, 3) = 3; max(3, 17) = 17
        (100, 2, 15, 85),  # max(3, 15) = 15; max(3, 85) = 85
        # d = 6, min_points_in_model = 7
        (5, 6, 5, 0),  # n_good = 7 > 5: all five are good, none bad
        (10, 6, 7, 3),  # max(7, 1) = 7; max(7, 8) = 8, 3 remain
        (20, 6, 7, 13),  # max(7, 3) = 7; max(7, 17) = 17, 13 remain
        (100, 6, 15, 85),  # max(7, 15) = 15; max(7, 85) = 85
    ],
)
def test_split_sizes_follow_the_papers_formula(n, d, good, bad):
    assert split_sizes(n, d + 1, 15) == (good, bad)


@pytest.mark.parametrize(("d", "first"), [(2, 6), (6, 14)])
def test_no_model_until_both_sets_have_more_than_d_rows(d, first):
    """By hand, d = 2: n = 5 gives 3 good and 2 bad rows (2 <= d); n = 6 gives 3
    and 3. d = 6: n = 13 gives 7 good and min(max(7, 11), 6) = 6 bad rows;
    n = 14 gives 7 and min(max(7, 11), 7) = 7 > 6."""
    strategy = bohb(d, random_fraction=0.0)
    built = []
    for _ in range(first + 2):
        suggestion = strategy.ask()
        assert suggestion.fidelity == 1
        strategy.tell(suggestion, bowl(suggestion.config))
        built.append(bool(strategy.models))
    assert built.index(True) == first - 1, "the first model comes with the first-th result"
    good, bad = strategy.models[1]
    assert good.data.shape[0] > d and bad.data.shape[0] > d
    assert strategy.initial_design == first < strategy.suggested


def test_the_good_set_is_the_best_and_the_bad_set_the_next():
    strategy = bohb(2)
    rng = np.random.default_rng(1)
    configs = [unit_space(2).sample(rng) for _ in range(10)]
    values = [float(v) for v in rng.permutation(10)]
    for config, value in zip(configs, values):
        observe(strategy, config, value)
    good, bad = strategy.models[1]
    ranked = [strategy.to_vector(configs[i]) for i in np.argsort(values)]
    np.testing.assert_array_equal(good.data, ranked[:3])
    np.testing.assert_array_equal(bad.data, ranked[3:10])


def test_a_failed_trial_is_stored_with_loss_inf_and_counted_as_bad():
    """Five results and one failure make six observations at d = 2: a model.
    Were the failure ignored, five would leave the bad set 2 rows short of > d."""
    strategy = bohb(2)
    rng = np.random.default_rng(2)
    configs = [unit_space(2).sample(rng) for _ in range(6)]
    for config in configs[:5]:
        observe(strategy, config, bowl(config))
    assert not strategy.models
    observe(strategy, configs[5], None)
    vectors, losses = strategy.observations[1]
    assert np.array_equal(vectors[-1], strategy.to_vector(configs[5]))
    assert len(losses) == 6 and losses[-1] == math.inf
    assert strategy.models, "the failure must count as an observation"
    good, bad = strategy.models[1]
    failed = strategy.to_vector(configs[5])
    assert any(np.array_equal(row, failed) for row in bad.data)
    assert not any(np.array_equal(row, failed) for row in good.data)


def test_a_failed_evaluation_reaches_the_model_through_the_loop():
    class Failing(Objective):
        name = "test-failing"
        fidelity = EPOCHS

        def __init__(self):
            self.space = unit_space(2)

        def evaluate(self, config, fidelity=None, *, seed):
            if config["x0"] > 0.5:
                raise RuntimeError("diverged")
            return Evaluation(bowl(config), cost=self.cost(fidelity))

    trace = run("bohb", Failing(), 0, 1)
    failed = trace.status.count("failed")
    assert failed > 0
    assert trace.meta["initial_design"] == 6 < len(trace)


def test_lower_levels_are_not_stored_once_a_higher_level_has_a_model():
    strategy = bohb(2)
    rng = np.random.default_rng(3)
    for _ in range(6):
        config = unit_space(2).sample(rng)
        observe(strategy, config, bowl(config), level=3)
    assert list(strategy.models) == [3]
    observe(strategy, unit_space(2).sample(rng), 0.5, level=1)
    assert strategy.observations[1] == ([], [])
    observe(strategy, unit_space(2).sample(rng), 0.5, level=9)
    assert len(strategy.observations[9][1]) == 1


# The density


def test_normal_reference_bandwidth_by_hand():
    """statsmodels' rule: 1.06 * std * n^(-1/(4 + d)), std with ddof = 0 and no
    IQR. scipy's gaussian_kde is no reference here: its Scott factor
    n^(-1/(d + 4)) scales the full covariance with ddof = 1 and no 1.06."""
    data = np.array([[0.1, 0.2], [0.4, 0.2], [0.3, 0.8], [0.6, 0.5]])
    # column means 0.35 and 0.425; squared deviations sum to 0.13 and 0.2475
    std = [math.sqrt(0.13 / 4), math.sqrt(0.2475 / 4)]
    expected = [1.06 * s * 4 ** (-1 / 6) for s in std]
    np.testing.assert_allclose(normal_reference(data), expected, rtol=1e-12)
    sample_std = math.sqrt(0.13 / 3)
    assert normal_reference(data)[0] != pytest.approx(1.06 * sample_std * 4 ** (-1 / 6))


def test_bandwidths_are_clipped_below_and_a_categorical_one_capped():
    data = np.array([[0.5, 0.0], [0.5, 4.0], [0.5, 0.0], [0.5, 4.0]])
    kde = ProductKDE.fit(data, np.array([0, 5]), min_bandwidth=1e-3)
    # column 0 is constant: std 0 -> min_bandwidth; column 1: std 2 of choices
    # 0 and 4 of 5 gives 1.06 * 2 * 4^(-1/6) > 1, capped at (5 - 1) / 5
    assert 1.06 * 2 * 4 ** (-1 / 6) > 1
    np.testing.assert_allclose(kde.bw, [1e-3, 0.8])


def test_pdf_is_the_mean_of_products_of_gaussians():
    data = np.array([[0.2, 0.9], [0.6, 0.4]])
    kde = ProductKDE(data, np.array([0.1, 0.3]), np.array([0, 0]))
    x = np.array([0.3, 0.5])
    norm = scipy.stats.norm.pdf
    expected = 0.5 * (
        norm(0.3, 0.2, 0.1) * norm(0.5, 0.9, 0.3) + norm(0.3, 0.6, 0.1) * norm(0.5, 0.4, 0.3)
    )
    assert kde.pdf(x) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(kde.pdf(np.array([x, x])), [expected, expected], rtol=1e-12)


def test_pdf_uses_the_aitchison_aitken_kernel_for_a_categorical():
    """1 - h where the choice matches, h / (c - 1) elsewhere (c = 3 declared
    choices, though the data hold only two of them)."""
    data = np.array([[0.2, 0.0], [0.7, 2.0]])
    kde = ProductKDE(data, np.array([0.1, 0.3]), np.array([0, 3]))
    norm = scipy.stats.norm.pdf
    at_2 = 0.5 * (norm(0.3, 0.2, 0.1) * 0.3 / 2 + norm(0.3, 0.7, 0.1) * (1 - 0.3))
    at_1 = 0.5 * (norm(0.3, 0.2, 0.1) * 0.3 / 2 + norm(0.3, 0.7, 0.1) * 0.3 / 2)
    assert kde.pdf(np.array([0.3, 2.0])) == pytest.approx(at_2, rel=1e-12)
    assert kde.pdf(np.array([0.3, 1.0])) == pytest.approx(at_1, rel=1e-12)


# The candidate search


def test_defaults_are_hpbandsters():
    strategy = bohb(3)
    assert strategy.min_points_in_model == 4
    assert strategy.top_n_percent == 15
    assert strategy.num_samples == 64
    assert strategy.random_fraction == 1 / 3
    assert strategy.bandwidth_factor == 3
    assert strategy.min_bandwidth == 1e-3


def fitted(d: int, n: int = 12, **options) -> BOHB:
    strategy = bohb(d, random_fraction=0.0, **options)
    rng = np.random.default_rng(4)
    for _ in range(n):
        config = unit_space(d).sample(rng)
        observe(strategy, config, bowl(config))
    assert strategy.models
    return strategy


def test_the_proposal_minimises_g_over_l_among_64_candidates_widened_3x(monkeypatch):
    strategy = fitted(2)
    good, _ = strategy.models[1]
    seen = {}
    rvs = scipy.stats.truncnorm.rvs
    pdf = ProductKDE.pdf

    def spy_rvs(*args, **kwargs):
        seen["scale"] = kwargs["scale"]
        return rvs(*args, **kwargs)

    def spy_pdf(self, x):
        seen["good" if self is good else "bad"] = (np.array(x), pdf(self, x))
        return pdf(self, x)

    monkeypatch.setattr(scipy.stats.truncnorm, "rvs", spy_rvs)
    monkeypatch.setattr(ProductKDE, "pdf", spy_pdf)
    config = strategy.new_config()
    candidates, l_x = seen["good"]
    _, g_x = seen["bad"]
    assert candidates.shape == (64, 2)
    assert ((candidates >= 0) & (candidates <= 1)).all()
    np.testing.assert_allclose(seen["scale"], 3 * good.bw)
    best = candidates[np.argmin(np.maximum(1e-32, g_x) / np.maximum(l_x, 1e-32))]
    assert config == strategy.from_vector(best)
    assert strategy.initial_design == 0


def test_num_samples_and_bandwidth_factor_are_options(monkeypatch):
    strategy = fitted(2, num_samples=5, bandwidth_factor=1.5)
    good, _ = strategy.models[1]
    shapes, scales = [], []
    pdf, rvs = ProductKDE.pdf, scipy.stats.truncnorm.rvs

    def spy_rvs(*args, **kwargs):
        scales.append(kwargs["scale"])
        return rvs(*args, **kwargs)

    monkeypatch.setattr(
        ProductKDE, "pdf", lambda self, x: (shapes.append(x.shape), pdf(self, x))[1]
    )
    monkeypatch.setattr(scipy.stats.truncnorm, "rvs", spy_rvs)
    strategy.new_config()
    assert shapes == [(5, 2), (5, 2)]
    np.testing.assert_allclose(scales, [1.5 * good.bw])


def test_a_categorical_is_proposed_as_one_of_its_choices():
    space = Space({"x": Float(0.0, 1.0), "c": Categorical(("a", "b", "c"))})
    strategy = BOHB(space, seed=0, budget=Budget(100), fidelity=EPOCHS, random_fraction=0.0)
    rng = np.random.default_rng(5)
    for _ in range(10):
        config = space.sample(rng)
        observe(strategy, config, config["x"] + (config["c"] != "b"))
    _, bad = strategy.models[1]
    assert set(bad.data[:, 1]) <= {0.0, 1.0, 2.0}
    for _ in range(20):
        space.validate(strategy.new_config())


def test_without_a_model_it_samples_as_hyperband_does():
    strategy = bohb(2, random_fraction=0.0)
    assert strategy.new_config() == module.Hyperband.new_config(bohb(2))
    assert strategy.initial_design == 0 == strategy.suggested


# Options, registry, runs


@pytest.mark.parametrize(
    "options",
    [
        {"min_points_in_model": 2},  # < d + 1 on a 2-d space
        {"min_points_in_model": 3.5},
        {"top_n_percent": 0},
        {"top_n_percent": 100},
        {"top_n_percent": 15.5},
        {"num_samples": 0},
        {"random_fraction": 1.01},
        {"bandwidth_factor": 0},
        {"min_bandwidth": 0},
        {"min_bandwidth": math.nan},
    ],
)
def test_refuses_bad_options(options):
    with pytest.raises(ValueError, match=f"bohb: {next(iter(options))}"):
        bohb(2, **options)


def test_the_registry_has_both_and_the_variant_says_what_it_is():
    registry = default_registry()
    assert registry.strategy("bohb")[1] is BOHB
    assert registry.strategy("bohb-tpe")[1] is BOHBTPE
    assert BOHBTPE.describe().startswith("BOHB variant, not the paper's: Hyperband drawing")
    assert "Falkner et al. 2018" in BOHB.describe() and "HpBandSter" in BOHB.describe()
    variant, _ = registry.strategy("bohb[top_n_percent=20,num_samples=32]")
    assert dict(variant.options) == {"top_n_percent": 20, "num_samples": 32}


def frame(strategy: str, objective: str, seed: int, budget: float) -> pd.DataFrame:
    return run(strategy, objective, seed=seed, budget=budget).to_frame().drop(columns=TIMING)


def test_same_seed_same_run_bit_for_bit_and_seeds_differ():
    first = frame("bohb", "branin-mf", 0, 20)
    pd.testing.assert_frame_equal(first, frame("bohb", "branin-mf", 0, 20), check_exact=True)
    assert first["config"].tolist() != frame("bohb", "branin-mf", 1, 20)["config"].tolist()


def test_the_model_is_used_on_hartmann6():
    trace = run("bohb", "hartmann6-mf", seed=0, budget=30)
    # d = 6: the first model comes with the 14th result at the lowest level
    assert trace.meta["initial_design"] == 14 < len(trace)


def test_bohb_tpe_still_runs_and_models():
    trace = run("bohb-tpe", "branin-mf", seed=0, budget=10)
    assert trace.final_best < math.inf
    assert trace.meta["initial_design"] == 3 < len(trace)
