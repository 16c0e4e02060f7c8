"""Search spaces: typed dimensions, their scales and the unit cube.

Every dimension maps its values monotonically onto [0, 1] in the coordinates
of its scale (``to_unit``/``from_unit``). Searchers that work on a cube (GP,
CMA-ES, genetic search) use those coordinates; sampling uniformly in them is
sampling uniformly on the dimension's scale.

Scales:

- ``linear``: uniform in the value.
- ``log``: uniform in log10(value), for learning rates and weight decay.
- ``log1m``: uniform in log10(1 - value), for momentum-like values such as
  beta in [0.9, 0.999], whose interesting region crowds against 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Scale = Literal["linear", "log", "log1m"]
Value = float | int | str
Config = dict[str, Value]

SCALES: tuple[str, ...] = ("linear", "log", "log1m")

#: Where a grid puts its n points on a dimension, in unit coordinates:
#: ``bounds`` i/(n-1), both ends included (numpy's linspace); ``centres``
#: (i + 0.5)/n, the midpoints of n equal cells.
PLACEMENTS: tuple[str, ...] = ("bounds", "centres")


class SpaceError(ValueError):
    """A space or a configuration that breaks the space's rules."""


def _check_scale(kind: str, scale: str, allowed: Sequence[str]) -> None:
    if scale not in allowed:
        raise SpaceError(f"{kind}: scale must be one of {', '.join(allowed)}, got {scale!r}")


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (np.int64 -> int, np.str_ -> str,
    np.bool_ -> bool, ...); anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _refusal(dim: Dimension, value: object, verb: str) -> SpaceError:
    return SpaceError(
        f"{value!r} {verb} {dim!r} (got {type(value).__name__}, expected {dim.expected})"
    )


def _shifted_window(center: float, width: float) -> tuple[float, float]:
    """The window of ``width`` around ``center``, shifted (not clipped) into [0, 1]."""
    lo = min(max(center - width / 2.0, 0.0), 1.0 - width)
    return lo, lo + width


@dataclass(frozen=True)
class Float:
    """A real interval [low, high] on a ``linear``, ``log`` or ``log1m`` scale."""

    low: float
    high: float
    scale: Scale = "linear"

    def __post_init__(self) -> None:
        _check_scale("Float", self.scale, SCALES)
        for bound in ("low", "high"):
            value = getattr(self, bound)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SpaceError(f"Float: {bound} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise SpaceError(f"Float: {bound} must be finite, got {value!r}")
            object.__setattr__(self, bound, float(value))
        if not self.low < self.high:
            raise SpaceError(f"Float: low ({self.low:g}) must be < high ({self.high:g})")
        if self.scale == "log" and self.low <= 0:
            raise SpaceError(f"Float: a log scale needs low > 0, got low={self.low:g}")
        if self.scale == "log1m" and self.high >= 1:
            raise SpaceError(
                f"Float: a log1m scale samples 1-x on a log scale and needs high < 1, "
                f"got high={self.high:g}"
            )
        transform = _TRANSFORMS[self.scale]
        object.__setattr__(self, "_t_low", transform(self.low))
        object.__setattr__(self, "_t_span", transform(self.high) - transform(self.low))

    def to_unit(self, value: Value) -> float:
        u = (_TRANSFORMS[self.scale](float(value)) - self._t_low) / self._t_span  # type: ignore[attr-defined]
        return min(max(u, 0.0), 1.0)

    def from_unit(self, u: float) -> float:
        u = float(u)
        if u <= 0.0:
            return self.low
        if u >= 1.0:
            return self.high
        t = self._t_low + u * self._t_span  # type: ignore[attr-defined]
        return min(max(_INVERSES[self.scale](t), self.low), self.high)

    def contains(self, value: object) -> bool:
        return (
            isinstance(value, (float, int))
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )

    @property
    def expected(self) -> str:
        return f"a real number in [{self.low!r}, {self.high!r}]"

    def normalise(self, value: object) -> float:
        """``value`` as a Python float if it is a real number (numpy's included,
        bools not) inside the bounds; ``SpaceError`` otherwise."""
        if type(value) is float and self.low <= value <= self.high:
            return value
        plain = _plain(value)
        if not isinstance(plain, (int, float)) or isinstance(plain, bool):
            raise _refusal(self, value, "is not valid for")
        try:
            number = float(plain)
        except OverflowError:
            raise _refusal(self, value, "is outside") from None
        if not self.low <= number <= self.high:
            raise _refusal(self, value, "is outside")
        return number

    def grid(self, points: int, placement: str = "bounds") -> list[float]:
        return [self.from_unit(u) for u in _unit_grid(points, placement)]

    def shrink(self, center: Value, factor: float) -> Float:
        lo, hi = _shifted_window(self.to_unit(center), factor)
        low, high = self.from_unit(lo), self.from_unit(hi)
        if not low < high:
            low = max(self.low, math.nextafter(min(low, float(center)), -math.inf))
            high = min(self.high, math.nextafter(max(high, float(center)), math.inf))
        return Float(low, high, self.scale)


@dataclass(frozen=True)
class Int:
    """The integers low..high (both included) on a ``linear`` or ``log`` scale.

    In unit coordinates each integer owns an equal share of the scale: the
    interval [low - 0.5, high + 0.5] is mapped onto [0, 1] and rounded back.
    """

    low: int
    high: int
    scale: Scale = "linear"

    def __post_init__(self) -> None:
        _check_scale("Int", self.scale, ("linear", "log"))
        for bound in ("low", "high"):
            value = getattr(self, bound)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise SpaceError(f"Int: {bound} must be an integer, got {value!r}")
            object.__setattr__(self, bound, int(value))
        if not self.low < self.high:
            raise SpaceError(f"Int: low ({self.low}) must be < high ({self.high})")
        if self.scale == "log" and self.low < 1:
            raise SpaceError(f"Int: a log scale needs low >= 1, got low={self.low}")
        transform = _TRANSFORMS[self.scale]
        t_low = transform(self.low - 0.5)
        object.__setattr__(self, "_t_low", t_low)
        object.__setattr__(self, "_t_span", transform(self.high + 0.5) - t_low)

    @property
    def size(self) -> int:
        return self.high - self.low + 1

    def to_unit(self, value: Value) -> float:
        u = (_TRANSFORMS[self.scale](float(value)) - self._t_low) / self._t_span  # type: ignore[attr-defined]
        return min(max(u, 0.0), 1.0)

    def from_unit(self, u: float) -> int:
        t = self._t_low + float(u) * self._t_span  # type: ignore[attr-defined]
        return min(max(round(_INVERSES[self.scale](t)), self.low), self.high)

    def contains(self, value: object) -> bool:
        return (
            isinstance(value, (int, np.integer))
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )

    @property
    def expected(self) -> str:
        return f"an integer in [{self.low}, {self.high}]"

    def normalise(self, value: object) -> int:
        """``value`` as a Python int if it is an integer (numpy's included, bools
        and integral floats not) inside the bounds; ``SpaceError`` otherwise."""
        if type(value) is int and self.low <= value <= self.high:
            return value
        plain = _plain(value)
        if not isinstance(plain, int) or isinstance(plain, bool):
            raise _refusal(self, value, "is not valid for")
        if not self.low <= plain <= self.high:
            raise _refusal(self, value, "is outside")
        return int(plain)

    def grid(self, points: int, placement: str = "bounds") -> list[int]:
        unit = _unit_grid(points, placement)
        if points >= self.size:
            return list(range(self.low, self.high + 1))
        return list(dict.fromkeys(self.from_unit(u) for u in unit))

    def shrink(self, center: Value, factor: float) -> Int:
        lo, hi = _shifted_window(self.to_unit(center), factor)
        low, high = self.from_unit(lo), self.from_unit(hi)
        if low == high:
            low, high = (low, low + 1) if low < self.high else (low - 1, low)
        return Int(low, high, self.scale)


@dataclass(frozen=True)
class Categorical:
    """An unordered choice among ``choices`` (str, int, float or bool values)."""

    choices: tuple[Value, ...]

    def __post_init__(self) -> None:
        choices = tuple(self.choices)
        if len(choices) == 0:
            raise SpaceError("Categorical: needs at least one choice")
        for choice in choices:
            if not isinstance(choice, (str, int, float, bool)):
                raise SpaceError(
                    f"Categorical: choices must be str, int, float or bool, got {choice!r}"
                )
        if len(set(choices)) != len(choices):
            raise SpaceError(f"Categorical: choices must be unique, got {list(choices)!r}")
        object.__setattr__(self, "choices", choices)

    @property
    def size(self) -> int:
        return len(self.choices)

    def to_unit(self, value: Value) -> float:
        return (self.choices.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Value:
        return self.choices[min(int(float(u) * len(self.choices)), len(self.choices) - 1)]

    def contains(self, value: object) -> bool:
        return any(value == c and type(value) is type(c) for c in self.choices)

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)

    def normalise(self, value: object) -> Value:
        """The choice ``value`` is (numpy scalars matched as the Python values they
        hold, types compared exactly: 1 is not 1.0 nor True); ``SpaceError`` otherwise."""
        plain = _plain(value)
        for choice in self.choices:
            if type(plain) is type(choice) and plain == choice:
                return choice
        raise _refusal(self, value, "is outside")

    def grid(self, points: int, placement: str = "bounds") -> list[Value]:
        _unit_grid(points, placement)
        return list(self.choices)

    def shrink(self, center: Value, factor: float) -> Categorical:
        return Categorical((center,))


Dimension = Float | Int | Categorical


def _unit_grid(points: int, placement: str = "bounds") -> list[float]:
    """``points`` coordinates in [0, 1] placed as ``placement`` says (see
    ``PLACEMENTS``); one point is the centre either way."""
    if placement not in PLACEMENTS:
        raise SpaceError(
            f"grid: placement must be one of {', '.join(map(repr, PLACEMENTS))}, got {placement!r}"
        )
    if points < 1:
        raise SpaceError(f"grid: points per dimension must be >= 1, got {points}")
    if placement == "centres":
        return [(i + 0.5) / points for i in range(points)]
    if points == 1:
        return [0.5]
    return [i / (points - 1) for i in range(points)]


def _log1m(x: float) -> float:
    return math.log10(1.0 - x)


def _inv_log1m(t: float) -> float:
    return 1.0 - 10.0**t


def _identity(x: float) -> float:
    return x


def _pow10(t: float) -> float:
    return 10.0**t


_TRANSFORMS = {"linear": _identity, "log": math.log10, "log1m": _log1m}
_INVERSES = {"linear": _identity, "log": _pow10, "log1m": _inv_log1m}


class Space(Mapping[str, Dimension]):
    """An ordered, validated mapping of parameter names to dimensions.

    >>> space = Space({"lr": Float(1e-4, 1.0, "log"), "layers": Int(1, 3)})
    >>> config = space.sample(np.random.default_rng(0))
    """

    def __init__(self, dimensions: Mapping[str, Dimension] | Iterable[tuple[str, Dimension]]):
        items = list(dimensions.items() if isinstance(dimensions, Mapping) else dimensions)
        if not items:
            raise SpaceError("Space: needs at least one dimension")
        names = [name for name, _ in items]
        for name in names:
            if not isinstance(name, str) or not name.isidentifier():
                raise SpaceError(f"Space: parameter names must be identifiers, got {name!r}")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SpaceError(f"Space: duplicate parameter names {duplicates}")
        for name, dim in items:
            if not isinstance(dim, (Float, Int, Categorical)):
                raise SpaceError(f"Space: {name!r} must be Float, Int or Categorical, got {dim!r}")
        self._dims: dict[str, Dimension] = dict(items)
        self._names = tuple(names)

    def __getitem__(self, name: str) -> Dimension:
        return self._dims[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and list(self.items()) == list(other.items())

    def __hash__(self) -> int:
        return hash(tuple(self.items()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name!r}: {dim!r}" for name, dim in self.items())
        return f"Space({{{inner}}})"

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def sample(self, rng: np.random.Generator) -> Config:
        """One configuration drawn uniformly on every dimension's scale."""
        return self.from_unit(rng.random(len(self._names)))

    def to_unit(self, config: Mapping[str, Value]) -> np.ndarray:
        """The configuration as a point of [0, 1]^d, in the space's order."""
        return np.array([dim.to_unit(config[name]) for name, dim in self._dims.items()])

    def from_unit(self, u: Sequence[float] | np.ndarray) -> Config:
        """The configuration at ``u`` in [0, 1]^d (values outside are clipped)."""
        if len(u) != len(self._names):
            raise SpaceError(f"from_unit: expected {len(self._names)} coordinates, got {len(u)}")
        return {name: dim.from_unit(x) for (name, dim), x in zip(self._dims.items(), u)}

    def grid(
        self, points_per_dim: int | Mapping[str, int], *, placement: str = "bounds"
    ) -> list[Config]:
        """The full grid, first dimension varying slowest.

        Numeric dimensions get ``points_per_dim`` points evenly spaced on their
        scale: with ``placement="bounds"`` ends included (one point is the
        centre), with ``"centres"`` the midpoints of as many equal cells (see
        ``PLACEMENTS``); integers are deduplicated; categorical dimensions
        always contribute all their choices.
        """
        if isinstance(points_per_dim, Mapping):
            unknown = set(points_per_dim) - set(self._names)
            if unknown:
                raise SpaceError(f"grid: unknown parameters {sorted(unknown)}")
            counts = {name: int(points_per_dim.get(name, 1)) for name in self._names}
        else:
            counts = dict.fromkeys(self._names, int(points_per_dim))
        axes = [dim.grid(counts[name], placement) for name, dim in self._dims.items()]
        return [dict(zip(self._names, values)) for values in itertools.product(*axes)]

    def grid_size(self, points_per_dim: Mapping[str, int], *, placement: str = "bounds") -> int:
        """The number of configurations ``grid(points_per_dim, placement=...)``
        would return."""
        unknown = set(points_per_dim) - set(self._names)
        if unknown:
            raise SpaceError(f"grid: unknown parameters {sorted(unknown)}")
        return math.prod(
            len(dim.grid(points_per_dim.get(name, 1), placement)) for name, dim in self.items()
        )

    def shrink(self, center: Mapping[str, Value], factor: float) -> Space:
        """The sub-space around ``center`` whose numeric sides are ``factor`` of the
        current ones in unit coordinates (shifted inwards at the borders);
        categorical dimensions keep only the centre's choice."""
        if not 0.0 < factor <= 1.0:
            raise SpaceError(f"shrink: factor must be in (0, 1], got {factor}")
        self.validate(center)
        return Space({name: dim.shrink(center[name], factor) for name, dim in self._dims.items()})

    def coerce(self, values: Mapping[str, object]) -> Config:
        """A library's proposal as a configuration of this space: floats clipped
        into bounds, integers rounded and clipped, categorical values matched to
        the choice they equal (numpy scalars become Python values)."""
        config: Config = {}
        for name, dim in self._dims.items():
            value = values[name]
            if isinstance(dim, Float):
                config[name] = min(max(float(value), dim.low), dim.high)  # type: ignore[arg-type]
            elif isinstance(dim, Int):
                config[name] = min(max(round(float(value)), dim.low), dim.high)  # type: ignore[arg-type]
            else:
                matches = [c for c in dim.choices if c == value]
                if not matches:
                    raise SpaceError(f"parameter {name!r}: {value!r} is not one of {dim.choices}")
                config[name] = matches[0]
        return config

    def contains(self, config: Mapping[str, object]) -> bool:
        """Whether ``config`` has exactly this space's keys, with values inside it."""
        return config.keys() == self._dims.keys() and all(
            dim.contains(config[name]) for name, dim in self._dims.items()
        )

    def validate(self, config: Mapping[str, object]) -> None:
        """Raise ``SpaceError`` saying what is wrong with ``config``, if anything."""
        self._check_keys(config)
        for name, dim in self._dims.items():
            if not dim.contains(config[name]):
                raise SpaceError(f"parameter {name!r}={config[name]!r} is outside {dim!r}")

    def normalise(self, config: object) -> Config:
        """A new plain configuration equal to ``config``, in ``config``'s key order:
        numpy scalars become the Python values they hold and a Float's integers
        become floats; nothing is clipped, rounded or converted across kinds.
        Raise ``SpaceError`` naming the parameter, its value, its type and what
        was expected if ``config`` is not a configuration of this space."""
        if type(config) is not dict and not isinstance(config, Mapping):
            raise SpaceError(
                "a configuration must be a mapping of parameter names to values, "
                f"got {config!r} of type {type(config).__name__}"
            )
        dims = self._dims
        if config.keys() != dims.keys():
            self._check_keys(config)
        normalised: Config = {}
        for name, value in config.items():
            try:
                normalised[name] = dims[name].normalise(value)
            except SpaceError as exc:
                raise SpaceError(f"parameter {name!r}={exc}") from None
        return normalised

    def _check_keys(self, config: Mapping[str, object]) -> None:
        missing = [n for n in self._names if n not in config]
        extra = [n for n in config if n not in self._dims]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra:
                parts.append(f"unexpected {extra}")
            raise SpaceError(f"configuration keys do not match the space: {'; '.join(parts)}")

    def describe(self) -> dict[str, dict[str, object]]:
        """A JSON-ready description (used in spec hashes and manifests)."""
        out: dict[str, dict[str, object]] = {}
        for name, dim in self._dims.items():
            if isinstance(dim, Categorical):
                out[name] = {"type": "categorical", "choices": list(dim.choices)}
            else:
                kind = "float" if isinstance(dim, Float) else "int"
                out[name] = {"type": kind, "low": dim.low, "high": dim.high, "scale": dim.scale}
        return out


def space_from_description(description: Mapping[str, Mapping[str, object]]) -> Space:
    """The inverse of ``Space.describe``."""
    dims: dict[str, Dimension] = {}
    for name, spec in description.items():
        kind = spec["type"]
        if kind == "categorical":
            dims[name] = Categorical(tuple(spec["choices"]))  # type: ignore[arg-type]
        elif kind in ("float", "int"):
            cls = Float if kind == "float" else Int
            dims[name] = cls(spec["low"], spec["high"], spec["scale"])  # type: ignore[arg-type]
        else:
            raise SpaceError(f"parameter {name!r}: unknown type {kind!r}")
    return Space(dims)
