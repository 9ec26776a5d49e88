"""The plugin host: built-ins register through the hooks, third-party plugins load from entry points."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pluggy
import pytest
import yaml
from cli_support import BIN, ded_env

from ded_plugins import PluginError, Verdict, hookimpl
from ded_plugins.errors import ConfigError
from ded_plugins.plugins import get_plugin_manager, get_registry
from ded_plugins.registry import Registry


EXPECTED = {
    "processor": {"length", "think_format", "math_correct", "code_correct", "llm_judge"},
    "selector": {"pass_rate", "diversity", "mixture", "longest", "shortest"},
    "exporter": {"llamafactory"},
}


@pytest.fixture
def pm() -> pluggy.PluginManager:
    return get_plugin_manager(load_entrypoints=False)


def test_builtins_register_through_the_hooks(pm: pluggy.PluginManager) -> None:
    registry = get_registry(pm)
    for kind, names in EXPECTED.items():
        assert names <= set(registry.names(kind)), kind
    for component in registry:
        assert component.plugin.startswith("ded_plugins."), component
        assert component.description, f"{component.name} has no description"


def test_ded_plugins_lists_every_component() -> None:
    proc = subprocess.run([str(BIN / "ded"), "plugins"], capture_output=True, text=True, env=ded_env())
    assert proc.returncode == 0, proc.stderr
    for names in EXPECTED.values():
        for name in names:
            assert f"\n  {name}  " in proc.stdout, name
    assert "max_tokens: int = 16384" in proc.stdout  # parameters are listed


def test_inline_plugin_adds_a_processor(pm: pluggy.PluginManager) -> None:
    class Always:
        """Pass everything."""

        def process(self, items: Any) -> list[Verdict]:
            return [Verdict(passed=True) for _ in items]

    class Plugin:
        @hookimpl
        def ded_register_processors(self, register: Any) -> None:
            register("acme.always", Always)

    pm.register(Plugin(), name="acme")
    registry = get_registry(pm)
    component = registry.get("processor", "acme.always")
    assert component.plugin == "acme"
    assert component.description == "Pass everything."


def test_duplicate_names_are_refused(pm: pluggy.PluginManager) -> None:
    class Plugin:
        @hookimpl
        def ded_register_selectors(self, register: Any) -> None:
            register("think_format", object)  # a processor already has this name

    pm.register(Plugin(), name="clash")
    with pytest.raises(PluginError, match=r"already registered by plugin 'ded_plugins\.processors'"):
        get_registry(pm)


def test_hook_name_typos_fail_check_pending() -> None:
    pm = get_plugin_manager(load_entrypoints=False)

    class Typo:
        @hookimpl
        def ded_register_procesors(self, register: Any) -> None:
            pass

    pm.register(Typo(), name="typo")
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_parameters_are_checked_against_the_factory() -> None:
    registry = Registry()

    def factory(*, k: int, mode: str = "a", ratio: float = 0.5) -> object:
        """A factory."""
        return object()

    registry.add("selector", "x", factory)
    component = registry.get("selector", "x")
    problems = registry.check_params(component, {"mode": 3, "ratio": 1, "extra": 1}, where="here")
    assert "here: unknown parameter 'extra' for selector 'x'; accepted: k, mode, ratio" in problems
    assert "here: selector 'x' needs parameter 'k'" in problems
    assert "here.mode: expected str, found int 3" in problems
    assert len(problems) == 3  # an int is a fine float
    with pytest.raises(ConfigError, match="needs parameter 'k'"):
        registry.build("selector", "x", {})


def test_bad_names_are_refused() -> None:
    with pytest.raises(PluginError, match="snake_case"):
        Registry().add("processor", "Bad Name", object)


def test_third_party_plugin_from_entry_point_runs_in_a_pipeline(
    pool: Path, example_plugin_site: Path
) -> None:
    env = ded_env(example_plugin_site)
    listing = subprocess.run([str(BIN / "ded"), "plugins"], capture_output=True, text=True, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "example.keyword  [example]" in listing.stdout
    config = {
        "run": "third_party",
        "output_dir": str(pool / "runs"),
        "questions": "questions.jsonl",
        "rollouts": ["teacher_a.jsonl", "teacher_b.jsonl"],
        "stages": [{"example.keyword": {"word": "quick approach"}}, "think_format"],
    }
    path = pool / "tp.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [str(BIN / "ded"), "curate", str(path), "--no-progress"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    expected = sum(
        "quick approach" in line.lower()
        for name in ("teacher_a.jsonl", "teacher_b.jsonl")
        for line in (pool / name).read_text().splitlines()
    )
    assert expected > 0
    assert f"example.keyword.has_keyword={expected}" in proc.stdout


def test_a_plugin_adds_a_command(example_plugin_site: Path) -> None:
    env = ded_env(example_plugin_site)
    listing = subprocess.run([str(BIN / "ded"), "--help"], capture_output=True, text=True, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "example-hello" in listing.stdout and "Greet NAME" in listing.stdout
    proc = subprocess.run([str(BIN / "ded"), "example-hello", "you"], capture_output=True, text=True, env=env)
    assert (proc.returncode, proc.stdout) == (0, "hello, you\n"), proc.stderr


def test_trace_switch_prints_hook_calls(pool: Path) -> None:
    env = ded_env()
    env["DED_TRACE_PLUGINS"] = "1"
    config = {
        "run": "t",
        "output_dir": str(pool / "runs"),
        "questions": "questions.jsonl",
        "rollouts": ["teacher_a.jsonl"],
        "stages": ["think_format"],
    }
    path = pool / "t.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [str(BIN / "ded"), "curate", str(path), "--no-progress"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "ded_stage_finished" in proc.stderr
