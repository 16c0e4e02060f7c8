"""Replaying recorded MLP trainings: the tabular benchmark (as LCBench or
HPOBench's tabular benchmarks do).

The space is the recorded configurations: one categorical parameter
``config`` whose choices are the design's indices ("0", "1", ...) in the shipped
table ``objectives/tables/mlp-curves.parquet`` (``make tabulate`` builds it;
``bench.curves`` documents its columns). Every answer is a value that was
really measured: the validation error after ``fidelity`` epochs of the
training of that configuration with data seed ``seed mod S`` (S recorded
seeds), so seeds 0, S, 2S, ... replay the same training. ``extras`` hold its test error, its training seconds and the
recorded seed. A training that diverged by that epoch raises ``Diverged``,
as the real objective does. A query costs a few microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from bench import Categorical, Evaluation, Int, Objective, Space
from bench.curves import BUILD_HINT, CurveTable, TableError, read_table
from bench.space import Value
from objectives.mlp import DATASETS, EPOCHS, MLPSGD, Diverged, MLPAdam, MLPObjective

#: The shipped table of learning curves.
TABLE = Path(__file__).resolve().parent / "tables" / "mlp-curves.parquet"


@lru_cache(maxsize=2)
def shipped_table(path: Path = TABLE) -> CurveTable:
    """The table at ``path``, read once per process and checked against the code
    of both MLP objectives (``bench.curves.TableError`` if missing or stale)."""
    names = {
        f"{source.name}[dataset={dataset}]": source
        for source in (MLPSGD, MLPAdam)
        for dataset in DATASETS
    }
    return read_table(path, code=names)


def recorded_epochs(objective: str, fidelity: float | None) -> int:
    """The whole number of epochs (1..27) an evaluation at ``fidelity`` reads
    (None: 27); ``ValueError`` naming ``objective`` outside that range."""
    epochs = round(EPOCHS.high if fidelity is None else float(fidelity))
    if not EPOCHS.low <= epochs <= EPOCHS.high:
        raise ValueError(f"{objective}: fidelity must be 1..27 epochs, got {fidelity!r}")
    return epochs


class Curves:
    """One objective's recorded curves as arrays indexed [config, seed, epoch - 1],
    and its configurations (``params``, one row per config, ``param_<name>``
    columns). Raises ``TableError`` unless every (config, seed, epoch) of the
    grid is recorded exactly once with every parameter of ``space``."""

    def __init__(self, table: CurveTable, objective: str, space: Space):
        rows = table.of(objective).sort_values(["config_id", "seed", "epoch"])
        self.configs = int(rows["config_id"].max()) + 1
        self.seeds = int(rows["seed"].max()) + 1
        shape = (self.configs, self.seeds, EPOCHS.high)
        grid = pd.MultiIndex.from_product([range(n) for n in shape])
        found = pd.MultiIndex.from_frame(rows[["config_id", "seed", "epoch"]] - [0, 0, 1])
        if not found.equals(grid):
            raise TableError(
                f"{table.path}: {objective} does not hold each of {self.configs} "
                f"configurations x {self.seeds} seeds x {EPOCHS.high} epochs exactly once "
                f"({len(rows)} rows); {BUILD_HINT}"
            )
        wanted = [f"param_{name}" for name in space.names]
        absent = [column for column in wanted if column not in rows.columns]
        if absent:
            raise TableError(
                f"{table.path}: {objective} has no column {', '.join(absent)}; {BUILD_HINT}"
            )
        self.validation = rows["validation"].to_numpy(float).reshape(shape)
        self.test = rows["test"].to_numpy(float).reshape(shape)
        self.seconds = rows["seconds"].to_numpy(float).reshape(shape)
        self.diverged = rows["diverged"].fillna("").to_numpy(str).reshape(shape)
        self.params = rows[(rows["seed"] == 0) & (rows["epoch"] == 1)][wanted]

    def diverged_seconds(self, at: tuple[int, int, int]) -> float:
        """Seconds a training that diverged by cell ``at`` ran: those recorded up
        to its last finite epoch, or (diverged in its first) the median first epoch."""
        seconds = float(self.seconds[at])
        return seconds if math.isfinite(seconds) else float(np.nanmedian(self.seconds[:, :, 0]))


class _TabularMLP(Objective):
    """Base of the tabular MLP objectives: replay of ``source``'s recorded curves."""

    source: ClassVar[type[MLPObjective]]
    fidelity = EPOCHS
    optimum = None
    data_files: ClassVar[tuple[Path, ...]] = (TABLE,)
    recorded_seconds = True

    def __init__(self, dataset: str = "digits") -> None:
        self.dataset = self.source(dataset).dataset
        self.recorded = f"{self.source.name}[dataset={dataset}]"
        self._curves: Curves | None = None
        self.space = Space(
            {"config": Categorical(tuple(str(i) for i in range(self.curves.configs)))}
        )

    @property
    def curves(self) -> Curves:
        """The recorded curves this objective replays (read once per instance)."""
        if self._curves is None:
            self._curves = Curves(shipped_table(), self.recorded, self.source(self.dataset).space)
        return self._curves

    def configuration(self, config: Mapping[str, Value]) -> dict[str, Value]:
        """The MLP hyperparameters the recorded configuration ``config`` stands for."""
        row = self.curves.params.iloc[int(config["config"])]
        space = self.source(self.dataset).space
        return {
            name: int(row[f"param_{name}"])
            if isinstance(space[name], Int)
            else float(row[f"param_{name}"])
            for name in space.names
        }

    def evaluate(
        self, config: Mapping[str, Value], fidelity: float | None = None, *, seed: int
    ) -> Evaluation:
        epochs = recorded_epochs(self.name, fidelity)
        curves = self.curves
        index, recorded = int(config["config"]), seed % curves.seeds
        at = (index, recorded, epochs - 1)
        if curves.diverged[at]:
            error = Diverged(f"{curves.diverged[at]} (recorded, seed {recorded})")
            error.extras = {"seconds": curves.diverged_seconds(at)}
            raise error
        extras: dict[str, Any] = {
            "test": float(curves.test[at]),
            "seconds": float(curves.seconds[at]),
            "recorded_seed": recorded,
        }
        return Evaluation(float(curves.validation[at]), extras=extras)


class TabularMLPSGD(_TabularMLP):
    """Recorded mlp-sgd trainings (every Sobol configuration, seed and epoch of the table), replayed."""

    name = "tabular-mlp-sgd"
    source = MLPSGD


class TabularMLPAdam(_TabularMLP):
    """Recorded mlp-adam trainings (every Sobol configuration, seed and epoch of the table), replayed."""

    name = "tabular-mlp-adam"
    source = MLPAdam
