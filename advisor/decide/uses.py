"""Which consequence estimates each answer and each evidence item enters (the "no double counting" rule).

The rule the pack keeps (docs/scoring.md, "Each fact counts once"): an answer enters the
estimate of exactly one criterion attribute, for one option or both (the same quantity
estimated for each option is one estimate); an evidence item backs exactly one
consequence rule. Constraints (the screen) and the choice of a configuration are not
consequence estimates: an answer may also screen an option or decide which
configuration is feasible.

An answer enters an estimate when the rule's ``when`` or estimate reads it, directly or
through derived facts (the pack's, then ``reads``: the catalogue's derived facts and the
fault-domain graph's metrics).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from advisor.decide.loader import Pack

__all__ = ["answer_attributes", "evidence_rules", "read_by"]


def read_by(pack: Pack, names: Collection[str], reads: Callable[[str], Collection[str]]) -> set[str]:
    """``names`` and every fact they are computed from, through the pack's derived facts and ``reads``."""
    derived = {d.name: d.expr.names for d in pack.derived}
    out: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in out:
            out.add(name)
            todo.extend(derived.get(name, ()))
            todo.extend(reads(name))
    return out


def answer_attributes(pack: Pack, answers: Collection[str],
                      reads: Callable[[str], Collection[str]]) -> dict[str, dict[str, list[str]]]:
    """For each of ``answers`` that a consequence reads: attribute -> the consequence rules reading it there."""
    wanted = set(answers)
    out: dict[str, dict[str, list[str]]] = {}
    for rule in pack.consequences:
        for name in sorted(read_by(pack, rule.names, reads) & wanted):
            out.setdefault(name, {}).setdefault(rule.attribute.key, []).append(rule.id)
    return out


def evidence_rules(pack: Pack) -> Mapping[str, list[str]]:
    """Evidence id -> the consequence rules it backs."""
    out: dict[str, list[str]] = {}
    for rule in pack.consequences:
        for item in rule.rule.evidence:
            out.setdefault(item, []).append(rule.id)
    return out
