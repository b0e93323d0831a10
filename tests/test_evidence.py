"""The evidence catalogue: the shipped one is valid, each item backs one estimate; broken ones give one exact line."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from advisor import pipeline, yamlio
from advisor.cli.reference import generated_files
from advisor.errors import DataError
from advisor.rules.citations import check_citations, citations
from advisor.rules.evidence import EVIDENCE_FILE, EVIDENCE_GRADES, Catalogue, load_catalogue
from advisor.rules.evidence_reference import render_markdown

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "rules"

ITEM = """\
  - id: {id}
    source: Felter et al., IBM Research Report RC25482
    url: {url}
    published: 2014
    figure: {figure}
    applies_to: {{platform: KVM/QEMU, io_path: virtio-net, year: 2014}}
    premise: the virtio round trip took 30 us longer
    conclusion: a tight SLO loses budget on the virtio path
    grade: {grade}
    audit: {audit}
    verified: true
{extra}"""


def catalogue_text(*items: dict[str, str]) -> str:
    defaults = {"id": "felter-tcp-rr", "url": "https://example.org/rc25482.pdf",
                "figure": "TCP_RR 37.6 vs 67.9 us", "grade": "peer-reviewed", "audit": "audited",
                "extra": ""}
    return "advisor_evidence: 1\nitems:\n" + "".join(ITEM.format(**{**defaults, **i}) for i in items)


def error_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / EVIDENCE_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_catalogue(path, display="rules/evidence.yaml")
    return info.value.format()


def shipped() -> Catalogue:
    return load_catalogue(PACK / EVIDENCE_FILE, display="rules/evidence.yaml")


# --------------------------------------------------------------------------- the shipped catalogue


def test_shipped_catalogue_loads_with_a_document_url_and_a_grade_for_every_item() -> None:
    catalogue = shipped()
    assert len(catalogue) >= 40
    for item in catalogue:
        assert item.url.startswith(("https://", "http://")), item.id
        assert item.grade in EVIDENCE_GRADES, item.id


def test_shipped_citations_name_existing_items_each_backing_one_estimate_only() -> None:
    found = citations(PACK)
    problems = check_citations(shipped(), found)
    assert [p.format() for p in problems] == []
    kinds = {(rule_id, c.estimate) for rule_id, cs in found.items() for c in cs if c.evidence_id ==
             "felter2014-netperf-tcp-rr"}
    assert kinds == {("vm-network-path", True), ("microsecond-slo-vm", False)}  # a constraint may share it


def test_the_evidence_reference_is_generated_from_the_catalogue() -> None:
    files = generated_files(ROOT)
    text = files[ROOT / "docs" / "evidence.md"]
    assert text == render_markdown(shipped(), citations(PACK))
    for item in shipped():
        assert f"| [`{item.id}`](#{item.id}) | {item.grade} |" in text


def test_the_default_pack_loads_with_its_catalogue() -> None:
    pack = pipeline.lint_decision_pack(None, pipeline.load_questionnaire())
    assert pack.rules
    assert {c for r in pack.rules for c in r.rule.evidence} <= {item.id for item in shipped()}


# --------------------------------------------------------------------------- broken catalogues


@pytest.mark.parametrize(("change", "expected"), [
    ({"grade": "measured"}, ":11:12: items.0.grade: the grade 'measured' is reserved for the user's own "
     "measurements; grade published evidence as one of peer-reviewed, independent-benchmark, vendor-benchmark, "
     "expert-judgement, opinion"),
    ({"grade": "measured-here"}, ":11:12: items.0.grade: the grade 'measured-here' is reserved"),
    ({"grade": "vendor-claim"}, ":11:12: items.0.grade: 'vendor-claim' is not allowed; "
     "did you mean 'vendor-benchmark'?"),
    ({"url": "ftp://example.org/paper.pdf"}, ":5:10: items.0.url: 'ftp://example.org/paper.pdf' is not an "
     "http(s) URL; give the exact URL of the document"),
    ({"url": "https://metal3.io/"}, ":5:10: items.0.url: 'https://metal3.io/' is a site, not a document; "
     "give the URL of the page or paper itself"),
    ({"audit": "rejected"}, ":3:5: items.0.reason: a rejected item needs the reason; add 'reason:'"),
])
def test_a_broken_item_gives_one_exact_line(tmp_path: Path, change: dict[str, str], expected: str) -> None:
    message = error_of(tmp_path, catalogue_text(change))
    assert message.startswith("rules/evidence.yaml" + expected), message
    assert len(message.splitlines()) == 1


def test_an_item_without_a_url_is_refused(tmp_path: Path) -> None:
    text = catalogue_text({}).replace("    url: https://example.org/rc25482.pdf\n", "")
    assert error_of(tmp_path, text) == "rules/evidence.yaml:3:5: missing required key 'url' in items.0; add 'url:'"


def test_an_unverified_item_says_why(tmp_path: Path) -> None:
    text = catalogue_text({}).replace("verified: true", "verified: false")
    assert error_of(tmp_path, text) == ("rules/evidence.yaml:3:5: items.0.reason: an unverified item needs the "
                                        "reason it could not be read; add 'reason:'")


def test_an_unknown_key_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    text = catalogue_text({}).replace("    premise:", "    premiss: x\n    premise:")
    assert error_of(tmp_path, text) == "rules/evidence.yaml:9:5: unknown key 'premiss'; did you mean 'premise'?"


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    text = catalogue_text({}, {"figure": "UDP_RR 36.0 vs 64.0 us"})
    assert error_of(tmp_path, text) == ("rules/evidence.yaml:14:9: items.1.id: duplicate id 'felter-tcp-rr' "
                                        "(also item 1); ids are unique: rename the new one")


def test_the_same_figure_of_the_same_document_twice_is_refused(tmp_path: Path) -> None:
    text = catalogue_text({}, {"id": "felter-tcp-rr-again", "figure": "TCP_RR  37.6 vs 67.9 us"})
    assert error_of(tmp_path, text) == (
        "rules/evidence.yaml:18:13: items.1.figure: the same figure of the same document is already item "
        "'felter-tcp-rr'; cite that id, or quote a different figure")


def test_a_broken_catalogue_fails_the_pack_lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = tmp_path / "rules"
    shutil.copytree(PACK, pack)
    (pack / EVIDENCE_FILE).write_text(catalogue_text({"grade": "measured"}), encoding="utf-8")
    monkeypatch.setattr(pipeline, "DECISION_PACK_DIR", pack)
    with pytest.raises(DataError) as info:
        pipeline.lint_decision_pack(None, pipeline.load_questionnaire())
    assert "rules/evidence.yaml:11:12: items.0.grade: the grade 'measured' is reserved" in info.value.format()


# --------------------------------------------------------------------------- citations


def write_rule(pack: Path, rule_id: str, evidence: str, kind: str = "consequence") -> None:
    folder = pack / f"{kind}s"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rule_id}.yaml").write_text(f"id: {rule_id}\nevidence: {evidence}\nkind: {kind}\n", encoding="utf-8")


def catalogue_of(tmp_path: Path, *items: dict[str, str]) -> Catalogue:
    path = tmp_path / EVIDENCE_FILE
    path.write_text(catalogue_text(*items), encoding="utf-8")
    return load_catalogue(path, display="rules/evidence.yaml")


def test_citations_are_ids_under_any_evidence_key(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write_rule(pack, "a", "[felter-tcp-rr, {id: felter-udp-rr}, {source: inline, claim: x}]")
    (pack / "consequences" / "b.yaml").write_text("id: b\nconsequence:\n  estimate:\n    evidence: felter-udp-rr\n",
                                          encoding="utf-8")
    (pack / "cases").mkdir()
    (pack / "cases" / "c.yaml").write_text("name: c\nevidence: [felter-tcp-rr]\n", encoding="utf-8")
    found = citations(pack, display="pack")
    assert {rule: [c.evidence_id for c in cs] for rule, cs in found.items()} == {
        "a": ["felter-tcp-rr", "felter-udp-rr"], "b": ["felter-udp-rr"]}
    assert [str(c.location) for c in found["a"]] == ["pack/consequences/a.yaml:2:12",
                                                     "pack/consequences/a.yaml:2:32"]
    assert [str(c.location) for c in found["b"]] == ["pack/consequences/b.yaml:4:15"]


def test_an_item_backing_two_estimates_is_a_problem(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path, {})
    problems = check_citations(catalogue, {"rule-a": ["felter-tcp-rr"], "rule-b": ["felter-tcp-rr"]})
    assert [p.format() for p in problems] == [
        "rules/evidence.yaml:3:9: evidence 'felter-tcp-rr' backs two consequence estimates (cited by 'rule-a' and "
        "'rule-b'); an item backs one consequence estimate: split it into two items with different figures, or "
        "drop one citation"]


def test_a_constraint_may_cite_the_item_of_an_estimate(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write_rule(pack, "a-constraint", "[felter-tcp-rr]", kind="constraint")
    write_rule(pack, "b-estimate", "[felter-tcp-rr]")
    write_rule(pack, "c-constraint", "[felter-tcp-rr]", kind="constraint")
    found = citations(pack, display="rules")
    assert [c.estimate for c in found["a-constraint"] + found["b-estimate"]] == [False, True]
    assert check_citations(catalogue_of(tmp_path, {}), found) == []


def test_citation_problems_point_at_the_rule_file(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    write_rule(pack, "a", "[felter-tcp-rr]")
    write_rule(pack, "b", "[felter-tcp-rr, felter-tcp]")
    problems = check_citations(catalogue_of(tmp_path, {}), citations(pack, display="rules"))
    assert [p.format() for p in problems] == [
        "rules/consequences/b.yaml:2:12: evidence 'felter-tcp-rr' backs two consequence estimates (cited by 'a' "
        "and 'b'); an item backs one consequence estimate: split it into two items with different figures, or "
        "drop one citation",
        "rules/consequences/b.yaml:2:27: rule 'b' cites 'felter-tcp', which is not in the catalogue; "
        "did you mean 'felter-tcp-rr'?",
    ]


def test_an_item_cited_twice_by_one_rule_is_a_problem(tmp_path: Path) -> None:
    problems = check_citations(catalogue_of(tmp_path, {}), {"rule-a": ["felter-tcp-rr", "felter-tcp-rr"]})
    assert [p.message for p in problems] == ["evidence 'felter-tcp-rr' backs two consequence estimates (cited twice)"]


def test_unknown_and_rejected_citations_are_problems(tmp_path: Path) -> None:
    catalogue = catalogue_of(tmp_path, {}, {"id": "seed-article", "figure": "90-110 %", "grade": "opinion",
                                            "audit": "rejected", "extra": "    reason: no source for the figure\n"})
    problems = check_citations(catalogue, {"rule-a": ["felter-tcp-r", "seed-article"]})
    assert [p.format() for p in problems] == [
        "rules/evidence.yaml: rule 'rule-a' cites 'felter-tcp-r', which is not in the catalogue; "
        "did you mean 'felter-tcp-rr'?",
        "rules/evidence.yaml:14:9: rule 'rule-a' cites the rejected item 'seed-article'; cite another item; "
        "the reason is in rules/evidence.yaml:14:9",
    ]


# --------------------------------------------------------------------------- the generated reference


def test_the_reference_passes_markdownlint() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (CI installs it; see .ci/run)")
    cli = ROOT / ".ci" / "node" / "node_modules" / "markdownlint-cli2" / "markdownlint-cli2-bin.mjs"
    if not cli.exists():
        pytest.skip("markdownlint-cli2 is not installed: run 'npm ci --prefix .ci/node' (.ci/run does)")
    proc = subprocess.run(["node", str(cli), "docs/evidence.md"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_text_in_the_reference_is_one_line_with_links_and_escaped_pipes(tmp_path: Path) -> None:
    note = "    note: \"see (https://example.org/a|b), then https://example.org/c.\\nnext line\"\n"
    catalogue = catalogue_of(tmp_path, {"extra": note})
    text = render_markdown(catalogue, {"rule-a": ["felter-tcp-rr"]})
    assert "- **Note:** see (<https://example.org/a\\|b>), then <https://example.org/c>. next line" in text
    row = "| [`felter-tcp-rr`](#felter-tcp-rr) | peer-reviewed | KVM/QEMU; virtio-net | 2014 | audited | `rule-a` |"
    assert row in text


def test_schema_evidence_accepts_the_shipped_catalogue_and_refuses_a_measured_grade(advisor: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result = advisor("schema", "evidence")
    assert result.exit_code == 0, result.stderr
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = yamlio.load(PACK / EVIDENCE_FILE).plain()
    assert list(validator.iter_errors(data)) == []
    data["items"][0]["grade"] = "measured"
    assert [e.message for e in validator.iter_errors(data)] == [
        "'measured' is not one of ['peer-reviewed', 'independent-benchmark', 'vendor-benchmark', "
        "'expert-judgement', 'opinion']"]


def test_rules_lint_refuses_an_item_backing_two_estimates(tmp_path: Path) -> None:
    """A layer's consequence citing the item of a bundled estimate is refused; a constraint citing it is not."""
    layer = tmp_path / "acme"
    (layer / "consequences").mkdir(parents=True)
    (layer / "pack.yaml").write_text("advisor_rule_pack: 2\nname: acme\nversion: 1\n", encoding="utf-8")
    shutil.copy(PACK / "consequences" / "vm-network-path.yaml", layer / "consequences" / "acme-network-path.yaml")
    rule = layer / "consequences" / "acme-network-path.yaml"
    rule.write_text(rule.read_text(encoding="utf-8").replace("id: vm-network-path", "id: acme-network-path"),
                    encoding="utf-8")
    with pytest.raises(DataError) as info:
        pipeline.lint_decision_pack([layer], pipeline.load_questionnaire())
    message = info.value.format()
    assert ("evidence 'felter2014-netperf-tcp-rr' backs two consequence estimates (cited by 'vm-network-path' "
            "and 'acme-network-path')") in message, message
    assert "acme-network-path.yaml:" in message and "microsecond-slo-vm" not in message


def test_the_pack_loader_refuses_a_rejected_item_with_the_catalogue_check(tmp_path: Path) -> None:
    """The loader runs the one citation check: a layer's rule citing a rejected item is refused as such."""
    layer = tmp_path / "acme"
    (layer / "consequences").mkdir(parents=True)
    (layer / "pack.yaml").write_text("advisor_rule_pack: 2\nname: acme\nversion: 1\n", encoding="utf-8")
    rule = layer / "consequences" / "acme-network-path.yaml"
    text = (PACK / "consequences" / "vm-network-path.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^evidence: \[.*\]$", "evidence: [newstack-soft-vs-hard-limits]", text, flags=re.MULTILINE)
    rule.write_text(text.replace("id: vm-network-path", "id: acme-network-path"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        pipeline.lint_decision_pack([layer], pipeline.load_questionnaire())
    message = info.value.format()
    assert "acme-network-path.yaml:" in message
    assert "rule 'acme-network-path' cites the rejected item 'newstack-soft-vs-hard-limits'" in message, message
    assert "the reason is in rules/evidence.yaml:" in message, message
