"""Plugins that bring measured facts and rule-pack layers: the facts in the catalog, the layer over the pack,
a plugin verdict replacing the estimate it measures, and the errors of a plugin that shadows or ships a bad pack.

The end-to-end test installs the real example plugin (docs/examples/plugin) with pip into a
temporary folder, measures with it on real local targets and decides with the result.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pluggy
import pytest
from fakes import SHADOW_CPU_PLUGIN, fake_dist

from advisor.measure import hookspecs
from advisor.measure.api import MetricSpec
from advisor.measure.manager import load_registry
from advisor.rules.catalog import MEASURED, build_catalog, plugin_measured

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "docs" / "examples" / "plugin"
ADVISOR = [sys.executable, "-m", "advisor"]
PROFILE = REPO / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"


def _advisor(*args: str, path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([*ADVISOR, *args], capture_output=True, text=True, env=env, timeout=300, cwd=cwd)


# --------------------------------------------------------------------------- the catalog


def test_a_plugin_probe_brings_its_four_measured_facts() -> None:
    facts = plugin_measured({"pyloop": "interpreted-code throughput; < 1 means the VM is slower"})
    assert sorted(facts) == ["measured.pyloop.ci_high", "measured.pyloop.ci_low", "measured.pyloop.ratio",
                             "measured.pyloop.verdict"]
    assert facts["measured.pyloop.ratio"].description == \
        "VM / bare metal: interpreted-code throughput; < 1 means the VM is slower"
    assert facts["measured.pyloop.verdict"].choices == MEASURED["measured.cpu.verdict"].choices
    catalog = build_catalog({}, {}, {"pyloop": "x"})
    assert "measured.pyloop.ci_low" in catalog and "measured.cpu.ratio" in catalog
    with pytest.raises(ValueError, match="plugin probe 'cpu' would shadow the catalog's measured.cpu.\\* facts"):
        build_catalog({}, {}, {"cpu": "made up"})


# --------------------------------------------------------------------------- the registry


class _Probe:
    title = "a probe"
    tools = ("true",)
    metrics = (MetricSpec("value", "1/s", "higher", main=True),)

    def __init__(self, name: str) -> None:
        self.name = name

    def install_hint(self) -> str:
        return "nothing"

    def run(self, runner: object, *, budget: str, peer: object = None) -> dict[str, float]:
        return {"value": 1.0}


class _Plugin:
    def __init__(self, *names: str, packs: list[str] | None = None) -> None:
        self.names = names
        self.packs = packs or []

    @hookspecs.hookimpl
    def advisor_probes(self) -> list[_Probe]:
        return [_Probe(n) for n in self.names]

    @hookspecs.hookimpl
    def advisor_rule_packs(self) -> list[str]:
        return self.packs


def _manager(**plugins: object) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    return pm


def test_the_registry_collects_facts_and_layers_and_refuses_a_probe_that_shadows_catalog_facts() -> None:
    reg = load_registry(_manager(ext=_Plugin("pyloop", "py-loop", packs=["/opt/ext/rules"])))
    assert reg.fact_probes == {"pyloop": "a probe (value); < 1 means the VM is slower"}
    assert [(str(p), n) for p, n in reg.rule_packs] == [("/opt/ext/rules", "ext")]
    assert any("probe 'py-loop' brings no measured facts" in w for w in reg.warnings)
    # without the built-in probes, a plugin's 'cpu' would not clash by name: its facts still may not shadow
    shadow = load_registry(_manager(aaa=_Plugin("cpu")), check=False)
    assert shadow.clashes == ["probe 'cpu' of plugin 'aaa' (test_measure_plugin_rules) would shadow the catalog's "
                              "measured.cpu.* facts; a plugin cannot replace a built-in probe's facts"]
    assert "cpu" not in shadow.fact_probes


# --------------------------------------------------------------------------- the CLI with installed plugins

NO_PACK = """
from pathlib import Path
from advisor.measure.hookspecs import hookimpl


@hookimpl
def advisor_rule_packs():
    return [Path(__file__).resolve().parent / "advisor_nopack_rules"]
"""


def test_a_shadowing_plugin_stops_the_decision_with_one_line(tmp_path: Path) -> None:
    site = tmp_path / "site"
    fake_dist(site, "aaa-cpu", "advisor_aaa_cpu", SHADOW_CPU_PLUGIN)
    for args in (["facts"], ["assess", "--profile", str(PROFILE), "--no-record", "--measure", "never"]):
        done = _advisor(*args, path=site, cwd=tmp_path)
        assert done.returncode == 3, done.stderr
        said = [line for line in done.stderr.splitlines() if line.startswith("advisor:")]
        assert said == [
            "advisor: probe 'cpu' is provided by the built-in plugin 'probes' and by plugin 'aaa-cpu' "
            "(advisor_aaa_cpu from aaa-cpu); a plugin cannot replace another's probe; uninstall one of the "
            "plugins, or rename its probe or runner"], args
        assert "Traceback" not in done.stderr


def test_a_plugin_layer_that_is_not_a_pack_is_a_data_error_naming_the_plugin(tmp_path: Path) -> None:
    site = tmp_path / "site"
    fake_dist(site, "nopack", "advisor_nopack", NO_PACK)
    (site / "advisor_nopack_rules").mkdir()
    done = _advisor("rules", "list", path=site, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == ("plugin nopack: site/advisor_nopack_rules: not a rule pack: pack.yaml is missing; "
                                   "give the folder that holds pack.yaml")


# --------------------------------------------------------------------------- the example plugin, installed


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src") / "plugin"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = tmp_path_factory.mktemp("site")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check",
                          "--target", str(site), str(src)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert (site / "advisor_example_plugin" / "rules" / "consequences" / "vm-throughput-compute.yaml").is_file()
    return site


@pytest.mark.slow
def test_the_example_plugin_brings_its_facts_and_its_layer(example_site: Path, tmp_path: Path) -> None:
    facts = _advisor("facts", path=example_site, cwd=tmp_path)
    assert facts.returncode == 0, facts.stderr
    assert "measured.pyloop.ratio" in facts.stdout and "interpreted-code throughput" in facts.stdout
    rules = _advisor("rules", "list", path=example_site, cwd=tmp_path)
    assert rules.returncode == 0, rules.stderr
    assert "rules in default@" in rules.stderr and "+ example-pyloop@1" in rules.stderr
    assert "Python loop" not in rules.stdout and "vm-throughput-compute" in rules.stdout
    listed = json.loads(_advisor("plugins", "--format", "json", path=example_site, cwd=tmp_path).stdout)
    assert listed["rule_packs"] == [{"plugin": "example",
                                     "path": str(example_site / "advisor_example_plugin" / "rules")}]
    assert next(p for p in listed["probes"] if p["name"] == "pyloop")["facts"] == "measured.pyloop.*"


TARGETS = """\
advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: local, cpus: [1], nice: -20}
  - {name: vm-like, role: vm, runner: local, cpus: [1], nice: -20, cpu_quota: 0.5}
"""


@pytest.mark.slow
@pytest.mark.cpu1
@pytest.mark.skipif(os.geteuid() != 0 or (os.cpu_count() or 1) < 2, reason="a CPU quota needs root and CPU 1")
def test_a_plugin_verdict_replaces_the_estimate_it_measures(example_site: Path, tmp_path: Path) -> None:
    """A half-CPU 'VM' measured with the plugin's probe: its layer makes the verdict the VM's throughput."""
    (tmp_path / "t.yaml").write_text(TARGETS)
    shutil.copy(PROFILE, tmp_path / "p.yaml")
    measured = _advisor("measure", "--targets", "t.yaml", "--probe", "pyloop", "--budget", "40", "--accept-imitation",
                        "--allow-disturbed", "--seed", "7", "-o", "r.yaml", path=example_site, cwd=tmp_path)
    if measured.returncode == 1 and "cpu_quota" in measured.stderr:
        pytest.skip(measured.stderr.strip())
    assert measured.returncode == 0, measured.stderr
    from advisor.measure.results import load_result

    probe = load_result(tmp_path / "r.yaml").probes[0]
    main = probe.main_metric()
    assert probe.plugin == "example" and main is not None and main.comparison is not None
    comp = main.comparison
    assert comp.verdict == "slower" and comp.ratio is not None and 0.35 < comp.ratio < 0.65
    decided = _advisor("assess", "--profile", "p.yaml", "--measurements", "r.yaml", "--no-record",
                       path=example_site, cwd=tmp_path)
    assert decided.returncode == 0, decided.stderr
    # the estimate shows the measured ratio (kept to 4 decimals, then 3 digits shown: 0.50851 can show as 0.508)
    assert abs(_vm_throughput(decided.stdout) - comp.ratio) <= 0.0011, decided.stdout
    assert "Measured: pyloop slower; imitation, accepted" in decided.stdout
    # without the plugin the same result gives no facts: nothing a rule of the default pack reads
    plain = _advisor("assess", "--profile", "p.yaml", "--measurements", "r.yaml", "--no-record",
                     path=tmp_path / "empty", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert abs(_vm_throughput(plain.stdout) - comp.ratio) > 0.1, plain.stdout


def _vm_throughput(stdout: str) -> float:
    """The VM-backed figure of the throughput estimate in what ``assess`` printed."""
    shown = re.search(r"throughput against bare metal: bare metal 1x, VM-backed ([0-9.]+)x", stdout)
    assert shown is not None, stdout
    return float(shown.group(1))
