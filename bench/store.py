"""The results tree: one Parquet file per run spec.

```
<root>/manifest.json                                   (bench.manifest)
<root>/runs/<objective>/<strategy>/seed=<k>-<hash>.parquet
<root>/runs/<objective>/<strategy>/workers=<W>-seed=<k>-<hash>.parquet   (W > 1)
```

A run file's name ends with the first 16 hex digits of its spec hash, so two
specs never share a file: narrowing ``--budget`` or editing the code writes
new files beside the old ones, never over them. A file is written under a
hidden temporary name in its final folder and renamed into place when
complete, so a crash never leaves a half file and readers (which skip hidden
files) never see one. Each file carries its spec, its spec hash and a SHA-256
checksum of its rows and metadata in the Parquet metadata (and Parquet page
checksums); every read verifies the checksum, so a damaged or edited file is
named, never used. A run whose strategy raised is stored too, with the
trials it completed and its traceback (``error``); it counts as not done, so
the next ``run`` retries it.

Before a run starts, its driver claims it: an exclusive ``flock`` on a hidden
lock file beside the run file. A second process finds the claim taken and
leaves the run alone; the kernel drops the claim when its holder exits,
however it exits (kill -9 included), so a dead driver never blocks a rerun.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.spec import RunSpec
from bench.trace import Trace

METADATA_KEY = b"tunebench"
#: Hex digits of the spec hash in a run file's name.
HASH_DIGITS = 16
RunState = Literal["missing", "stored", "stale", "errored", "corrupt"]


class CorruptRun(ValueError):
    """A run file that cannot be read, or whose checksum does not match."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def path_segment(name: str) -> str:
    """A folder name for a variant: '=' and '/' are percent-encoded, so that
    Parquet readers do not mistake ``random[scale=linear]`` for a hive partition."""
    return quote(name, safe="[],-_.+:")


def _stem(spec: RunSpec) -> str:
    """A run file's name before its hash: its seed, and its workers if more than one."""
    seed = f"seed={spec.seed}"
    return seed if spec.workers == 1 else f"workers={spec.workers}-{seed}"


class Store:
    """The results folder of one suite."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"

    def path(self, spec: RunSpec) -> Path:
        return (
            self.runs
            / path_segment(spec.objective)
            / path_segment(spec.strategy)
            / f"{_stem(spec)}-{spec.hash[:HASH_DIGITS]}.parquet"
        )

    def state(self, spec: RunSpec) -> RunState:
        """Whether ``spec`` is stored (and intact), missing, errored, corrupt
        (damaged or edited: recompute it), or stale (its file holds another spec)."""
        return self.inspect(spec)[0]

    def inspect(self, spec: RunSpec) -> tuple[RunState, str]:
        """``state`` and, for a corrupt file, what is wrong with it (file read once)."""
        path = self.path(spec)
        if not path.exists():
            return "missing", ""
        try:
            _, meta = read_run(path)
        except CorruptRun as exc:
            return "corrupt", str(exc)
        if meta.get("spec_hash") != spec.hash:
            return "stale", ""
        return ("errored" if meta.get("error") else "stored"), ""

    def others(self, spec: RunSpec) -> list[Path]:
        """Stored files of the same objective, strategy and seed as ``spec`` but
        another spec (an earlier budget, code, space, ...)."""
        folder = self.path(spec).parent
        own = self.path(spec).name
        candidates = [*folder.glob(f"{_stem(spec)}-*.parquet"), folder / f"{_stem(spec)}.parquet"]
        return sorted(p for p in candidates if p.is_file() and p.name != own)

    def claim(self, spec: RunSpec) -> Claim | None:
        """Claim ``spec`` for this process, or None if another process holds it.
        Removes temporary files a killed writer of this run left behind."""
        path = self.path(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.parent / f".{path.stem}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        for leftover in path.parent.glob(f".{path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
        return Claim(fd)

    def write(self, trace: Trace, spec: RunSpec) -> Path:
        """Store ``trace`` atomically (temporary file, fsync, rename)."""
        path = self.path(spec)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(trace.to_frame(), preserve_index=False)
        meta = {
            "spec": spec.to_json(),
            "spec_hash": spec.hash,
            "errors": {str(k): v for k, v in trace.errors.items()},
            "error": trace.error,
            **trace.meta,
        }
        meta["checksum"] = checksum(table, meta)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(meta).encode()}
        )
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.fchmod(fd, file_mode())
            with os.fdopen(fd, "wb") as handle:
                pq.write_table(table, handle, write_page_checksum=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return path

    def files(self) -> Iterator[Path]:
        if self.runs.is_dir():
            yield from sorted(p for p in self.runs.rglob("*.parquet") if not p.name.startswith("."))

    def read(
        self, files: Iterable[Path] | None = None
    ) -> Iterator[tuple[pa.Table, dict[str, Any]]]:
        """Each run file of ``files`` (default: every stored run) as its table and
        its tunebench metadata, read once and verified (``CorruptRun`` if not intact)."""
        for path in self.files() if files is None else files:
            yield read_run(path)

    def read_runs(self, files: Iterable[Path] | None = None) -> pd.DataFrame:
        """The trial rows of ``files`` (default: every stored run), all objectives
        together (parameter columns of other objectives are missing values)."""
        return runs_frame([table for table, _ in self.read(files)], self.runs)

    def read_metadata(self) -> list[dict[str, Any]]:
        return [read_metadata(p) for p in self.files()]


class Claim:
    """A held claim on one run; ``release`` (or process exit) frees it."""

    def __init__(self, fd: int):
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def runs_frame(tables: list[pa.Table], where: Path) -> pd.DataFrame:
    """One frame of the trial rows of several run tables (columns missing from a
    table, such as another objective's parameters, become missing values)."""
    if not tables:
        raise FileNotFoundError(f"no stored runs under {where}")
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The tunebench metadata of one run file (spec, hash, errors, optimum, wall),
    from its footer alone: not verified (``read_run`` verifies)."""
    schema = pq.read_schema(path)
    return json.loads((schema.metadata or {})[METADATA_KEY])


def read_run(path: str | Path) -> tuple[pa.Table, dict[str, Any]]:
    """A run file's rows and metadata, verified against its checksum;
    ``CorruptRun`` (naming the file and what is wrong) otherwise."""
    path = Path(path)
    try:
        table = pq.read_table(path, page_checksum_verification=True)
        meta = json.loads((table.schema.metadata or {})[METADATA_KEY])
    except KeyError:
        raise CorruptRun(path, "no tunebench metadata (not a run file)") from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise CorruptRun(path, f"unreadable ({type(exc).__name__}: {exc})") from None
    if not isinstance(meta, dict) or "checksum" not in meta:
        raise CorruptRun(path, "no checksum (written by an older tunebench)")
    expected = checksum(table, meta)
    if meta["checksum"] != expected:
        raise CorruptRun(path, "checksum mismatch: its rows or metadata were changed after writing")
    return table, meta


def checksum(table: pa.Table, meta: dict[str, Any]) -> str:
    """SHA-256 of a run's rows (column by column: name, type, values) and of its
    metadata (canonical JSON, the checksum itself excluded)."""
    digest = hashlib.sha256()
    for name, column in zip(table.column_names, table.columns):
        digest.update(f"{name}\0{column.type}\0".encode())
        numeric = pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
        if numeric and column.null_count == 0:
            digest.update(np.ascontiguousarray(column.to_numpy()).tobytes())
        else:
            digest.update(json.dumps(column.to_pylist(), default=str).encode())
    rest = {k: v for k, v in meta.items() if k != "checksum"}
    digest.update(json.dumps(rest, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def file_mode() -> int:
    """The mode ``open`` would give a new file under the current umask (0644 under 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
