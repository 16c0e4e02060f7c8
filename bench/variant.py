"""Variant names: ``name[key=value,...]`` (benchopt's convention).

A variant is a strategy or objective with options; its canonical string (keys
sorted, values normalised) names it in suite files, on the command line, in
results paths and in figures, so two settings of one searcher compare side by
side like two searchers.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

MAX_VALUE_LENGTH = 100
"""The longest option value, in characters as written."""

MAX_NAME_LENGTH = 200
"""The longest canonical variant name, in bytes once percent-encoded: it names
a results folder, and a path component holds at most 255 bytes."""

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BARE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_VARIANT = re.compile(r"^\s*([^\[\]\s]+)\s*(?:\[(.*)\])?\s*$")


class VariantError(ValueError):
    """A malformed ``name[key=value]`` string."""


def is_kebab(name: str) -> bool:
    return bool(_NAME.match(name))


@dataclass(frozen=True)
class Variant:
    """A registry name and its options."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        inner = ",".join(f"{k}={format_value(v)}" for k, v in sorted(self.options.items()))
        return f"{self.name}[{inner}]"

    def __hash__(self) -> int:
        return hash(str(self))


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and _BARE.match(value) and value not in ("true", "false"):
        return value
    return json.dumps(value)


def parse_value(text: str) -> Any:
    """A TOML literal (1, 0.25, true, "x"), or the bare word itself."""
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        if _BARE.match(text):
            return text
        raise VariantError(f"cannot read option value {text!r}") from None


def parse_variant(text: str) -> Variant:
    """``"random[scale=linear]"`` -> ``Variant("random", {"scale": "linear"})``.

    Raises ``VariantError`` for a malformed string, an option value longer than
    ``MAX_VALUE_LENGTH`` characters, or a canonical name longer than
    ``MAX_NAME_LENGTH`` bytes once percent-encoded."""
    match = _VARIANT.match(text)
    shown = _shorten(text)
    if not match:
        raise VariantError(f"{shown} is not of the form name or name[key=value,...]")
    name, inner = match.group(1), match.group(2)
    options: dict[str, Any] = {}
    if inner is not None and inner.strip():
        for part in _split_options(inner):
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep or not key.isidentifier():
                raise VariantError(f"{shown}: option {_shorten(part.strip())} is not key=value")
            if key in options:
                raise VariantError(f"{shown}: option {key!r} given twice")
            if len(value.strip()) > MAX_VALUE_LENGTH:
                raise VariantError(
                    f"{shown}: option {key!r}: the value is {len(value.strip())} characters "
                    f"long; at most {MAX_VALUE_LENGTH} are allowed"
                )
            options[key] = parse_value(value)
    variant = Variant(name, options)
    encoded = len(quote(str(variant), safe=""))
    if encoded > MAX_NAME_LENGTH:
        raise VariantError(
            f"{shown}: the name is too long to name a results folder ({encoded} bytes "
            f"percent-encoded; at most {MAX_NAME_LENGTH}): shorten its option values"
        )
    return variant


def _shorten(text: str, limit: int = 60) -> str:
    """``repr(text)``, cut to ``limit`` characters with its length when longer."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def _split_options(inner: str) -> list[str]:
    """Split on commas outside quotes and brackets."""
    parts, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(inner):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return parts


def split_list(text: str) -> list[str]:
    """Comma-separated variant names (commas inside brackets belong to options)."""
    return [part.strip() for part in _split_options(text) if part.strip()]
