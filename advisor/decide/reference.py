"""docs/decision-pack.md and docs/rule-pack.md: the format-2 pack as an architect reads it, generated from its files."""

from __future__ import annotations

from advisor.decide.loader import Consequence, Constraint, Pack
from advisor.decide.model import CRITERIA, OPTIONS, ConstraintRule
from advisor.decide.variants import OPTION_LABELS

__all__ = ["pack_markdown", "rules_markdown"]

USERS_ANSWER = "the user's answer"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def pack_markdown(pack: Pack) -> str:
    """The criteria and value functions, the configurations, every rule and every archetype."""
    out = [f"# The decision pack ({pack.name})", "",
           f"<!-- Generated from {pack.root}/ by scripts/gen_docs.py; do not edit. -->", "",
           "How the pack is used: docs/scoring.md.", "", "## Criteria, attributes and value functions", "",
           "| attribute | unit | weight | value function | why |", "|---|---|---|---|---|"]
    for c in CRITERIA:
        for a in pack.attributes_of(c):
            out.append(f"| `{a.key}`: {_cell(a.spec.label)} | {_cell(a.spec.unit)} | {a.spec.weight:g} | "
                       f"{_cell(a.value.describe(a.spec.unit))} | {_cell(a.spec.why)} |")
    out += ["", "## Configurations", ""]
    for o in OPTIONS:
        dims = "; ".join(f"{d.label}: " + ", ".join(f"`{v}`" for v in d.values) for d in pack.dimensions[o])
        out.append(f"- {OPTION_LABELS[o]}: {dims}")
    out += ["", "## Derived facts", "", "| fact | expression | meaning |", "|---|---|---|"]
    for d in pack.derived:
        out.append(f"| `{d.name}` | `{_cell(d.expr.source)}` | {_cell(d.description)} |")
    out += ["", "## Constraint rules", "", "| rule | option | when | effect | evidence |", "|---|---|---|---|---|"]
    for r in pack.constraints:
        m = r.rule
        if m.infeasible:
            effect = "infeasible"
        else:
            req = m.requires
            assert req is not None
            parts = [f"configuration: {req.says}"] if req.says else []
            if req.measurement is not None:
                parts.append(f"measurement: {req.measurement.says}")
            effect = "feasible only with " + "; ".join(parts)
        out.append(f"| `{m.id}`: {_cell(m.title)} | {OPTION_LABELS[m.option]} | `{_cell(m.when)}` | {_cell(effect)} | "
                   f"{', '.join(m.evidence) or USERS_ANSWER} |")
    out += ["", "## Consequence rules", "", "| rule | option | attribute | when | measured by | evidence |",
            "|---|---|---|---|---|---|"]
    for rule in pack.consequences:
        q = rule.rule
        probe = q.measured_by.probe if q.measured_by else ""
        out.append(f"| `{q.id}`: {_cell(q.title)} | {OPTION_LABELS[q.option]} | `{q.attribute}` | `{_cell(q.when)}` | "
                   f"{probe} | {', '.join(q.evidence) or 'computed from the answers'} |")
    out += ["", "## Archetypes", "", "| archetype | expected | why | evidence |", "|---|---|---|---|"]
    for case in pack.cases:
        k = case.model
        out.append(f"| {_cell(k.name)} | {', '.join(k.expect)} | {_cell(k.reason)} | {', '.join(k.citation)} |")
    return "\n".join(out) + "\n"


def _effect(rule: Constraint | Consequence) -> str:
    if isinstance(rule, Consequence):
        r = rule.rule
        est = r.estimate
        given = (f"`{_cell(str(est.value))}`" if est.value is not None
                 else f"low `{_cell(str(est.low))}`, mode `{_cell(str(est.mode))}`, high `{_cell(str(est.high))}`")
        text = f"estimates `{r.attribute}` ({_cell(rule.attribute.spec.unit) or 'no unit'}): {given}"
        if r.measured_by is not None:
            text += f"; replaced by the `{r.measured_by.probe}` measurement when there is one"
        return text
    m = rule.rule
    if m.infeasible:
        return "rules the option out"
    req = m.requires
    assert req is not None
    parts = [f"the configuration {req.says} (`{_cell(req.configuration or '')}`)"] if req.says else []
    if req.measurement is not None:
        parts.append(f"a measurement: {req.measurement.says}")
    return "feasible only with " + " and ".join(parts)


def _rule_section(rule: Constraint | Consequence) -> list[str]:
    m = rule.rule
    out = [f"### `{m.id}`", "", f"{_cell(m.title)}", "",
           f"- option: {OPTION_LABELS[m.option]}; file: `{rule.file}`",
           f"- when: `{_cell(m.when)}`", f"- effect: {_effect(rule)}"]
    if isinstance(m, ConstraintRule):
        out.append(f"- because: {_cell(m.because)}")
    out.append("- evidence: " + (", ".join(f"`{e}`" for e in m.evidence) or USERS_ANSWER))
    out.append("- cases: " + "; ".join(f"{_cell(c.name)} ({c.expect}{'' if c.defaults else ', no defaults'})"
                                       for c in m.cases))
    out += ["", " ".join(m.rationale.split()), ""]
    return out


def rules_markdown(pack: Pack) -> str:
    """docs/rule-pack.md: every rule of ``pack`` with its condition, effect, evidence, cases and rationale."""
    out = [f"# The rule pack ({pack.name})", "",
           f"<!-- Generated from {pack.root}/ by scripts/gen_docs.py (advisor rules docs); do not edit. -->", "",
           "One rule per file: `constraints/<id>.yaml` rules an option out or makes it feasible only in some "
           "configurations or with a measurement; `consequences/<id>.yaml` estimates one attribute of one option, "
           "with a range. How they are written and tested: docs/writing-rules.md; how the engine uses them: "
           "docs/scoring.md; the criteria, value functions and archetypes as tables: docs/decision-pack.md; the "
           "evidence items by id: docs/evidence.md.", "",
           f"{len(pack.constraints)} constraint rules, {len(pack.consequences)} consequence rules, "
           f"{sum(len(r.rule.cases) for r in pack.rules)} named rule cases, {len(pack.cases)} archetypes.", ""]
    out += ["## Constraint rules", ""]
    for option in OPTIONS:
        out += [f"Of {OPTION_LABELS[option]}:", ""]
        for c in pack.constraints_of(option):
            out += _rule_section(c)
    out += ["## Consequence rules", ""]
    for criterion in CRITERIA:
        for attribute in pack.attributes_of(criterion):
            rules = [r for r in pack.consequences if r.attribute.key == attribute.key]
            if rules:
                out += [f"Estimating `{attribute.key}` ({_cell(attribute.spec.label)}):", ""]
                for r in rules:
                    out += _rule_section(r)
    if pack.disabled:
        out += ["## Disabled by a layer", ""]
        out += [f"- `{rid}`: {_cell(why)}" for rid, why in sorted(pack.disabled.items())]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
