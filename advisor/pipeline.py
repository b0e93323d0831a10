"""The Python API: answers -> facts -> findings -> scored result.

``assess`` is the one-call entry point; the steps are public so that the CLI, the
rule-test runner and later stages (measurement, what-if, records) build facts and
results exactly the same way::

    questionnaire = load_questionnaire()
    pack = load_pack([DEFAULT_RULES_DIR], questionnaire)
    result = evaluate({"latency_p99_ms": 0.5}, pack, questionnaire)
    print(result.to_json())
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from advisor.conditions import FactType, Kind
from advisor.errors import DataError, Location, did_you_mean
from advisor.profile import Profile
from advisor.questionnaire import Questionnaire
from advisor.questionnaire import load_default as _load_default_questionnaire
from advisor.rules import catalog as _catalog
from advisor.rules.engine import Finding, evaluate_rule, evaluate_rules
from advisor.rules.loader import load_pack as _load_pack
from advisor.rules.model import Pack, RuleCase
from advisor.rules.testing import RuleTestReport, run_tests
from advisor.scoring import Result, score

__all__ = [
    "DEFAULT_RULES_DIR",
    "assess",
    "build_facts",
    "check_answers",
    "evaluate",
    "fact_catalog",
    "graph_fact_types",
    "graph_facts",
    "lint_pack",
    "load_pack",
    "load_questionnaire",
    "RuleTestReport",
    "rule_case_findings",
    "run_rule_tests",
]

#: The default rule pack, in the project checkout.
DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

_QUESTIONNAIRE: dict[tuple[int, int], Questionnaire] = {}


def load_questionnaire() -> Questionnaire:
    """The bundled questionnaire, parsed once per process (re-read when the file changes)."""
    from advisor.questionnaire import DEFAULT_PATH

    st = DEFAULT_PATH.stat()
    key = (st.st_mtime_ns, st.st_size)
    if key not in _QUESTIONNAIRE:
        _QUESTIONNAIRE.clear()
        _QUESTIONNAIRE[key] = _load_default_questionnaire()
    return _QUESTIONNAIRE[key]


# --------------------------------------------------------------------------- graph facts
# The fault-domain module is a sibling of the rules engine; these two functions are
# the only place that knows how it names and types its facts.

_KINDS: dict[str, Kind] = {"int": "int", "float": "float", "bool": "bool", "str": "str", "list": "list"}


def graph_fact_types() -> dict[str, FactType]:
    """``graph.<option>.<metric>`` facts with their types and descriptions."""
    from advisor import faultdomain

    out: dict[str, FactType] = {}
    for name, spec in faultdomain.FACT_TYPES.items():
        out[name] = FactType(_KINDS[str(spec)], None, faultdomain.FACT_DESCRIPTIONS.get(name, ""))
    return out


def graph_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The fault-domain metrics of both options for these profile facts (cached per fleet)."""
    from advisor import faultdomain

    return dict(faultdomain.graph_facts(facts))


# --------------------------------------------------------------------------- facts


def fact_catalog(questionnaire: Questionnaire) -> dict[str, FactType]:
    """Every fact a rule may read: profile keys, derived, graph and measured facts."""
    return _catalog.build_catalog(questionnaire.fact_types(), graph_fact_types())


def check_answers(answers: Mapping[str, Any], questionnaire: Questionnaire, *,
                  locations: Mapping[str, Location] | None = None,
                  allow_measured: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate answers (and, in rule tests, measured facts): ``(answers, measured)``.

    Each value goes through the question's own parser, as typed answers do. A problem
    is a DataError at ``locations[key]`` when given.
    """
    values: dict[str, Any] = {}
    measured: dict[str, Any] = {}
    for key, raw in answers.items():
        where = (locations or {}).get(key)
        if allow_measured and key in _catalog.MEASURED:
            try:
                measured[key] = _catalog.check_fact_value(_catalog.MEASURED[key], raw)
            except ValueError as exc:
                message, _, hint = str(exc).partition("; ")
                raise DataError(f"{key}: {message}", hint or None, where) from None
            continue
        if key not in questionnaire.by_key:
            source = _catalog.source_of(key) if isinstance(key, str) else "profile"
            if source in ("derived", "graph"):
                raise DataError(f"{key!r} is a {source} fact, computed from the answers",
                                "set the answers it is computed from (see docs/facts.md)", where)
            names = list(questionnaire.by_key) + (list(_catalog.MEASURED) if allow_measured else [])
            hint = did_you_mean(str(key), names) or "run 'advisor questions --full' to list the keys"
            raise DataError(f"unknown answer key {key!r}", hint, where)
        try:
            values[key] = questionnaire.by_key[key].parse(raw, from_text=False)
        except ValueError as exc:
            message, _, hint = str(exc).partition("; ")
            raise DataError(f"{key}: {message}", hint or None, where) from None
    return values, measured


def build_facts(answers: Mapping[str, Any], questionnaire: Questionnaire, *,
                measured: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The facts rules see: answers, defaults of applicable questions, derived, graph, measured.

    Questions are visited in order; an unanswered one takes its default when its
    ``when`` holds for the facts so far, and is absent otherwise.
    """
    values, _ = check_answers(answers, questionnaire)
    checked: dict[str, Any] = {}
    for key, raw in (measured or {}).items():
        ftype = _catalog.MEASURED.get(key)
        if ftype is None:
            raise DataError(f"unknown measured fact {key!r}",
                            did_you_mean(key, _catalog.MEASURED) or "see docs/facts.md")
        try:
            checked[key] = _catalog.check_fact_value(ftype, raw)
        except ValueError as exc:
            message, _, hint = str(exc).partition("; ")
            raise DataError(f"{key}: {message}", hint or None) from None
    return _facts(values, checked, questionnaire)


def _facts(values: Mapping[str, Any], measured: Mapping[str, Any], questionnaire: Questionnaire) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    not_applicable: set[str] = set()
    for q in questionnaire.questions:
        if q.key in values:
            facts[q.key] = values[q.key]
        elif questionnaire.applies(q.key, facts):
            if q.default is not None:
                facts[q.key] = list(q.default) if isinstance(q.default, list) else q.default
        else:
            not_applicable.add(q.key)
    facts.update(_catalog.derive(facts, frozenset(not_applicable)))
    facts.update(graph_facts(facts))
    facts.update(measured)
    return facts


# --------------------------------------------------------------------------- packs and results


def _paths(dirs: Sequence[str | os.PathLike[str]] | None) -> list[str | os.PathLike[str]]:
    return list(dirs) if dirs else [DEFAULT_RULES_DIR]


def load_pack(dirs: Sequence[str | os.PathLike[str]] | None = None, questionnaire: Questionnaire | None = None,
              *, base: Path | None = None, cases: bool = True) -> Pack:
    """Load and type-check one pack or several layered ones (default: the bundled ``rules/``).

    ``cases=False`` leaves out the whole-pack cases (``cases/``), which only the rule
    tests need.
    """
    q = questionnaire or load_questionnaire()
    return _load_pack(_paths(dirs), fact_catalog(q), base=base, cases=cases)


def evaluate(answers: Mapping[str, Any], pack: Pack, questionnaire: Questionnaire | None = None, *,
             measured: Mapping[str, Any] | None = None) -> Result:
    """Evaluate one profile's answers against a loaded pack."""
    q = questionnaire or load_questionnaire()
    facts = build_facts(answers, q, measured=measured)
    return score(pack, evaluate_rules(pack, facts), facts)


def assess(answers: Mapping[str, Any] | Profile, *, rules: Sequence[str | os.PathLike[str]] | None = None,
           questionnaire: Questionnaire | None = None, measured: Mapping[str, Any] | None = None) -> Result:
    """Assess a profile (or plain answers) with the default or the given rule packs."""
    if isinstance(answers, Profile):
        questionnaire = questionnaire or answers.questionnaire
        answers = answers.values()
    q = questionnaire or load_questionnaire()
    return evaluate(answers, load_pack(rules, q, cases=False), q, measured=measured)


def lint_pack(dirs: Sequence[str | os.PathLike[str]] | None = None, questionnaire: Questionnaire | None = None,
              *, base: Path | None = None) -> Pack:
    """Load a pack and check every test case's and pack case's answers; DataError on any problem."""
    q = questionnaire or load_questionnaire()
    pack = load_pack(dirs, q, base=base)
    for rule in pack.rules:
        for case in rule.tests:
            check_answers(case.answers, q, locations=case.key_locations, allow_measured=True)
    for pcase in pack.cases:
        check_answers(pcase.answers, q, locations=pcase.key_locations, allow_measured=True)
    return pack


def run_rule_tests(pack: Pack, questionnaire: Questionnaire | None = None) -> RuleTestReport:
    """Run the pack's rule tests and whole-pack cases through the same pipeline as ``assess``."""
    q = questionnaire or load_questionnaire()

    def facts_for(answers: Mapping[str, Any], locations: Mapping[str, Location]) -> dict[str, Any]:
        values, measured = check_answers(answers, q, locations=locations, allow_measured=True)
        return _facts(values, measured, q)

    def recommend(answers: Mapping[str, Any], locations: Mapping[str, Location]) -> tuple[str, str]:
        facts = facts_for(answers, locations)
        result = score(pack, evaluate_rules(pack, facts), facts)
        drivers = ", ".join(result.drivers[:3]) or "none"
        return result.recommendation, f"{result.reason}, top drivers: {drivers}"

    return run_tests(pack, facts_for, recommend)


def rule_case_findings(pack: Pack, rule_id: str, questionnaire: Questionnaire | None = None
                       ) -> list[tuple[RuleCase, Finding]]:
    """Each test case of one rule with the rule's finding for it (for ``advisor rules show``)."""
    q = questionnaire or load_questionnaire()
    rule = pack.rule(rule_id)
    out = []
    for case in rule.tests:
        values, measured = check_answers(case.answers, q, locations=case.key_locations, allow_measured=True)
        out.append((case, evaluate_rule(rule, _facts(values, measured, q))))
    return out
