"""The manifest of a suite folder (``<folder>/manifest.json``): the suite's
definition, the environment, each objective's signature and the history of
``run`` commands. The one module that writes, reads and checks it.

Every change is a read-modify-write under an exclusive ``flock`` on
``.manifest.lock``, written to a temporary file and renamed into place, so two
drivers on one folder never lose each other's history entries, and a driver
killed mid-write leaves the previous manifest intact (its temporary file is
removed by the next writer).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.store import file_mode

NAME = "manifest.json"


class ManifestError(ValueError):
    """A manifest that cannot be read or does not have the expected shape."""


def read(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of ``folder`` (None if there is none); ``ManifestError``
    naming the file and what is wrong if it is not a valid manifest."""
    path = Path(folder) / NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). It holds "
            f"only metadata (run files describe themselves): move it away, e.g. `mv {path} "
            f"{path}.broken`, and run again"
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: expected a JSON object, got {type(data).__name__}")
    problem = shape_problem(data)
    if problem:
        raise ManifestError(
            f"{path}: {problem}. It holds only metadata (run files describe themselves): "
            f"move it away, e.g. `mv {path} {path}.broken`, and run again"
        )
    return data


#: The manifest's keys that code reads, and the JSON type each must have.
SHAPE: dict[str, type | tuple[type, ...]] = {
    "suite": str,
    "identity": str,
    "suite_file": str,
    "suite_toml": str,
    "description": str,
    "strategies": list,
    "objectives": list,
    "seeds": list,
    "budget": (int, float),
    "timeout": (int, float, type(None)),
    "history": list,
    "last_run": dict,
    "signatures": dict,
    "plugins": list,
    "environment": dict,
}


def shape_problem(data: Mapping[str, Any]) -> str | None:
    """What is wrong with a manifest's shape (None: nothing)."""
    for key, kind in SHAPE.items():
        if key in data and not isinstance(data[key], kind):
            return f"key {key!r} has a {type(data[key]).__name__}, expected {_names(kind)}"
    if not all(isinstance(entry, dict) for entry in data.get("history", [])):
        return "key 'history' must be a list of JSON objects"
    if not all(isinstance(p, str) for p in data.get("plugins", [])):
        return "key 'plugins' must be a list of file paths"
    for label, entry in data.get("signatures", {}).items():
        values = entry.get("signature") if isinstance(entry, dict) else None
        numbers = isinstance(values, list) and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values
        )
        if not numbers or not isinstance(entry.get("code", ""), str):
            return f"key 'signatures.{label}' must hold a list of numbers and a code hash"
    return None


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("null" if k is type(None) else k.__name__ for k in kinds)


def update(folder: str | Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``change`` (which edits the manifest in place) under the folder's
    lock and write the result atomically; return it."""
    folder = Path(folder)
    with _locked(folder):
        for leftover in folder.glob(".manifest.*.tmp"):
            leftover.unlink(missing_ok=True)
        manifest = read(folder) or {}
        change(manifest)
        _write(folder, manifest)
    return manifest


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".manifest.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(folder: Path, manifest: Mapping[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, default=str)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, folder / NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def begin(
    folder: str | Path,
    *,
    definition: Mapping[str, Any],
    plan: Mapping[str, Any],
    signatures: Mapping[str, Mapping[str, Any]],
    environment: Mapping[str, Any],
    command: str,
    plugins: Sequence[str],
    check: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """Record a ``run`` command starting: the suite's definition (as its file
    says, before any narrowing), this command's plan and signatures; return
    the id of its history entry (``finish`` completes it). ``check`` sees the
    manifest under the lock first and may refuse by raising."""
    entry = {
        "id": hashlib.sha256(f"{os.getpid()} {now()} {os.urandom(8).hex()}".encode()).hexdigest()[
            :12
        ],
        "started": now(),
        "command": command,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "plugins": list(plugins),
        "status": "running",
        **plan,
    }

    def change(manifest: dict[str, Any]) -> None:
        if check is not None:
            check(manifest)
        manifest.setdefault("created", entry["started"])
        manifest.update(definition)
        manifest["environment"] = dict(environment)
        manifest.setdefault("signatures", {}).update(signatures)
        known = manifest.get("plugins", [])
        manifest["plugins"] = list(dict.fromkeys([*known, *plugins]))
        history = manifest.setdefault("history", [])
        _mark_dead_drivers(history)
        history.append(entry)
        manifest["last_run"] = entry

    update(folder, change)
    return entry["id"]


def finish(folder: str | Path, run_id: str, **fields: Any) -> None:
    """Complete the history entry ``run_id`` with ``fields`` (status, counts)."""

    def change(manifest: dict[str, Any]) -> None:
        for entry in manifest.setdefault("history", []):
            if entry.get("id") == run_id:
                entry.update(finished=now(), **fields)
                manifest["last_run"] = entry
                return

    update(folder, change)


def _mark_dead_drivers(history: list[dict[str, Any]]) -> None:
    """Entries still "running" whose driver (on this host) is gone become "killed"."""
    host = socket.gethostname()
    for entry in history:
        running = entry.get("status") == "running" and entry.get("host") == host
        if running and not _alive(int(entry.get("pid", 0))):
            entry["status"] = "killed (the driver died before finishing)"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def signature_entry(
    values: Sequence[float], *, code: str, optimum: float | None, fidelity: Any, space: Any
) -> dict[str, Any]:
    """What the manifest keeps of an objective: its signature values and the
    hash of the code and space they were computed with."""
    return {
        "signature": list(values),
        "code": code,
        "optimum": optimum,
        "fidelity": fidelity,
        "space": space,
        "computed": now(),
    }


def cached_signature(manifest: Mapping[str, Any], label: str, code: str) -> list[float] | None:
    """The signature recorded for ``label`` if it was computed with ``code``."""
    entry = manifest.get("signatures", {}).get(label)
    if isinstance(entry, dict) and entry.get("code") == code and entry.get("signature"):
        return [float("nan") if v is None else float(v) for v in entry["signature"]]
    return None


def plugins_of(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """Every plugin file any recorded ``run`` used, in first-use order."""
    found = list(manifest.get("plugins", []))
    for entry in manifest.get("history", []):
        found += entry.get("plugins", [])
    return tuple(dict.fromkeys(str(p) for p in found))
