"""Small MLPs trained for real: scikit-learn's MLPClassifier on bundled data sets.

The searcher sees the validation error (1 - accuracy) after ``r`` epochs of
training from scratch, ``r`` being the fidelity (1..27 epochs, one
``partial_fit`` pass per epoch); the report sees the held-out test error in
``extras["test"]`` and the training wall time in ``extras["seconds"]``.

The data set is split once per seed: 25 % held out as the test set, then
20 % of the rest as the validation set (both stratified), features scaled by
a ``StandardScaler`` fitted on the training rows only. The seed also draws
the initial weights and the mini-batch order, so an evaluation is a pure
function of (configuration, epochs, seed), and an evaluation at ``r``
epochs is exactly the first ``r`` epochs of a longer one.

A diverging configuration (non-finite weights or training loss) raises
``Diverged``, which the loop records as a failed trial with its message.
Training runs with one BLAS thread, so parallel runs do not oversubscribe
the machine and results do not depend on the thread count.
"""

from __future__ import annotations

import abc
import difflib
import math
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

from bench import Evaluation, Fidelity, Float, Int, Objective, Space
from bench.space import Value

#: Data sets bundled with scikit-learn (no download), by option value.
DATASETS: dict[str, Callable[..., Any]] = {
    "digits": datasets.load_digits,
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
}
#: Epochs of training: 1..27, stepped by successive halving with eta = 3.
EPOCHS = Fidelity("epochs", 1, 27, 3)
TEST_FRACTION = 0.25
VALIDATION_FRACTION = 0.2
#: Splits kept per instance (about 1 MB each for digits).
_MEMO_SIZE = 64


class Diverged(ValueError):
    """Training produced non-finite weights, loss or predictions: a failed trial."""


@dataclass(frozen=True)
class Split:
    """One seed's split of a data set: row indices into it and the scaled arrays."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    scaler: StandardScaler
    classes: np.ndarray
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


@lru_cache(maxsize=len(DATASETS))
def load(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """The features (float64) and labels of a bundled data set (read-only arrays)."""
    X, y = DATASETS[dataset](return_X_y=True)
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def split_seeds(seed: int) -> tuple[int, int, int]:
    """Independent streams of ``seed``: test split, validation split, training."""
    a, b, c = np.random.SeedSequence([seed, 0x4D4C50]).generate_state(3)
    return int(a), int(b), int(c)


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()


class MLPObjective(Objective):
    """A small MLP classifier trained with scikit-learn; validation error is minimised."""

    fidelity = EPOCHS
    optimum = None
    #: Fixed MLPClassifier arguments (the solver and its schedule).
    settings: ClassVar[Mapping[str, Any]]
    #: Space parameters that are not MLPClassifier arguments, or are renamed.
    _structural: ClassVar[tuple[str, ...]] = ("hidden_units", "layers", "batch_size")

    def __init__(self, dataset: str = "digits") -> None:
        if dataset not in DATASETS:
            close = difflib.get_close_matches(str(dataset), list(DATASETS), n=2, cutoff=0.5)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"{self.name}: unknown dataset {dataset!r}{hint} (one of {', '.join(DATASETS)})"
            )
        self.dataset = dataset
        self.space = self.make_space()
        self._splits: dict[int, Split] = {}

    @abc.abstractmethod
    def make_space(self) -> Space:
        """The search space, in the order of the parameters' importance."""

    def split(self, seed: int) -> Split:
        """The train/validation/test split of ``seed`` (computed once per instance)."""
        cached = self._splits.get(seed)
        if cached is not None:
            return cached
        X, y = load(self.dataset)
        test_seed, val_seed, _ = split_seeds(seed)
        rest, test = train_test_split(
            np.arange(len(y)), test_size=TEST_FRACTION, stratify=y, random_state=test_seed
        )
        train, validation = train_test_split(
            rest, test_size=VALIDATION_FRACTION, stratify=y[rest], random_state=val_seed
        )
        scaler = StandardScaler().fit(X[train])
        split = Split(
            train=train,
            validation=validation,
            test=test,
            scaler=scaler,
            classes=np.unique(y),
            X_train=scaler.transform(X[train]),
            y_train=y[train],
            X_val=scaler.transform(X[validation]),
            y_val=y[validation],
            X_test=scaler.transform(X[test]),
            y_test=y[test],
        )
        if len(self._splits) >= _MEMO_SIZE:
            self._splits.pop(next(iter(self._splits)))
        self._splits[seed] = split
        return split

    def model(self, config: Mapping[str, Value], n_train: int, seed: int) -> MLPClassifier:
        """The untrained classifier for ``config`` (batch size clipped to ``n_train``)."""
        options = {k: v for k, v in config.items() if k not in self._structural}
        return MLPClassifier(
            hidden_layer_sizes=(int(config["hidden_units"]),) * int(config["layers"]),
            batch_size=min(int(config["batch_size"]), n_train),
            shuffle=True,
            # A RandomState instance, not an int: partial_fit re-reads random_state on every
            # call, and an int would replay the same mini-batch order in every epoch.
            random_state=np.random.RandomState(split_seeds(seed)[2]),
            **self.settings,
            **options,
        )

    def train(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> tuple[MLPClassifier, Split, float]:
        """The network trained on ``seed``'s training rows for ``fidelity`` epochs
        (None: 27; rounded to a whole epoch), its split and the training seconds."""
        epochs = round(EPOCHS.high if fidelity is None else float(fidelity))
        if not EPOCHS.low <= epochs <= EPOCHS.high:
            raise ValueError(f"{self.name}: fidelity must be 1..27 epochs, got {fidelity!r}")
        *_, last = self.epochs(config, epochs, seed=seed)
        return last

    def epochs(
        self, config: Mapping[str, Value], epochs: int, *, seed: int
    ) -> Iterator[tuple[MLPClassifier, Split, float]]:
        """Train for ``epochs`` epochs, yielding after each one the network, the split
        and the training seconds so far. The network after epoch ``r`` is exactly the
        one ``train`` returns for ``r`` epochs. Raises ``Diverged`` in the epoch that
        diverges. One BLAS thread until the generator ends (the caller's code between
        epochs included)."""
        data = self.split(seed)
        net = self.model(config, len(data.y_train), seed)
        seconds = 0.0
        with _quiet_single_thread():
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                _train_epoch(net, data, epoch, epochs)
                seconds += time.perf_counter() - start
                yield net, data, seconds

    def curve(self, config: Mapping[str, Value], *, seed: int) -> list[dict[str, Any]]:
        """The learning curve of one 27-epoch training: per epoch 1..27, the
        validation and test error and the training seconds so far. From a
        diverging epoch on, the errors are NaN and ``diverged`` holds the reason."""
        points: list[dict[str, Any]] = []
        try:
            for net, data, seconds in self.epochs(config, EPOCHS.high, seed=seed):
                validation = _error(net, data.X_val, data.y_val)
                test = _error(net, data.X_test, data.y_test)
                points.append(
                    {"epoch": len(points) + 1, "validation": validation, "test": test,
                     "seconds": seconds, "diverged": None}
                )  # fmt: skip
        except Diverged as exc:
            reason = str(exc)
            seconds = points[-1]["seconds"] if points else math.nan
            for epoch in range(len(points) + 1, EPOCHS.high + 1):
                points.append(
                    {"epoch": epoch, "validation": math.nan, "test": math.nan,
                     "seconds": seconds, "diverged": reason}
                )  # fmt: skip
        return points

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        net, data, seconds = self.train(config, fidelity, seed=seed)
        with _quiet_single_thread():
            validation = _error(net, data.X_val, data.y_val)
            test = _error(net, data.X_test, data.y_test)
        return Evaluation(
            validation, cost=self.cost(fidelity), extras={"test": test, "seconds": seconds}
        )


@contextmanager
def _quiet_single_thread() -> Iterator[None]:
    """One BLAS/OpenMP thread; overflow in a diverging network and sklearn's
    ConvergenceWarning silenced (divergence is reported by ``Diverged``)."""
    with (
        _threadpools().limit(limits=1),
        warnings.catch_warnings(),
        np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _train_epoch(net: MLPClassifier, data: Split, epoch: int, epochs: int) -> None:
    """One ``partial_fit`` pass over the training rows; ``Diverged`` on non-finite
    weights or loss."""
    try:
        if epoch == 1:
            net.partial_fit(data.X_train, data.y_train, classes=data.classes)
        else:
            net.partial_fit(data.X_train, data.y_train)
    except ValueError as exc:
        if "non-finite" not in str(exc):
            raise
        reason = str(exc).split(". ")[0]  # not sklearn's advice about the input data
        raise Diverged(f"diverged in epoch {epoch} of {epochs}: {reason}") from exc
    if not math.isfinite(net.loss_):
        raise Diverged(f"diverged in epoch {epoch} of {epochs}: training loss {net.loss_}")


def _error(net: MLPClassifier, X: np.ndarray, y: np.ndarray) -> float:
    """1 - accuracy; ``Diverged`` if the network's outputs are not finite."""
    proba = net.predict_proba(X)
    if not np.isfinite(proba).all():
        raise Diverged("non-finite predictions")
    predicted = net.classes_[np.argmax(proba, axis=1)]
    return float(np.mean(predicted != y))


class MLPSGD(MLPObjective):
    """scikit-learn MLP by SGD (Nesterov momentum, lr decay) on digits (or wine, breast_cancer), 7-D.

    Parameters in order of importance. The decay is sklearn's ``invscaling``
    schedule, lr = learning_rate_init / (t + 1)^power_t with t the training
    samples seen before the epoch: its factor after 27 epochs on digits is
    (26 x 1078 + 1)^-power_t, so power_t uniform on [0, 0.5] spreads that
    factor log-uniformly from 1 (power_t = 0, the constant schedule) to 1/167
    (0.5, sklearn's default). Beyond 0.5 the rate has fallen below 3 % after
    the first epoch and training all but stops: a flat, wasted region.
    """

    name = "mlp-sgd"
    settings: ClassVar[Mapping[str, Any]] = {"solver": "sgd", "learning_rate": "invscaling"}

    def make_space(self) -> Space:
        return Space(
            {
                "learning_rate_init": Float(1e-4, 1.0, "log"),
                "momentum": Float(0.5, 0.999, "log1m"),
                "hidden_units": Int(8, 256, "log"),
                "layers": Int(1, 3),
                "batch_size": Int(16, 512, "log"),
                # Always sklearn's "invscaling": lr = lr0 / (t + 1)^power_t, t = samples seen
                # before the epoch; power_t = 0 is the constant schedule.
                "power_t": Float(0.0, 0.5),
                "alpha": Float(1e-8, 1e-1, "log"),
            }
        )


class MLPAdam(MLPObjective):
    """scikit-learn MLP by Adam on digits (or wine, breast_cancer), 8-D.

    Parameters in the order the brief gives. The learning rate spans 1e-5..1e-1:
    on digits the good region (1e-3..1e-2) lies inside, below 1e-4 a network
    hardly learns in 27 epochs.
    """

    name = "mlp-adam"
    settings: ClassVar[Mapping[str, Any]] = {"solver": "adam"}

    def make_space(self) -> Space:
        return Space(
            {
                "learning_rate_init": Float(1e-5, 1e-1, "log"),
                "beta_1": Float(0.5, 0.999, "log1m"),
                "beta_2": Float(0.9, 0.99999, "log1m"),
                "epsilon": Float(1e-10, 1e-4, "log"),
                "hidden_units": Int(8, 256, "log"),
                "layers": Int(1, 3),
                "batch_size": Int(16, 512, "log"),
                "alpha": Float(1e-8, 1e-1, "log"),
            }
        )
