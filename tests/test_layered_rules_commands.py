"""``whatif`` and ``portfolio`` layer every ``--rules`` folder over the bundled pack, as ``assess`` does."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from advisor.cli import run

PROFILE = "advisor_profile: 1\nquestionnaire: {id: default, version: 1}\nanswers:\n  compliance: [pci-dss, soc2]\n"
INVENTORY = "advisor_portfolio: 1\nworkloads:\n  - answers: {workload_name: dmz-api, compliance: [pci-dss, soc2]}\n"
DMZ = """\
    id: acme-dmz-no-vm
    kind: constraint
    title: The DMZ policy forbids a hypervisor layer
    option: vm
    when: all_of(compliance, ['pci-dss', 'soc2'])
    infeasible: true
    because: the organisation's DMZ policy forbids a hypervisor layer
    rationale: Our DMZ policy, section 4.
    cases:
      - {name: both regimes, answers: {compliance: [pci-dss, soc2]}, expect: fires}
      - {name: one regime, answers: {compliance: [pci-dss]}, expect: does-not-fire}
"""


@pytest.fixture
def layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two layers: ``acme`` adds a constraint, ``over`` (given last) only disables a rule."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme" / "constraints").mkdir(parents=True)
    (tmp_path / "acme" / "pack.yaml").write_text("advisor_rule_pack: 2\nname: acme\nversion: 3\n")
    (tmp_path / "acme" / "constraints" / "acme-dmz-no-vm.yaml").write_text(textwrap.dedent(DMZ))
    (tmp_path / "over").mkdir()
    (tmp_path / "over" / "pack.yaml").write_text(
        "advisor_rule_pack: 2\nname: over\nversion: 1\ndisable:\n  vm-licence: we own perpetual licences\n")
    (tmp_path / "p.yaml").write_text(PROFILE)
    (tmp_path / "inv.yaml").write_text(INVENTORY)
    return ["--rules", "acme", "--rules", "over"]


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert run(["--no-cache", *args]) == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_whatif_applies_every_layer(layers: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "whatif", "--profile", "p.yaml", *layers, "--format", "json")
    assert data["outcome"] == "one-ruled-out"
    assert data["sentence"] == ("Bare metal: VM-backed is ruled out because the organisation's DMZ policy forbids a "
                                "hypervisor layer.")
    alone = _json(capsys, "whatif", "--profile", "p.yaml", "--rules", "over", "--format", "json")
    assert alone["outcome"] != "one-ruled-out"  # the constraint comes from the first layer only


def test_portfolio_applies_every_layer_and_names_them(layers: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--no-cache", "portfolio", "inv.yaml", "--summary-only", "--output-dir", "out", "--quiet",
                *layers]) == 0
    capsys.readouterr()
    summary = json.loads(Path("out/portfolio-summary.json").read_text())
    assert summary["rules"] == [{"name": "default", "version": 2}, {"name": "acme", "version": 3},
                                {"name": "over", "version": 1}]
    assert summary["ruled_out"] == [{"workload": "dmz-api", "option": "vm", "rules": ["acme-dmz-no-vm"],
                                     "reason": "the organisation's DMZ policy forbids a hypervisor layer"}]
