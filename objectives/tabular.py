"""Replaying recorded MLP trainings: the tabular benchmark (as LCBench or
HPOBench's tabular benchmarks do).

The space is the recorded configurations: one categorical parameter
``config`` whose choices are the design's indices ("0", "1", ...) in the shipped
table ``objectives/tables/mlp-curves.parquet`` (``make tabulate`` builds it;
``bench.curves`` documents its columns). Every answer is a value that was
really measured: the validation error after ``fidelity`` epochs of the
training of that configuration with data seed ``seed mod S`` (S recorded
recorded seeds), so seeds 0, S, 2S, ... replay the same
training. ``extras`` hold its test error, its training seconds and the
recorded seed. A training that diverged by that epoch raises ``Diverged``,
as the real objective does. A query costs a few microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from bench import Categorical, Evaluation, Int, Objective, Space
from bench.curves import CurveTable, read_table
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


class Curves:
    """One objective's recorded curves as arrays indexed [config, seed, epoch - 1]."""

    def __init__(self, table: CurveTable, objective: str):
        rows = table.of(objective).sort_values(["config_id", "seed", "epoch"])
        self.configs = int(rows["config_id"].max()) + 1
        self.seeds = int(rows["seed"].max()) + 1
        shape = (self.configs, self.seeds, EPOCHS.high)
        if len(rows) != math.prod(shape):
            raise ValueError(
                f"{table.path}: {objective} has {len(rows)} rows, expected {math.prod(shape)} "
                f"({self.configs} configurations x {self.seeds} seeds x {EPOCHS.high} epochs)"
            )
        self.validation = rows["validation"].to_numpy(float).reshape(shape)
        self.test = rows["test"].to_numpy(float).reshape(shape)
        self.seconds = rows["seconds"].to_numpy(float).reshape(shape)
        self.diverged = rows["diverged"].fillna("").to_numpy(str).reshape(shape)
        first = rows[(rows["seed"] == 0) & (rows["epoch"] == 1)]
        self.params = first[[c for c in rows.columns if c.startswith("param_")]].dropna(axis=1)


class _TabularMLP(Objective):
    """Base of the tabular MLP objectives: replay of ``source``'s recorded curves."""

    source: ClassVar[type[MLPObjective]]
    fidelity = EPOCHS
    optimum = None
    data_files: ClassVar[tuple[Path, ...]] = (TABLE,)

    def __init__(self, dataset: str = "digits") -> None:
        self.dataset = self.source(dataset).dataset
        self.recorded = f"{self.source.name}[dataset={dataset}]"
        self._curves: Curves | None = None
        self.space = Space(
            {"config": Categorical(tuple(str(i) for i in range(self.curves.configs)))}
        )

    @property
    def curves(self) -> Curves:
        if self._curves is None:
            self._curves = Curves(shipped_table(), self.recorded)
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
        epochs = round(EPOCHS.high if fidelity is None else float(fidelity))
        if not EPOCHS.low <= epochs <= EPOCHS.high:
            raise ValueError(f"{self.name}: fidelity must be 1..27 epochs, got {fidelity!r}")
        curves = self.curves
        index, recorded = int(config["config"]), seed % curves.seeds
        at = (index, recorded, epochs - 1)
        if curves.diverged[at]:
            raise Diverged(f"{curves.diverged[at]} (recorded, seed {recorded})")
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
