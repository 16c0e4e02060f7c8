"""What ``python -m bench list`` shows of a registered class beyond its name."""

from __future__ import annotations

import inspect

#: Constructor parameters every strategy or objective has: not options.
_STANDARD = frozenset({"self", "space", "seed", "budget", "fidelity"})


def options_of(cls: type) -> list[str]:
    """The options of a registered class as ``name: type = default``, from its
    constructor's keyword arguments (the ones a variant ``name[key=value]`` sets)."""
    shown = []
    for param in inspect.signature(cls.__init__).parameters.values():
        if param.name in _STANDARD or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        text = param.name
        if param.annotation is not param.empty:
            annotation = param.annotation
            text += f": {annotation if isinstance(annotation, str) else annotation.__name__}"
        if param.default is not param.empty:
            text += f" = {param.default!r}"
        shown.append(text)
    return shown
