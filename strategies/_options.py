"""Checks of strategy options for constructors, where a wrapped library would
accept a nonsensical value silently (or fail only later, at ``ask``).

Each check returns the value and raises ``ValueError`` naming the strategy, the
option, the value given and what is expected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: The largest count option (candidates, start-up trials, population) accepted:
#: larger values would make one ``ask`` run for hours without a word.
MAX_COUNT = 100_000


def integer(owner: str, name: str, value: object, minimum: int, maximum: int = MAX_COUNT) -> int:
    """``value`` if it is an integer in [``minimum``, ``maximum``] (``True`` is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    if value > maximum:
        raise ValueError(f"{owner}: {name} must be at most {maximum:,}, got {value!r}")
    return value


def number(
    owner: str,
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    *,
    closed: tuple[bool, bool] = (False, False),
) -> float:
    """``value`` as a float if it is a finite number between ``low`` and ``high``
    (each end included where ``closed`` says so)."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if ok:
        above = value >= low if closed[0] else value > low
        below = value <= high if closed[1] else value < high
        ok = above and below
    if not ok:
        raise ValueError(
            f"{owner}: {name} must be a number {_interval(low, high, closed)}, got {value!r}"
        )
    return float(value)  # type: ignore[arg-type]


def flag(owner: str, name: str, value: object) -> bool:
    """``value`` if it is a boolean."""
    if not isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be true or false, got {value!r}")
    return value


def choice(owner: str, name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(
            f"{owner}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
    return value  # type: ignore[return-value]


def _interval(low: float, high: float, closed: tuple[bool, bool]) -> str:
    if high == math.inf:
        return f"{'>=' if closed[0] else '>'} {low:g}"
    return f"in {'[' if closed[0] else '('}{low:g}, {high:g}{']' if closed[1] else ')'}"
