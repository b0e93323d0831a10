"""The Python API: answers -> facts -> the decision engine's decision (docs/scoring.md).

``assess`` is the one-call entry point; the steps are public so that the CLI, the
rule-test runner and later stages (measurement, what-if, records) build facts and
decisions exactly the same way::

    questionnaire = load_questionnaire()
    pack = load_decision_pack(questionnaire=questionnaire)
    decision = decide_profile({"latency_p99_ms": 0.5}, pack, questionnaire=questionnaire)
    print(decision.to_json())
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import cache, decision
from advisor.conditions import FactType, Kind, compile_condition
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.profile import Profile
from advisor.questionnaire import Questionnaire
from advisor.questionnaire import load_default as _load_default_questionnaire
from advisor.resources import PACK_FOLDER, bundled_dir, require
from advisor.rules import catalog as _catalog

if TYPE_CHECKING:
    from advisor import decide as decision_engine
    from advisor import faultdomain, whatif  # whatif (and the decision engine under it): imported on first use
    from advisor.decide import testing as decide_testing

__all__ = [
    "DECISION_PACK_DIR",
    "decide_profile",
    "decision_before",
    "decision_pack",
    "decision_facts",
    "lint_decision_pack",
    "load_decision_pack",
    "rule_facts",
    "run_decision_tests",
    "shown_path",
    "assess",
    "build_facts",
    "check_answers",
    "decide",
    "fact_catalog",
    "graph_fact_types",
    "graph_facts",
    "regenerate_command",
    "load_questionnaire",
]

#: The default rule pack (format 2, with its evidence catalogue), shipped in the package (see
#: :mod:`advisor.resources`).
DECISION_PACK_DIR = bundled_dir(PACK_FOLDER)

_QUESTIONNAIRE: dict[tuple[int, int], Questionnaire] = {}


def load_questionnaire() -> Questionnaire:
    """The bundled questionnaire, loaded once per process (again when the file changes)."""
    from advisor.questionnaire import DEFAULT_PATH

    st = require(DEFAULT_PATH, "questionnaire").stat()
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
    failing the whole assessment. The metrics of a fleet are also kept in the
    compiled-input cache (:mod:`advisor.cache`), keyed by the model's inputs, so that a
    repeated assessment costs the same whatever the fleet's size.
    """
    from advisor import faultdomain

    try:
        params = faultdomain.FleetParams.from_answers(facts)
        key = cache.key_of("graph", [], [repr(params)])
        found: dict[str, Any] = cache.cached("graph", key, lambda: faultdomain.graph_facts(facts))
        return dict(found)
    except faultdomain.FleetTooLarge:
        return {}


# --------------------------------------------------------------------------- facts


def question_units(questionnaire: Questionnaire) -> dict[str, str]:
    """The unit of every question that has one, for rendering rule text with the user's values."""
    return {k: question.unit for k, question in questionnaire.by_key.items() if question.unit}


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


# --------------------------------------------------------------------------- the decision engine

_FLEET_KEYS = ("physical_hosts", "racks", "microservices_per_host", "replicas_per_service", "vms_per_host",
               "clusters", "tenant_count", "hosts_per_site", "tenancy", "site_type", "max_blast_radius_pct")


def load_decision_pack(dirs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
                       questionnaire: Questionnaire | None = None) -> decision_engine.Pack:
    """Load the format-2 pack: the bundled one, with the layers ``dirs`` over it or a whole pack first in ``dirs``.

    Later folders win (see :mod:`advisor.decide.packs`); the loaded pack is cached.
    """
    from advisor.decide import packs

    q = questionnaire or load_questionnaire()
    given = [Path(dirs)] if isinstance(dirs, (str, os.PathLike)) else [Path(d) for d in dirs or ()]
    evidence_file = DECISION_PACK_DIR / "evidence.yaml"

    def usable() -> set[str]:
        from advisor.rules import evidence

        return {item.id for item in evidence.load_catalogue(evidence_file) if item.audit != "rejected"}

    folders = packs.roots(given, require(DECISION_PACK_DIR, "rule pack"), shown_path, PACK_FOLDER)
    return packs.load(folders, fact_catalog(q), evidence=usable, evidence_file=evidence_file)


def decision_facts(answers: Mapping[str, Any], questionnaire: Questionnaire | None = None, *,
                   defaults: bool = True, measured: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The facts the decision engine sees; ``defaults=False`` leaves unanswered questions unknown.

    Without defaults the fault-domain graph facts are present only when every fleet
    answer is given (the graph would otherwise stand on defaults).
    """
    q = questionnaire or load_questionnaire()
    values, extra = check_answers(answers, q, allow_measured=True)
    extra.update(measured or {})
    if defaults:
        return _facts(values, extra, q)
    not_applicable = {k for k in q.by_key if k not in values and not q.applies(k, values)}
    facts: dict[str, Any] = dict(values)
    facts.update(_catalog.derive(facts, frozenset(not_applicable)))
    if all(k in values or k in not_applicable for k in _FLEET_KEYS):
        facts.update(graph_facts(facts))
    facts.update(extra)
    return facts


def decide_profile(answers: Mapping[str, Any] | Profile, pack: decision_engine.Pack | None = None, *,
                   questionnaire: Questionnaire | None = None, measured: Mapping[str, Any] | None = None,
                   seed: int | None = None) -> decision_engine.Decision:
    """Decide one profile with the decision engine (default: the bundled format-2 pack)."""
    if isinstance(answers, Profile):
        questionnaire = questionnaire or answers.questionnaire
        answers = answers.values()
    q = questionnaire or load_questionnaire()
    p = pack or load_decision_pack(questionnaire=q)
    facts = decision_facts(answers, q, measured=measured)
    units = question_units(q)
    from advisor import decide as decision_engine

    return decision_engine.decide(p, facts, seed=seed, units=units)


def assess(answers: Mapping[str, Any] | Profile, *, rules: Sequence[str | os.PathLike[str]] | None = None,
           questionnaire: Questionnaire | None = None, measured: Mapping[str, Any] | None = None
           ) -> decision_engine.Decision:
    """Decide a profile (or plain answers) with the bundled pack, or with the packs ``rules`` over it."""
    if isinstance(answers, Profile):
        questionnaire = questionnaire or answers.questionnaire
    q = questionnaire or load_questionnaire()
    return decide_profile(answers, load_decision_pack(rules, q), questionnaire=q, measured=measured)


def run_decision_tests(pack: decision_engine.Pack | None = None, questionnaire: Questionnaire | None = None,
                       *, coverage: bool = True) -> decide_testing.TestReport:
    """The format-2 pack's rule cases, archetypes and coverage, through the same facts as an assessment."""
    q = questionnaire or load_questionnaire()
    p = pack or load_decision_pack(questionnaire=q)
    inputs = {d.name: d.inputs for d in _catalog.DERIVED}
    fleet = set(_FLEET_KEYS)

    def reads(name: str) -> Collection[str]:
        if name.startswith("graph."):
            return fleet
        return inputs.get(name, ())

    optional = {k for k in q.by_key if k in q.conditions} | set(_catalog.MEASURED)
    from advisor.decide import testing as decide_testing

    return decide_testing.run(p, rule_facts(q), questions=list(q.by_key),
                              optional=optional, reads=reads, coverage=coverage)


def rule_facts(questionnaire: Questionnaire) -> Callable[[Mapping[str, Any], bool], dict[str, Any]]:
    """How a rule case's answers become facts (as for an assessment; ``False``: no questionnaire defaults)."""
    return lambda answers, defaults: decision_facts(answers, questionnaire, defaults=defaults)


def lint_decision_pack(dirs: Sequence[str | os.PathLike[str]] | None = None,
                       questionnaire: Questionnaire | None = None) -> decision_engine.Pack:
    """Load the pack (see :func:`load_decision_pack`) and check the answers and configurations of every case.

    DataError with every problem found, each at its file:line:col.
    """
    q = questionnaire or load_questionnaire()
    pack = load_decision_pack(dirs, q)
    problems: list[Problem] = []

    def check(answers: Mapping[str, Any], doc: decision_engine.Spots, path: tuple[str | int, ...]) -> None:
        for key in answers:
            try:
                check_answers({key: answers[key]}, q, locations={key: doc.where((*path, key), key=True)},
                              allow_measured=True)
            except DataError as exc:
                problems.extend(exc.problems)

    for rule in pack.rules:
        dims = {d.name: d for d in pack.dimensions[rule.rule.option]}
        for i, case in enumerate(rule.rule.cases):
            check(case.answers, rule.doc, ("cases", i, "answers"))
            for name, value in case.configuration.items():
                at = rule.doc.where(("cases", i, "configuration", name), key=True)
                if name not in dims:
                    problems.append(Problem(f"{name!r} is not a configuration of {rule.rule.option}",
                                            did_you_mean(name, dims) or f"use one of {', '.join(dims)}", at))
                elif value not in dims[name].values:
                    problems.append(Problem(f"{value!r} is not a value of {name}",
                                            did_you_mean(value, dims[name].values)
                                            or f"use one of {', '.join(dims[name].values)}", at))
    for archetype in pack.cases:
        check(archetype.model.answers, archetype.doc, ("answers",))
        check(archetype.model.measured, archetype.doc, ("measured",))
    if problems:
        raise DataError("", problems=problems[:50])
    return pack


# --------------------------------------------------------------------------- decision records


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path for a record: as given when relative, else relative to the current folder when inside it."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.name  # never an absolute machine path in a record


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
    notes = profile.notes if profile is not None else {}
    rows: list[dict[str, Any]] = []
    for key, value in values.items():
        if key not in q.by_key:
            continue
        row: dict[str, Any] = {"key": key, "question": q.by_key[key].prompt,
                               "answer": _answer_text(value, q.by_key[key]), "default": key not in given}
        if profile is not None and (origin := profile.origin(key)) is not None:
            row["origin"] = origin
        if notes.get(key):
            row["note"] = notes[key]
        # observed (or measured) answers say where from, and when
        entry = profile.answer_provenance.get(key) if profile is not None else None
        if entry is not None and not row["default"] and entry.kind in ("observed", "measured"):
            row["provenance"] = {"kind": entry.kind, "source": entry.source, "time": entry.time,
                                 "expires": entry.expires, "partial": entry.partial is not None}
        rows.append(row)
    return rows


def _fault_domains(facts: Mapping[str, Any]) -> faultdomain.Result:
    """``faultdomain.analyze(facts)``, reusing the metrics the facts already hold (cached per fleet)."""
    from advisor import faultdomain

    params = faultdomain.FleetParams.from_answers(facts)
    options = []
    for option in faultdomain.OPTIONS:
        prefix = f"graph.{option}."
        metrics = {k[len(prefix):]: v for k, v in facts.items() if k.startswith(prefix)}
        topo = faultdomain.generate(params, option)
        if not metrics:
            return faultdomain.analyze(facts)
        options.append(faultdomain.OptionResult(option, topo.label, topo, metrics))
    return faultdomain.Result("profile", tuple(options), params)


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


def decision_pack(rules: Sequence[str | os.PathLike[str]] | None, questionnaire: Questionnaire
                  ) -> tuple[decision_engine.Pack, list[decision.PackInfo]]:
    """The format-2 pack an assessment decides with and the identity of each of its folders for a record.

    ``rules`` are layers over the bundled pack, or a whole pack first and its layers
    (:func:`load_decision_pack`); the bundled pack's path in a record is ``rules``.
    """
    from advisor.decide import packs as layered

    given = [Path(r) for r in rules or ()]
    pack = load_decision_pack(given, questionnaire)
    folders = layered.roots(given, DECISION_PACK_DIR, shown_path, "rules")
    names = [f"{pack.meta.name}@{pack.meta.version}", *(layer.name for layer in pack.layers)]
    infos = []
    for (root, shown), name in zip(folders, names, strict=True):
        base, _, version = name.rpartition("@")
        infos.append(decision.PackInfo(name=base, version=int(version), path=shown,
                                       sha256=decision.pack_sha256(root)))
    return pack, infos


def _evidence_items() -> dict[str, dict[str, str]]:
    """The evidence catalogue's items by id (source, url, grade), as a record cites them.

    Kept once per process and in the compiled-input cache by the catalogue's bytes, so
    that a record does not parse the catalogue.
    """
    path = require(DECISION_PACK_DIR / "evidence.yaml", "evidence catalogue")
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)

    def build() -> dict[str, dict[str, str]]:
        from advisor.rules import evidence

        return {i.id: {"id": i.id, "source": i.source, "url": i.url, "grade": i.grade}
                for i in evidence.load_catalogue(path)}

    if stamp not in _EVIDENCE:
        _EVIDENCE.clear()
        _EVIDENCE[stamp] = cache.cached("evidence-items", cache.key_of("evidence-items", [path]), build)
    return _EVIDENCE[stamp]


_EVIDENCE: dict[tuple[int, int], dict[str, dict[str, str]]] = {}


def _rules_applied(pack: decision_engine.Pack, result: decision_engine.Decision,
                   questionnaire: Questionnaire) -> dict[str, dict[str, Any]]:
    """The rules the decision rests on (constraints that applied, consequences of the chosen configurations).

    Titles and rationales carry the user's values (``{fact}`` rendered with its unit), never the
    template: a consequence's title as the engine rendered it for the chosen configuration.
    """
    from advisor.decide.engine import prepare
    from advisor.decide.text import render

    facts = prepare(pack, result.facts)
    by_id = {r.id: r for r in pack.rules}
    items = _evidence_items()
    units = question_units(questionnaire)
    units.update({d.name: d.unit for d in pack.derived if d.unit})
    used: dict[str, str] = {}
    titles: dict[str, list[str]] = {}
    for c in result.constraints:
        used.setdefault(c.rule_id, "constraint")
    for crit in result.criteria:
        for rows in crit.attributes.values():
            for row in rows:
                if row.rule_id:
                    used.setdefault(row.rule_id, "consequence")
                    if row.title and row.title not in titles.setdefault(row.rule_id, []):
                        titles[row.rule_id].append(row.title)
    out: dict[str, dict[str, Any]] = {}
    for rule_id in sorted(used):
        rule = by_id.get(rule_id)
        if rule is None:
            continue
        model = rule.rule
        out[rule_id] = {
            "kind": used[rule_id],
            "option": model.option,
            "title": "; ".join(titles.get(rule_id) or [render(model.title, facts, units)]),
            "rationale": render(model.rationale, facts, units),
            "evidence": [items.get(e, {"id": e}) for e in model.evidence],
        }
    return out


def _confirmation(result: decision_engine.Decision) -> list[dict[str, Any]]:
    """The measurable unknowns of the decision, most valuable first (value of information)."""
    return [{"probe": p.probe, "compares": p.compares, "value_of_information": p.value_of_information,
             "can_flip": p.can_flip, "rules": list(p.rules)} for p in result.probes]


def _constraint_triggers(pack: decision_engine.Pack, result: decision_engine.Decision,
                         questionnaire: Questionnaire) -> list[str]:
    """Revisit triggers of a decision a constraint made: the ruling-out condition no longer holding.

    Only conditions over the facts ``advisor records check`` sees (the fact catalog) are kept.
    """
    from advisor.conditions import ConditionError

    if result.outcome not in ("one-ruled-out", "both-ruled-out"):
        return []
    catalog = fact_catalog(questionnaire)
    by_id = {c.id: c for c in pack.constraints}
    out: list[str] = []
    for hit in result.constraints:
        rule = by_id.get(hit.rule_id)
        if hit.kind != "infeasible" or rule is None:
            continue
        text = f"not ({' '.join(rule.rule.when.split())})"
        try:
            compile_condition(text, catalog)
        except ConditionError:
            continue
        out.append(text)
    return out


def decision_before(result: decision_engine.Decision) -> dict[str, Any]:
    """What a record keeps of the decision before the measured facts were added."""
    return {"outcome": result.outcome, "recommendation": result.recommendation or "none",
            "configuration": result.configuration, "p_bare_metal_better": result.p_bare_metal,
            "close": result.uncertainty is not None and result.uncertainty.close}


def decide(profile: Profile, *, rules: Sequence[str | os.PathLike[str]] | None = None,
           questionnaire: Questionnaire | None = None, date: str | None = None,
           decision_makers: Sequence[str] = (), title: str | None = None, number: int = 1,
           command: str | None = None, profile_display: str | None = None,
           measured: Mapping[str, Any] | None = None, measurements: decision.MeasurementsInfo | None = None,
           pack: tuple[decision_engine.Pack, list[decision.PackInfo]] | None = None,
           result: decision_engine.Decision | None = None) -> decision.DecisionRecord:
    """Decide a (written) profile with :mod:`advisor.decide` and build its decision record.

    The profile's file bytes are hashed (``profile.path``); the format-2 pack is hashed
    file by file. ``date`` defaults to today or ``SOURCE_DATE_EPOCH``. ``profile_display``
    is the profile path to show in the record (default: ``profile.path`` as given).
    ``measured`` holds ``measured.*`` facts (from :func:`measurement_facts`): they replace
    the prior ranges they measure. ``measurements`` is what the record says about them.
    ``pack`` is :func:`decision_pack` of the same ``rules`` when the caller loaded it, and
    ``result`` the profile's decision with that pack and ``measured`` when it has one, so
    neither is made twice.
    """
    import json as _json

    from advisor import faultdomain

    q = questionnaire or profile.questionnaire
    rule_pack, packs = pack if pack is not None else decision_pack(rules, q)
    values = profile.values()
    if result is None:
        result = decide_profile(values, rule_pack, questionnaire=q, measured=measured)
    analysis = tipping_points(values, rule_pack, q, measured=measured, budget_ms=RECORD_BUDGET_MS, base=result)
    graph = _fault_domains(result.facts)
    if profile.path is not None:
        shown = profile_display or shown_path(profile.path)
        digest = decision.file_sha256(profile.path)
    else:
        shown = ""
        digest = decision.sha256_hex(_json.dumps(values, sort_keys=True, default=str).encode("utf-8"))
    day = decision.check_date(date) if date else decision.default_date()
    return decision.build_record(
        number=number, title=title, date=day, decision_makers=decision_makers,
        workload=str(values.get("workload_name", "the workload")),
        profile=decision.ProfileInfo(path=shown, sha256=digest, answers=_json.loads(_json.dumps(values)),
                                     questionnaire=decision.QuestionnaireInfo(id=q.id, version=q.version)),
        rules=decision.RulesInfo(packs=packs, sha256=decision.rules_sha256(packs)),
        result=result,
        graph=_json.loads(_json.dumps(faultdomain.to_json(graph))),
        command=command if command is not None else regenerate_command(
            shown, day, [shown_path(Path(r)) for r in rules or ()], decision_makers, title)
        + (f" --measurements {shlex.quote(measurements.path)}" if measurements and measurements.path else ""),
        tipping_points=[p.to_dict() for p in analysis.tipping_points],
        revisit_triggers=list(dict.fromkeys(
            [t.condition for t in analysis.triggers(limit=len(analysis.tipping_points))]
            + _constraint_triggers(rule_pack, result, q))),
        context=_context(values, profile, q),
        rules_applied=_rules_applied(rule_pack, result, q),
        confirmation=_confirmation(result),
        mermaid=faultdomain.to_mermaid(graph),
        measurements=measurements,
    )


def measurement_facts(path: str | os.PathLike[str], *, display: str | None = None,
                      before: decision_engine.Decision | None = None, skipped: Mapping[str, str] | None = None,
                      pack: decision_engine.Pack | None = None) -> tuple[dict[str, Any], decision.MeasurementsInfo]:
    """The ``measured.*`` facts of a recorded measurement file and its summary for a record.

    The file is checked against its own sha256 (an edited result is refused). Without
    ``skipped``, and given ``pack`` and ``before``, the catalog probes absent from the
    file are listed with the reason :func:`probes_to_measure` gives, so a record made
    from a recorded result reads like the one made while measuring.
    """
    from advisor.measure.results import load_result
    from advisor.measure.results import measured_facts as _measured_facts

    shown = display or shown_path(Path(path))
    result = load_result(path, display=shown)
    verdicts: list[dict[str, Any]] = []
    # an imitation (a confined local target) is not a measurement of the user's platforms: said in the record
    imitation = "; imitation, not counted" if result.imitations and not result.accept_imitation else \
        ("; imitation, accepted" if result.imitations else "")
    for probe in result.probes:
        main = probe.main_metric()
        comp = main.comparison if main is not None else None
        if main is None or comp is None:
            verdicts.append({"probe": probe.name, "verdict": probe.stopped, "note": probe.error or ""})
            continue
        verdict = f"refused: {probe.refused.split(':')[0]}" if probe.refused else comp.verdict
        verdicts.append({"probe": probe.name, "metric": f"{main.name} ({main.unit})", "ratio": comp.ratio,
                         "ci_low": comp.ci_low, "ci_high": comp.ci_high, "alpha": comp.alpha,
                         "verdict": verdict + imitation,
                         "runs": f"{comp.n_bare_metal}+{comp.n_vm}"})
    targets = []
    for t in result.targets:
        where = ", ".join(x for x in (
            f"CPUs {','.join(map(str, t.pinned_cpus))}" if t.pinned_cpus else "",
            t.cgroup or "", f"netns {t.netns}" if t.netns else "") if x) or "unpinned"
        if t.origin == "imitation":
            where = f"imitation ({where})"
        targets.append({"target": t.target, "role": t.role, "runner": t.runner, "host": t.hostname,
                        "cpu_model": t.cpu_model, "kernel": t.kernel, "virtualization": t.virtualization,
                        "placement": where})
    if skipped is None and pack is not None and before is not None:
        present = {p.name for p in result.probes}
        reasons = probes_to_measure(before, [p for p in _catalog.PROBES if p not in present], pack)
        skipped = {p: why for p, why in reasons.items() if why}
    info = decision.MeasurementsInfo(
        path=shown, sha256=result.sha256, verdicts=verdicts, targets=targets,
        before=None if before is None else decision_before(before),
        skipped=dict(skipped or {}),
    )
    return dict(_measured_facts(result)), info


# --------------------------------------------------------------------------- what-if

#: Default work budget of :func:`tipping_points` (``advisor whatif``), in estimated milliseconds of evaluation.
WHATIF_BUDGET_MS = 2000.0
#: The budget of the tipping points a decision record carries: the nearest changes of each answer.
RECORD_BUDGET_MS = 60.0
#: Estimated milliseconds of one decision whose fleet answers are unchanged.
_DECIDE_MS = 5.0
#: Estimated milliseconds of a new fleet's fault-domain metrics: fixed, per pod and per host (both options;
#: measured on the 2-core CI machine kind, 20 to 10,000 hosts, 400 to 500,000 pods; docs/whatif.md).
_FLEET_MS, _FLEET_MS_PER_POD, _FLEET_MS_PER_HOST = 0.7, 0.0004, 0.004


def _whatif_dependents(pack: decision_engine.Pack, questionnaire: Questionnaire) -> dict[str, set[str]]:
    """For each question, the rules of a format-2 pack whose outcome or estimate can depend on its answer.

    A rule depends on the answers it reads, on the inputs of the derived facts it reads
    (the catalog's and the pack's own), on every fleet answer when it reads a graph
    fact, and on the answers that decide whether those questions apply (their ``when``).
    """
    import dataclasses

    from advisor import faultdomain

    fleet = {f.name for f in dataclasses.fields(faultdomain.FleetParams) if f.name in questionnaire.by_key}
    derived: dict[str, Collection[str]] = {d.name: d.inputs for d in _catalog.DERIVED}
    derived.update({d.name: d.expr.names for d in pack.derived})

    def answers_of(names: Collection[str], seen: set[str]) -> set[str]:
        keys: set[str] = set()
        for name in names:
            if name.startswith("graph."):
                keys |= fleet
            elif name in questionnaire.by_key:
                keys.add(name)
            elif name in derived and name not in seen:
                seen.add(name)
                keys |= answers_of(derived[name], seen)
        return keys

    out: dict[str, set[str]] = {k: set() for k in questionnaire.by_key}
    for rule in pack.rules:
        keys = answers_of(rule.names, set())
        for q in reversed(questionnaire.questions):  # a question's condition decides whether its answer exists
            if q.key in keys and q.key in questionnaire.conditions:
                keys.update(n for n in questionnaire.conditions[q.key].names if n in questionnaire.by_key)
        for key in keys:
            out[key].add(rule.id)
    return out


#: Why an answer is not searched when the constraints alone decided the profile.
SCREEN_DECIDED = "the constraints decided this profile and none depends on it"


def _whatif_may_flip(pack: decision_engine.Pack, questionnaire: Questionnaire, screen_decided: bool = False
                     ) -> set[str]:
    """The answers worth searching: those some rule depends on, and every ``priority_*`` weight.

    An answer no rule reads (directly or through derived facts, the fault-domain graph
    or a question's condition) cannot change the decision; it is reported robust
    without an evaluation. When the screen alone decided the profile (``screen_decided``,
    see :func:`_screen_decided`), only the answers some constraint depends on can change it.
    """
    dependents = _whatif_dependents(pack, questionnaire)
    if screen_decided:
        constraints = {c.id for c in pack.constraints}
        return {key for key, rules in dependents.items() if rules & constraints}
    may: set[str] = {k for k in questionnaire.by_key if k.startswith("priority_")}
    may.update(key for key, rules in dependents.items() if rules)
    return may


def _screen_decided(pack: decision_engine.Pack, base: decision_engine.Decision, units: Mapping[str, str]) -> bool:
    """Whether the constraints alone decided ``base``, whatever the consequences and priorities.

    So when an option is ruled out (every configuration infeasible) and the other's
    feasible configurations all have the same screen status (all feasible, or all
    feasible only if a measurement passes): the outcome kind and the option are then
    fixed by the screen, and P is not computed. A change of an answer that no
    constraint depends on leaves every screen as it is, so it cannot tip the decision.
    """
    from advisor.decide.engine import prepare
    from advisor.decide.screen import screen
    from advisor.decide.variants import configurations

    if base.outcome not in ("one-ruled-out", "both-ruled-out", "measure-first"):
        return False
    if not any(o.status == "infeasible" for o in base.options.values()):
        return False
    facts = prepare(pack, base.facts)
    for option, result in base.options.items():
        if result.status == "infeasible":
            continue
        statuses = {screen(pack, {**facts, **config.facts}, option, units).status
                    for config in configurations(pack, option)}
        statuses.discard("infeasible")
        if len(statuses) > 1:
            return False
    return True


def probes_to_measure(result: decision_engine.Decision, available: Collection[str],
                      pack: decision_engine.Pack | None = None) -> dict[str, str]:
    """For each available probe: ``""`` when measuring it can change the decision, else why not.

    A probe matters when an end of the prior ranges it measures (alone or with other
    probes' ends) flips the decision (the decision's value of information,
    ``Decision.probes``), or when a constraint waits for its measurement (an option
    feasible only if it passes; ``pack`` names the measured fact).
    """
    waiting: set[str] = set()
    if pack is not None:
        by_id = {c.id: c for c in pack.constraints}
        for hit in result.constraints:
            rule = by_id.get(hit.rule_id)
            if hit.kind == "pending" and rule is not None and rule.rule.requires is not None \
                    and rule.rule.requires.measurement is not None:
                waiting.add(rule.rule.requires.measurement.fact.split(".")[1])
    values = {p.probe: p for p in result.probes}
    out: dict[str, str] = {}
    for probe in sorted(available):
        value = values.get(probe)
        if probe in waiting:
            out[probe] = ""
        elif result.outcome in ("one-ruled-out", "both-ruled-out"):
            out[probe] = "a constraint decided the result; no measurement can change it"
        elif value is None:
            out[probe] = "no consequence of the compared configurations rests on it"
        elif value.can_flip:
            out[probe] = ""
        else:
            out[probe] = "at either end of its range the decision stays the same"
    return out


def _whatif_cost(answers: Mapping[str, Any]) -> whatif.Cost:
    """Estimated milliseconds of one decision, plus the fault-domain graph of a new fleet."""
    from advisor import faultdomain

    base = faultdomain.FleetParams.from_answers(answers)

    def cost(values: Mapping[str, Any]) -> float:
        try:
            params = faultdomain.FleetParams.from_answers(values)
        except DataError:
            return _DECIDE_MS
        if params == base:
            return _DECIDE_MS
        pods = params.service_count * params.replicas_per_service
        return _DECIDE_MS + _FLEET_MS + _FLEET_MS_PER_POD * pods + _FLEET_MS_PER_HOST * params.physical_hosts

    return cost


def tipping_points(answers: Mapping[str, Any] | Profile, pack: decision_engine.Pack | None = None,
                   questionnaire: Questionnaire | None = None, *, measured: Mapping[str, Any] | None = None,
                   budget_ms: float = WHATIF_BUDGET_MS, base: decision_engine.Decision | None = None,
                   compare_with: Mapping[str, Any] | None = None) -> whatif.Analysis:
    """The tipping points of one profile against a format-2 pack (default: the bundled one); see docs/whatif.md.

    Returns an :class:`advisor.whatif.Analysis`:

    * ``outcome``, ``recommendation``, ``configuration``, ``p_bare_metal``: the profile's decision;
    * ``tipping_points``: :class:`advisor.whatif.TippingPoint`, smallest relative change first;
      each has ``sentence`` ("Raising the p99 latency SLO above 1 ms would make VM-backed the
      better option (P(bare metal better) 0.91 -> 0.55)."), ``condition`` (``latency_p99_ms >
      1``, rule expression syntax over the answers), ``trigger`` ("Revisit if the p99 latency
      SLO rises above 1 ms."), the new ``outcome``/``recommendation``/``configuration``,
      ``p_before``/``p_after`` and ``changes`` (what tipped); ``to_dict()`` for JSON;
    * ``changes(limit=5)``: what would change the answer, merged and ordered sentences (for the record);
    * ``triggers(limit=5)``: revisit triggers (``condition``, ``sentence``) in the same order;
      ``advisor records check`` evaluates the conditions on the current profile;
    * ``robust``, ``not_applicable``, ``evaluations``, ``complete``;
    * ``before``: with ``compare_with`` (the answers without the changes under study), their
      decision with the same draws, so the change's effect on P is the change's alone.

    Every evaluation uses the profile's own draws (its seed), so P moves only because the
    answer moved. ``budget_ms`` bounds the estimated evaluation time (about 5 ms a
    decision, more for a new fleet's graph); searches it cuts short are reported as
    incomplete. A record uses :data:`RECORD_BUDGET_MS`. ``base`` is the profile's decision
    when the caller has it (it must have been decided with the same pack and seed).
    """
    from advisor import decide as decision_engine
    from advisor.decide import sampling

    if isinstance(answers, Profile):
        questionnaire = questionnaire or answers.questionnaire
        answers = answers.values()
    q = questionnaire or load_questionnaire()
    p = pack or load_decision_pack(questionnaire=q)
    units = question_units(q)
    facts = decision_facts(answers, q, measured=measured)
    seed = sampling.profile_seed({k: v for k, v in facts.items() if not k.startswith("graph.")})

    draws: dict[tuple[int, int], Any] = {}  # value draws shared by every evaluation (same seed, same pack)

    def run(values: Mapping[str, Any]) -> decision_engine.Decision:
        return decision_engine.decide(p, decision_facts(values, q, measured=measured), seed=seed, units=units,
                                      draws=draws)

    first = base if base is not None else decision_engine.decide(p, facts, seed=seed, units=units, draws=draws)
    close = (float(p.meta.close[0]), float(p.meta.close[1]))
    before = None if compare_with is None else run(compare_with)
    from advisor import whatif

    decided = _screen_decided(p, first, units)
    ruling = {c.rule_id for c in first.constraints if c.kind == "infeasible"} if decided else set()
    dependents = _whatif_dependents(p, q)
    return whatif.analyse(answers, run, q, cost=_whatif_cost(answers), budget=budget_ms,
                          relevant=_whatif_may_flip(p, q, decided), base=first, close_band=close, before=before,
                          seed=seed, why_not_relevant=SCREEN_DECIDED if decided else whatif.NOT_READ,
                          first={key for key, rules in dependents.items() if rules & ruling})
