"""A table of learning curves: its columns, its checks, reading and writing it.

One row per (objective, configuration, seed, epoch), in Parquet:

=============  =======  =====================================================
column         type     meaning
=============  =======  =====================================================
objective      str      registry name with options, e.g. ``mlp-sgd[dataset=wine]``
config_id      int64    index of the configuration in the design (0..n-1)
seed           int64    the data seed of the training (split, weights, batches)
epoch          int64    1..27: the errors after this many epochs of training
validation     float64  validation error (1 - accuracy); NaN from a diverged epoch on
test           float64  held-out test error; NaN from a diverged epoch on
seconds        float64  training seconds up to the end of this epoch (no evaluation)
diverged       str      why training diverged, from that epoch on; null otherwise
param_<name>   float64  the configuration, one column per parameter (null where the
                        objective has no such parameter)
=============  =======  =====================================================

The file's Parquet metadata (key ``tunebench``) holds the design (scrambled
Sobol points of the unit cube, its seed and size), the seeds, per objective
its space and the code that computed it (``CODE`` below), the build's wall
time and environment, and ``rows_sha256``, a hash of the rows: a table whose
rows were edited after it was written is refused, and so is one whose
objective code or libraries differ from this checkout's.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.fingerprint import differences, fingerprint

#: The columns every table has, in order, before the ``param_`` columns.
COLUMNS = ("objective", "config_id", "seed", "epoch", "validation", "test", "seconds", "diverged")
#: Bumped when the layout changes; a table of another format is refused.
FORMAT = 1
#: The metadata key of the Parquet file.
KEY = b"tunebench"
#: How to build a table, for error messages.
BUILD_HINT = "build it with `make tabulate` (python -m bench tabulate)"


class TableError(ValueError):
    """A table of curves that is missing, unreadable, tampered with or stale."""


@dataclass(frozen=True)
class CurveTable:
    """A table read and checked: its rows, its metadata and where it came from."""

    rows: pd.DataFrame
    meta: dict[str, Any]
    path: Path

    def of(self, objective: str) -> pd.DataFrame:
        """The rows of one objective (a registry name with options)."""
        rows = self.rows[self.rows["objective"] == objective]
        if rows.empty:
            recorded = ", ".join(sorted(self.rows["objective"].unique()))
            raise TableError(f"{self.path}: no curves of {objective!r} (it holds {recorded})")
        return rows


def curve_code(target: type) -> dict[str, Any]:
    """The code a curve of ``target`` (an objective class) depends on: its own
    modules and ``bench.space`` by content (not the rest of the harness, which
    the curves do not pass through), and its libraries by version."""
    fp = fingerprint(target)
    modules = {
        name: sha
        for name, sha in fp.modules.items()
        if not name.startswith("bench") or name == "bench.space"
    }
    return {"modules": modules, "libraries": fp.libraries, "python": fp.python}


def rows_sha256(rows: pd.DataFrame) -> str:
    """A hash of the rows' values and column names, independent of the file's encoding."""
    digest = hashlib.sha256(json.dumps(list(map(str, rows.columns))).encode())
    digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def write_table(rows: pd.DataFrame, meta: dict[str, Any], path: str | Path) -> Path:
    """Write ``rows`` with ``meta`` (and the rows' hash) atomically to ``path``."""
    path = Path(path)
    rows = rows.reset_index(drop=True)
    meta = {**meta, "format": FORMAT, "rows_sha256": rows_sha256(rows)}
    table = pa.Table.from_pandas(rows, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), KEY: json.dumps(meta, sort_keys=True).encode()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        os.chmod(temporary, 0o644)
        pq.write_table(table, temporary, compression="zstd")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_table(path: str | Path, *, code: dict[str, type] | None = None) -> CurveTable:
    """Read the table at ``path`` and check it: its format, columns and row hash,
    and, for every objective name in ``code`` (name -> its class), that the
    code which computed its curves is this checkout's. Raises ``TableError``
    naming the file, what is wrong and how to rebuild it."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"{path}: no table of learning curves there; {BUILD_HINT}")
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise TableError(f"{path}: not a readable Parquet file ({exc}); {BUILD_HINT}") from exc
    raw = (table.schema.metadata or {}).get(KEY)
    if raw is None:
        raise TableError(f"{path}: not a tunebench table of curves (no metadata); {BUILD_HINT}")
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise TableError(f"{path}: its metadata is not JSON ({exc}); {BUILD_HINT}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise TableError(
            f"{path}: table format {found!r}, this code reads format {FORMAT}; {BUILD_HINT}"
        )
    rows = table.to_pandas()
    _check_rows(rows, meta, path)
    for name, target in (code or {}).items():
        check_code(meta, name, target, path)
    return CurveTable(rows, meta, path)


def _check_rows(rows: pd.DataFrame, meta: dict[str, Any], path: Path) -> None:
    missing = [column for column in COLUMNS if column not in rows.columns]
    if missing:
        raise TableError(f"{path}: missing column(s) {', '.join(missing)}; {BUILD_HINT}")
    if rows_sha256(rows) != meta.get("rows_sha256"):
        raise TableError(
            f"{path}: its rows do not match the hash written with them (edited after it "
            f"was built, or hashed by another pandas version?); {BUILD_HINT}"
        )


def check_code(meta: dict[str, Any], name: str, target: type, path: Path) -> None:
    """Refuse curves of ``name`` computed by other code than ``target``'s here."""
    recorded = meta.get("code", {}).get(name)
    if recorded is None:
        raise TableError(f"{path}: no curves of {name!r} recorded; {BUILD_HINT}")
    here = curve_code(target)
    if recorded != here:
        changes = "; ".join(differences(recorded, here)) or "code differs"
        raise TableError(
            f"{path}: the curves of {name} were computed by other code than this "
            f"checkout's ({changes}); rebuild the table ({BUILD_HINT}) or check out the "
            f"code it was built with"
        )


def unit_points(space_size: int, configs: int, seed: int) -> np.ndarray:
    """The design: ``configs`` scrambled Sobol points of [0, 1]^space_size (a power
    of two keeps Sobol's balance), the same for every objective of that dimension."""
    from scipy.stats import qmc

    return qmc.Sobol(space_size, scramble=True, seed=seed).random(configs)
