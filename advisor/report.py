"""Decision record -> MADR 4.0 markdown and the JSON twin. Strings only: no I/O, no printing.

The markdown is rendered from the record alone (so that ``NNNN-slug.json`` is enough
to regenerate ``NNNN-slug.md``); the sections are explained in docs/decision-records.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tabulate import tabulate

from advisor.decision import NODE_NAMES, OPTION_NAMES, DecisionRecord, slugify

__all__ = ["MEASURE_COMMAND", "to_json", "to_markdown"]

#: How to take the measurements that confirm a decision (docs/decision-records.md, Confirmation).
MEASURE_COMMAND = "advisor assess --profile {profile} --defaults --targets targets.yaml --measure always"

_OPTIONS = ("bare-metal", "vm")
_GRAPH_KEYS = {"bare-metal": "bare_metal", "vm": "vm"}
_CRITERION_WORDS = {
    "performance": "performance", "isolation": "isolation", "operations": "operations",
    "resilience": "resilience", "cost": "cost",
}


def to_json(record: DecisionRecord) -> str:
    """The JSON twin: every number, sorted keys (``DecisionRecord.to_json``)."""
    return record.to_json()


def to_markdown(record: DecisionRecord) -> str:
    """The record as MADR 4.0 markdown with YAML front matter; ends with one newline."""
    parts = [
        _front_matter(record),
        f"# {_inline(record.title)}",
        _context(record),
        _drivers(record),
        _options(record),
        _outcome(record),
        _consequences(record),
        _confirmation(record),
        _pros_cons(record),
        _more_information(record),
    ]
    return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"


# --------------------------------------------------------------------------- helpers


def _inline(text: Any) -> str:
    """One line of plain text, safe in markdown paragraphs and table cells."""
    out = " ".join(str(text).split())
    for ch in ("\\", "|", "*", "_", "`", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return re.sub(r"<(?=[A-Za-z/!?])", r"\\<", out)  # no inline HTML


def _lc(text: str) -> str:
    """A title continuing a sentence: first letter lower-cased (unless an acronym)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _code(text: str) -> str:
    """Inline code (a longer fence when the text holds backticks)."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    return tabulate([list(r) for r in rows], headers=list(headers), tablefmt="github", disable_numparse=True)


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {i}" for i in items)


def _f(x: Any, digits: int = 2) -> str:
    return f"{float(x):.{digits}f}"


def _name(option: str) -> str:
    return OPTION_NAMES.get(option, option)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title_name(option: str) -> str:
    return _upper_first(_name(option))


def _result(record: DecisionRecord) -> Mapping[str, Any]:
    return record.result


def _contributions(record: DecisionRecord) -> list[Mapping[str, Any]]:
    return list(_result(record).get("contributions", []))


def _evidence_links(rule: Mapping[str, Any]) -> str:
    links = []
    for e in rule.get("evidence", []):
        text = _inline(e.get("source", "source"))
        grade = e.get("grade", "")
        links.append(f"[{text}]({e['url']}) ({grade})" if e.get("url") else f"{text} ({grade})")
    return "; ".join(links)


def _record_file(number: int, title: str) -> str:
    return f"{number:04d}-{slugify(title)}.md"


# --------------------------------------------------------------------------- sections


def _front_matter(record: DecisionRecord) -> str:
    lines = ["---", f"status: {record.status}", f"date: {record.date}"]
    if record.decision_makers:
        lines.append("decision-makers:")
        lines += [f"  - {json.dumps(m, ensure_ascii=False)}" for m in record.decision_makers]
    else:
        lines.append("decision-makers: []")
    lines.append("---")
    return "\n".join(lines)


_SUMMARY = {
    "workload_class": "{}",
    "latency_p99_ms": "p99 latency SLO {}",
    "tenancy": "tenancy: {}",
    "compliance": "compliance: {}",
    "physical_hosts": "{}",
    "site_type": "site: {}",
}


def _context(record: DecisionRecord) -> str:
    by_key = {c["key"]: c for c in record.context}
    summary = [form.format(_inline(by_key[k]["answer"])) for k, form in _SUMMARY.items() if k in by_key]
    text = [
        "## Context and Problem Statement",
        "",
        f"Should **{_inline(record.workload)}** run on bare-metal Kubernetes nodes or on VM-backed ones? "
        "Tuned hypervisors are within a few percent of bare metal for CPU and memory and bring hard resource "
        "limits, a kernel boundary between tenants and easier lifecycle; bare metal still wins in niches. "
        f"This record weighs both options for this workload, from the profile {_code(record.profile.path or '-')}.",
    ]
    if summary:
        text += ["", "In short: " + "; ".join(summary) + "."]
    if record.context:
        rows = [[_code(c["key"]), _inline(c["question"]), _inline(c["answer"]), _source(c)] for c in record.context]
        text += ["", "The answers the assessment used:", "", _table(rows, ["key", "question", "answer", "source"])]
    return "\n".join(text)


def _source(row: dict[str, Any]) -> str:
    """answered, default, or observed/measured with where from and when (escaped: sources are user paths)."""
    prov = row.get("provenance")
    if not isinstance(prov, dict):
        return "default" if row.get("default") else "answered"
    sources = ", ".join(str(s) for s in prov.get("source") or [])
    day = str(prov.get("time") or "")[:10]
    text = f"{prov.get('kind')} {day}" + (f" from {sources}" if sources else "")
    text += f", expires {prov['expires']}" if prov.get("expires") else ""
    return _inline(text + (" (partial)" if prov.get("partial") else ""))


def _drivers(record: DecisionRecord) -> str:
    res = _result(record)
    criteria = sorted(res.get("criteria", []), key=lambda c: (-int(c["priority"]), c["criterion"]))
    lines = ["## Decision Drivers", "", "Criteria, weighted by the profile's priorities (1 to 5):", ""]
    lines.append(_bullets(f"{_CRITERION_WORDS.get(c['criterion'], c['criterion'])}: priority {c['priority']}"
                          for c in criteria))
    strongest = _strongest(record)
    if strongest:
        lines += ["", "The strongest findings (share of the total score in points):", "", _bullets(strongest)]
    return "\n".join(lines)


def _strongest(record: DecisionRecord) -> list[str]:
    res = _result(record)
    out = [f"Knock-out: {_name(k['option'])} is ruled out: {_inline(k['reason'])} ({_code(k['rule_id'])})"
           for k in res.get("knock_outs", [])]
    by_id = {c["rule_id"]: c for c in _contributions(record)}
    for rid in res.get("drivers", []):
        c = by_id.get(rid)
        if c is None:
            continue
        out.append(f"{_inline(c['title'])} ({_code(rid)}): {c['criterion']}, favours {_name(c['favours'])}, "
                   f"{_f(c['points'])} points, evidence {c['grade']}")
    return out


def _options(record: DecisionRecord) -> str:
    ruled_out = {k["option"]: k for k in _result(record).get("knock_outs", [])}
    items = []
    for option in _OPTIONS:
        text = f"{_upper_first(NODE_NAMES[option])} Kubernetes nodes"
        if option in ruled_out:
            k = ruled_out[option]
            text += f" (**ruled out** by knock-out {_code(k['rule_id'])}: {_inline(k['reason'])})"
        items.append(text)
    return "## Considered Options\n\n" + _bullets(items)


def _outcome(record: DecisionRecord) -> str:
    res = _result(record)
    scores = res.get("scores", {})
    conf = res.get("confidence", {})
    rec = record.recommendation
    if rec == "none":
        head = ("Chosen option: none: both options are ruled out by knock-out rules, so neither can be chosen "
                "as the profile stands")
    else:
        why = _because(record)
        head = f'Chosen option: "{_title_name(rec)}", because {why}'
    lines = ["## Decision Outcome", "", head + "."]
    if record.close:
        lines += ["", f"> **Close call.** The margin {_f(record.margin)} is under the close threshold "
                      f"{_f(res.get('close_threshold', 0))}: the options are nearly even for this profile. "
                      "Measure both candidate platforms (see Confirmation) before accepting this record."]
    lines += [
        "",
        f"Scores: bare metal {_f(scores.get('bare-metal', 0))}, VM-backed {_f(scores.get('vm', 0))}; "
        f"margin {_f(record.margin)} (close under {_f(res.get('close_threshold', 0))}); "
        f"decided by {res.get('decided_by', 'score')}; confidence {_f(record.confidence)} "
        f"(evidence quality {_f(conf.get('evidence_quality', 0))}, known facts "
        f"{_f(conf.get('known_share', 0))}).",
    ]
    return "\n".join(lines)


def _because(record: DecisionRecord) -> str:
    res = _result(record)
    other = "vm" if record.recommendation == "bare-metal" else "bare-metal"
    knocked = [k for k in res.get("knock_outs", []) if k["option"] == other]
    if knocked:
        k = knocked[0]
        return f"{_name(other)} is ruled out: {_inline(k['reason'])}"
    by_id = {c["rule_id"]: c for c in _contributions(record)}
    top = [by_id[d] for d in res.get("drivers", []) if d in by_id and by_id[d]["favours"] == record.recommendation]
    reasons = [_inline(_lc(c["title"])) for c in top[:3]]
    if not reasons:
        return "it has the higher score"
    return "it has the higher score: " + "; ".join(reasons)


def _consequences(record: DecisionRecord) -> str:
    chosen = record.recommendation
    good: list[str] = []
    bad: list[str] = []
    for c in sorted(_contributions(record), key=lambda c: (-float(c["points"]), c["rule_id"])):
        line = f"{_inline(_lc(c['title']))} ({c['criterion']}, {_f(c['points'])} points)"
        (good if c["favours"] == chosen else bad).append(line)
    items = [f"Good, because {g}" for g in good] + [f"Bad, because {b}" for b in bad]
    for u in _result(record).get("unknown_facts", []):
        items.append(f"Neutral: {_code(u)} is unknown, so the rules that read it could not count")
    if not items:
        items = ["Neutral: no rule that fired for this profile speaks for or against the choice"]
    return "### Consequences\n\n" + _bullets(items)


def _confirmation(record: DecisionRecord) -> str:
    profile = record.profile.path or "PROFILE.yaml"
    lines = [
        "### Confirmation",
        "",
        "Confirm the decision on the candidate platforms before it is accepted: name a bare-metal node and a "
        "VM-backed node of the same hardware in a targets file (docs/measurement.md) and assess again; the probes "
        "whose rules can change the result run there and the new record holds their verdicts:",
        "",
        "```sh",
        MEASURE_COMMAND.format(profile=profile),
        "```",
    ]
    if record.confirmation:
        rows = [[_code(c["probe"]), _inline(c["compares"]),
                 ", ".join(_code(r) for r in c.get("rules", [])) or "-"] for c in record.confirmation]
        lines += ["", _table(rows, ["probe", "ratio VM / bare metal", "rules waiting for it"])]
    lines += ["", _verdicts_text(record)]
    return "\n".join(lines)


def _verdicts_text(record: DecisionRecord) -> str:
    m = record.measurements
    verdicts = m.verdicts
    if not verdicts:
        return "No measurements recorded."
    parts = [f"Measured: result file {_code(m.path or '-')} (sha256 {_code(m.sha256 or '-')}); ratios are "
             "VM / bare metal of each probe's main figure with their 95 % confidence interval."]
    rows = []
    for v in verdicts:
        ci = f"[{_f(v['ci_low'], 3)}, {_f(v['ci_high'], 3)}]" if v.get("ci_low") is not None else "-"
        ratio = _f(v["ratio"], 3) if v.get("ratio") is not None else "-"
        rows.append([_code(str(v.get("probe", "?"))), _inline(str(v.get("metric", "-"))), ratio, ci,
                     _inline(v.get("verdict", "-")), str(v.get("runs", "-"))])
    parts.append(_table(rows, ["probe", "main metric", "ratio", "95 % CI", "verdict", "runs (bm+vm)"]))
    if m.targets:
        trows = [[_inline(str(t.get("target", "-"))), _inline(str(t.get("role", "-"))),
                  _inline(str(t.get("runner", "-"))), _inline(str(t.get("cpu_model", "-"))),
                  _inline(str(t.get("kernel", "-"))), _inline(str(t.get("virtualization", "-"))),
                  _inline(str(t.get("placement", "-")))] for t in m.targets]
        parts.append(_table(trows, ["target", "role", "runner", "CPU", "kernel", "virtualization", "placement"]))
    if m.skipped:
        parts.append(_bullets([f"{_code(p)} not measured: {_inline(why)}" for p, why in sorted(m.skipped.items())]))
    if m.before:
        b = m.before
        parts.append(
            f"Before measuring: {_inline(str(b.get('recommendation')))}, scores bare metal "
            f"{_f(b['scores']['bare-metal'], 2)} / VM-backed {_f(b['scores']['vm'], 2)}, margin {_f(b['margin'], 2)}"
            f"{' (close)' if b.get('close') else ''}. After measuring: {_inline(record.recommendation)}, scores "
            f"bare metal {_f(_result(record)['scores']['bare-metal'], 2)} / VM-backed "
            f"{_f(_result(record)['scores']['vm'], 2)}, margin {_f(record.margin, 2)}"
            f"{' (close)' if record.close else ''}."
        )
    return "\n\n".join(parts)


def _pros_cons(record: DecisionRecord) -> str:
    res = _result(record)
    contribs = {c["rule_id"]: c for c in _contributions(record)}
    parts = ["## Pros and Cons of the Options"]
    for option in _OPTIONS:
        items = []
        for k in res.get("knock_outs", []):
            if k["option"] == option:
                rule = record.fired_rules.get(k["rule_id"], {})
                items.append(f"Bad, because it is ruled out: {_inline(k['reason'])} ({_code(k['rule_id'])}). "
                             f"Evidence: {_evidence_links(rule) or '-'}")
        for rid, c in contribs.items():
            rule = record.fired_rules.get(rid, {})
            word = "Good" if c["favours"] == option else "Bad"
            text = f"{word}, because {_inline(_lc(c['title']))} ({_code(rid)}, " \
                   f"{c['criterion']}, weight {c['weight']:g}, grade {c['grade']})"
            if rule.get("rationale"):
                text += f". {_inline(rule['rationale'])}"
            links = _evidence_links(rule)
            if links:
                text += f" Evidence: {links}"
            items.append(text)
        if not items:
            items = ["Neutral: no rule that fired for this profile speaks to this option"]
        parts.append(f"### {_title_name(option)}\n\n" + _bullets(items))
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- more information


def _more_information(record: DecisionRecord) -> str:
    parts = [
        "## More Information",
        _scores_table(record),
        _graph_section(record),
        "### Measurement Verdicts\n\n" + _verdicts_text(record),
        _tipping_points(record),
        _unknown(record),
        _revisit(record),
        _links(record),
        _reproducibility(record),
    ]
    return "\n\n".join(p for p in parts if p)


def _scores_table(record: DecisionRecord) -> str:
    res = _result(record)
    rows = [[c["criterion"], str(c["priority"]), _f(c["bare_metal"]), _f(c["vm"])] for c in res.get("criteria", [])]
    scores = res.get("scores", {})
    rows.append(["**score**", "", _f(scores.get("bare-metal", 0)), _f(scores.get("vm", 0))])
    text = ["### Scores per Criterion", "",
            "Raw sums of the fired rules (weight x evidence-grade factor) per criterion, weighted by the priority; "
            "the score is the weighted share of the total.", "",
            _table(rows, ["criterion", "priority", "bare metal", "VM-backed"])]
    contribs = _contributions(record)
    if contribs:
        crows = [[_code(c["rule_id"]), c["criterion"], _name(c["favours"]), f"{c['weight']:g}", c["grade"],
                  _f(c["grade_factor"]), _f(c["points"])] for c in contribs]
        text += ["", "Every fired rule:", "",
                 _table(crows, ["rule", "criterion", "favours", "weight", "grade", "factor", "points"])]
    return "\n".join(text)


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
        rows.append([_code(name), *(_metric_value(options[k]["metrics"].get(name, "-")) for k in keys),
                     _inline(definitions[name].get("definition", ""))])
    headers = ["metric", *(_inline(options[k].get("label", k)) for k in keys), "definition"]
    text = ["### Fault Domains", "", "Fault-domain metrics of both options for this profile (docs/fault-domains.md):",
            "", _table(rows, headers)]
    if record.mermaid:
        text += ["", "One site, rack and host of each option, expanded:", "", "```mermaid",
                 record.mermaid.rstrip("\n"), "```"]
    return "\n".join(text)


def _plain(value: Any) -> str:
    """A value as the condition language writes it: true/false, 5 rather than 5.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _tipping_points(record: DecisionRecord) -> str:
    head = "### Tipping Points\n\n"
    if not record.tipping_points:
        return head + "No single change of one answer flips the recommendation within the searched ranges."
    rows = []
    for t in record.tipping_points:
        current = t.get("current")
        now = ", ".join(_plain(v) for v in current) if isinstance(current, list) else _plain(current)
        change = t.get("relative_change")
        rows.append([_code(str(t.get("key", "?"))), _inline(now), _code(str(t.get("condition", "-"))),
                     _name(str(t.get("recommendation", "-"))), f"{float(change):.0%}" if change is not None else "-"])
    return head + ("The smallest change of one answer that flips the recommendation, smallest first "
                   "(docs/whatif.md):\n\n") + _table(rows, ["answer", "now", "flips when", "then", "change"])


def _unknown(record: DecisionRecord) -> str:
    facts = _result(record).get("unknown_facts", [])
    head = "### Unknown Facts\n\n"
    if not facts:
        return head + "None: every fact the rules read was known."
    return head + "These facts were unknown; they lower the confidence:\n\n" + _bullets(_code(f) for f in facts)


def _revisit(record: DecisionRecord) -> str:
    text = ["### Revisit Triggers", ""]
    if record.review_by:
        text.append(f"Review this decision by {record.review_by}, or earlier when one of these conditions holds "
                    "for the current profile (`advisor records check`):")
    else:
        text.append("Revisit this decision when one of these conditions holds for the current profile "
                    "(`advisor records check`):")
    text += ["", _bullets(_code(t) for t in record.revisit_triggers) if record.revisit_triggers
             else "No conditions: revisit when the workload changes."]
    return "\n".join(text)


def _links(record: DecisionRecord) -> str:
    items = []
    if record.supersedes and not any(lk.relation == "supersedes" for lk in record.links):
        items.append(f"Supersedes record {record.supersedes:04d}")
    if record.superseded_by and not any(lk.relation == "superseded by" for lk in record.links):
        items.append(f"Superseded by record {record.superseded_by:04d}")
    for lk in record.links:
        label = f"{lk.number:04d} {_inline(lk.title)}".rstrip()
        target = _record_file(lk.number, lk.title) if lk.title else None
        items.append(f"{_upper_first(_inline(lk.relation))} [{label}]({target})" if target
                     else f"{_upper_first(_inline(lk.relation))} record {lk.number:04d}")
    if not items:
        return ""
    return "### Related Records\n\n" + _bullets(items)


def _reproducibility(record: DecisionRecord) -> str:
    q = record.profile.questionnaire
    rows = [
        ["tool version", f"advisor {record.tool_version}"],
        ["questionnaire", f"{_code(q.id)} version {q.version}"],
        ["profile", f"{_code(record.profile.path or '-')} sha256 {_code(record.profile.sha256)}"],
    ]
    for p in record.rules.packs:
        rows.append(["rule pack", f"{_code(p.name)} version {p.version} ({_code(p.path)}) sha256 {_code(p.sha256)}"])
    rows.append(["rule packs, layered", f"sha256 {_code(record.rules.sha256)}"])
    m = record.measurements
    rows.append(["measurements", f"{_code(m.path)} sha256 {_code(m.sha256 or '-')}" if m.path else "none"])
    text = ["### Reproducibility", "", _table(rows, ["input", "identity"])]
    if record.command:
        text += ["", "Regenerate this record (as a new number) with:", "", "```sh", record.command, "```"]
    return "\n".join(text)
