"""Discovery from packages, entry points and plugin files; errors that say what to do."""

import textwrap

import pytest

from bench import run
from bench.registry import Registry, RegistryError

PLUGIN = '''
import numpy as np
from bench import Strategy

class Centre(Strategy):
    """Always the centre of the space."""
    name = "{name}"

    def ask(self):
        return self.suggest(self.space.from_unit(np.full(len(self.space), 0.5)))

    def tell(self, suggestion, value):
        pass
'''


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


def test_built_ins_come_from_their_modules():
    registry = Registry.discover(entry_points=False)
    assert registry.strategies["random"].source == "module strategies.random_search"
    assert registry.objectives["branin"].source == "module objectives.synthetic"
    assert registry.broken == []


def test_unknown_names_get_a_did_you_mean():
    registry = Registry.discover(entry_points=False)
    with pytest.raises(RegistryError, match=r"unknown strategy 'randm'; did you mean 'random'\?"):
        registry.strategy("randm")
    with pytest.raises(RegistryError, match=r"unknown objective 'brannin'; did you mean 'branin'"):
        registry.objective("brannin")


def test_unknown_options_name_the_accepted_ones():
    registry = Registry.discover(entry_points=False)
    with pytest.raises(
        RegistryError, match=r"no option 'scal'; did you mean 'scale'\?.*options: scale"
    ):
        registry.strategy("random[scal=linear]")


def test_a_plugin_file_registers_its_strategy(tmp_path):
    plugin = write(tmp_path / "centre.py", PLUGIN.format(name="centre"))
    registry = Registry.discover([plugin], entry_points=False)
    entry = registry.strategies["centre"]
    assert entry.source == f"plugin {plugin}"
    trace = run("centre", "branin", 0, 2, registry=registry)
    assert trace.configs[0] == {"x1": 2.5, "x2": 7.5}


def test_a_duplicate_name_names_both_sources(tmp_path):
    plugin = write(tmp_path / "clash.py", PLUGIN.format(name="random"))
    with pytest.raises(RegistryError) as info:
        Registry.discover([plugin], entry_points=False)
    message = str(info.value)
    assert "duplicate strategy name 'random'" in message
    assert "module strategies.random_search" in message and str(plugin) in message


def test_a_broken_plugin_is_listed_and_does_not_take_the_others_down(tmp_path):
    good = write(tmp_path / "good.py", PLUGIN.format(name="centre"))
    bad = write(tmp_path / "bad.py", "import package_that_is_not_installed\n")
    registry = Registry.discover([bad, good], entry_points=False)
    assert "centre" in registry.strategies
    [broken] = registry.broken
    assert broken.source == f"plugin {bad}"
    assert "No module named 'package_that_is_not_installed'" in broken.error
    with pytest.raises(RegistryError, match=r"bad\.py failed to load"):
        registry.check_plugins()
    with pytest.raises(RegistryError, match="a plugin failed to load"):
        registry.strategy("nonexistent")


def test_a_class_without_a_name_is_reported(tmp_path):
    plugin = write(tmp_path / "nameless.py", PLUGIN.replace('    name = "{name}"\n', ""))
    registry = Registry.discover([plugin], entry_points=False)
    assert any("defines no `name`" in b.error and "Centre" in b.error for b in registry.broken)


def test_names_must_be_kebab_case(tmp_path):
    plugin = write(tmp_path / "camel.py", PLUGIN.format(name="MySearch"))
    registry = Registry.discover([plugin], entry_points=False)
    assert any("not kebab-case" in b.error for b in registry.broken)


def test_a_missing_plugin_file_is_reported(tmp_path):
    registry = Registry.discover([tmp_path / "nope.py"], entry_points=False)
    with pytest.raises(RegistryError, match="no such file"):
        registry.check_plugins()


def test_entry_points_of_installed_distributions_are_found(tmp_path, monkeypatch):
    package = tmp_path / "site"
    (package / "centre_plugin").mkdir(parents=True)
    write(package / "centre_plugin" / "__init__.py", PLUGIN.format(name="centre-ep"))
    info = package / "centre_plugin-1.0.dist-info"
    info.mkdir()
    write(info / "METADATA", "Metadata-Version: 2.1\nName: centre-plugin\nVersion: 1.0\n")
    write(info / "entry_points.txt", "[tunebench.strategies]\ncentre = centre_plugin:Centre\n")
    monkeypatch.syspath_prepend(str(package))
    registry = Registry.discover()
    entry = registry.strategies["centre-ep"]
    assert entry.source == "entry point centre = centre_plugin:Centre (distribution centre-plugin)"
    assert len(run("centre-ep", "branin", 0, 1, registry=registry)) == 1
