"""MLP objectives: real training on bundled data, deterministic per seed, clean
splits, the searcher sees validation error only, divergence is a failed trial."""

import math
import statistics
import warnings

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

from bench import Exhausted, Float, Int, Strategy, get_objective, run
from bench.registry import RegistryError
from objectives.mlp import MLPSGD, Diverged, load, split_seeds

#: Diverges in the first epoch on every seed tried (sklearn 1.9: non-finite weights).
DIVERGING = {
    "learning_rate_init": 1.0,
    "momentum": 0.999,
    "hidden_units": 256,
    "layers": 3,
    "batch_size": 16,
    "power_t": 0.0,
    "alpha": 1e-8,
}
SGD = {
    "learning_rate_init": 0.05,
    "momentum": 0.9,
    "hidden_units": 32,
    "layers": 2,
    "batch_size": 64,
    "power_t": 0.1,
    "alpha": 1e-4,
}
ADAM = {
    "learning_rate_init": 3e-3,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "epsilon": 1e-8,
    "hidden_units": 32,
    "layers": 1,
    "batch_size": 64,
    "alpha": 1e-4,
}
CONFIGS = {"mlp-sgd": SGD, "mlp-adam": ADAM}


def weights(net):
    return [w.copy() for w in net.coefs_ + net.intercepts_]


@pytest.mark.parametrize("name", ["mlp-sgd", "mlp-adam"])
def test_an_evaluation_is_a_pure_function_of_config_fidelity_and_seed(name):
    first, second = get_objective(name), get_objective(name)
    assert first is not second
    config = CONFIGS[name]
    a, b = first.evaluate(config, 3, seed=0), second.evaluate(config, 3, seed=0)
    assert (a.value, a.extras["test"], a.cost) == (b.value, b.extras["test"], b.cost)
    again = first.evaluate(config, 3, seed=0)  # from the memoised split
    assert (again.value, again.extras["test"]) == (a.value, a.extras["test"])
    net_a, _, _ = first.train(config, 3, seed=0)
    net_b, _, _ = second.train(config, 3, seed=0)
    for wa, wb in zip(weights(net_a), weights(net_b), strict=True):
        assert np.array_equal(wa, wb)
    net_c, _, _ = first.train(config, 3, seed=1)
    assert not all(np.array_equal(wa, wc) for wa, wc in zip(weights(net_a), weights(net_c)))
    outcomes = {
        (e.value, e.extras["test"]) for e in (first.evaluate(config, 3, seed=s) for s in range(3))
    }
    assert len(outcomes) > 1


def test_every_epoch_sees_a_new_minibatch_order():
    """partial_fit re-reads random_state each call: an int would replay epoch 1's order."""
    objective = get_objective("mlp-sgd")
    split = objective.split(0)

    def replaying(epochs):
        net = objective.model(SGD, len(split.y_train), seed=0)
        net.set_params(random_state=split_seeds(0)[2])
        net.partial_fit(split.X_train, split.y_train, classes=split.classes)
        for _ in range(epochs - 1):
            net.partial_fit(split.X_train, split.y_train)
        return weights(net)

    one, two = objective.train(SGD, 1, seed=0)[0], objective.train(SGD, 2, seed=0)[0]
    assert all(np.array_equal(a, b) for a, b in zip(weights(one), replaying(1)))
    assert not all(np.array_equal(a, b) for a, b in zip(weights(two), replaying(2)))


@pytest.mark.parametrize("dataset", ["digits", "wine", "breast_cancer"])
def test_the_split_partitions_the_data_and_scales_on_training_rows_only(dataset):
    objective = get_objective(f"mlp-sgd[dataset={dataset}]")
    X, y = load(dataset)
    split = objective.split(3)
    parts = [split.train, split.validation, split.test]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(y)))
    assert len(split.test) == math.ceil(0.25 * len(y))
    assert len(split.validation) == pytest.approx(0.2 * (len(y) - len(split.test)), abs=1)
    for part in parts:  # stratified: every class in every part, near its share
        shares = np.bincount(y[part], minlength=y.max() + 1) / len(part)
        assert np.all(np.abs(shares - np.bincount(y) / len(y)) < 0.05)
    np.testing.assert_allclose(split.scaler.mean_, X[split.train].mean(axis=0), rtol=0, atol=1e-12)
    assert not np.allclose(split.scaler.mean_, X.mean(axis=0), rtol=0, atol=1e-9)
    np.testing.assert_array_equal(split.X_val, split.scaler.transform(X[split.validation]))
    np.testing.assert_array_equal(split.y_test, y[split.test])
    assert objective.split(3) is split  # memoised
    assert not np.array_equal(objective.split(4).test, split.test)
    other = get_objective(f"mlp-adam[dataset={dataset}]").split(3)
    assert np.array_equal(other.test, split.test)  # common random numbers across objectives


def test_value_is_validation_error_and_test_error_is_only_in_extras():
    """Rebuilt independently with scikit-learn: value is 1 - validation accuracy."""
    objective = get_objective("mlp-sgd")
    evaluation = objective.evaluate(SGD, 2, seed=5)
    split = objective.split(5)
    net = MLPClassifier(
        hidden_layer_sizes=(32, 32),
        solver="sgd",
        learning_rate="invscaling",
        learning_rate_init=0.05,
        momentum=0.9,
        power_t=0.1,
        alpha=1e-4,
        batch_size=64,
        random_state=np.random.RandomState(split_seeds(5)[2]),
    )
    net.partial_fit(split.X_train, split.y_train, classes=np.arange(10))
    net.partial_fit(split.X_train, split.y_train)
    validation = float(np.mean(net.predict(split.X_val) != split.y_val))
    test = float(np.mean(net.predict(split.X_test) != split.y_test))
    assert evaluation.value == validation
    assert evaluation.extras["test"] == test
    assert set(evaluation.extras) == {"test", "seconds"}
    assert 0 < evaluation.extras["seconds"] < 10


def test_cost_is_epochs_over_27_and_none_is_27_epochs():
    objective = get_objective("mlp-adam")
    assert (objective.fidelity.low, objective.fidelity.high, objective.fidelity.eta) == (1, 27, 3)
    assert objective.optimum is None
    for epochs in (1, 3):
        assert objective.evaluate(ADAM, epochs, seed=0).cost == pytest.approx(epochs / 27)
    small = {**ADAM, "hidden_units": 8, "batch_size": 512}
    full, at_27 = objective.evaluate(small, None, seed=0), objective.evaluate(small, 27, seed=0)
    assert full.cost == at_27.cost == 1.0
    assert (full.value, full.extras["test"]) == (at_27.value, at_27.extras["test"])
    # Successive halving's float fidelities (27 / 3**k) land on whole epochs.
    assert (
        objective.evaluate(ADAM, 27 / 9, seed=0).value == objective.evaluate(ADAM, 3, seed=0).value
    )


def test_more_epochs_usually_help_on_digits():
    objective = get_objective("mlp-sgd")
    rng = np.random.default_rng(7)
    gains = []
    for _ in range(5):
        config = {**objective.space.sample(rng), "hidden_units": 32, "layers": 1}
        try:
            low = objective.evaluate(config, 1, seed=0).value
            high = objective.evaluate(config, 27, seed=0).value
        except Diverged:
            continue
        gains.append((low, high))
    assert len(gains) >= 3
    assert statistics.median(h for _, h in gains) < statistics.median(lo for lo, _ in gains)


class Scripted(Strategy):
    """Proposes ``configs`` in order at ``level`` epochs, then is exhausted."""

    name = "scripted-mlp"
    configs = (DIVERGING, SGD, {**SGD, "batch_size": 32})
    level = 2

    def __init__(self, space, *, seed, budget, fidelity=None):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self.told = []

    def ask(self):
        if self.suggested >= len(self.configs):
            raise Exhausted
        return self.suggest(dict(self.configs[self.suggested]), self.level)

    def tell(self, suggestion, value):
        self.told.append(value)
        Scripted.last = self


def test_a_diverging_configuration_is_a_failed_trial_and_the_run_goes_on():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trace = run(Scripted, get_objective("mlp-sgd"), 0, 1)
    assert not caught, [str(w.message) for w in caught]
    assert trace.status == ["failed", "ok", "ok"]
    assert "Diverged" in trace.errors[0] and "non-finite parameter weights" in trace.errors[0]
    assert trace.cost == pytest.approx([2 / 27] * 3)
    assert Scripted.last.told[0] is None and all(0 <= v < 1 for v in Scripted.last.told[1:])
    assert math.isnan(trace.value[0]) and all(0 <= v < 1 for v in trace.value[1:])
    assert all(math.isnan(t) for t in trace.incumbent_test)  # never at full fidelity


def test_divergence_raises_the_loop_visible_error_and_signature_records_nan(monkeypatch):
    objective = get_objective("mlp-sgd")
    with pytest.raises(Diverged, match=r"epoch 1 of 1.*non-finite"):
        objective.evaluate(DIVERGING, 1, seed=2)
    assert issubclass(Diverged, ValueError)
    small = {**SGD, "hidden_units": 8, "layers": 1, "batch_size": 512}
    monkeypatch.setattr(MLPSGD, "signature_configs", lambda self: [DIVERGING, small])
    values = objective.signature()
    assert math.isnan(values[0]) and 0 <= values[1] < 1


def test_the_spaces_have_the_documented_dimensions_and_scales():
    sgd, adam = get_objective("mlp-sgd").space, get_objective("mlp-adam").space
    assert sgd.names == (
        "learning_rate_init",
        "momentum",
        "hidden_units",
        "layers",
        "batch_size",
        "power_t",
        "alpha",
    )
    assert adam.names == (
        "learning_rate_init",
        "beta_1",
        "beta_2",
        "epsilon",
        "hidden_units",
        "layers",
        "batch_size",
        "alpha",
    )
    assert sgd["learning_rate_init"] == Float(1e-4, 1.0, "log")
    assert sgd["momentum"] == Float(0.5, 0.999, "log1m")
    assert sgd["power_t"] == Float(0.0, 0.5, "linear")
    assert adam["learning_rate_init"] == Float(1e-5, 1e-1, "log")
    assert adam["beta_1"] == Float(0.5, 0.999, "log1m")
    assert adam["beta_2"] == Float(0.9, 0.99999, "log1m")
    assert adam["epsilon"] == Float(1e-10, 1e-4, "log")
    for space in (sgd, adam):
        assert space["alpha"] == Float(1e-8, 1e-1, "log")
        assert space["hidden_units"] == Int(8, 256, "log")
        assert space["layers"] == Int(1, 3)
        assert space["batch_size"] == Int(16, 512, "log")


@pytest.mark.parametrize("dataset", ["wine", "breast_cancer"])
@pytest.mark.parametrize("name", ["mlp-sgd", "mlp-adam"])
def test_the_small_data_sets_work_and_batches_are_clipped(name, dataset):
    objective = get_objective(f"{name}[dataset={dataset}]")
    assert objective.label == f"{name}[dataset={dataset}]"
    config = {**CONFIGS[name], "batch_size": 512}  # more than the training rows
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        evaluation = objective.evaluate(config, None, seed=0)
    assert not caught, [str(w.message) for w in caught]
    assert 0 <= evaluation.value < 0.5 and 0 <= evaluation.extras["test"] < 0.5


def test_an_unknown_dataset_says_did_you_mean():
    with pytest.raises(ValueError, match=r"unknown dataset 'digit'; did you mean 'digits'"):
        MLPSGD(dataset="digit")
    with pytest.raises(RegistryError, match=r"did you mean 'breast_cancer'"):
        get_objective("mlp-adam[dataset=breast-cancer]")
    with pytest.raises(ValueError, match=r"one of digits, breast_cancer, wine"):
        MLPSGD(dataset="mnist")
