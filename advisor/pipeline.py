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

from advisor import decision
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
    "decide",
    "evaluate",
    "fact_catalog",
    "graph_fact_types",
    "graph_facts",
    "lint_pack",
    "regenerate_command",
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
    """The fault-domain metrics of both options for these profile facts (cached per fleet).

    A fleet larger than the model's caps gives no graph facts: rules that read them
    evaluate to *unknown* (listed in the result, lowering the confidence) instead of
    failing the whole assessment.
    """
    from advisor import faultdomain

    try:
        return dict(faultdomain.graph_facts(facts))
    except faultdomain.FleetTooLarge:
        return {}


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


# --------------------------------------------------------------------------- decision records


def _shown_path(path: str | os.PathLike[str]) -> str:
    """A path for a record: as given when relative, else relative to the current folder when inside it."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.name  # never an absolute machine path in a record


def _pack_infos(pack: Pack, dirs: Sequence[str | os.PathLike[str]] | None) -> list[decision.PackInfo]:
    roots = _paths(dirs)
    infos = []
    for ref, root in zip(pack.packs, roots, strict=True):
        bundled = Path(root).resolve() == DEFAULT_RULES_DIR.resolve()
        infos.append(decision.PackInfo(name=ref.name, version=ref.version,
                                       path="rules" if bundled and dirs is None else _shown_path(root),
                                       sha256=decision.pack_sha256(root)))
    return infos


def _answer_text(value: Any, question: Any) -> str:
    labels = {c.value: c.label for c in (question.choices or ())}
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = labels.get(value, str(value)) if isinstance(value, str) else str(value)
    return f"{text} {question.unit}" if question.unit and not isinstance(value, str) else text


def _context(values: Mapping[str, Any], profile: Profile | None, q: Questionnaire) -> list[dict[str, Any]]:
    given = set(profile.answers) if profile is not None else set(values)
    return [
        {"key": key, "question": q.by_key[key].prompt, "answer": _answer_text(value, q.by_key[key]),
         "default": key not in given}
        for key, value in values.items() if key in q.by_key
    ]


def _fired_rules(pack: Pack, result: Result) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for f in result.findings:
        if f.outcome != "fired" or f.rule_id not in pack.by_id:
            continue
        r = pack.by_id[f.rule_id]
        model = r.rule
        out[r.id] = {
            "title": model.title,
            "when": model.when,
            "criterion": model.effect.criterion if model.effect else None,
            "favours": model.effect.favours if model.effect else None,
            "knock_out": model.knock_out.option if model.knock_out else None,
            "grade": r.grade,
            "rationale": " ".join(model.rationale.split()),
            "evidence": [e.model_dump(mode="json") for e in model.evidence],
            "explanation": f.explanation,
        }
    return out


def _confirmation(result: Result) -> list[dict[str, Any]]:
    waiting: dict[str, set[str]] = {p: set() for p in _catalog.PROBES}
    for f in result.findings:
        if f.outcome == "unknown":
            for fact in f.missing:
                parts = fact.split(".")
                if len(parts) == 3 and parts[0] == "measured" and parts[1] in waiting:
                    waiting[parts[1]].add(f.rule_id)
    order = sorted(_catalog.PROBES, key=lambda p: (not waiting[p], list(_catalog.PROBES).index(p)))
    return [{"probe": p, "compares": _catalog.PROBES[p], "rules": sorted(waiting[p])} for p in order]


def _revisit_triggers(pack: Pack, result: Result) -> list[str]:
    """Until what-if analysis gives thresholds: the conditions of the deciding rules turning false."""
    ids = [k.rule_id for k in result.knock_outs] or [
        c.rule_id for c in result.contributions if c.rule_id in result.drivers and c.favours == result.recommendation
    ]
    return [f"not ({' '.join(pack.by_id[i].rule.when.split())})" for i in ids if i in pack.by_id]


def regenerate_command(profile_path: str, date: str, rules: Sequence[str] = (), decision_makers: Sequence[str] = (),
                       title: str | None = None) -> str:
    """The ``advisor assess`` command line that regenerates a record."""
    import shlex

    words = ["advisor", "assess", "--profile", profile_path, "--defaults", "--date", date]
    for r in rules:
        words += ["--rules", r]
    for m in decision_makers:
        words += ["--decision-maker", m]
    if title:
        words += ["--title", title]
    return shlex.join(words)


def decide(profile: Profile, *, rules: Sequence[str | os.PathLike[str]] | None = None,
           questionnaire: Questionnaire | None = None, date: str | None = None,
           decision_makers: Sequence[str] = (), title: str | None = None, number: int = 1,
           command: str | None = None) -> decision.DecisionRecord:
    """Assess a (written) profile and build its decision record (``advisor.decision.DecisionRecord``).

    The profile's file bytes are hashed (``profile.path``); the rule packs are hashed
    file by file. ``date`` defaults to today or ``SOURCE_DATE_EPOCH``.
    """
    import json as _json

    from advisor import faultdomain

    q = questionnaire or profile.questionnaire
    pack = load_pack(rules, q, cases=False)
    values = profile.values()
    facts = build_facts(values, q)
    result = score(pack, evaluate_rules(pack, facts), facts)
    graph = faultdomain.analyze(facts)
    if profile.path is not None:
        shown = _shown_path(profile.path)
        digest = decision.file_sha256(profile.path)
    else:
        shown = ""
        digest = decision.sha256_hex(_json.dumps(values, sort_keys=True, default=str).encode("utf-8"))
    packs = _pack_infos(pack, rules)
    day = decision.check_date(date) if date else decision.default_date()
    return decision.build_record(
        number=number, title=title, date=day, decision_makers=decision_makers,
        workload=str(values.get("workload_name", "the workload")),
        profile=decision.ProfileInfo(path=shown, sha256=digest, answers=_json.loads(_json.dumps(values)),
                                     questionnaire=decision.QuestionnaireInfo(id=q.id, version=q.version)),
        rules=decision.RulesInfo(packs=packs, sha256=decision.rules_sha256(packs)),
        result=result.model_dump(mode="json"),
        graph=_json.loads(_json.dumps(faultdomain.to_json(graph))),
        command=command if command is not None else regenerate_command(
            shown, day, [p.path for p in packs] if rules else [], decision_makers, title),
        revisit_triggers=_revisit_triggers(pack, result),
        context=_context(values, profile, q),
        fired_rules=_fired_rules(pack, result),
        confirmation=_confirmation(result),
        mermaid=faultdomain.to_mermaid(graph),
    )
