"""The appendix of a record (More Information): answers, screen, tables, rules, measurements, links, reproducibility."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from advisor.records import DecisionRecord
from advisor.render.body import source_text, status_words
from advisor.render.reasons import range_words
from advisor.render.text import (
    OPTIONS,
    bullets,
    code,
    evidence_links,
    inline,
    num,
    option_name,
    record_file,
    shell_block,
    table,
    upper_first,
)

BODY_END = "## More Information"


def more_information(record: DecisionRecord) -> str:
    parts = [
        BODY_END,
        "The details behind the body above; every number is also in the JSON twin.",
        _answers(record),
        _screen(record),
        _consequence_table(record),
        _criteria_table(record),
        _rules(record),
        _value_of_information(record),
        _graph_section(record),
        _measurement_details(record),
        _unknown(record),
        _links(record),
        _reproducibility(record),
    ]
    return "\n\n".join(p for p in parts if p)


def _answers(record: DecisionRecord) -> str:
    if not record.context:
        return ""
    rows = [[code(c["key"]), inline(c["question"]), inline(c["answer"]), source_text(c), inline(c.get("note", ""))]
            for c in record.context]
    return ("### Answers\n\nFrom the profile " + code(record.profile.path or "-") + "; *answered* means given or "
            "confirmed by a person, *default* means the question was never shown.\n\n"
            + table(rows, ["key", "question", "answer", "origin", "note"]))


def _screen(record: DecisionRecord) -> str:
    items = []
    for option in OPTIONS:
        opt = record.decision.options[option]  # type: ignore[index]
        items.append(f"{upper_first(option_name(option))}: {opt.status}; {inline(status_words(opt))}")
    for c in record.decision.constraints:
        items.append(f"{code(c.rule_id)} ({option_name(c.option)}, {c.kind}): {inline(c.sentence)}")
    return "### Screen\n\nEach option's status before any consequence is weighed, and every constraint that " \
        "applied:\n\n" + bullets(items)


def _consequence_table(record: DecisionRecord) -> str:
    rows = []
    for crit in record.decision.criteria:
        by = {o: crit.attributes.get(o, []) for o in OPTIONS}  # type: ignore[call-overload]
        for bm, vm in zip(by["bare-metal"], by["vm"], strict=True):
            rows.append([crit.criterion, inline(bm.label), inline(range_words(bm)), inline(range_words(vm)),
                         code(bm.rule_id or "-") + " / " + code(vm.rule_id or "-")])
    if not rows:
        return ""
    return ("### Consequences in Full\n\nEach attribute of the chosen configurations in its own unit: the most "
            "likely value, its range and where it comes from (rule of bare metal / of VM-backed):\n\n"
            + table(rows, ["criterion", "attribute", "bare metal", "VM-backed", "rules"]))


def _criteria_table(record: DecisionRecord) -> str:
    rows = [[c.criterion, str(c.priority), num(c.value["bare-metal"]), num(c.value["vm"]), f"{c.contribution:+.2f}"]
            for c in record.decision.criteria]
    if not rows:
        return ""
    unc = record.decision.uncertainty
    tail = ""
    if unc is not None:
        tail = (f"\n\nExpected utility difference {unc.expected_difference:+.2f}; {unc.samples} draws, seed "
                f"{unc.seed}.")
    return ("### Criteria\n\nExpected value (0 to 1) of each criterion under its value function "
            "(docs/scoring.md), and the priority times the difference:\n\n"
            + table(rows, ["criterion", "priority", "bare metal", "VM-backed", "share of U(bm) - U(vm)"]) + tail)


def _rules(record: DecisionRecord) -> str:
    items = []
    for rule_id, rule in sorted(record.rules_applied.items()):
        text = (f"{code(rule_id)} ({rule.get('kind', 'rule')}, {option_name(str(rule.get('option', '')))}): "
                f"{inline(str(rule.get('title', '')))}.")
        if rule.get("rationale"):
            text += f" {inline(str(rule['rationale']))}"
        links = evidence_links(rule)
        items.append(text + (f" Evidence: {links}" if links else ""))
    if not items:
        return ""
    return "### Rules Applied\n\n" + bullets(items)


def _value_of_information(record: DecisionRecord) -> str:
    if not record.confirmation:
        return ""
    rows = [[code(c["probe"]), inline(str(c.get("compares", ""))), f"{float(c.get('value_of_information', 0)):.3f}",
             "yes" if c.get("can_flip") else "no"] for c in record.confirmation]
    return ("### Value of Information\n\nThe measurable unknowns, most valuable first: the expected gain in "
            "utility from knowing the measured range exactly, and whether an end of its range could flip the "
            "result:\n\n" + table(rows, ["probe", "compares", "value", "could flip"]))


def _metric_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _graph_section(record: DecisionRecord) -> str:
    options = record.graph.get("options", {})
    definitions: Mapping[str, Any] = record.graph.get("definitions", {})
    keys = [k for k in ("bare_metal", "vm") if k in options]
    if not keys:
        return ""
    from advisor.faultdomain import METRICS

    order = [m.name for m in METRICS if m.name in definitions] + sorted(
        n for n in definitions if n not in {m.name for m in METRICS})
    rows = []
    for name in order:
        shown = [_metric_value(options[k]["metrics"].get(name, "-")) for k in keys]
        if len(set(shown)) > 1:  # only the metrics that differ between the options
            rows.append([code(name), *shown, inline(definitions[name].get("definition", ""))])
    headers = ["metric", *(inline(options[k].get("label", k)) for k in keys), "definition"]
    text = ["### Fault Domains", "",
            f"The fault-domain metrics that differ between the options ({len(rows)} of {len(order)}; "
            "docs/fault-domains.md; all of them are in the JSON twin):"]
    text += ["", table(rows, headers)] if rows else ["", "None: both options have the same fault domains."]
    if record.mermaid:
        text += ["", "One site, rack and host of each option, expanded:", "", "```mermaid",
                 record.mermaid.rstrip("\n"), "```"]
    return "\n".join(text)


def _measurement_details(record: DecisionRecord) -> str:
    m = record.measurements
    parts = []
    if m.path:
        parts.append(f"Result file {code(m.path)}, sha256 {code(m.sha256 or '-')}.")
    if m.targets:
        trows = [[inline(str(t.get("target", "-"))), inline(str(t.get("role", "-"))),
                  inline(str(t.get("runner", "-"))), inline(str(t.get("cpu_model", "-"))),
                  inline(str(t.get("kernel", "-"))), inline(str(t.get("virtualization", "-"))),
                  inline(str(t.get("placement", "-")))] for t in m.targets]
        parts.append(table(trows, ["target", "role", "runner", "CPU", "kernel", "virtualization", "placement"]))
    if m.verdicts:
        parts.append(bullets(f"{code(str(v.get('probe', '?')))}: main metric {inline(str(v.get('metric', '-')))}, "
                              f"runs {inline(str(v.get('runs', '-')))}" for v in m.verdicts))
    if m.skipped:
        parts.append(bullets([f"{code(p)} not measured: {inline(why)}" for p, why in sorted(m.skipped.items())]))
    if not parts:
        return ""
    return "### Measurement Details\n\n" + "\n\n".join(parts)


def _unknown(record: DecisionRecord) -> str:
    ids = record.decision.unknown_rules
    if not ids:
        return ""
    return ("### Unknown Answers\n\nThese rules read an answer or measurement that is unknown, so they did not "
            "count:\n\n" + bullets(code(i) for i in ids))


def _links(record: DecisionRecord) -> str:
    items = []
    if record.supersedes and not any(lk.relation == "supersedes" for lk in record.links):
        items.append(f"Supersedes record {record.supersedes:04d}")
    if record.superseded_by and not any(lk.relation == "superseded by" for lk in record.links):
        items.append(f"Superseded by record {record.superseded_by:04d}")
    for lk in record.links:
        label = f"{lk.number:04d} {inline(lk.title)}".rstrip()
        target = record_file(lk.number, lk.title) if lk.title else None
        note = f" ({inline(lk.note)})" if lk.note else ""
        items.append(f"{upper_first(inline(lk.relation))} [{label}]({target}){note}" if target
                     else f"{upper_first(inline(lk.relation))} record {lk.number:04d}{note}")
    if not items:
        return ""
    return "### Related Records\n\n" + bullets(items)


def _reproducibility(record: DecisionRecord) -> str:
    q = record.profile.questionnaire
    rows = [
        ["tool version", f"advisor {inline(record.tool_version)}"],
        ["questionnaire", f"{code(q.id)} version {q.version}"],
        ["profile", f"{code(record.profile.path or '-')} sha256 {code(record.profile.sha256)}"],
    ]
    for p in record.rules.packs:
        rows.append(["rule pack", f"{code(p.name)} version {p.version} ({code(p.path)}) sha256 {code(p.sha256)}"])
    rows.append(["rule packs, layered", f"sha256 {code(record.rules.sha256)}"])
    m = record.measurements
    rows.append(["measurements", f"{code(m.path)} sha256 {code(m.sha256 or '-')}" if m.path else "none"])
    text = ["### Reproducibility", "", table(rows, ["input", "identity"])]
    if record.command:
        text += ["", "Regenerate this record (as a new number) with:", "", shell_block(record.command)]
    return "\n".join(text)
