"""Record -> MADR markdown: sections, close calls, knock-outs, measurements, tipping points; lint."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from advisor import decision, pipeline, report
from advisor import profile as profiles

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "docs" / "examples" / "profiles"
NODE_DIR = ROOT / ".ci" / "node"

SECTIONS = [
    "## Context and Problem Statement",
    "## Decision Drivers",
    "## Considered Options",
    "## Decision Outcome",
    "### Consequences",
    "### Confirmation",
    "## Pros and Cons of the Options",
    "### Bare metal",
    "### VM-backed",
    "## More Information",
    "### Scores per Criterion",
    "### Fault Domains",
    "### Measurement Verdicts",
    "### Tipping Points",
    "### Unknown Facts",
    "### Revisit Triggers",
    "### Reproducibility",
]


def _record(name: str, **update: object) -> decision.DecisionRecord:
    q = pipeline.load_questionnaire()
    rec = pipeline.decide(profiles.load(PROFILES / f"{name}.profile.yaml", q), questionnaire=q, date="2026-11-28",
                          decision_makers=["Ada"], profile_display=f"{name}.profile.yaml")
    return rec.model_copy(update=update) if update else rec


@pytest.fixture(scope="module")
def saas() -> decision.DecisionRecord:
    return _record("multi-tenant-saas")


def _headings(md: str) -> list[str]:
    body = md.split("```")
    return [line for i, part in enumerate(body) if i % 2 == 0 for line in part.splitlines() if line.startswith("#")]


def test_sections_in_madr_order(saas: decision.DecisionRecord) -> None:
    md = report.to_markdown(saas)
    assert md.startswith("---\nstatus: proposed\ndate: 2026-11-28\ndecision-makers:\n  - \"Ada\"\n---\n\n# Run ")
    headings = _headings(md)
    assert headings[0] == f"# {saas.title}"
    assert [h for h in headings if h in SECTIONS] == SECTIONS
    assert md.endswith("```\n") and not md.endswith("\n\n")


def test_outcome_names_the_option_and_its_numbers(saas: decision.DecisionRecord) -> None:
    md = report.to_markdown(saas)
    assert 'Chosen option: "VM-backed", because it has the higher score: ' in md
    assert f"margin {saas.margin:.2f}" in md and f"confidence {saas.confidence:.2f}" in md
    assert "Close call" not in md


def test_close_call_is_called_out(saas: decision.DecisionRecord) -> None:
    close = saas.model_copy(update={"close": True, "margin": 0.08})
    md = report.to_markdown(close)
    outcome = md.split("## Decision Outcome")[1].split("### Consequences")[0]
    assert "> **Close call.** The margin 0.08 is under the close threshold 0.15" in outcome


def test_knocked_out_option_is_marked() -> None:
    md = report.to_markdown(_record("regulated-bank-mandate"))
    options = md.split("## Considered Options")[1].split("## Decision Outcome")[0]
    assert "- VM-backed Kubernetes nodes (**ruled out** by knock-out `bare-metal-mandated`" in options
    assert "- Bare-metal Kubernetes nodes\n" in options
    assert 'Chosen option: "Bare metal", because VM-backed is ruled out' in md
    vm = md.split("### VM-backed")[1].split("## More Information")[0]
    assert "Bad, because it is ruled out" in vm


def test_pros_and_cons_cite_evidence_with_grades(saas: decision.DecisionRecord) -> None:
    md = report.to_markdown(saas)
    pros = md.split("## Pros and Cons of the Options")[1].split("## More Information")[0]
    for rule_id, rule in saas.fired_rules.items():
        if rule["criterion"] is None:
            continue
        assert f"`{rule_id}`" in pros
        for ev in rule["evidence"]:
            if ev.get("url"):
                assert f"]({ev['url']}) ({ev['grade']})" in pros


def test_confirmation_gives_the_measure_command_and_no_verdicts(saas: decision.DecisionRecord) -> None:
    md = report.to_markdown(saas)
    conf = md.split("### Confirmation")[1].split("## Pros and Cons")[0]
    assert "advisor assess --profile multi-tenant-saas.profile.yaml --defaults --targets targets.yaml" in conf
    assert conf.strip().endswith("No measurements recorded.")
    verdicts = md.split("### Measurement Verdicts")[1].split("###")[0]
    assert verdicts.strip() == "No measurements recorded."


def test_measurement_verdicts_table(saas: decision.DecisionRecord) -> None:
    measured = decision.MeasurementsInfo(path="m.json", sha256="0" * 64, verdicts=[
        {"probe": "net", "ratio": 1.031, "ci_low": 1.01, "ci_high": 1.05, "verdict": "slower"}])
    md = report.to_markdown(saas.model_copy(update={"measurements": measured}))
    assert "No measurements recorded." not in md
    assert re.search(r"\| `net` +\| - +\| 1\.031 +\| \[1\.010, 1\.050\] +\| slower +\| - +\|", md)
    assert "`m.json` sha256 `" + "0" * 64 + "`" in md


def test_tipping_points_table(saas: decision.DecisionRecord) -> None:
    point = {"key": "tenant_count", "current": 400, "condition": "tenant_count < 3", "recommendation": "bare-metal",
             "relative_change": 0.9925}
    md = report.to_markdown(saas.model_copy(update={"tipping_points": [point]}))
    section = md.split("### Tipping Points")[1].split("###")[0]
    assert re.search(r"\| `tenant_count` +\| 400 +\| `tenant_count < 3` +\| bare metal +\| 99% +\|", section)
    none = report.to_markdown(saas.model_copy(update={"tipping_points": []}))
    assert "No single change of one answer flips" in none


def test_reproducibility_block(saas: decision.DecisionRecord) -> None:
    md = report.to_markdown(saas)
    block = md.split("### Reproducibility")[1]
    assert f"advisor {saas.tool_version}" in block
    assert "`default` version 1" in block
    assert saas.profile.sha256 in block and saas.rules.packs[0].sha256 in block and saas.rules.sha256 in block
    assert "| measurements " in block and "none" in block
    assert f"```sh\n{saas.command}\n```" in block


def test_mermaid_block_is_the_fault_domain_diagram(saas: decision.DecisionRecord) -> None:
    md = report.to_markdown(saas)
    assert f"```mermaid\n{saas.mermaid.rstrip()}\n```" in md


def test_markdown_special_characters_are_escaped(saas: decision.DecisionRecord) -> None:
    md = report.to_markdown(saas.model_copy(update={"title": "A | B <script> *x*", "workload": "w_1"}))
    assert "# A \\| B \\<script> \\*x\\*" in md
    assert "**w\\_1**" in md


def test_links_to_related_records(saas: decision.DecisionRecord) -> None:
    linked = saas.model_copy(update={"supersedes": 3, "links": [
        decision.Link(relation="supersedes", number=3, title="Run x on bare-metal Kubernetes nodes")]})
    md = report.to_markdown(linked)
    target = "0003-run-x-on-bare-metal-kubernetes-nodes.md"
    assert f"- Supersedes [0003 Run x on bare-metal Kubernetes nodes]({target})" in md


def test_json_twin_is_the_model(saas: decision.DecisionRecord) -> None:
    assert report.to_json(saas) == saas.to_json()


# ----------------------------------------------------------------- external checkers (npm, under .ci/node)


def _node_tool(path: str) -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (CI installs it; see .ci/run)")
    tool = NODE_DIR / path
    if not tool.exists():
        pytest.skip(f"{tool.relative_to(ROOT)} is missing: run 'npm ci --prefix .ci/node' (.ci/run does)")
    return tool


def _example_markdown() -> list[str]:
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs" / "examples" / "records").glob("*.md"))
    assert files, "no example records in docs/examples/records/"
    return files


def test_records_pass_markdownlint() -> None:
    cli = _node_tool("node_modules/markdownlint-cli2/markdownlint-cli2-bin.mjs")
    proc = subprocess.run(["node", str(cli), *_example_markdown()], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 error(s)" in proc.stdout + proc.stderr


def test_fresh_record_passes_markdownlint(tmp_path: Path, saas: decision.DecisionRecord) -> None:
    """Also the unusual parts the examples lack: close call, verdicts, links, odd characters."""
    cli = _node_tool("node_modules/markdownlint-cli2/markdownlint-cli2-bin.mjs")
    rec = saas.model_copy(update={
        "close": True, "title": "A | B <b> [x]", "decision_makers": [],
        "measurements": decision.MeasurementsInfo(verdicts=[{"probe": "cpu", "ratio": 0.98, "verdict": "equivalent"}]),
        "links": [decision.Link(relation="relates to", number=2, title="Other")],
    })
    target = tmp_path / "0001-x.md"
    target.write_text(report.to_markdown(rec))
    config = ROOT / ".markdownlint-cli2.yaml"
    proc = subprocess.run(["node", str(cli), "--config", str(config), str(target)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mermaid_blocks_parse_with_mermaid() -> None:
    script = _node_tool("mermaid-parse.mjs")
    if not (NODE_DIR / "node_modules" / "mermaid").exists():
        pytest.skip("mermaid is not installed: run 'npm ci --prefix .ci/node' (.ci/run does)")
    files = _example_markdown()
    proc = subprocess.run(["node", str(script), *files], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(files)} diagram(s) parsed" in proc.stdout


def test_mermaid_parser_rejects_a_broken_diagram(tmp_path: Path) -> None:
    script = _node_tool("mermaid-parse.mjs")
    if not (NODE_DIR / "node_modules" / "mermaid").exists():
        pytest.skip("mermaid is not installed: run 'npm ci --prefix .ci/node' (.ci/run does)")
    bad = tmp_path / "bad.md"
    bad.write_text('# x\n\n```mermaid\nflowchart TB\n  a["open --> b\n```\n')
    proc = subprocess.run(["node", str(script), str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert f"{bad}:4:" in proc.stderr
