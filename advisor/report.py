"""Decision record -> MADR 4.0 markdown and the JSON twin. Strings only: no I/O, no printing.

The markdown is rendered from the record alone (so that ``NNNN-slug.json`` is enough
to regenerate ``NNNN-slug.md``); the sections are explained in docs/decision-records.md.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advisor import markdown, tables
from advisor.decide.outcome import AttributeResult, OptionResult
from advisor.decide.text import fmt, share
from advisor.decision import NODE_NAMES, OPTION_NAMES, DecisionRecord, slugify

__all__ = ["MEASURE_COMMAND", "Change", "Reason", "body", "changes_of", "changes_section", "consequences_section",
           "outcome_section", "reasons_of", "to_json", "to_markdown"]

#: How to take the measurements that confirm a decision (docs/decision-records.md, Confirmation).
MEASURE_COMMAND = "advisor assess --profile {profile} --defaults --targets targets.yaml --measure always"

_OPTIONS = ("bare-metal", "vm")
_CRITERION_WORDS = {
    "performance": "performance", "isolation": "isolation", "operations": "operations",
    "resilience": "resilience", "cost": "cost",
}
_SOURCE_WORDS = {"prior": "published range", "measured": "measured", "default": "pack default",
                 "unknown": "unknown answer"}


def to_json(record: DecisionRecord) -> str:
    """The JSON twin: every number, sorted keys (``DecisionRecord.to_json``)."""
    return record.to_json()


def to_markdown(record: DecisionRecord) -> str:
    """The record as MADR 4.0 markdown with YAML front matter; ends with one newline.

    The body (up to "More Information") is what a board reads: the question, the
    outcome in one sentence, the reasons in the profile's numbers, the constraints,
    what would change the answer, how it was confirmed and the consequences per
    option. Every detail is in the appendix below it, and every number in the JSON twin.
    """
    reasons = reasons_of(record)
    parts = [
        _front_matter(record),
        f"# {_inline(record.title)}",
        _context(record),
        _drivers(record),
        _options(record),
        outcome_section(record, reasons),
        changes_section(changes_of(record), record.review_by),
        _confirmation(record),
        consequences_section(record, reasons),
        _more_information(record),
    ]
    return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"


BODY_END = "## More Information"


def body(markdown: str) -> str:
    """The part of a record a board reads (everything before the appendix)."""
    return markdown.split("\n" + BODY_END, 1)[0]


# --------------------------------------------------------------------------- typed inputs of the sections


@dataclass(frozen=True)
class Reason:
    """One consequence that separates the options, in the profile's numbers."""

    criterion: str
    priority: int
    label: str
    favours: str
    weight: float  # priority x attribute weight x |value difference|: its share of the utility difference
    text: dict[str, str]  # option -> "12 % (8 to 20 %), published range"
    attribute: str


@dataclass(frozen=True)
class Change:
    """One way the answer would change: a sentence, and how far the answer is from it."""

    sentence: str
    distance: float  # relative change of the answer; 0 for date or event triggers


def _range_words(row: AttributeResult) -> str:
    unit = row.unit
    if row.source == "unknown":
        return "unknown"
    if row.low == row.high:
        text = fmt(row.mode, unit)
        source = "computed from the answers" if row.source == "prior" else _SOURCE_WORDS.get(row.source, row.source)
    else:
        text = f"{fmt(row.mode, unit)} ({fmt(row.low)} to {fmt(row.high, unit)})"
        source = _SOURCE_WORDS.get(row.source, row.source)
    return f"{text}, {source}"


def reasons_of(record: DecisionRecord) -> list[Reason]:
    """The consequences that separate the options' chosen configurations, largest share first."""
    out = []
    for crit in record.decision.criteria:
        rows = {o: {r.attribute: r for r in crit.attributes.get(o, [])} for o in _OPTIONS}  # type: ignore[call-overload]
        for key, bm in rows["bare-metal"].items():
            vm = rows["vm"].get(key)
            if vm is None:
                continue
            diff = bm.value - vm.value
            if abs(diff) < 1e-4:
                continue
            weight = crit.priority * bm.weight * abs(diff)
            out.append(Reason(criterion=crit.criterion, priority=crit.priority, label=bm.label,
                              favours="bare-metal" if diff > 0 else "vm", weight=weight,
                              text={"bare-metal": _range_words(bm), "vm": _range_words(vm)}, attribute=key))
    return sorted(out, key=lambda r: (-r.weight, r.attribute))


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


def _priorities(record: DecisionRecord) -> dict[str, int]:
    from advisor.decide.engine import priorities

    return {str(k): int(v) for k, v in priorities(record.decision.facts).items()}


def _drivers(record: DecisionRecord) -> str:
    prio = _priorities(record)
    lines = ["## Decision Drivers", ""]
    items = ["Priorities (1 to 5, importance weights over all criteria): " + ", ".join(
        f"{_CRITERION_WORDS.get(c, c)} {p}" for c, p in sorted(prio.items(), key=lambda t: (-t[1], t[0])))]
    by_key = {c["key"]: c for c in record.context}
    for key, form in (("compliance", "Compliance in scope: {}"), ("bare_metal_mandated", "Bare metal mandated: {}"),
                      ("dedicated_hardware_required", "Single-tenant hardware required: {}")):
        c = by_key.get(key)
        if c and str(c["answer"]).lower() not in ("none", "no", "false"):
            items.append(form.format(_inline(c["answer"])))
    for hit in record.decision.constraints:
        if hit.kind in ("infeasible", "configuration", "measurement-failed"):
            items.append(f"Constraint on {_name(hit.option)}: {_inline(hit.sentence)}")
        elif hit.kind == "pending":
            items.append(f"Condition on {_name(hit.option)}: {_inline(hit.sentence)}")
    notes = [c for c in record.context if c.get("note")]
    for c in notes[:3]:
        items.append(f"Note on {_inline(_lc(c['question']))}: {_inline(c['note'])}")
    lines.append(_bullets(items))
    return "\n".join(lines)


def _status_words(opt: OptionResult) -> str:
    if opt.status == "infeasible":
        return "infeasible in all " + f"{opt.configurations} configurations considered"
    text = f"{opt.feasible_configurations} of {opt.configurations} configurations feasible; best: {opt.name}"
    if opt.status == "feasible-if":
        text += " (feasible if: " + "; ".join(opt.conditions) + ")"
    return text


def _options(record: DecisionRecord) -> str:
    items = []
    for option in _OPTIONS:
        opt = record.decision.options[option]  # type: ignore[index]
        items.append(f"{_upper_first(NODE_NAMES[option])} Kubernetes nodes: {_inline(_status_words(opt))}")
    return "## Considered Options\n\n" + _bullets(items)


def _measures(compares: str) -> str:
    """'CPU throughput, VM-backed / bare metal' -> 'CPU throughput'."""
    return compares.split(",")[0]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _ruled_out_words(opt: OptionResult) -> str:
    return "; ".join(_inline(r) for r in opt.ruled_out_by)


def _headline(record: DecisionRecord) -> str:
    """The outcome in one true sentence, by outcome kind."""
    d = record.decision
    bm, vm = d.options["bare-metal"], d.options["vm"]
    unc = d.uncertainty
    if d.outcome == "both-ruled-out":
        return (f"Chosen option: none. Both options are ruled out: bare metal because {_ruled_out_words(bm)}; "
                f"VM-backed because {_ruled_out_words(vm)}.")
    if d.outcome == "one-ruled-out":
        chosen = d.options[d.recommendation or "vm"]
        other = vm if chosen is bm else bm
        more = len(other.ruled_out_by) - 1
        return (f'Chosen option: "{_inline(_upper_first(chosen.name))}", because {_name(other.option)} is ruled out: '
                f"{_inline(other.ruled_out_by[0]) if other.ruled_out_by else 'by a constraint'}"
                + (f" (and by {more} more constraint{'s' if more != 1 else ''}, below)." if more > 0 else "."))
    if d.outcome == "tie":
        p = unc.p_bare_metal_better if unc else 0.5
        return ("Chosen option: none, a tie. Neither option is better on what the profile and the evidence say "
                f"(bare metal has the higher utility in {share(p)} of the draws); decide on what the profile does "
                "not capture.")
    lead = d.recommendation or "vm"
    leader = d.options[lead]
    prob = record.probability
    if d.outcome == "measure-first":
        if unc is None:
            other = vm if leader is bm else bm
            return (f"Chosen option: none yet, measure first. {_name(other.option)} is ruled out "
                    f"({_ruled_out_words(other)}) and {_inline(leader.name)} is feasible only if "
                    f"{_inline('; '.join(leader.conditions))}.")
        flipping = [_measures(p.compares) for p in d.probes if p.can_flip]
        what = ("a measurement of " + _inline(_and(flipping)) + " could change the result") if flipping else \
            "it is feasible only if " + _inline("; ".join(leader.conditions))
        return (f'Chosen option: none yet, measure first. "{_inline(_upper_first(leader.name))}" leads, with a '
                f"probability of {share(prob or 0.5)} that it is the better option, but {what}.")
    close = " It is close." if record.close else ""
    return (f'Chosen option: "{_inline(_upper_first(leader.name))}", with a probability of {share(prob or 0.5)} that '
            f"it is the better option.{close}")


def _rests_on(record: DecisionRecord) -> str:
    unc = record.decision.uncertainty
    if unc is None:
        return ""
    low, high = unc.interval80
    text = (f"The probability is the share of {unc.samples} seeded draws over the consequence ranges below in which "
            "that option has the higher utility (the priorities times the valued consequences); in 80 % of the "
            f"draws the utility difference, bare metal minus VM-backed, lies between {low:+.2f} and {high:+.2f}.")
    measured = [r for r in unc.rests_on if r.startswith("most of")]
    if measured:
        text += " " + _upper_first(_inline(measured[0])) + "."
    return text


def outcome_section(record: DecisionRecord, reasons: Sequence[Reason], limit: int = 5) -> str:
    """The outcome in one sentence (configuration and probability), what it rests on, then the reasons."""
    d = record.decision
    lines = ["## Decision Outcome", "", _headline(record)]
    if record.close and d.outcome == "recommend":
        if record.measurements.verdicts:
            lines += ["", "It stays close after measuring: the options are nearly even for this workload."]
        else:
            lines += ["", "> **Close call.** Measure both candidate platforms (see Confirmation) before accepting "
                          "this record."]
    rests = _rests_on(record)
    if rests:
        lines += ["", rests]
    top = _top(record, reasons, limit)
    if top:
        lines += ["", "Reasons, largest share of the difference first:", ""]
        for i, r in enumerate(top, start=1):
            lines.append(f"{i}. {_upper_first(_CRITERION_WORDS[r.criterion])} (priority {r.priority}), "
                         f"{_inline(_lc(r.label))}: bare metal {_inline(r.text['bare-metal'])}; VM-backed "
                         f"{_inline(r.text['vm'])}.")
    elif d.outcome in ("one-ruled-out", "both-ruled-out"):
        ruled = [c for c in d.constraints if c.kind in ("infeasible", "configuration", "measurement-failed")]
        if d.outcome == "one-ruled-out":  # the headline names the first one
            shown = {o.ruled_out_by[0] for o in d.options.values() if o.ruled_out_by}
            ruled = [c for c in ruled if c.sentence not in shown]
        if ruled:
            lines += ["", "The constraints" + (" besides that one" if d.outcome == "one-ruled-out" else "")
                      + ", with their evidence in the appendix:", ""]
            lines += [f"{i}. {_upper_first(_name(c.option))}: {_inline(c.sentence)} ({_code(c.rule_id)})."
                      for i, c in enumerate(ruled[:limit], start=1)]
    return "\n".join(lines)


def _top(record: DecisionRecord, reasons: Sequence[Reason], limit: int = 5) -> list[Reason]:
    """The reasons the body lists: those for the chosen (or leading) option first, at least three when there are."""
    lead = record.decision.recommendation
    mine = [r for r in reasons if r.favours == lead] if lead else list(reasons)
    if len(mine) < 3:
        mine += [r for r in reasons if r not in mine][:3 - len(mine)]
    return mine[:limit]


def changes_section(changes: Sequence[Change], review_by: str | None, limit: int = 5) -> str:
    """What would change the answer: tipping points and revisit triggers as sentences, nearest first."""
    lines = ["### What Would Change the Answer", ""]
    items = [c.sentence for c in changes[:limit]]
    if len(changes) > limit:
        items.append(f"{len(changes) - limit} further changes are listed in the JSON twin.")
    if review_by:
        items.append(f"In any case, review this decision by {review_by} (`advisor records check` reports it).")
    lines.append(_bullets(items) if items else "No single change of one answer flips the recommendation.")
    return "\n".join(lines)


def changes_of(record: DecisionRecord) -> list[Change]:
    """Tipping points and revisit triggers as sentences (each once), nearest first."""
    changes: list[Change] = []
    seen: set[str] = set()
    for t in record.tipping_points:
        sentence = " ".join(str(t.get("sentence") or "").split())
        if not sentence or sentence in seen:
            continue
        seen.add(sentence)
        distance = t.get("relative_change")
        text = _upper_first(sentence) + ("" if sentence.endswith(".") else ".")
        changes.append(Change(_inline(text), float(distance) if isinstance(distance, (int, float)) else 0.0))
    for c in record.decision.constraints:
        if c.kind in ("infeasible", "configuration", "measurement-failed"):
            changes.append(Change(f"If the constraint {_code(c.rule_id)} no longer held (see Decision Outcome), "
                                  f"{_name(c.option)} would be compared again.", 1.0))
    flipping = [_measures(p.compares) for p in record.decision.probes if p.can_flip]
    if flipping:
        changes.append(Change(f"A measurement of {_inline(_and(flipping))} (VM-backed against bare metal) could "
                              "change the result: see Confirmation.", 1.0))
    return sorted(changes, key=lambda c: c.distance)


def _alpha_words(v: Mapping[str, Any]) -> str:
    alpha = v.get("alpha")
    return f" (alpha {alpha:.3g})" if isinstance(alpha, (int, float)) else ""


def _confirmation(record: DecisionRecord) -> str:
    lines = ["### Confirmation", ""]
    m = record.measurements
    if m.verdicts:
        rows = []
        for v in m.verdicts:
            ci = f"{_f(v['ci_low'], 3)} to {_f(v['ci_high'], 3)}{_alpha_words(v)}" \
                if v.get("ci_low") is not None else "-"
            ratio = _f(v["ratio"], 3) if v.get("ratio") is not None else "-"
            rows.append([_code(str(v.get("probe", "?"))), ratio, ci, _inline(v.get("verdict", "-"))])
        lines.append(f"Measured on the candidate platforms (result {_code(m.path or '-')}); each ratio is VM / "
                     "bare metal of the probe's main figure, with its always-valid sequential interval at the "
                     "alpha the design spent on it. The measured ratios replace the published ranges they measure:")
        lines += ["", _table(rows, ["probe", "ratio", "sequential interval", "verdict"])]
        if m.before:
            b = m.before
            p = b.get("p_bare_metal_better")
            before = _name(str(b.get("recommendation"))) + (f" (bare metal better in {share(p)} of the draws)"
                                                            if isinstance(p, (int, float)) else "")
            now = record.decision.p_bare_metal
            after = _name(record.recommendation) + (f" (bare metal better in {share(now)} of the draws)"
                                                    if now is not None else "")
            lines += ["", f"Before measuring the outcome was {b.get('outcome', '-')}: {before}; after, "
                          f"{record.outcome}: {after}."]
        return "\n".join(lines)
    flipping = [_code(c["probe"]) for c in record.confirmation if c.get("can_flip")]
    profile = record.profile.path or "PROFILE.yaml"
    lines.append("Not measured yet. Name a bare-metal and a VM-backed node of the same hardware in a targets file "
                 "(docs/measurement.md) and assess again"
                 + (f"; the measurements that could change this result are {', '.join(flipping)}" if flipping else "")
                 + ":")
    lines += ["", _shell_block(MEASURE_COMMAND.format(profile=shlex.quote(profile)))]
    return "\n".join(lines)


def consequences_section(record: DecisionRecord, reasons: Sequence[Reason], limit: int = 4) -> str:
    """Per option, what it brings that the other does not; each consequence once (reasons above not repeated)."""
    shown = {r.attribute for r in _top(record, reasons)}
    lines = ["### Consequences", ""]
    items = []
    for option in _OPTIONS:
        mine = [r for r in reasons if r.favours == option and r.attribute not in shown]
        if not mine:
            continue
        words = [f"{_inline(_lc(r.label))} ({_inline(r.text[option].split(',')[0])} against "
                 f"{_inline(r.text['vm' if option == 'bare-metal' else 'bare-metal'].split(',')[0])})"
                 for r in mine[:limit]]
        more = f"; and {len(mine) - limit} more (appendix)" if len(mine) > limit else ""
        items.append(f"Better on {_name(option)}: " + "; ".join(words) + more)
    unknown = record.decision.unknown_rules
    if unknown:
        items.append(f"Not counted: {len(unknown)} rule{'s' if len(unknown) != 1 else ''} read an answer or "
                     "measurement that is unknown (listed in the appendix)")
    if not items:
        items = ["No other consequence separates the options."]
    lines.append(_bullets(items))
    return "\n".join(lines)


# --------------------------------------------------------------------------- more information (the appendix)


def _more_information(record: DecisionRecord) -> str:
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
    rows = [[_code(c["key"]), _inline(c["question"]), _inline(c["answer"]), _source(c), _inline(c.get("note", ""))]
            for c in record.context]
    return ("### Answers\n\nFrom the profile " + _code(record.profile.path or "-") + "; *answered* means given or "
            "confirmed by a person, *default* means the question was never shown.\n\n"
            + _table(rows, ["key", "question", "answer", "origin", "note"]))


def _screen(record: DecisionRecord) -> str:
    items = []
    for option in _OPTIONS:
        opt = record.decision.options[option]  # type: ignore[index]
        items.append(f"{_upper_first(_name(option))}: {opt.status}; {_inline(_status_words(opt))}")
    for c in record.decision.constraints:
        items.append(f"{_code(c.rule_id)} ({_name(c.option)}, {c.kind}): {_inline(c.sentence)}")
    return "### Screen\n\nEach option's status before any consequence is weighed, and every constraint that " \
        "applied:\n\n" + _bullets(items)


def _consequence_table(record: DecisionRecord) -> str:
    rows = []
    for crit in record.decision.criteria:
        by = {o: crit.attributes.get(o, []) for o in _OPTIONS}  # type: ignore[call-overload]
        for bm, vm in zip(by["bare-metal"], by["vm"], strict=True):
            rows.append([crit.criterion, _inline(bm.label), _inline(_range_words(bm)), _inline(_range_words(vm)),
                         _code(bm.rule_id or "-") + " / " + _code(vm.rule_id or "-")])
    if not rows:
        return ""
    return ("### Consequences in Full\n\nEach attribute of the chosen configurations in its own unit: the most "
            "likely value, its range and where it comes from (rule of bare metal / of VM-backed):\n\n"
            + _table(rows, ["criterion", "attribute", "bare metal", "VM-backed", "rules"]))


def _criteria_table(record: DecisionRecord) -> str:
    rows = [[c.criterion, str(c.priority), _f(c.value["bare-metal"]), _f(c.value["vm"]), f"{c.contribution:+.2f}"]
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
            + _table(rows, ["criterion", "priority", "bare metal", "VM-backed", "share of U(bm) - U(vm)"]) + tail)


def _rules(record: DecisionRecord) -> str:
    items = []
    for rule_id, rule in sorted(record.rules_applied.items()):
        text = (f"{_code(rule_id)} ({rule.get('kind', 'rule')}, {_name(str(rule.get('option', '')))}): "
                f"{_inline(str(rule.get('title', '')))}.")
        if rule.get("rationale"):
            text += f" {_inline(str(rule['rationale']))}"
        links = _evidence_links(rule)
        items.append(text + (f" Evidence: {links}" if links else ""))
    if not items:
        return ""
    return "### Rules Applied\n\n" + _bullets(items)


def _value_of_information(record: DecisionRecord) -> str:
    if not record.confirmation:
        return ""
    rows = [[_code(c["probe"]), _inline(str(c.get("compares", ""))), f"{float(c.get('value_of_information', 0)):.3f}",
             "yes" if c.get("can_flip") else "no"] for c in record.confirmation]
    return ("### Value of Information\n\nThe measurable unknowns, most valuable first: the expected gain in "
            "utility from knowing the measured range exactly, and whether an end of its range could flip the "
            "result:\n\n" + _table(rows, ["probe", "compares", "value", "could flip"]))


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
    ids = record.decision.unknown_rules
    if not ids:
        return ""
    return ("### Unknown Answers\n\nThese rules read an answer or measurement that is unknown, so they did not "
            "count:\n\n" + _bullets(_code(i) for i in ids))


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
