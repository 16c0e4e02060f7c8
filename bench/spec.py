"""What identifies a run: its spec, and the hash that decides whether a stored
run is what the current code would produce."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from bench.fingerprint import differences

#: Significant digits of an objective's signature values that enter the hash: a
#: drift beyond them makes the objective's stored runs stale.
SIGNATURE_DIGITS = 10


class SpecError(ValueError):
    """Stored metadata that does not describe a run spec of this version."""


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines a run's numbers.

    ``strategy`` and ``objective`` are canonical variant names; ``space`` is the
    objective's space description (it differs from the objective's own when a
    suite restricts it); ``timeout`` the per-trial limit in seconds (None: none);
    ``code`` the fingerprint of every module and library on the run's path
    (``bench.fingerprint``); ``optimum`` the objective's known minimum (None:
    unknown); ``signature`` its values at five fixed configurations, rounded to
    ``SIGNATURE_DIGITS`` (None where not computed yet: such a spec is never
    stored); ``workers`` the simulated workers and ``overhead`` whether the
    strategy's ask and tell times count on their clock (``bench.loop.run``).
    Every field but ``suite`` (the results folder's name) enters the hash.
    """

    suite: str
    strategy: str
    objective: str
    seed: int
    budget: float
    space: dict[str, Any]
    code: dict[str, Any]
    optimum: float | None = None
    signature: tuple[float | None, ...] | None = None
    timeout: float | None = None
    workers: int = 1
    overhead: str = "ignored"

    @property
    def key(self) -> str:
        return f"{self.objective} / {run_label(self.strategy, self.workers)} / seed={self.seed}"

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of every field but ``suite``."""
        data = self.to_json()
        del data["suite"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def with_signature(self, values: Sequence[float]) -> RunSpec:
        """This spec with the objective's signature values (rounded) filled in."""
        return replace(self, signature=rounded_signature(values))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if data["signature"] is not None:
            data["signature"] = list(data["signature"])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        """The spec stored in a run file; ``SpecError`` if it has other fields
        (a file written by another version of tunebench)."""
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or set(data) - names or "code" not in data:
            keys = sorted(data) if isinstance(data, dict) else data
            raise SpecError(f"not a spec of this tunebench version (fields {keys})")
        data = dict(data)
        if data.get("signature") is not None:
            data["signature"] = tuple(data["signature"])
        return cls(**data)


def run_label(strategy: str, workers: int) -> str:
    """How reports and messages name a strategy run with ``workers`` workers:
    its name alone for one worker, else "name ×W"."""
    return strategy if workers == 1 else f"{strategy} ×{workers}"


def rounded_signature(values: Sequence[float]) -> tuple[float | None, ...]:
    """Signature values to ``SIGNATURE_DIGITS`` significant digits (NaN: None)."""
    return tuple(
        None if not math.isfinite(v) else float(f"{v:.{SIGNATURE_DIGITS}g}") for v in values
    )


def spec_changes(old: dict[str, Any], new: RunSpec) -> list[str]:
    """Why a stored spec (JSON form) differs from ``new``, in words."""
    current = new.to_json()
    changes = []
    for name in ("budget", "timeout", "space", "optimum", "workers", "overhead"):
        if old.get(name) != current[name]:
            changes.append(f"{name} {_short(old.get(name))} -> {_short(current[name])}")
    if old.get("signature") != current["signature"]:
        changes.append(f"objective {new.objective!r} gives other values (its signature changed)")
    if old.get("code") != current["code"]:
        changes += differences(old.get("code") or {}, current["code"]) or ["code changed"]
    return changes


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."
