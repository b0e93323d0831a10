"""docs/decision-pack.md: the format-2 pack as an architect reads it, generated from its files."""

from __future__ import annotations

from advisor.decide.loader import Pack
from advisor.decide.model import CRITERIA, OPTIONS
from advisor.decide.variants import OPTION_LABELS

__all__ = ["pack_markdown"]

USERS_ANSWER = "the user's answer"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def pack_markdown(pack: Pack) -> str:
    """The criteria and value functions, the configurations, every rule and every archetype."""
    out = [f"# The decision pack ({pack.name})", "",
           "<!-- Generated from rules-v2/ by scripts/gen_docs.py; do not edit. -->", "",
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
