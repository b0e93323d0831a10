"""Decision record -> MADR 4.0 markdown and the JSON twin. Strings only: no I/O, no printing.

The markdown is rendered from the record alone (so that ``NNNN-slug.json`` is enough
to regenerate ``NNNN-slug.md``); the sections are explained in docs/decision-records.md.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advisor import markdown, tables
from advisor.decision import NODE_NAMES, OPTION_NAMES, DecisionRecord, slugify

__all__ = ["MEASURE_COMMAND", "Change", "Outcome", "Reason", "body", "changes_of", "changes_section",
           "consequences_section", "outcome_of", "outcome_section", "reasons_of", "to_json", "to_markdown"]

#: How to take the measurements that confirm a decision (docs/decision-records.md, Confirmation).
MEASURE_COMMAND = "advisor assess --profile {profile} --defaults --targets targets.yaml --measure always"

_OPTIONS = ("bare-metal", "vm")
_CRITERION_WORDS = {
    "performance": "performance", "isolation": "isolation", "operations": "operations",
    "resilience": "resilience", "cost": "cost",
}


def to_json(record: DecisionRecord) -> str:
    """The JSON twin: every number, sorted keys (``DecisionRecord.to_json``)."""
    return record.to_json()


def to_markdown(record: DecisionRecord) -> str:
    """The record as MADR 4.0 markdown with YAML front matter; ends with one newline.

    The body (up to "More Information") is what a board reads: the question, the
    outcome, the reasons in the profile's numbers, the constraints, what would change
    the answer, how it was confirmed and the consequences. Every detail is in the
    appendix below it, and every number in the JSON twin.
    """
    outcome = outcome_of(record)
    reasons = reasons_of(record)
    parts = [
        _front_matter(record),
        f"# {_inline(record.title)}",
        _context(record),
        _drivers(record),
        _options(record),
        outcome_section(outcome, reasons),
        changes_section(changes_of(record), record.review_by),
        _confirmation(record, outcome),
        consequences_section(outcome, reasons, _contributions(record), _result(record).get("unknown_facts", [])),
        _more_information(record),
    ]
    return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"


BODY_END = "## More Information"


def body(markdown: str) -> str:
    """The part of a record a board reads (everything before the appendix)."""
    return markdown.split("\n" + BODY_END, 1)[0]


# --------------------------------------------------------------------------- typed inputs of the sections


@dataclass(frozen=True)
class Outcome:
    """What was decided: the section functions read this, not the scoring result."""

    option: str  # bare-metal, vm or none
    scores: Mapping[str, float]
    margin: float
    close: bool
    close_threshold: float
    measured: bool
    ruled_out: tuple[tuple[str, str, str], ...]  # (option, reason, rule id)
    configuration: str | None = None  # e.g. "4 VMs per host", when the engine names one
    probability: float | None = None  # the probability that the option is the better one, when known


@dataclass(frozen=True)
class Reason:
    """One finding that speaks for an option, in the profile's numbers."""

    rule_id: str
    title: str
    favours: str
    criterion: str
    grade: str
    points: float
    numbers: str  # the answers the rule read, e.g. "clusters = 3, physical_hosts = 20"


@dataclass(frozen=True)
class Change:
    """One way the answer would change: a sentence, and how far the answer is from it."""

    sentence: str
    distance: float  # relative change of the answer; 0 for date or event triggers


def outcome_of(record: DecisionRecord) -> Outcome:
    """The outcome of today's scoring result."""
    res = _result(record)
    return Outcome(
        option=record.recommendation,
        scores={k: float(v) for k, v in res.get("scores", {}).items()},
        margin=float(record.margin),
        close=bool(record.close),
        close_threshold=float(res.get("close_threshold", 0)),
        measured=bool(record.measurements.verdicts),
        ruled_out=tuple((k["option"], str(k["reason"]), str(k["rule_id"])) for k in res.get("knock_outs", [])),
        probability=res.get("probability"),
        configuration=res.get("configuration"),
    )


def reasons_of(record: DecisionRecord) -> list[Reason]:
    """Every fired rule that counted, strongest first."""
    out = []
    for c in sorted(_contributions(record), key=lambda c: (-float(c["points"]), c["rule_id"])):
        rule = record.fired_rules.get(c["rule_id"], {})
        out.append(Reason(rule_id=c["rule_id"], title=str(c["title"]), favours=c["favours"],
                          criterion=c["criterion"], grade=c["grade"], points=float(c["points"]),
                          numbers=str(rule.get("explanation", ""))))
    return out


def changes_of(record: DecisionRecord) -> list[Change]:
    """Tipping points and revisit triggers as sentences, one per answer, nearest first."""
    prompts = {c["key"]: c["question"] for c in record.context}
    changes: dict[str, Change] = {}
    covered: set[str] = set()
    for t in record.tipping_points:
        key = str(t.get("key", "?"))
        covered.add(str(t.get("condition", "")))
        if key in changes:
            continue  # the nearest one of this answer is kept (they come smallest change first)
        current = t.get("current")
        now = ", ".join(_plain(v) for v in current) if isinstance(current, list) else _plain(current)
        words = str(t.get("sentence", "")).removeprefix("revisit if ").removeprefix(key).strip()
        if not words:
            words = f"meets {t.get('condition', '-')}"
        then = _name(str(t.get("recommendation", "-")))
        change = t.get("relative_change")
        question = prompts.get(key, key)
        changes[key] = Change(
            f"{_inline(question)} (now {_inline(now)}): if it {_inline(_readable(words))}, the recommendation "
            f"becomes {then}.", float(change) if change is not None else 0.0)
    for trigger in record.revisit_triggers:
        if trigger in covered:
            continue
        key, words = _trigger_words(trigger)
        if key in changes:
            continue
        subject = prompts.get(key, key.replace("_", " ")) if key else "The profile"
        changes[key or trigger] = Change(f"{_inline(subject)}: revisit if {_inline(words)}.", 1.0)
    return sorted(changes.values(), key=lambda c: c.distance)


_SIMPLE = re.compile(r"^(not \()?\s*([a-z][a-z0-9_.]*)\s*(<=|>=|<|>|==|!=)\s*('[^']*'|-?[0-9.]+|true|false)\s*(\))?$")
_BARE = re.compile(r"^(not \()?\s*([a-z][a-z0-9_.]*)\s*(\))?$")
_MEMBER = re.compile(r"^(not \()?\s*'([^']+)' in ([a-z][a-z0-9_.]*)\s*(\))?$")
_ANY = re.compile(r"^(not \()?\s*any_of\(([a-z][a-z0-9_.]*), \[([^\]]*)\]\)\s*(\))?$")
_OPPOSITE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_WORDS = {"<": "drops below", "<=": "is at most", ">": "rises above", ">=": "reaches", "==": "becomes",
          "!=": "is no longer"}


def _trigger_words(trigger: str) -> tuple[str, str]:
    """``not (latency_p99_ms < 10)`` -> (``latency_p99_ms``, ``it reaches 10``); else the condition as written."""
    text = trigger.strip()
    if m := _SIMPLE.match(text):
        if bool(m.group(1)) == bool(m.group(5)):
            op = _OPPOSITE[m.group(3)] if m.group(1) else m.group(3)
            return m.group(2), f"it {_WORDS[op]} {m.group(4).strip(chr(39))}"
    if (m := _BARE.match(text)) and bool(m.group(1)) == bool(m.group(3)):
        return m.group(2), "the answer becomes " + ("no" if m.group(1) else "yes")
    if (m := _MEMBER.match(text)) and bool(m.group(1)) == bool(m.group(4)):
        return m.group(3), f"{m.group(2)} is {'no longer' if m.group(1) else 'now'} among the answers"
    if (m := _ANY.match(text)) and bool(m.group(1)) == bool(m.group(4)):
        items = m.group(3).replace("'", "")
        return m.group(2), f"{'none' if m.group(1) else 'one'} of {items} is among the answers"
    negated = text.startswith("not (") and text.endswith(")") and "(" not in text[5:-1]
    inner = text[5:-1] if negated else text
    if " and " in inner and "(" not in inner:
        # not (a and b) is (not a) or (not b)
        parts = [_trigger_words(f"not ({p})" if negated else p) for p in inner.split(" and ")]
        if all(key for key, _ in parts):
            words = [w if i == 0 else w.replace("it ", f"{k.replace('_', ' ')} ", 1) for i, (k, w) in enumerate(parts)]
            return parts[0][0], (" or " if negated else " and ").join(words)
    return "", f"{trigger} holds"


def _readable(words: str) -> str:
    return words.replace("'", "")


# --------------------------------------------------------------------------- helpers (escaping in one place)

_inline = markdown.inline
_code = markdown.code
_url = markdown.url
_shell_block = markdown.shell_block


def _lc(text: str) -> str:
    """A title continuing a sentence: first letter lower-cased (unless an acronym)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


_table = tables.markdown


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {i}" for i in items)


def _f(x: Any, digits: int = 2) -> str:
    return f"{float(x):.{digits}f}"


def _name(option: str) -> str:
    return OPTION_NAMES.get(option, option)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _result(record: DecisionRecord) -> Mapping[str, Any]:
    return record.result


def _contributions(record: DecisionRecord) -> list[Mapping[str, Any]]:
    return list(_result(record).get("contributions", []))


def _evidence_links(rule: Mapping[str, Any]) -> str:
    links = []
    for e in rule.get("evidence", []):
        text = _inline(e.get("source", "source"))
        grade = _inline(e.get("grade", ""))
        url = _url(e["url"]) if e.get("url") else None
        links.append(f"[{text}]({url}) ({grade})" if url else f"{text} ({grade})")
    return "; ".join(links)


def _record_file(number: int, title: str) -> str:
    return f"{number:04d}-{slugify(title)}.md"


def _plain(value: Any) -> str:
    """A value as the condition language writes it: true/false, 5 rather than 5.0, no float noise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _numbers(explanation: str) -> str:
    """``clusters = 3, site_type = 'datacenter'`` as plain words: clusters 3, site type datacenter."""
    parts = []
    for item in re.split(r", (?=[a-z_.]+ = )", explanation):
        key, sep, value = item.partition(" = ")
        if sep and value.startswith("["):
            value = value.strip("[]").replace("'", "")
        if not sep:
            parts.append(item)
            continue
        value = value.strip(chr(39))
        try:
            number = float(value)
        except ValueError:
            pass
        else:
            value = _plain(int(number) if number.is_integer() else float(f"{number:.3g}"))
        name = key.removeprefix("graph.").replace("_", " ").replace(".", " ")
        parts.append(f"{name} {value}")
    return _inline(", ".join(parts))


# --------------------------------------------------------------------------- body sections


def _front_matter(record: DecisionRecord) -> str:
    lines = ["---", f"status: {record.status}", f"date: {record.date}"]
    makers = record.decision_makers or ["not named (assess --decision-maker NAME)"]
    lines.append("decision-makers:")
    lines += [f"  - {json.dumps(' '.join(m.split()), ensure_ascii=False)}" for m in makers]
    lines.append("---")
    return "\n".join(lines)


_SUMMARY = {
    "workload_class": "{}",
    "latency_p99_ms": "a p99 latency SLO of {}",
    "tenancy": "tenancy: {}",
    "compliance": "compliance: {}",
    "physical_hosts": "{} in scope",
    "site_type": "site: {}",
}


def _context(record: DecisionRecord) -> str:
    by_key = {c["key"]: c for c in record.context}
    summary = [form.format(_inline(by_key[k]["answer"])) for k, form in _SUMMARY.items() if k in by_key]
    given = sum(1 for c in record.context if not c.get("default"))
    text = [
        "## Context and Problem Statement",
        "",
        f"Should **{_inline(record.workload)}** run on bare-metal Kubernetes nodes or on VM-backed ones?",
    ]
    if summary:
        text += ["", "In short: " + "; ".join(summary) + "."]
    if record.context:
        text += ["", f"{given} of the {len(record.context)} answers were given or confirmed by a person; the rest "
                     "are defaults of questions never shown (all answers with their notes are in the appendix)."]
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
    lines = ["## Decision Drivers", ""]
    items = []
    if criteria:
        items.append("Priorities (1 to 5): " + ", ".join(
            f"{_CRITERION_WORDS.get(c['criterion'], c['criterion'])} {c['priority']}" for c in criteria))
    by_key = {c["key"]: c for c in record.context}
    for key, form in (("compliance", "Compliance in scope: {}"), ("bare_metal_mandated", "Bare metal mandated: {}"),
                      ("dedicated_hardware_required", "Single-tenant hardware required: {}")):
        c = by_key.get(key)
        if c and str(c["answer"]).lower() not in ("none", "no", "false"):
            items.append(form.format(_inline(c["answer"])))
    for option, reason, rule_id in outcome_of(record).ruled_out:
        items.append(f"Constraint: {_name(option)} is ruled out, because {_inline(_lc(reason))} ({_code(rule_id)})")
    notes = [c for c in record.context if c.get("note")]
    for c in notes[:3]:
        items.append(f"Note on {_inline(_lc(c['question']))}: {_inline(c['note'])}")
    lines.append(_bullets(items) if items else "No constraints beyond the answers.")
    return "\n".join(lines)


def _options(record: DecisionRecord) -> str:
    items = [f"{_upper_first(NODE_NAMES[option])} Kubernetes nodes" for option in _OPTIONS]
    return "## Considered Options\n\n" + _bullets(items)


def _top(outcome: Outcome, reasons: Sequence[Reason], limit: int = 5) -> list[Reason]:
    return [r for r in reasons if r.favours == outcome.option][:limit]


def outcome_section(outcome: Outcome, reasons: Sequence[Reason]) -> str:
    """The outcome in one sentence (option, configuration, probability or score), then the reasons."""
    other = "vm" if outcome.option == "bare-metal" else "bare-metal"
    if outcome.option == "none":
        head = ("Chosen option: none. Both options are ruled out by knock-out rules (see Decision Drivers), so "
                "neither can be chosen as the profile stands.")
        return "## Decision Outcome\n\n" + head
    config = f" ({_inline(outcome.configuration)})" if outcome.configuration else ""
    knocked = [r for r in outcome.ruled_out if r[0] == other]
    if outcome.probability is not None:
        weight = f"with a probability of {outcome.probability:.0%} that it is the better option"
    else:
        weight = (f"with a score of {_f(outcome.scores.get(outcome.option, 0))} against "
                  f"{_f(outcome.scores.get(other, 0))} (each score is the priority-weighted share of the rule "
                  "points, not a probability)")
    if knocked:
        weight = f"because {_name(other)} is ruled out ({_code(knocked[0][2])})"
    lines = ["## Decision Outcome", "",
             f'Chosen option: "{_upper_first(NODE_NAMES[outcome.option])} Kubernetes nodes"{config}, {weight}.']
    if outcome.close and not outcome.measured:
        lines += ["", f"> **Close call.** The margin {_f(outcome.margin)} is under {_f(outcome.close_threshold)}: "
                      "measure both candidate platforms (see Confirmation) before accepting this record."]
    elif outcome.close:
        lines += ["", f"The margin {_f(outcome.margin)} stays under {_f(outcome.close_threshold)} after measuring: "
                      "the options are nearly even for this workload."]
    top = _top(outcome, reasons)
    if top:
        lines += ["", "Reasons, strongest first:", ""]
        lines += [f"{i}. {_inline(r.title)} ({r.criterion}; evidence {r.grade})"
                  + (f": {_numbers(r.numbers)}." if r.numbers else ".") for i, r in enumerate(top, start=1)]
    return "\n".join(lines)


def changes_section(changes: Sequence[Change], review_by: str | None, limit: int = 5) -> str:
    """What would change the answer: tipping points and revisit triggers as sentences, nearest first."""
    lines = ["### What Would Change the Answer", ""]
    items = [c.sentence for c in changes[:limit]]
    if len(changes) > limit:
        items.append(f"{len(changes) - limit} further changes are listed in the JSON twin (tipping_points).")
    if review_by:
        items.append(f"In any case, review this decision by {review_by} (`advisor records check` reports it).")
    lines.append(_bullets(items) if items else "No single change of one answer flips the recommendation.")
    return "\n".join(lines)


def _confirmation(record: DecisionRecord, outcome: Outcome) -> str:
    lines = ["### Confirmation", ""]
    m = record.measurements
    if m.verdicts:
        rows = []
        for v in m.verdicts:
            ci = f"{_f(v['ci_low'], 3)} to {_f(v['ci_high'], 3)}" if v.get("ci_low") is not None else "-"
            ratio = _f(v["ratio"], 3) if v.get("ratio") is not None else "-"
            rows.append([_code(str(v.get("probe", "?"))), ratio, ci, _inline(v.get("verdict", "-"))])
        lines.append(f"Measured on the candidate platforms (result {_code(m.path or '-')}); each ratio is VM / "
                     "bare metal of the probe's main figure with its 95 % confidence interval:")
        lines += ["", _table(rows, ["probe", "ratio", "95 % interval", "verdict"])]
        if m.before:
            b = m.before
            lines += ["", f"Before measuring the recommendation was {_name(str(b.get('recommendation')))} "
                          f"(margin {_f(b['margin'])}); after, {_name(record.recommendation)} "
                          f"(margin {_f(record.margin)})."]
        return "\n".join(lines)
    probes = [_code(c["probe"]) for c in record.confirmation]
    profile = record.profile.path or "PROFILE.yaml"
    lines.append("Not measured yet. Name a bare-metal and a VM-backed node of the same hardware in a targets file "
                 "(docs/measurement.md) and assess again"
                 + (f"; the probes that can change this result are {', '.join(probes)}" if probes else "") + ":")
    lines += ["", _shell_block(MEASURE_COMMAND.format(profile=shlex.quote(profile)))]
    return "\n".join(lines)


def consequences_section(outcome: Outcome, reasons: Sequence[Reason], contributions: Sequence[Mapping[str, Any]],
                         unknown: Sequence[str], limit: int = 4) -> str:
    """Per option, what it brings; every rule once (the reasons above are not repeated)."""
    shown = {r.rule_id for r in _top(outcome, reasons)}
    lines = ["### Consequences", ""]
    items = []
    for option in _OPTIONS:
        mine = [r for r in reasons if r.favours == option and r.rule_id not in shown]
        if not mine:
            continue
        word = "Good" if option == outcome.option else "Bad"
        head = (f"{word}: also in favour of {_name(option)}" if option == outcome.option
                else f"{word}: what choosing {_name(outcome.option)} gives up, in favour of {_name(option)}")
        titles = [_inline(_lc(r.title)) for r in mine[:limit]]
        more = f"; and {len(mine) - limit} more (appendix)" if len(mine) > limit else ""
        items.append(f"{head}: " + "; ".join(titles) + more)
    if unknown:
        items.append(f"Neutral: {len(unknown)} fact{'s' if len(unknown) != 1 else ''} the rules read "
                     f"{'were' if len(unknown) != 1 else 'was'} unknown, so the rules reading "
                     f"{'them' if len(unknown) != 1 else 'it'} did not count (listed in the appendix)")
    if not items:
        items = ["Neutral: no other rule that fired speaks for or against either option"]
    lines.append(_bullets(items))
    return "\n".join(lines)


# --------------------------------------------------------------------------- more information (the appendix)


def _more_information(record: DecisionRecord) -> str:
    parts = [
        BODY_END,
        "The details behind the body above; every number is also in the JSON twin.",
        _answers(record),
        _rules(record),
        _scores_table(record),
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
    rows = [[_code(c["key"]), _inline(c["question"]), _inline(c["answer"]), _source(c), _inline(c.get("note", ""))]
            for c in record.context]
    return ("### Answers\n\nFrom the profile " + _code(record.profile.path or "-") + "; *answered* means given or "
            "confirmed by a person, *default* means the question was never shown.\n\n"
            + _table(rows, ["key", "question", "answer", "origin", "note"]))


def _rules(record: DecisionRecord) -> str:
    res = _result(record)
    items = []
    for k in res.get("knock_outs", []):
        rule = record.fired_rules.get(k["rule_id"], {})
        text = f"{_code(k['rule_id'])}: rules out {_name(k['option'])}: {_inline(k['reason'])}."
        if rule.get("rationale"):
            text += f" {_inline(rule['rationale'])}"
        links = _evidence_links(rule)
        items.append(text + (f" Evidence: {links}" if links else ""))
    for c in sorted(_contributions(record), key=lambda c: (-float(c["points"]), c["rule_id"])):
        rule = record.fired_rules.get(c["rule_id"], {})
        text = (f"{_code(c['rule_id'])}: {_inline(c['title'])} (favours {_name(c['favours'])}; {c['criterion']}, "
                f"weight {_plain(float(c['weight']))}, evidence {c['grade']}, {_f(c['points'])} points).")
        if rule.get("rationale"):
            text += f" {_inline(rule['rationale'])}"
        links = _evidence_links(rule)
        items.append(text + (f" Evidence: {links}" if links else ""))
    if not items:
        return ""
    return "### Rules That Fired\n\n" + _bullets(items)


def _scores_table(record: DecisionRecord) -> str:
    res = _result(record)
    rows = [[c["criterion"], str(c["priority"]), _f(c["bare_metal"]), _f(c["vm"])] for c in res.get("criteria", [])]
    scores = res.get("scores", {})
    rows.append(["**score**", "", _f(scores.get("bare-metal", 0)), _f(scores.get("vm", 0))])
    return "\n".join(["### Scores per Criterion", "",
                      "Sums of the fired rules' points (weight x evidence-grade factor) per criterion, weighted by "
                      "the priority; a score is the weighted share of the total.", "",
                      _table(rows, ["criterion", "priority", "bare metal", "VM-backed"])])


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
            rows.append([_code(name), *shown, _inline(definitions[name].get("definition", ""))])
    headers = ["metric", *(_inline(options[k].get("label", k)) for k in keys), "definition"]
    text = ["### Fault Domains", "",
            f"The fault-domain metrics that differ between the options ({len(rows)} of {len(order)}; "
            "docs/fault-domains.md; all of them are in the JSON twin):"]
    text += ["", _table(rows, headers)] if rows else ["", "None: both options have the same fault domains."]
    if record.mermaid:
        text += ["", "One site, rack and host of each option, expanded:", "", "```mermaid",
                 record.mermaid.rstrip("\n"), "```"]
    return "\n".join(text)


def _measurement_details(record: DecisionRecord) -> str:
    m = record.measurements
    parts = []
    if m.path:
        parts.append(f"Result file {_code(m.path)}, sha256 {_code(m.sha256 or '-')}.")
    if m.targets:
        trows = [[_inline(str(t.get("target", "-"))), _inline(str(t.get("role", "-"))),
                  _inline(str(t.get("runner", "-"))), _inline(str(t.get("cpu_model", "-"))),
                  _inline(str(t.get("kernel", "-"))), _inline(str(t.get("virtualization", "-"))),
                  _inline(str(t.get("placement", "-")))] for t in m.targets]
        parts.append(_table(trows, ["target", "role", "runner", "CPU", "kernel", "virtualization", "placement"]))
    if m.verdicts:
        parts.append(_bullets(f"{_code(str(v.get('probe', '?')))}: main metric {_inline(str(v.get('metric', '-')))}, "
                              f"runs {_inline(str(v.get('runs', '-')))}" for v in m.verdicts))
    if m.skipped:
        parts.append(_bullets([f"{_code(p)} not measured: {_inline(why)}" for p, why in sorted(m.skipped.items())]))
    if not parts:
        return ""
    return "### Measurement Details\n\n" + "\n\n".join(parts)


def _unknown(record: DecisionRecord) -> str:
    facts = _result(record).get("unknown_facts", [])
    if not facts:
        return ""
    return ("### Unknown Facts\n\nThe rules that read these facts did not count:\n\n"
            + _bullets(_code(f) for f in facts))


def _links(record: DecisionRecord) -> str:
    items = []
    if record.supersedes and not any(lk.relation == "supersedes" for lk in record.links):
        items.append(f"Supersedes record {record.supersedes:04d}")
    if record.superseded_by and not any(lk.relation == "superseded by" for lk in record.links):
        items.append(f"Superseded by record {record.superseded_by:04d}")
    for lk in record.links:
        label = f"{lk.number:04d} {_inline(lk.title)}".rstrip()
        target = _record_file(lk.number, lk.title) if lk.title else None
        note = f" ({_inline(lk.note)})" if lk.note else ""
        items.append(f"{_upper_first(_inline(lk.relation))} [{label}]({target}){note}" if target
                     else f"{_upper_first(_inline(lk.relation))} record {lk.number:04d}{note}")
    if not items:
        return ""
    return "### Related Records\n\n" + _bullets(items)


def _reproducibility(record: DecisionRecord) -> str:
    q = record.profile.questionnaire
    rows = [
        ["tool version", f"advisor {_inline(record.tool_version)}"],
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
        text += ["", "Regenerate this record (as a new number) with:", "", _shell_block(record.command)]
    return "\n".join(text)
