"""The sections a board reads: context, drivers, options, outcome, what would change it, confirmation, consequences."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from advisor.decide.outcome import OptionResult
from advisor.decide.text import share
from advisor.records import NODE_NAMES, DecisionRecord
from advisor.render.reasons import Change, Reason
from advisor.render.text import (
    CRITERION_WORDS,
    OPTIONS,
    bullets,
    code,
    inline,
    lc,
    num,
    option_name,
    shell_block,
    table,
    upper_first,
)

# --------------------------------------------------------------------------- body sections

#: How to take the measurements that confirm a decision (docs/decision-records.md, Confirmation).
MEASURE_COMMAND = "advisor assess --profile {profile} --defaults --targets targets.yaml --measure always"


def front_matter(record: DecisionRecord) -> str:
    lines = ["---", f"status: {record.status}", f"date: {record.date}"]
    makers = record.decision_makers or ["not named (assess --decision-maker NAME)"]
    lines.append("decision-makers:")
    lines += [f"  - {json.dumps(' '.join(m.split()), ensure_ascii=False)}" for m in makers]
    lines.append("---")
    return "\n".join(lines)


_SUMMARY = {
    "workload_class": "{}",
    "latency_p99_ms": "a p99 latency SLO of {}",
    "tenant_count": "tenant count: {}",
    "untrusted_tenants": "tenants kept apart: {}",
    "compliance": "compliance: {}",
    "physical_hosts": "{} in scope",
    "site_type": "site: {}",
}


def context_section(record: DecisionRecord) -> str:
    by_key = {c["key"]: c for c in record.context}
    summary = [form.format(inline(by_key[k]["answer"])) for k, form in _SUMMARY.items() if k in by_key]
    given = sum(1 for c in record.context if not c.get("default"))
    text = [
        "## Context and Problem Statement",
        "",
        f"Should **{inline(record.workload)}** run on bare-metal Kubernetes nodes or on VM-backed ones?",
    ]
    if summary:
        text += ["", "In short: " + "; ".join(summary) + "."]
    if record.context:
        text += ["", f"{given} of the {len(record.context)} answers were given or confirmed by a person; the rest "
                     "are defaults of questions never shown (all answers with their notes are in the appendix)."]
    return "\n".join(text)


def source_text(row: dict[str, Any]) -> str:
    """answered, default, or observed/measured with where from and when (escaped: sources are user paths)."""
    prov = row.get("provenance")
    if not isinstance(prov, dict):
        return "default" if row.get("default") else "answered"
    sources = ", ".join(str(s) for s in prov.get("source") or [])
    day = str(prov.get("time") or "")[:10]
    text = f"{prov.get('kind')} {day}" + (f" from {sources}" if sources else "")
    text += f", expires {prov['expires']}" if prov.get("expires") else ""
    return inline(text + (" (partial)" if prov.get("partial") else ""))


def _priorities(record: DecisionRecord) -> dict[str, int]:
    from advisor.decide.engine import priorities

    return {str(k): int(v) for k, v in priorities(record.decision.facts).items()}


def drivers_section(record: DecisionRecord) -> str:
    prio = _priorities(record)
    lines = ["## Decision Drivers", ""]
    items = ["Priorities (1 to 5, importance weights over all criteria): " + ", ".join(
        f"{CRITERION_WORDS.get(c, c)} {p}" for c, p in sorted(prio.items(), key=lambda t: (-t[1], t[0])))]
    by_key = {c["key"]: c for c in record.context}
    for key, form in (("compliance", "Compliance in scope: {}"), ("bare_metal_mandated", "Bare metal mandated: {}"),
                      ("dedicated_hardware_required", "Single-tenant hardware required: {}")):
        c = by_key.get(key)
        if c and str(c["answer"]).lower() not in ("none", "no", "false"):
            items.append(form.format(inline(c["answer"])))
    for hit in record.decision.constraints:
        if hit.kind in ("infeasible", "configuration", "measurement-failed"):
            items.append(f"Constraint on {option_name(hit.option)}: {inline(hit.sentence)}")
        elif hit.kind == "pending":
            items.append(f"Condition on {option_name(hit.option)}: {inline(hit.sentence)}")
    notes = [c for c in record.context if c.get("note")]
    for c in notes[:3]:
        items.append(f"Note on {inline(lc(c['question']))}: {inline(c['note'])}")
    lines.append(bullets(items))
    return "\n".join(lines)


def status_words(opt: OptionResult) -> str:
    if opt.status == "infeasible":
        return "infeasible in all " + f"{opt.configurations} configurations considered"
    text = f"{opt.feasible_configurations} of {opt.configurations} configurations feasible; best: {opt.name}"
    if opt.status == "feasible-if":
        text += " (feasible if: " + "; ".join(opt.conditions) + ")"
    return text


def options_section(record: DecisionRecord) -> str:
    items = []
    for option in OPTIONS:
        opt = record.decision.options[option]  # type: ignore[index]
        items.append(f"{upper_first(NODE_NAMES[option])} Kubernetes nodes: {inline(status_words(opt))}")
    return "## Considered Options\n\n" + bullets(items)


def _measures(compares: str) -> str:
    """'CPU throughput, VM-backed / bare metal' -> 'CPU throughput'."""
    return compares.split(",")[0]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]




def _ruled_out_words(opt: OptionResult) -> str:
    return "; ".join(inline(r) for r in opt.ruled_out_by)


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
        return (f'Chosen option: "{inline(upper_first(chosen.name))}", because '
                f"{option_name(other.option)} is ruled out: "
                f"{inline(other.ruled_out_by[0]) if other.ruled_out_by else 'by a constraint'}"
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
            return (f"Chosen option: none yet, measure first. {option_name(other.option)} is ruled out "
                    f"({_ruled_out_words(other)}) and {inline(leader.name)} is feasible only if "
                    f"{inline('; '.join(leader.conditions))}.")
        flipping = [_measures(p.compares) for p in d.probes if p.can_flip]
        what = ("a measurement of " + inline(_and(flipping)) + " could change the result") if flipping else \
            "it is feasible only if " + inline("; ".join(leader.conditions))
        return (f'Chosen option: none yet, measure first. "{inline(upper_first(leader.name))}" leads, with a '
                f"probability of {share(prob or 0.5)} that it is the better option, but {what}.")
    close = " It is close." if record.close else ""
    return (f'Chosen option: "{inline(upper_first(leader.name))}", with a probability of {share(prob or 0.5)} that '
            f"it is the better option.{close}")


def _rests_on(record: DecisionRecord) -> str:
    unc = record.decision.uncertainty
    if unc is None:
        return ""
    low, high = unc.interval80
    text = (f"The probability is the share of {unc.samples} seeded draws over the consequence ranges below in which "
            "that option, at its best configuration in that draw, has the higher utility (the priorities times the "
            "valued consequences); in 80 % of the draws the utility difference, bare metal minus VM-backed, lies "
            f"between {low:+.2f} and {high:+.2f}.")
    measured = [r for r in unc.rests_on if r.startswith("most of")]
    if measured:
        text += " " + upper_first(inline(measured[0])) + "."
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
    lead = d.recommendation
    if top:
        lines += ["", "Reasons, largest share of the difference first:", ""]
        for i, r in enumerate(top, start=1):
            # a reason listed to make up three that favours the other option says so
            against = f"; this one favours {option_name(r.favours)}" if lead and r.favours != lead else ""
            lines.append(f"{i}. {upper_first(CRITERION_WORDS[r.criterion])} (priority {r.priority}), "
                         f"{inline(lc(r.label))}: bare metal {inline(r.text['bare-metal'])}; VM-backed "
                         f"{inline(r.text['vm'])}{against}.")
    elif d.outcome in ("one-ruled-out", "both-ruled-out"):
        ruled = [c for c in d.constraints if c.kind in ("infeasible", "configuration", "measurement-failed")]
        if d.outcome == "one-ruled-out":  # the headline names the first one
            shown = {o.ruled_out_by[0] for o in d.options.values() if o.ruled_out_by}
            ruled = [c for c in ruled if c.sentence not in shown]
        if ruled:
            lines += ["", "The constraints" + (" besides that one" if d.outcome == "one-ruled-out" else "")
                      + ", with their evidence in the appendix:", ""]
            lines += [f"{i}. {upper_first(option_name(c.option))}: {inline(c.sentence)} ({code(c.rule_id)})."
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
    lines.append(bullets(items) if items else "No single change of one answer flips the recommendation.")
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
        text = upper_first(sentence) + ("" if sentence.endswith(".") else ".")
        changes.append(Change(inline(text), float(distance) if isinstance(distance, (int, float)) else 0.0))
    for c in record.decision.constraints:
        if c.kind in ("infeasible", "configuration", "measurement-failed"):
            changes.append(Change(f"If the constraint {code(c.rule_id)} no longer held (see Decision Outcome), "
                                  f"{option_name(c.option)} would be compared again.", 1.0))
    flipping = [_measures(p.compares) for p in record.decision.probes if p.can_flip]
    if flipping:
        changes.append(Change(f"A measurement of {inline(_and(flipping))} (VM-backed against bare metal) could "
                              "change the result: see Confirmation.", 1.0))
    return sorted(changes, key=lambda c: c.distance)


def _alpha_words(v: Mapping[str, Any]) -> str:
    alpha = v.get("alpha")
    return f" (alpha {alpha:.3g})" if isinstance(alpha, (int, float)) else ""


def confirmation_section(record: DecisionRecord) -> str:
    lines = ["### Confirmation", ""]
    m = record.measurements
    if m.verdicts:
        rows = []
        for v in m.verdicts:
            ci = f"{num(v['ci_low'], 3)} to {num(v['ci_high'], 3)}{_alpha_words(v)}" \
                if v.get("ci_low") is not None else "-"
            ratio = num(v["ratio"], 3) if v.get("ratio") is not None else "-"
            rows.append([code(str(v.get("probe", "?"))), ratio, ci, inline(v.get("verdict", "-"))])
        lines.append(f"Measured on the candidate platforms (result {code(m.path or '-')}); each ratio is VM / "
                     "bare metal of the probe's main figure, with its always-valid sequential interval at the "
                     "alpha the design spent on it. The measured ratios replace the published ranges they measure:")
        lines += ["", table(rows, ["probe", "ratio", "sequential interval", "verdict"])]
        if m.before:
            b = m.before
            p = b.get("p_bare_metal_better")
            before = option_name(str(b.get("recommendation"))) + (f" (bare metal better in {share(p)} of the draws)"
                                                            if isinstance(p, (int, float)) else "")
            now = record.decision.p_bare_metal
            after = option_name(record.recommendation) + (f" (bare metal better in {share(now)} of the draws)"
                                                    if now is not None else "")
            lines += ["", f"Before measuring the outcome was {b.get('outcome', '-')}: {before}; after, "
                          f"{record.outcome}: {after}."]
        return "\n".join(lines)
    flipping = [code(c["probe"]) for c in record.confirmation if c.get("can_flip")]
    profile = record.profile.path or "PROFILE.yaml"
    lines.append("Not measured yet. Name a bare-metal and a VM-backed node of the same hardware in a targets file "
                 "(docs/measurement.md) and assess again"
                 + (f"; the measurements that could change this result are {', '.join(flipping)}" if flipping else "")
                 + ":")
    lines += ["", shell_block(MEASURE_COMMAND.format(profile=shlex.quote(profile)))]
    return "\n".join(lines)


def consequences_section(record: DecisionRecord, reasons: Sequence[Reason], limit: int = 4) -> str:
    """Per option, what it brings that the other does not; each consequence once (reasons above not repeated)."""
    shown = {r.attribute for r in _top(record, reasons)}
    lines = ["### Consequences", ""]
    items = []
    for option in OPTIONS:
        mine = [r for r in reasons if r.favours == option and r.attribute not in shown]
        if not mine:
            continue
        words = [f"{inline(lc(r.label))} ({inline(r.text[option].split(',')[0])} against "
                 f"{inline(r.text['vm' if option == 'bare-metal' else 'bare-metal'].split(',')[0])})"
                 for r in mine[:limit]]
        more = f"; and {len(mine) - limit} more (appendix)" if len(mine) > limit else ""
        items.append(f"Better on {option_name(option)}: " + "; ".join(words) + more)
    unknown = record.decision.unknown_rules
    if unknown:
        items.append(f"Not counted: {len(unknown)} rule{'s' if len(unknown) != 1 else ''} read an answer or "
                     "measurement that is unknown (listed in the appendix)")
    if not items:
        items = ["No other consequence separates the options."]
    lines.append(bullets(items))
    return "\n".join(lines)


# --------------------------------------------------------------------------- more information (the appendix)
