"""Finding strategies and objectives by name.

Three places, in this order: the modules of the ``strategies`` (``objectives``)
package, the entry-point groups ``tunebench.strategies``
(``tunebench.objectives``) of installed distributions, and plugin files given
with ``--plugin path.py``. A duplicate name is an error naming both sources;
a source that fails to import is listed as broken and never takes the others
down.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import pkgutil
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from bench.objective import Objective
from bench.strategy import Strategy
from bench.variant import Variant, VariantError, is_kebab, parse_variant

KINDS = {"strategy": Strategy, "objective": Objective}
GROUPS = {"strategy": "tunebench.strategies", "objective": "tunebench.objectives"}
PACKAGES = {"strategy": "strategies", "objective": "objectives"}
_RESERVED = ("self", "space", "seed", "budget", "fidelity")


class RegistryError(LookupError):
    """An unknown, duplicate, broken or misconfigured strategy or objective."""


@dataclass(frozen=True)
class Entry:
    """A registered class and where it came from."""

    kind: str
    name: str
    target: type
    source: str

    @property
    def description(self) -> str:
        return self.target.describe() if hasattr(self.target, "describe") else ""


@dataclass(frozen=True)
class Broken:
    """A source that failed to import or declared something invalid."""

    source: str
    error: str


@dataclass
class Registry:
    """Every strategy and objective that can be named, and the broken sources."""

    plugins: tuple[str, ...] = ()
    entries: dict[str, dict[str, Entry]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    broken: list[Broken] = field(default_factory=list)

    @classmethod
    def discover(cls, plugins: Iterable[str | Path] = (), *, entry_points: bool = True) -> Registry:
        registry = cls(plugins=tuple(str(Path(p).resolve()) for p in plugins))
        for kind in KINDS:
            registry._scan_package(kind)
        if entry_points:
            for kind in KINDS:
                registry._scan_entry_points(kind)
        for path in registry.plugins:
            registry._scan_plugin(Path(path))
        return registry

    @property
    def strategies(self) -> dict[str, Entry]:
        return self.entries["strategy"]

    @property
    def objectives(self) -> dict[str, Entry]:
        return self.entries["objective"]

    def entry(self, kind: str, name: str) -> Entry:
        table = self.entries[kind]
        if name in table:
            return table[name]
        broken_plugin = [b for b in self.broken if b.source.startswith("plugin ")]
        if broken_plugin:
            details = "; ".join(
                f"{b.source}: {b.error.strip().splitlines()[-1]}" for b in broken_plugin
            )
            raise RegistryError(f"unknown {kind} {name!r}, and a plugin failed to load ({details})")
        hint = _did_you_mean(name, table)
        broken = (
            f" (broken sources, see `python -m bench list`: {len(self.broken)})"
            if self.broken
            else ""
        )
        raise RegistryError(f"unknown {kind} {name!r}{hint}{broken}")

    def resolve(self, kind: str, text: str | Variant) -> tuple[Variant, Entry]:
        """Parse ``name[key=value]``, look the name up and check the options
        against the class's constructor, returning the canonical variant."""
        try:
            variant = parse_variant(text) if isinstance(text, str) else text
        except VariantError as exc:
            raise RegistryError(str(exc)) from None
        entry = self.entry(kind, variant.name)
        accepted = _options_of(entry.target)
        if accepted is not None:
            for key in variant.options:
                if key not in accepted:
                    hint = _did_you_mean(key, accepted)
                    known = ", ".join(accepted) or "none"
                    raise RegistryError(
                        f"{kind} {variant.name!r} has no option {key!r}{hint} (options: {known})"
                    )
        return variant, entry

    def strategy(self, text: str | Variant) -> tuple[Variant, type[Strategy]]:
        variant, entry = self.resolve("strategy", text)
        return variant, entry.target

    def objective(self, text: str | Variant) -> tuple[Variant, Objective]:
        variant, entry = self.resolve("objective", text)
        try:
            instance = entry.target(**variant.options)
        except (TypeError, ValueError) as exc:
            raise RegistryError(f"objective {str(variant)!r}: {exc}") from exc
        instance.label = str(variant)
        return variant, instance

    def _add(self, kind: str, target: type, source: str) -> None:
        name = target.__dict__.get("name")
        if not isinstance(name, str):
            self.broken.append(
                Broken(
                    source,
                    f"class {target.__name__} defines no `name` "
                    f'(add name = "...", a kebab-case registry key)',
                )
            )
            return
        if not is_kebab(name):
            self.broken.append(
                Broken(
                    source,
                    f"class {target.__name__}: name {name!r} is not kebab-case "
                    "(lower-case letters, digits and single dashes)",
                )
            )
            return
        table = self.entries[kind]
        if name in table and table[name].target is not target:
            raise RegistryError(
                f"duplicate {kind} name {name!r}: defined by {table[name].source} "
                f"and by {source}; rename one of them"
            )
        table[name] = Entry(kind, name, target, source)

    def _collect(self, module: ModuleType, source: str, kinds: Sequence[str]) -> None:
        for _, obj in sorted(vars(module).items()):
            if not inspect.isclass(obj) or obj.__module__ != module.__name__:
                continue
            if obj.__name__.startswith("_") or inspect.isabstract(obj):
                continue
            for kind in kinds:
                if issubclass(obj, KINDS[kind]) and obj is not KINDS[kind]:
                    self._add(kind, obj, source)

    def _scan_package(self, kind: str) -> None:
        package_name = PACKAGES[kind]
        try:
            package = importlib.import_module(package_name)
        except ImportError as exc:
            self.broken.append(Broken(f"package {package_name}", _format(exc)))
            return
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.name.startswith("_"):
                continue
            module_name = f"{package_name}.{info.name}"
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:
                self.broken.append(Broken(f"module {module_name}", _format(exc)))
                continue
            self._collect(module, f"module {module_name}", [kind])

    def _scan_entry_points(self, kind: str) -> None:
        for ep in importlib.metadata.entry_points(group=GROUPS[kind]):
            dist = getattr(ep.dist, "name", "?")
            source = f"entry point {ep.name} = {ep.value} (distribution {dist})"
            try:
                loaded = ep.load()
            except Exception as exc:
                self.broken.append(Broken(source, _format(exc)))
                continue
            if inspect.ismodule(loaded):
                self._collect(loaded, source, [kind])
            elif inspect.isclass(loaded) and issubclass(loaded, KINDS[kind]):
                self._add(kind, loaded, source)
            else:
                self.broken.append(
                    Broken(
                        source,
                        f"must point to a {KINDS[kind].__name__} subclass or a module, "
                        f"got {loaded!r}",
                    )
                )

    def _scan_plugin(self, path: Path) -> None:
        source = f"plugin {path}"
        if not path.is_file():
            self.broken.append(Broken(source, f"FileNotFoundError: no such file {path}"))
            return
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
        module_name = f"tunebench_plugin_{path.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            self.broken.append(Broken(source, "not a Python file"))
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            self.broken.append(Broken(source, _plugin_error(exc, path)))
            return
        self._collect(module, source, list(KINDS))

    def check_plugins(self) -> None:
        """Refuse to go on if a plugin file named on the command line is broken."""
        for broken in self.broken:
            if broken.source.startswith("plugin "):
                raise RegistryError(f"{broken.source} failed to load:\n{broken.error}")


def _plugin_error(exc: BaseException, path: Path) -> str:
    """An exception raised while importing plugin file ``path``: where in the
    file, the original exception, and for a missing package what to do."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    where = f"at {path}:{frames[-1].lineno}: {frames[-1].line}\n" if frames else ""
    text = where + _format(exc)
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        text += (
            f"\nthe plugin imports {exc.name!r}, which is not installed here: install it "
            f"(pip install {exc.name.split('.')[0]}) or, if only one strategy needs it, import it "
            f"inside that strategy and list it in its `requires`"
        )
    return text


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _options_of(target: type) -> tuple[str, ...] | None:
    """Keyword options the constructor accepts (None: any, it takes **kwargs)."""
    return _options_of_init(target.__init__)


@lru_cache(maxsize=256)
def _options_of_init(init: object) -> tuple[str, ...] | None:
    """``_options_of`` for a constructor, read once per constructor: every run
    resolves its strategy and objective, and reading a signature costs more
    than the rest of the lookup."""
    params = inspect.signature(init).parameters.values()  # type: ignore[arg-type]
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return tuple(
        p.name
        for p in params
        if p.name not in _RESERVED and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    )


@lru_cache(maxsize=8)
def default_registry(plugins: tuple[str, ...] = ()) -> Registry:
    """The registry for these plugin files, built once per process."""
    return Registry.discover(plugins)


def get_strategy(name: str, plugins: Sequence[str] = ()) -> type[Strategy]:
    """The strategy class registered as ``name``."""
    return default_registry(tuple(plugins)).strategy(name)[1]


def get_objective(name: str, plugins: Sequence[str] = ()) -> Objective:
    """An instance of the objective ``name`` (``name[key=value]`` sets options)."""
    return default_registry(tuple(plugins)).objective(name)[1]


def list_strategies(plugins: Sequence[str] = ()) -> Mapping[str, Entry]:
    return dict(default_registry(tuple(plugins)).strategies)


def list_objectives(plugins: Sequence[str] = ()) -> Mapping[str, Entry]:
    return dict(default_registry(tuple(plugins)).objectives)


__all__ = [
    "Broken",
    "Entry",
    "Registry",
    "RegistryError",
    "default_registry",
    "get_objective",
    "get_strategy",
    "list_objectives",
    "list_strategies",
]
