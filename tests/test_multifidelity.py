"""Multi-fidelity Branin and Hartmann-6: exact at full fidelity, cheaper and
biased but correlated below it, written independently from Kandasamy et al. (2017)."""

import math

import numpy as np
import pytest
from scipy import stats

from bench import get_objective, run


def branin_reference(x1, x2, z):
    b = 5.1 / (4 * math.pi**2) - 0.01 * (1 - z)
    c = 5 / math.pi - 0.1 * (1 - z)
    t = 1 / (8 * math.pi) + 0.05 * (1 - z)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


@pytest.mark.parametrize("name,base", [("branin-mf", "branin"), ("hartmann6-mf", "hartmann6")])
def test_full_fidelity_is_the_base_function_and_shares_its_optimum(name, base):
    mf, plain = get_objective(name), get_objective(base)
    assert mf.optimum == plain.optimum and mf.fidelity.high == 27
    rng = np.random.default_rng(0)
    for _ in range(20):
        config = mf.space.sample(rng)
        full = plain.evaluate(config, seed=0).value
        assert mf.evaluate(config, None, seed=0).value == full
        assert mf.evaluate(config, 27, seed=0).value == full


def test_branin_mf_matches_the_published_form():
    objective = get_objective("branin-mf[instance=plain]")
    for x1, x2, r in [(-5.0, 0.0, 1), (2.5, 7.5, 3), (9.0, 14.0, 9), (math.pi, 2.275, 27)]:
        value = objective.evaluate({"x1": x1, "x2": x2}, r, seed=0).value
        assert value == pytest.approx(branin_reference(x1, x2, r / 27), rel=1e-12)


@pytest.mark.parametrize("name", ["branin-mf", "hartmann6-mf"])
def test_low_fidelity_is_cheaper_biased_and_correlated(name):
    objective = get_objective(name)
    rng = np.random.default_rng(1)
    configs = [objective.space.sample(rng) for _ in range(300)]
    full = np.array([objective.evaluate(c, 27, seed=0).value for c in configs])
    low = [objective.evaluate(c, 1, seed=0) for c in configs]
    assert all(e.cost == pytest.approx(1 / 27) for e in low)
    values = np.array([e.value for e in low])
    assert np.mean(np.abs(values - full)) > 1e-3
    assert stats.spearmanr(values, full).statistic > 0.9


def test_hyperband_runs_on_them_within_budget():
    trace = run("hyperband", "branin-mf", 0, 10)
    assert trace.cum_cost[-1] <= 10 + 1e-9 and min(trace.cost) == pytest.approx(1 / 27)
    assert np.isfinite(trace.final_best)
