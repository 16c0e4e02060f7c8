"""The MLPs through a surrogate fitted on their recorded learning curves.

Over the original continuous space, the surrogate answers in tens of
microseconds what a 27-epoch training answers in a fraction of a second:
the validation error after ``fidelity`` epochs, with the test error and the
training seconds in ``extras``. It is fitted, when first queried in a process,
on the shipped table ``objectives/tables/mlp-curves.parquet`` (``bench.curves``;
``make tabulate`` builds it), and answers in two parts:

- **The mean curve**: a Gaussian process's posterior mean in the unit cube
  (Matern 5/2 with one length scale per dimension, plus white noise), its
  kernel fitted by scikit-learn by maximum likelihood on the log validation
  error at 27 epochs averaged over the recorded seeds; the same kernel then
  interpolates all 81 outputs (validation error, test error and log training
  seconds at each epoch 1..27), so one query costs one kernel row and one
  matrix product. Chosen by measurement over extra trees, random forest,
  gradient boosting and k nearest neighbours (``make surrogate-fidelity``
  prints the comparison).
- **The seed's noise**: the deviation of a recorded training from its
  configuration's mean curve (over all 27 epochs at once, so a noisy seed
  stays noisy along its curve), taken from one of the ``NEIGHBOURS`` design
  points nearest the query (in the kernel's length scales) and scaled by
  sqrt(S / (S - 1)) to undo the shrinkage of a mean over S seeds. Seed ``k``
  takes recorded seed ``k mod S`` of the neighbour of rank ``(k div S) mod
  NEIGHBOURS``: ``S x NEIGHBOURS`` distinct noise draws, then they repeat.
  If that recorded training diverged by the epoch asked for, the query
  raises ``Diverged``, as the real objective would.

Errors are modelled as log(error + 0.01) and clipped to [0, 1] on the way out.
Cost is the epochs' share of 27 (as for the real MLPs); the predicted seconds
are in ``extras["seconds"]``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from bench import Evaluation, Objective
from bench.space import Space, Value
from objectives.mlp import EPOCHS, MLPSGD, Diverged, MLPAdam, MLPObjective
from objectives.tabular import TABLE, Curves, recorded_epochs, shipped_table

#: Design points whose recorded seeds supply a query's noise.
NEIGHBOURS = 8
#: Added to an error before its logarithm is taken.
OFFSET = 0.01
_EPOCHS = EPOCHS.high


@dataclass(frozen=True)
class GPMean:
    """The posterior mean of a GP with a Matern 5/2 kernel, one kernel for all outputs.

    ``predict(u)`` for an (m, d) array of unit-cube points gives (m, outputs)."""

    #: The design points divided by the length scales, (n, d).
    scaled: np.ndarray
    scales: np.ndarray
    #: amplitude * K^-1 y * spread, per output: the mean is matern(r) @ weights + offset.
    weights: np.ndarray
    offset: np.ndarray

    @classmethod
    def fit(cls, points: np.ndarray, targets: np.ndarray, *, column: int = -1) -> GPMean:
        """Fit the kernel on ``targets[:, column]`` (maximum likelihood, scikit-learn's
        deterministic L-BFGS from its default start), then solve for every column."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        offset, spread = targets.mean(axis=0), targets.std(axis=0) + 1e-12
        normal = (targets - offset) / spread
        kernel = ConstantKernel() * Matern(
            np.ones(points.shape[1]), nu=2.5, length_scale_bounds=(1e-2, 1e2)
        ) + WhiteKernel(1e-2, noise_level_bounds=(1e-6, 1.0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp = GaussianProcessRegressor(kernel, random_state=0).fit(points, normal[:, column])
        fitted = gp.kernel_
        amplitude = float(fitted.k1.k1.constant_value)
        scales = np.asarray(fitted.k1.k2.length_scale, dtype=float)
        noise = float(fitted.k2.noise_level)
        scaled = points / scales
        gram = amplitude * _matern(_distances(scaled, scaled)) + noise * np.eye(len(points))
        weights = amplitude * np.linalg.solve(gram, normal) * spread
        return cls(scaled, scales, weights, offset)

    def distances(self, u: np.ndarray) -> np.ndarray:
        """(m, n) distances of ``u`` (m, d) to the design points, in length scales."""
        return _distances(u / self.scales, self.scaled)

    def predict(
        self, u: np.ndarray, distances: np.ndarray | None = None, columns: list[int] | None = None
    ) -> np.ndarray:
        """The posterior mean at ``u`` (m, d) of every output, or of ``columns``."""
        r = self.distances(u) if distances is None else distances
        if columns is None:
            return _matern(r) @ self.weights + self.offset
        return _matern(r) @ self.weights[:, columns] + self.offset[columns]


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


def _matern(r: np.ndarray) -> np.ndarray:
    s = math.sqrt(5.0) * r
    return (1.0 + s + s * s / 3.0) * np.exp(-s)


@dataclass(frozen=True)
class Surrogate:
    """A fitted surrogate of one objective: the mean model and the recorded noise."""

    mean: GPMean
    #: (configs, seeds, 81) deviations of each recorded training from its mean, scaled.
    deviations: np.ndarray
    #: (configs, seeds) first diverged epoch of each recorded training (28: never).
    diverged_at: np.ndarray
    #: (configs, seeds) why it diverged ("" if it did not).
    reasons: np.ndarray

    def curves(self, u: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
        """The (m, 81) outputs at unit points ``u`` (m, d) for ``seed`` (log scale),
        the design point that supplied each point's noise, and the recorded seed."""
        r = self.mean.distances(u)
        recorded, rank = self.noise_of(seed)
        nearest = np.argpartition(r, NEIGHBOURS, axis=1)[:, :NEIGHBOURS]
        order = np.take_along_axis(r, nearest, axis=1).argsort(axis=1, kind="stable")
        sources = np.take_along_axis(nearest, order, axis=1)[:, rank]
        return self.mean.predict(u, r) + self.deviations[sources, recorded], sources, recorded

    def query(self, u: np.ndarray, seed: int, epoch: int) -> tuple[np.ndarray, int, int]:
        """One point ``u`` (d,): its three outputs (log scale) after ``epoch``
        epochs for ``seed``, as ``curves`` gives them, and where its noise came from."""
        diff = self.mean.scaled - u / self.mean.scales
        r = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        recorded, rank = self.noise_of(seed)
        nearest = np.argpartition(r, NEIGHBOURS)[:NEIGHBOURS]
        source = int(nearest[np.argsort(r[nearest], kind="stable")[rank]])
        columns = [epoch - 1, _EPOCHS + epoch - 1, 2 * _EPOCHS + epoch - 1]
        outputs = _matern(r) @ self.mean.weights[:, columns] + self.mean.offset[columns]
        return outputs + self.deviations[source, recorded, columns], source, recorded

    def noise_of(self, seed: int) -> tuple[int, int]:
        """The recorded seed and the neighbour rank that give ``seed``'s noise."""
        seeds = self.deviations.shape[1]
        return seed % seeds, (seed // seeds) % NEIGHBOURS


def fit(curves: Curves, space: Space, configs: np.ndarray | None = None) -> Surrogate:
    """The surrogate of ``curves`` (an objective's recorded curves over ``space``),
    fitted on the design points ``configs`` (default: all)."""
    configs = np.arange(curves.configs) if configs is None else np.asarray(configs)
    points = design_points(curves, space)[configs]
    outputs = _log_outputs(curves)[configs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(outputs, axis=1)
    # A configuration that diverged with every seed counts as the worst one recorded.
    mean = np.where(np.isnan(mean), np.nanmax(mean, axis=0), mean)
    seeds = outputs.shape[1]
    shrink = math.sqrt(seeds / (seeds - 1)) if seeds > 1 else 0.0
    deviations = np.nan_to_num((outputs - mean[:, None, :]) * shrink)
    diverged = curves.diverged[configs]
    first = np.where((diverged != "").any(axis=2), (diverged != "").argmax(axis=2) + 1, _EPOCHS + 1)
    reasons = np.take_along_axis(diverged, first.clip(max=_EPOCHS)[..., None] - 1, axis=2)[..., 0]
    return Surrogate(GPMean.fit(points, mean, column=_EPOCHS - 1), deviations, first, reasons)


def design_points(curves: Curves, space: Space) -> np.ndarray:
    """The recorded configurations as points of the unit cube (``Space.to_unit``)."""
    params = curves.params
    return np.array(
        [
            [space[name].to_unit(row[f"param_{name}"]) for name in space.names]
            for _, row in params.iterrows()
        ]
    )


def _log_outputs(curves: Curves) -> np.ndarray:
    """(configs, seeds, 81): log(validation + OFFSET), log(test + OFFSET), log(seconds)."""
    return np.concatenate(
        [
            np.log(curves.validation + OFFSET),
            np.log(curves.test + OFFSET),
            np.log(np.maximum(curves.seconds, 1e-6)),
        ],
        axis=2,
    )


@lru_cache(maxsize=8)
def fitted(source: str, dataset: str, table: Path = TABLE) -> Surrogate:
    """The surrogate of ``source[dataset=...]`` on the table at ``table``, fitted once
    per process with one BLAS thread (so its numbers do not depend on the thread count)."""
    cls = {MLPSGD.name: MLPSGD, MLPAdam.name: MLPAdam}[source]
    space = cls(dataset).space
    recorded = Curves(shipped_table(table), f"{source}[dataset={dataset}]", space)
    with threadpool_limits(1):
        return fit(recorded, space)


class _SurrogateMLP(Objective):
    """Base of the surrogate MLP objectives: ``source``'s curves, predicted."""

    source: ClassVar[type[MLPObjective]]
    fidelity = EPOCHS
    optimum = None
    data_files: ClassVar[tuple[Path, ...]] = (TABLE,)
    recorded_seconds = True

    def __init__(self, dataset: str = "digits") -> None:
        real = self.source(dataset)
        self.dataset = real.dataset
        self.space = real.space
        shipped_table()  # a missing or stale table stops a suite before it starts

    @property
    def surrogate(self) -> Surrogate:
        return fitted(self.source.name, self.dataset)

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        epochs = recorded_epochs(self.name, fidelity)
        u = np.array([self.space[name].to_unit(config[name]) for name in self.space.names])
        surrogate = self.surrogate
        outputs, source, recorded = surrogate.query(u, seed, epochs)
        if surrogate.diverged_at[source, recorded] <= epochs:
            error = Diverged(
                f"{surrogate.reasons[source, recorded]} (as the recorded training of "
                f"design point {source}, seed {recorded}, nearest this configuration)"
            )
            error.extras = {"seconds": math.exp(outputs[2])}
            raise error
        validation = min(max(math.exp(outputs[0]) - OFFSET, 0.0), 1.0)
        test = min(max(math.exp(outputs[1]) - OFFSET, 0.0), 1.0)
        seconds = math.exp(outputs[2])
        return Evaluation(validation, extras={"test": test, "seconds": seconds})


class SurrogateMLPSGD(_SurrogateMLP):
    """mlp-sgd's curves predicted by a GP fitted on the recorded table, with recorded seed noise."""

    name = "surrogate-mlp-sgd"
    source = MLPSGD


class SurrogateMLPAdam(_SurrogateMLP):
    """mlp-adam's curves predicted by a GP fitted on the recorded table, with recorded seed noise."""

    name = "surrogate-mlp-adam"
    source = MLPAdam


def holdout(configs: int, fold: int = 0, folds: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Design indices to fit on and to hold out (every ``folds``-th from ``fold``)."""
    index = np.arange(configs)
    held = index % folds == fold
    return index[~held], index[held]
