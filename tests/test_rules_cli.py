"""``advisor rules list|show|lint|test|docs|path`` on the format-2 pack and layers over it; ``advisor facts``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest

from advisor import pipeline
from advisor.cli import run
from advisor.cli.outputs import schema_of
from advisor.resources import PACK_FOLDER
from advisor.rules.catalog_reference import facts_markdown

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / PACK_FOLDER


@pytest.fixture(autouse=True)
def _in_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # file names shown relative (a folder outside it by its own name)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(["--no-cache", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def valid(name: str, data: object) -> None:
    jsonschema.validate(data, schema_of(name))


def write_layer(root: Path, files: dict[str, str], pack: str = "advisor_rule_pack: 2\nname: acme\nversion: 3\n"
                ) -> Path:
    (root / "pack.yaml").parent.mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(pack)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


DMZ = """\
    id: acme-dmz-no-vm
    kind: constraint
    title: The DMZ policy forbids a hypervisor layer
    option: vm
    when: all_of(compliance, ['pci-dss', 'soc2']) or bare_metal_mandated
    infeasible: true
    because: the organisation's DMZ policy forbids a hypervisor layer
    rationale: Our DMZ policy, section 4.
    cases:
      - {name: both regimes, answers: {compliance: [pci-dss, soc2]}, expect: fires}
      - {name: one regime, answers: {compliance: [pci-dss]}, expect: does-not-fire}
"""


def test_list_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "rules", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "kind", "option", "effect", "cases"]
    assert any(line.split()[:4] == ["written-mandate", "constraint", "vm", "infeasible"] for line in lines)
    pack = pipeline.load_decision_pack()
    assert err == f"{len(pack.rules)} rules in default@2\n"
    code, out, _ = cli(capsys, "rules", "list", "--format", "json")
    data = json.loads(out)
    valid("rules-list", data)
    by_id = {r["id"]: r for r in data["rules"]}
    assert by_id["vm-network-path"]["attribute"] == "performance.latency_share"
    assert by_id["written-mandate"] | {"cases": 0} == {
        "id": "written-mandate", "kind": "constraint", "option": "vm", "attribute": None, "effect": "infeasible",
        "title": "A written mandate requires bare metal", "when": "bare_metal_mandated", "evidence": [], "cases": 0,
        "pack": "default@2", "file": f"{PACK_FOLDER}/constraints/written-mandate.yaml"}


def test_show_cases_branches_and_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules", "show", "datapath-needs-bypass")
    assert code == 0
    assert out.startswith("datapath-needs-bypass: SR-IOV, DPDK, RDMA or multi-node GPU training need a bypassed")
    assert '    ok   fires         fires         rdma: {"special_networking": ["rdma"]}\n' in out
    assert "    'rdma' in special_networking is true: case 'rdma'\n" in out
    code, out, _ = cli(capsys, "rules", "show", "datapath-needs-bypass", "--format", "json")
    data = json.loads(out)
    valid("rules-show", data)
    assert {"condition": "gpu == 'training-multi-node'", "decides_when": True,
            "case": "multi-node training"} in data["branches"]
    assert all(case["ok"] for case in data["cases"])
    code, out, err = cli(capsys, "rules", "show", "datapath-needs-bypas")
    assert (code, out) == (2, "")
    assert err == "advisor: no rule 'datapath-needs-bypas' in default@2; did you mean 'datapath-needs-bypass'?\n"


def test_lint_and_test_the_bundled_pack_at_full_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    pack = pipeline.load_decision_pack()
    code, out, err = cli(capsys, "rules", "lint")
    assert (code, err) == (0, "")
    assert out == (f"ok: default@2: {len(pack.constraints)} constraints, {len(pack.consequences)} consequences, "
                   f"{len(pack.cases)} archetypes\n")
    code, out, _ = cli(capsys, "rules", "test", "--coverage", "--format", "json")
    data = json.loads(out)
    valid("rules-test", data)
    assert code == 0 and data["ok"] and data["coverage"]["percent"] == 100
    cov = data["coverage"]
    questions = pipeline.load_questionnaire().by_key
    assert (cov["rules"], cov["questions"]) == (len(pack.rules), len(questions))
    assert cov["branches"] >= 10 and cov["branches_covered"] == cov["branches"]
    kinds = {i["kind"] for i in cov["items"]}
    assert kinds == {"rule", "branch", "question"}
    code, out, _ = cli(capsys, "rules", "test", "--coverage")
    assert code == 0
    assert "branch    datapath-needs-bypass: 'dpdk' in special_networking is true" in out
    assert out.rstrip().endswith("coverage 100 %")


def test_a_layer_adds_a_rule_and_coverage_names_the_branch_without_a_case(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layer = write_layer(tmp_path / "acme", {"constraints/acme-dmz-no-vm.yaml": DMZ})
    code, out, _ = cli(capsys, "rules", "test", str(layer))
    assert code == 0 and out.startswith("ok: ")  # the cases pass; coverage is not asked for
    code, out, err = cli(capsys, "rules", "test", "--coverage", str(layer))
    assert code == 4
    assert "branch    acme-dmz-no-vm: bare_metal_mandated is true" in out
    missing = ("'pci-dss' in compliance is false", "bare_metal_mandated is true")
    assert err.splitlines() == [
        f"{layer.name}/constraints/acme-dmz-no-vm.yaml:5:7: coverage: acme-dmz-no-vm: {branch}: no case where it "
        "decides; add the case or the rule" for branch in missing]
    code, out, _ = cli(capsys, "rules", "list", "--rules", str(layer), "--format", "json")
    data = json.loads(out)
    assert data["pack"] == "default@2 + acme@3"
    assert {r["id"]: r["pack"] for r in data["rules"]}["acme-dmz-no-vm"] == "acme@3"


def test_lint_points_the_list_trap_at_all_of_and_none_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trap = DMZ.replace("when: all_of(compliance, ['pci-dss', 'soc2']) or bare_metal_mandated",
                       "when: \"['pci-dss', 'soc2'] in compliance or bare_metal_mandated\"")
    layer = write_layer(tmp_path / "acme", {"constraints/acme-dmz-no-vm.yaml": trap})
    code, out, err = cli(capsys, "rules", "lint", str(layer), "--format", "json")
    assert code == 1
    data = json.loads(out)
    valid("rules-lint", data)
    assert data["problems"] == [{
        "location": f"{layer.name}/constraints/acme-dmz-no-vm.yaml:5:8",
        "message": "a list 'in' a list is ambiguous",
        "hint": "write all_of(compliance, [...]) for every item present, or any_of(compliance, [...]) for at least "
                "one"}]
    assert err == (f"{layer.name}/constraints/acme-dmz-no-vm.yaml:5:8: a list 'in' a list is ambiguous; write "
                   "all_of(compliance, [...]) for every item present, or any_of(compliance, [...]) for at least one\n")


def test_layers_override_disable_and_clash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mandate = (PACK / "constraints" / "written-mandate.yaml").read_text()
    mine = mandate.replace("title: A written mandate requires bare metal", "title: Our board's bare-metal mandate")
    clash = write_layer(tmp_path / "clash", {"constraints/written-mandate.yaml": mine})
    code, out, err = cli(capsys, "rules", "lint", str(clash))
    assert (code, out) == (1, "")
    assert err == (f"{clash.name}/constraints/written-mandate.yaml:1:5: rule id 'written-mandate' is already "
                   f"defined by {PACK_FOLDER}/constraints/written-mandate.yaml; add 'overrides: true' to replace it, "
                   "or choose another id\n")
    over_pack = "advisor_rule_pack: 2\nname: over\nversion: 1\ndisable:\n  vm-licence: we own perpetual licences\n"
    over = write_layer(tmp_path / "over", {"constraints/written-mandate.yaml": "overrides: true\n" + mine}, over_pack)
    code, out, _ = cli(capsys, "rules", "show", "written-mandate", "--rules", str(over))
    assert code == 0 and out.startswith("written-mandate: Our board's bare-metal mandate\n")
    assert "(pack over@1)" in out
    code, out, _ = cli(capsys, "rules", "list", "--rules", str(over))
    assert "disabled: vm-licence: we own perpetual licences\n" in out and "\nvm-licence " not in out
    orphan = write_layer(tmp_path / "orphan", {"constraints/written-mandat.yaml": "overrides: true\n" + mine.replace(
        "id: written-mandate", "id: written-mandat")})
    code, _, err = cli(capsys, "rules", "lint", str(orphan))
    assert code == 1
    assert err == (f"{orphan.name}/constraints/written-mandat.yaml:1:1: 'overrides: true' but no earlier pack defines "
                   "'written-mandat'; did you mean 'written-mandate'?\n")
    old = write_layer(tmp_path / "old", {}, "# a format-1 pack\nadvisor_rule_pack: 1\nname: old\nversion: 1\n")
    code, _, err = cli(capsys, "rules", "lint", str(old))
    assert code == 1
    assert err == ("old/pack.yaml:2:20: this is a format-1 rule pack (effects and weights), which advisor no longer "
                   "reads; write its rules as format-2 constraints and consequences: see docs/writing-rules.md\n")
    whole = write_layer(tmp_path / "whole", {}, (PACK / "pack.yaml").read_text())
    code, _, err = cli(capsys, "rules", "lint", str(over), str(whole))
    assert code == 1
    assert err.startswith(f"{whole.name}/pack.yaml:") and "a layer cannot redefine the criteria" in err


def test_the_compiled_pack_is_cached_by_content_and_read_back_without_a_yaml_parser(tmp_path: Path) -> None:
    layer = write_layer(tmp_path / "acme", {"constraints/acme-dmz-no-vm.yaml": DMZ})
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("ADVISOR_NO_CACHE", None)
    probe = ("import sys; from advisor import pipeline; p = pipeline.load_decision_pack([sys.argv[1]]); "
             "print(p.name, len(p.rules), [r.rule.title for r in p.rules if r.id == 'acme-dmz-no-vm'][0], "
             "any(m.split('.')[0] in ('ruamel', 'yaml') for m in sys.modules))")

    def load() -> str:
        return subprocess.run([sys.executable, "-c", probe, str(layer)], env=env, cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout

    first = load()
    assert first.endswith("The DMZ policy forbids a hypervisor layer True\n")
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "cache").glob("pack*")) == ["pack2", "packtypes"]
    assert load() == first.replace(" True\n", " False\n")  # read back: same pack, neither YAML parser
    rule = layer / "constraints" / "acme-dmz-no-vm.yaml"
    rule.write_text(rule.read_text().replace("forbids a hypervisor layer", "forbids hypervisors"))
    assert load().endswith("The DMZ policy forbids hypervisors True\n")  # new bytes, new key
    out = subprocess.run([sys.executable, "-m", "advisor", "--no-cache", "rules", "list", "--rules", str(layer)],
                         env=env, cwd=ROOT, text=True, capture_output=True, check=True)
    assert "acme-dmz-no-vm" in out.stdout
    assert len(list((tmp_path / "cache").glob("pack2-*"))) == 2  # --no-cache wrote nothing


def test_docs_prints_the_rule_pack_reference(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules", "docs")
    assert code == 0
    assert out == (ROOT / "docs" / "rule-pack.md").read_text()
    code, out, _ = cli(capsys, "rules", "path", "--format", "json")
    assert code == 0 and Path(json.loads(out)["path"]) == PACK.resolve()


def test_facts_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "facts", "--format", "markdown")
    assert code == 0
    assert out == facts_markdown(pipeline.fact_catalog(pipeline.load_questionnaire()))
    code, out, _ = cli(capsys, "facts", "--format", "json", "--source", "derived")
    rows = json.loads(out)
    assert rows[0] == {"name": "upgrade_days_per_year", "type": "float", "choices": None, "source": "derived",
                       "description": "Days per year with a cluster upgrade in progress, summed over clusters"}
    code, out, _ = cli(capsys, "facts", "--source", "measured")
    assert code == 0 and "measured.net.p99_ratio" in out and "latency_p99_ms" not in out


def test_coverage_asks_for_an_unknown_case_when_a_derived_fact_reads_an_optional_question(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = (PACK / "constraints" / "capital-budget-subscription.yaml").read_text()
    # vm_licence_per_host reads hypervisor_license_per_core_year (optional: asked of an estate only)
    assert "when: spend_model == 'capital' and vm_licence_per_host > 0" in rule
    without = "overrides: true\n" + "".join(line for line in rule.splitlines(keepends=True)[:-2])
    assert "expect: unknown" not in without
    layer = write_layer(tmp_path / "acme", {"constraints/capital-budget-subscription.yaml": without})
    code, _, err = cli(capsys, "rules", "test", "--coverage", str(layer))
    assert code == 4
    assert err.splitlines() == ["acme/constraints/capital-budget-subscription.yaml:20:1: coverage: "
                                "capital-budget-subscription: no case that unknown; add the case or the rule"]
