"""A decision record of an assessment: the profile decided, its tipping points, fault domains and rules.

:func:`decide` decides a (written) profile with :mod:`advisor.decide` through
:mod:`advisor.pipeline` and builds its :class:`advisor.records.DecisionRecord`: the
answers and where they came from, the rule packs and their hashes, the decision, the
tipping points and revisit triggers (:mod:`advisor.tipping`), the fault domains of both
options, the rules the decision rests on with their evidence, and what a measurement
could confirm (docs/decision-records.md).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import cache, records
from advisor.conditions import compile_condition
from advisor.pipeline import (
    DECISION_PACK_DIR,
    decide_profile,
    fact_catalog,
    load_decision_pack,
    plugin_layers,
    question_units,
    shown_path,
)
from advisor.profile import Profile
from advisor.questionnaire import Questionnaire
from advisor.resources import require
from advisor.tipping import RECORD_BUDGET_MS, tipping_points

if TYPE_CHECKING:
    from advisor import decide as decision_engine
    from advisor import faultdomain

__all__ = [
    "decide",
    "decision_pack",
    "pack_infos",
    "regenerate_command",
]


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
        origin = profile.origin(key) if profile is not None else None
        row: dict[str, Any] = {"key": key, "question": q.by_key[key].prompt,
                               "answer": _answer_text(value, q.by_key[key]),
                               "default": origin == "default" if origin is not None else key not in given}
        if origin is not None:
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
                  ) -> tuple[decision_engine.Pack, list[records.PackInfo]]:
    """The format-2 pack an assessment decides with and the identity of each of its folders for a record.

    ``rules`` are layers over the bundled pack, or a whole pack first and its layers
    (:func:`load_decision_pack`); the bundled pack's path in a record is ``rules``.
    """
    pack = load_decision_pack([Path(r) for r in rules or ()], questionnaire)
    return pack, pack_infos(rules, pack)


def pack_infos(rules: Sequence[str | os.PathLike[str]] | None, pack: decision_engine.Pack
               ) -> list[records.PackInfo]:
    """The identity of each folder of ``pack`` (loaded from ``rules``) for a record: name, version, path, sha256."""
    from advisor.decide import packs as layered

    folders = layered.roots([Path(r) for r in rules or ()], DECISION_PACK_DIR, shown_path, "rules")
    folders[1:1] = plugin_layers()  # as load_decision_pack lays them
    names = [f"{pack.meta.name}@{pack.meta.version}", *(layer.name for layer in pack.layers)]
    infos = []
    for (root, shown), name in zip(folders, names, strict=True):
        base, _, version = name.rpartition("@")
        infos.append(records.PackInfo(name=base, version=int(version), path=shown,
                                       sha256=records.pack_sha256(root)))
    return infos


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


def decide(profile: Profile, *, rules: Sequence[str | os.PathLike[str]] | None = None,
           questionnaire: Questionnaire | None = None, date: str | None = None,
           decision_makers: Sequence[str] = (), title: str | None = None, number: int = 1,
           command: str | None = None, profile_display: str | None = None,
           measured: Mapping[str, Any] | None = None, measurements: records.MeasurementsInfo | None = None,
           pack: decision_engine.Pack | None = None,
           result: decision_engine.Decision | None = None) -> records.DecisionRecord:
    """Decide a (written) profile with :mod:`advisor.decide` and build its decision record.

    The profile's file bytes are hashed (``profile.path``); the format-2 pack is hashed
    file by file. ``date`` defaults to today or ``SOURCE_DATE_EPOCH``. ``profile_display``
    is the profile path to show in the record (default: ``profile.path`` as given).
    ``measured`` holds ``measured.*`` facts (from :func:`measurement_facts`): they replace
    the prior ranges they measure. ``measurements`` is what the record says about them.
    ``pack`` is the pack of the same ``rules`` when the caller loaded it, and
    ``result`` the profile's decision with that pack and ``measured`` when it has one, so
    neither is made twice.
    """
    import json as _json

    from advisor import faultdomain

    q = questionnaire or profile.questionnaire
    rule_pack, packs = (pack, pack_infos(rules, pack)) if pack is not None else decision_pack(rules, q)
    values = profile.values()
    if result is None:
        result = decide_profile(values, rule_pack, questionnaire=q, measured=measured)
    analysis = tipping_points(values, rule_pack, q, measured=measured, budget_ms=RECORD_BUDGET_MS, base=result)
    graph = _fault_domains(result.facts)
    if profile.path is not None:
        shown = profile_display or shown_path(profile.path)
        digest = records.file_sha256(profile.path)
    else:
        shown = ""
        digest = records.sha256_hex(_json.dumps(values, sort_keys=True, default=str).encode("utf-8"))
    day = records.check_date(date) if date else records.default_date()
    return records.build_record(
        number=number, title=title, date=day, decision_makers=decision_makers,
        workload=str(values.get("workload_name", "the workload")),
        profile=records.ProfileInfo(path=shown, sha256=digest, answers=_json.loads(_json.dumps(values)),
                                     questionnaire=records.QuestionnaireInfo(id=q.id, version=q.version)),
        rules=records.RulesInfo(packs=packs, sha256=records.rules_sha256(packs)),
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
