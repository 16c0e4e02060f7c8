"""What identifies a run: its spec and the hash that decides whether a stored
run can be reused."""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines a run's numbers.

    ``strategy`` and ``objective`` are canonical variant names; ``space`` is the
    objective's space description (it differs from the default when a suite
    restricts it); the source hashes cover the modules defining the strategy
    and the objective, so editing either invalidates stored runs. ``timeout``
    is the per-trial time limit in seconds (None: no limit).
    """

    suite: str
    strategy: str
    objective: str
    seed: int
    budget: float
    space: dict[str, Any]
    strategy_source: str
    objective_source: str
    timeout: float | None = None

    @property
    def key(self) -> str:
        return f"{self.objective} / {self.strategy} / seed={self.seed}"

    @property
    def hash(self) -> str:
        """A content hash of the spec (the suite name excluded: it only names the
        folder; no time limit hashes as before time limits existed)."""
        fields = asdict(self)
        del fields["suite"]
        if fields["timeout"] is None:
            del fields["timeout"]
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        return cls(**data)


def source_hash(target: type) -> str:
    """SHA-256 of the source file defining ``target`` ("" if it has none)."""
    try:
        path = inspect.getsourcefile(target)
    except TypeError:
        return ""
    return _file_hash(path) if path else ""


@lru_cache(maxsize=256)
def _file_hash(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()
