"""One fixed colour per strategy name, the same in every figure and every report."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import seaborn as sns

RGB = tuple[float, float, float]

_TAB20 = sns.color_palette("tab20", 20)
_OTHERS = sns.color_palette("tab20b", 20)

#: Built-in strategies: one hue per family, dark for the first member, light for
#: its sibling (tpe / tpe-hyperopt, gp / gp-skopt, hyperband / bohb, ...).
BUILTIN: dict[str, RGB] = {
    "random": _TAB20[14],
    "grid": _TAB20[10],
    "coarse-to-fine": _TAB20[16],
    "qmc": _TAB20[17],
    "genetic": _TAB20[12],
    "nsga2": _TAB20[13],
    "tpe": _TAB20[0],
    "tpe-hyperopt": _TAB20[1],
    "gp": _TAB20[2],
    "gp-skopt": _TAB20[3],
    "cmaes": _TAB20[6],
    "rf-skopt": _TAB20[18],
    "hyperband": _TAB20[4],
    "bohb": _TAB20[5],
    "bohb-tpe": _TAB20[9],
    "grid[placement=bounds]": _TAB20[11],
}


def palette(strategies: Iterable[str]) -> dict[str, RGB]:
    """Colours for ``strategies``: built-ins keep their fixed colour; any other
    name (a plugin, a variant such as ``random[scale=linear]``) takes the tab20b
    colour its name hashes to, moving on to the next free one if another name of
    this report already holds it."""
    names = sorted(set(strategies))
    colours = {name: BUILTIN[name] for name in names if name in BUILTIN}
    taken: set[int] = set()
    for name in names:
        if name in colours:
            continue
        index = zlib.crc32(name.encode()) % len(_OTHERS)
        while index in taken and len(taken) < len(_OTHERS):
            index = (index + 1) % len(_OTHERS)
        taken.add(index)
        colours[name] = _OTHERS[index]
    return colours
