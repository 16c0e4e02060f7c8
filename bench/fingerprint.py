"""The code a trace depends on: every in-repo module on its path, by content,
and every library under it, by version.

A run's numbers are a function of its spec and of this fingerprint. It is
found statically (``ast``): starting from the files that define the strategy
and the objective, and from the harness's trial path (``bench.loop`` and what
it imports), every ``import`` anywhere in a module (inside functions too) is
followed. A module of tunebench's own packages, or any module outside the
standard library and site-packages (a plugin's helper beside it), is hashed by
content; a module in site-packages is recorded as its distribution's version,
together with the versions of everything that distribution requires (optuna
brings numpy and scipy). Modules a class declares in ``requires`` (``torch``
for optuna's GP) are added as libraries too.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import inspect
import json
import re
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

#: The harness modules on the trial path (the loop and everything it imports).
HARNESS = ("bench.loop",)
#: Top-level packages of this project, hashed by content wherever installed.
OWN = frozenset({"bench", "strategies", "objectives"})
#: Libraries a wrapped library imports lazily without requiring them (optuna's
#: samplers import scipy, cmaes, torch and greenlet only when used).
LAZY = {"optuna": ("scipy", "cmaes", "torch", "greenlet")}
#: Each loaded file's hash when this process first saw it loaded, by resolved path.
_AS_IMPORTED: dict[str, str] = {}
#: Each data file's hash when this process first fingerprinted it, by resolved path.
_DATA_AS_READ: dict[str, str] = {}
#: The file each fingerprint key (module name, ``plugin:KIND:NAME``) was last hashed from.
_FILES: dict[str, str] = {}


@dataclass(frozen=True)
class Fingerprint:
    """``modules``: module name (``plugin:strategy:NAME`` or ``plugin:objective:NAME``
    for the file defining plugin ``NAME``, whatever the file is called or wherever
    it lies) -> SHA-256 of its source;
    ``libraries``: distribution name -> version; ``python``: the interpreter."""

    modules: dict[str, str]
    libraries: dict[str, str]
    python: str

    def to_json(self) -> dict[str, Any]:
        return {"modules": self.modules, "libraries": self.libraries, "python": self.python}


def fingerprint(*targets: type, requires: Iterable[str] = ()) -> Fingerprint:
    """The fingerprint of the code ``targets`` (classes) run with, the harness included,
    and of the data files a target declares in ``data_files`` (a table it answers
    from), by content, as ``data:<file name>``."""
    files: dict[str, str] = {}
    imported: set[str] = set()
    roots = [_class_file(t) for t in targets] + [_module_file(m) for m in HARNESS]
    for name, path in (root for root in roots if root is not None):
        _walk(name, path, files, imported)
    for target in targets:
        for data in getattr(target, "data_files", ()):
            files[f"data:{Path(data).name}"] = _data_hash(data)
    top_levels = set(imported) | {r.split(".")[0] for r in requires}
    for target in targets:
        top_levels |= {r.split(".")[0] for r in getattr(target, "requires", ())}
    top_levels |= {lazy for top in list(top_levels) for lazy in LAZY.get(top, ())}
    return Fingerprint(
        modules=dict(sorted(files.items())),
        libraries=library_versions(frozenset(top_levels)),
        python=f"{sys.implementation.name} {sys.version.split()[0]}",
    )


def _walk(name: str, path: str, files: dict[str, str], imported: set[str]) -> None:
    """Add ``path`` (module ``name``) and every project module it imports to
    ``files``; collect the top-level names of library imports in ``imported``."""
    stack = [(name, path)]
    while stack:
        name, path = stack.pop()
        if name in files:
            continue
        files[name] = _hash_as_loaded(name, path)
        dots = 0 if name.startswith("plugin:") else name.count(".")
        parents = [name.rsplit(".", n)[0] for n in range(1, dots + 1)]
        for target in [*parents, *imports_of(path, name)]:
            located = _locate(target)
            if located is None:
                continue
            kind, found = located
            if kind == "project":
                stack.append((target, found))
            elif kind == "library":
                imported.add(target.split(".")[0])


@lru_cache(maxsize=1024)
def _locate(module: str) -> tuple[str, str] | None:
    """("project", file) for a module to hash, ("library", "") for one in
    site-packages, None for the standard library or one not found."""
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None:
        return None
    origin = spec.origin if spec.origin not in (None, "built-in", "frozen") else None
    if top in OWN:
        return ("project", origin) if origin and origin.endswith(".py") else None
    if origin is None or _in_site_packages(origin):
        return "library", ""
    return ("project", origin) if origin.endswith(".py") else ("library", "")


def _in_site_packages(path: str) -> bool:
    resolved = str(Path(path).resolve())
    return "site-packages" in resolved or any(
        resolved.startswith(str(Path(p).resolve()))
        for p in {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    )


@lru_cache(maxsize=1024)
def imports_of(path: str, module: str) -> tuple[str, ...]:
    """Every module ``path`` (module ``module``) imports, absolute, in order."""
    tree = ast.parse(Path(path).read_bytes(), filename=path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            found.append(node.args[0].value)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is None:
                continue
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
    return tuple(dict.fromkeys(found))


def _dynamic_import(call: ast.Call) -> bool:
    """``importlib.import_module("x")``, ``import_module("x")`` or ``__import__("x")``
    with a constant absolute name."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return (
        name in ("import_module", "__import__")
        and bool(call.args)
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
        and not call.args[0].value.startswith(".")
    )


def _absolute(module: str | None, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module and base else (module or base or None)


def _class_file(target: type) -> tuple[str, str] | None:
    try:
        path = inspect.getsourcefile(target)
    except TypeError:
        return None
    if path is None:
        return None
    module = target.__module__
    if module.split(".")[0] in OWN:
        return module, path
    kind = "objective" if any(c.__name__ == "Objective" for c in target.__mro__) else "strategy"
    return f"plugin:{kind}:{getattr(target, 'name', target.__qualname__)}", path


def _module_file(module: str) -> tuple[str, str] | None:
    located = _locate(module)
    return (module, located[1]) if located and located[0] == "project" else None


def _hash_as_loaded(name: str, path: str) -> str:
    """The hash of the code this process runs for key ``name`` (file ``path``):
    for a file it has loaded, the file as it was when first seen loaded; else
    the file as it is now."""
    resolved = str(Path(path).resolve())
    _FILES[name] = resolved
    if resolved in _AS_IMPORTED:
        return _AS_IMPORTED[resolved]
    digest = file_hash(path)
    if resolved in _loaded_files():
        _AS_IMPORTED[resolved] = digest
    return digest


def _data_hash(path: str | Path) -> str:
    """The hash of a data file as this process first saw it ("absent" if it is
    missing): objectives keep what they read (a table, read once per process),
    so a file replaced later must not pass for what this process computes with."""
    resolved = str(Path(path).resolve())
    if resolved not in _DATA_AS_READ:
        if not Path(resolved).is_file():
            return "absent"
        _DATA_AS_READ[resolved] = file_hash(resolved)
    return _DATA_AS_READ[resolved]


def _loaded_files() -> set[str]:
    found = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            found.add(str(Path(path).resolve()))
    return found


def edited_since_import(modules: Iterable[str]) -> list[str]:
    """Files of ``modules`` (fingerprint keys) that changed on disk since this
    process loaded them: it would run their old code."""
    edited = set()
    for name in modules:
        path = _FILES.get(name, "")
        if path in _AS_IMPORTED and file_hash(path) != _AS_IMPORTED[path]:
            edited.add(path)
    return sorted(edited)


def file_hash(path: str) -> str:
    """SHA-256 of a file's bytes (read anew each time: edits count at once)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@lru_cache(maxsize=256)
def library_versions(top_levels: frozenset[str]) -> dict[str, str]:
    """Versions of the distributions providing ``top_levels`` and of everything
    they require (extras aside), by normalised distribution name."""
    providers = _providers()
    pending = [d for top in top_levels for d in providers.get(top, ())]
    versions: dict[str, str] = {}
    while pending:
        name = _normalise(pending.pop())
        if name in versions:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        versions[name] = dist.version
        pending += _requirements(dist)
    return dict(sorted(versions.items()))


def _requirements(dist: importlib.metadata.Distribution) -> list[str]:
    names = []
    for text in dist.requires or ():
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.append(requirement.name)
    return names


@lru_cache(maxsize=1)
def _providers() -> dict[str, tuple[str, ...]]:
    return {top: tuple(dists) for top, dists in importlib.metadata.packages_distributions().items()}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between two fingerprints (``to_json`` form), in words:
    "module bench.space changed", "optuna 5.0.0 -> 5.0.1", ..."""
    changes = []
    old_modules, new_modules = old.get("modules", {}), new.get("modules", {})
    for name in sorted(set(old_modules) | set(new_modules)):
        if name not in old_modules:
            changes.append(f"module {name} now imported")
        elif name not in new_modules:
            changes.append(f"module {name} no longer imported")
        elif old_modules[name] != new_modules[name]:
            changes.append(f"module {name} changed")
    old_libs, new_libs = old.get("libraries", {}), new.get("libraries", {})
    for name in sorted(set(old_libs) | set(new_libs)):
        if old_libs.get(name) != new_libs.get(name):
            changes.append(
                f"{name} {old_libs.get(name, 'absent')} -> {new_libs.get(name, 'absent')}"
            )
    if old.get("python") != new.get("python"):
        changes.append(f"python {old.get('python')} -> {new.get('python')}")
    return changes


def objective_code(objective: Any) -> str:
    """Hash of what an objective's signature values depend on: its code (and
    the libraries under it), its variant name and its space."""
    text = json.dumps(
        [objective.label, fingerprint(type(objective)).to_json(), objective.space.describe()],
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()
