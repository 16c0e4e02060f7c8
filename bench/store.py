"""The results tree: one Parquet file per run and a manifest per suite.

```
<root>/manifest.json
<root>/runs/<objective>/<strategy>/seed=<k>.parquet
```

A run file is written under a hidden temporary name in its final folder and
renamed into place when complete, so a crash never leaves a half file and
readers (which skip hidden files) never see one. Each file carries its spec
and spec hash in the Parquet metadata; a stored run is reused only if the
hash matches. A run whose strategy raised is stored too, with the trials it
completed and its traceback (``error`` in the metadata); it counts as not
done, so the next ``run`` retries it.

Before a run starts, its driver claims it: an exclusive ``flock`` on a hidden
lock file beside the run file. A second process finds the claim taken and
leaves the run alone; the kernel drops the claim when its holder exits,
however it exits (kill -9 included), so a dead driver never blocks a rerun.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from bench.spec import RunSpec
from bench.trace import Trace

METADATA_KEY = b"tunebench"
RunState = Literal["missing", "stored", "stale", "errored"]


def path_segment(name: str) -> str:
    """A folder name for a variant: '=' and '/' are percent-encoded, so that
    Parquet readers do not mistake ``random[scale=linear]`` for a hive partition."""
    return quote(name, safe="[],-_.+:")


class Store:
    """The results folder of one suite."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.manifest_path = self.root / "manifest.json"

    def path(self, spec: RunSpec) -> Path:
        return (
            self.runs
            / path_segment(spec.objective)
            / path_segment(spec.strategy)
            / f"seed={spec.seed}.parquet"
        )

    def state(self, spec: RunSpec) -> RunState:
        """Whether ``spec`` is stored, missing, or stored from another spec (stale)."""
        path = self.path(spec)
        if not path.exists():
            return "missing"
        try:
            meta = read_metadata(path)
        except (OSError, pa.ArrowInvalid, ValueError, KeyError):
            return "stale"
        if meta.get("spec_hash") != spec.hash:
            return "stale"
        return "errored" if meta.get("error") else "stored"

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
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(meta).encode()}
        )
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                pq.write_table(table, handle)
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
        its tunebench metadata, read once."""
        for path in self.files() if files is None else files:
            table = pq.read_table(path)
            yield table, json.loads((table.schema.metadata or {})[METADATA_KEY])

    def read_runs(self, files: Iterable[Path] | None = None) -> pd.DataFrame:
        """The trial rows of ``files`` (default: every stored run), all objectives
        together (parameter columns of other objectives are missing values)."""
        return runs_frame([table for table, _ in self.read(files)], self.runs)

    def read_metadata(self) -> list[dict[str, Any]]:
        return [read_metadata(p) for p in self.files()]

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text())

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=self.root)
        with os.fdopen(fd, "w") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=False, default=str)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.manifest_path)


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
    """The tunebench metadata of one run file (spec, hash, errors, optimum, wall)."""
    schema = pq.read_schema(path)
    return json.loads((schema.metadata or {})[METADATA_KEY])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
