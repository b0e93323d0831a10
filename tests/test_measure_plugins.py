"""Plugins: the manager, built-ins as plugins, the example plugin package, broken plugins."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pluggy
import pytest
from fakes import SHADOW_CPU_PLUGIN, fake_dist

from advisor.errors import DataError, MeasurementError, UsageError
from advisor.measure import hookspecs, manager
from advisor.measure.api import MetricSpec
from advisor.measure.targets import local_target

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "examples" / "plugin"
ADVISOR = [sys.executable, "-m", "advisor"]


class _Probe:
    name = "dummy"
    title = "Dummy"
    tools = ("python3",)
    metrics = (MetricSpec("x", "1/s", "higher", main=True),)

    def install_hint(self) -> str:
        return "nothing"

    def run(self, runner: object, *, budget: str, peer: object = None) -> dict[str, float]:
        return {"x": 1.0}


class _Plugin:
    @hookspecs.hookimpl
    def advisor_probes(self) -> list[object]:
        return [_Probe(), "not a probe"]


class _Clash:
    @hookspecs.hookimpl
    def advisor_probes(self) -> list[object]:
        return [_Probe()]

    @hookspecs.hookimpl
    def advisor_runners(self) -> dict[str, object]:
        return {"local": lambda spec: None}


class _Raises:
    @hookspecs.hookimpl
    def advisor_probes(self) -> list[object]:
        raise RuntimeError("boom")


def test_builtins_are_registered_like_plugins() -> None:
    pm, warnings = manager.get_plugin_manager()
    assert pm.has_plugin("local")
    registry = manager.load_registry(pm, warnings)
    assert "local" in registry.runners and registry.runner_plugin["local"] == "local"
    assert any(p.name == "local" and p.builtin for p in registry.plugins)
    runner = registry.make_runner(local_target("here"))
    try:
        assert runner.kind == "local" and runner.name == "here"
    finally:
        runner.close()


def test_builtins_load_without_entry_points() -> None:
    pm, warnings = manager.get_plugin_manager(entry_points=False)
    assert pm.has_plugin("local") and warnings == []


def test_registry_checks_what_plugins_return() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(_Plugin(), name="first")
    pm.register(_Clash(), name="second")
    pm.register(_Raises(), name="third")
    from advisor.measure.runners import local as local_mod

    pm.register(local_mod, name="local")
    with pytest.raises(MeasurementError) as info:
        manager.load_registry(pm, [])
    clashes = [p.message for p in info.value.problems]
    assert clashes == [
        "probe 'dummy' is provided by plugin 'first' (test_measure_plugins) and by plugin 'second' "
        "(test_measure_plugins); a plugin cannot replace another's probe",
        "runner 'local' is provided by the built-in plugin 'local' and by plugin 'second' (test_measure_plugins); "
        "a plugin cannot replace another's runner",
    ]
    registry = manager.load_registry(pm, [], check=False)
    assert registry.probe_plugin == {"dummy": "first"} and len(registry.clashes) == 2
    text = "\n".join(registry.warnings)
    assert "'first'" in text and "is not a probe" in text
    assert "'third': advisor_probes() failed: RuntimeError: boom" in text
    with pytest.raises(UsageError, match="did you mean 'dummy'"):
        registry.probe("dumy")
    spec = local_target("x").model_copy(update={"runner": "locl"})
    with pytest.raises(DataError, match="did you mean 'local'"):
        registry.make_runner(spec)


def _advisor(*args: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([*ADVISOR, *args], capture_output=True, text=True, env=env, timeout=120, cwd=REPO)


def test_broken_plugin_is_a_warning_naming_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    fake_dist(site, "broken-plugin", "advisor_broken_plugin", "import no_such_module_xyz\n")
    fake_dist(site, "badhook-plugin", "advisor_badhook_plugin",
               "from advisor.measure.hookspecs import hookimpl\n\n@hookimpl\ndef advisor_probez():\n    return []\n")
    done = _advisor("plugins", path=site)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "warning" in line]
    assert any("'broken-plugin'" in line and "failed to load" in line and "no_such_module_xyz" in line
               for line in lines), done.stderr
    assert any("'badhook-plugin'" in line and "unknown hook" in line for line in lines), done.stderr
    assert len(lines) == 2
    assert "local" in done.stdout  # the others still work


def test_plugins_command_json() -> None:
    done = _advisor("plugins", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"local"} <= {r["kind"] for r in data["runners"]}
    for probe in data["probes"]:
        assert probe["installed"] == (probe["missing"] == [])
        assert probe["installed"] or probe["install_hint"]


@pytest.mark.slow
def test_example_plugin_installs_and_is_listed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check",
                          "--target", str(site), str(src)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    done = _advisor("plugins", path=site)
    assert done.returncode == 0, done.stderr
    assert "advisor-example-plugin" in done.stdout and "pyloop" in done.stdout
    data = json.loads(_advisor("plugins", "--format", "json", path=site).stdout)
    probe = next(p for p in data["probes"] if p["name"] == "pyloop")
    assert probe["plugin"] == "example" and probe["installed"]
    plugin = next(p for p in data["plugins"] if p["name"] == "example")
    assert plugin["distribution"] == "advisor-example-plugin" and plugin["version"] == "0.1.0"
    # and it measures: this host alone, absolute figures
    out = tmp_path / "r.json"
    done = _advisor("measure", "--probe", "pyloop", "--budget", "5", "-o", str(out), path=site)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["probes"][0]["name"] == "pyloop" and result["probes"][0]["plugin"] == "example"
    assert "a comparison needs" in done.stdout
    assert textwrap.dedent("pyloop") in done.stdout


def test_a_plugin_cannot_shadow_a_built_in_probe(tmp_path: Path) -> None:
    """The audit's finding: a package whose entry point sorts before 'probes' took over 'cpu' with a
    warning, and its made-up ratio became measured.cpu.*. Now it is an error naming both plugins."""
    site = tmp_path / "site"
    fake_dist(site, "aaa-cpu", "advisor_aaa_cpu", SHADOW_CPU_PLUGIN)
    for args in (["plugins"], ["measure", "--probe", "cpu", "--budget", "5"]):
        done = _advisor(*args, path=site)
        assert done.returncode == 3, done.stderr
        assert done.stderr.strip() == (
            "advisor: probe 'cpu' is provided by the built-in plugin 'probes' and by plugin 'aaa-cpu' "
            "(advisor_aaa_cpu from aaa-cpu); a plugin cannot replace another's probe; uninstall one of the "
            "plugins, or rename its probe or runner")
