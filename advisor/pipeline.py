"""The Python API: answers -> facts -> the decision engine's decision (docs/scoring.md).

``assess`` is the one-call entry point; the steps are public so that the CLI, the
rule-test runner and later stages (measurement: :mod:`advisor.measuring`, what-if:
:mod:`advisor.tipping`, records: :mod:`advisor.recording`) build facts and decisions
exactly the same way::

    questionnaire = load_questionnaire()
    pack = load_decision_pack(questionnaire=questionnaire)
    decision = decide_profile({"latency_p99_ms": 0.5}, pack, questionnaire=questionnaire)
    print(decision.to_json())
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import cache
from advisor.conditions import FactType, Kind
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.profile import Profile
from advisor.questionnaire import Questionnaire
from advisor.questionnaire import load_default as _load_default_questionnaire
from advisor.resources import PACK_FOLDER, bundled_dir, require
from advisor.rules import catalog as _catalog

if TYPE_CHECKING:
    from advisor import decide as decision_engine
    from advisor.decide import testing as decide_testing
    from advisor.faultdomain import FleetParams
    from advisor.rules import evidence

__all__ = [
    "DECISION_PACK_DIR",
    "decide_profile",
    "decision_facts",
    "lint_decision_pack",
    "load_decision_pack",
    "rule_facts",
    "run_decision_tests",
    "shown_path",
    "assess",
    "build_facts",
    "check_answers",
    "fact_catalog",
    "graph_fact_types",
    "graph_facts",
    "load_questionnaire",
    "measured_types",
    "plugin_layers",
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

    A fleet larger than the model's caps gives no graph facts: the rules that read them
    are *unknown* (listed in the result) instead of failing the whole assessment. The
    metrics are kept, by the model's inputs, in the compiled-input cache
    (:mod:`advisor.cache`) and, for the last fleets used, in the process.
    """
    from advisor import faultdomain

    try:
        return dict(_fleet_facts(faultdomain.FleetParams.from_answers(facts)))
    except faultdomain.FleetTooLarge:
        return {}


@functools.lru_cache(maxsize=64)  # a what-if decides one fleet many times with other answers changed
def _fleet_facts(params: FleetParams) -> dict[str, Any]:
    from advisor import faultdomain

    found: dict[str, Any] = cache.cached("graph", cache.key_of("graph", [], [repr(params)]),
                                         lambda: faultdomain.params_facts(params))
    return found


# --------------------------------------------------------------------------- facts


def question_units(questionnaire: Questionnaire) -> dict[str, str]:
    """The unit of every question that has one, for rendering rule text with the user's values."""
    return {k: question.unit for k, question in questionnaire.by_key.items() if question.unit}


def fact_catalog(questionnaire: Questionnaire) -> dict[str, FactType]:
    """Every fact a rule may read: profile keys, derived, graph and measured facts (the measurement plugins'
    probes' included: :mod:`advisor.measure.plugins`)."""
    from advisor.measure.plugins import extensions

    return _catalog.build_catalog(questionnaire.fact_types(), graph_fact_types(), extensions().facts)


def measured_types() -> dict[str, FactType]:
    """The measured facts: the catalog's and those the measurement plugins' probes bring."""
    from advisor.measure.plugins import extensions

    return {**_catalog.MEASURED, **_catalog.plugin_measured(extensions().facts)}


def check_answers(answers: Mapping[str, Any], questionnaire: Questionnaire, *,
                  locations: Mapping[str, Location] | None = None,
                  allow_measured: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate answers (and, in rule tests, measured facts): ``(answers, measured)``.

    Each value goes through the question's own parser, as typed answers do. A problem
    is a DataError at ``locations[key]`` when given.
    """
    values: dict[str, Any] = {}
    measured: dict[str, Any] = {}
    measured_facts = measured_types() if allow_measured else {}
    for key, raw in answers.items():
        where = (locations or {}).get(key)
        if key in measured_facts:
            try:
                measured[key] = _catalog.check_fact_value(measured_facts[key], raw)
            except ValueError as exc:
                message, _, hint = str(exc).partition("; ")
                raise DataError(f"{key}: {message}", hint or None, where) from None
            continue
        if key in questionnaire.retired_by_key:
            try:
                mapped = questionnaire.migrate(key, raw)
            except ValueError as exc:
                message, _, hint = str(exc).partition("; ")
                raise DataError(message, hint or None, where) from None
            for new_key, value in mapped.items():
                if new_key not in answers:  # an answer given explicitly wins
                    values[new_key] = questionnaire.by_key[new_key].parse(value, from_text=False)
            continue
        if key not in questionnaire.by_key:
            source = _catalog.source_of(key) if isinstance(key, str) else "profile"
            if source in ("derived", "graph"):
                raise DataError(f"{key!r} is a {source} fact, computed from the answers",
                                "set the answers it is computed from (see docs/facts.md)", where)
            names = list(questionnaire.by_key) + list(measured_facts)
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
    types = measured_types() if measured else {}
    for key, raw in (measured or {}).items():
        ftype = types.get(key)
        if ftype is None:
            raise DataError(f"unknown measured fact {key!r}", did_you_mean(key, types) or "see docs/facts.md")
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
               "clusters", "tenant_count", "hosts_per_site", "site_type", "max_blast_radius_pct")


def load_decision_pack(dirs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
                       questionnaire: Questionnaire | None = None) -> decision_engine.Pack:
    """Load the format-2 pack: the bundled one, with the layers ``dirs`` over it or a whole pack first in ``dirs``.

    Later folders win (see :mod:`advisor.decide.packs`); the loaded pack is cached.
    """
    from advisor.decide import packs

    q = questionnaire or load_questionnaire()
    given = [Path(dirs)] if isinstance(dirs, (str, os.PathLike)) else [Path(d) for d in dirs or ()]
    evidence_file = DECISION_PACK_DIR / "evidence.yaml"

    def catalogue() -> evidence.Catalogue:
        from advisor.rules import evidence

        return evidence.load_catalogue(evidence_file, display=f"{PACK_FOLDER}/{evidence.EVIDENCE_FILE}")

    folders = packs.roots(given, require(DECISION_PACK_DIR, "rule pack"), shown_path, PACK_FOLDER)
    folders[1:1] = plugin_layers()  # over the base pack, under the user's layers
    return packs.load(folders, fact_catalog(q), evidence=catalogue, evidence_file=evidence_file)


def plugin_layers() -> list[tuple[Path, str]]:
    """The rule-pack layers the measurement plugins ship, as (folder, name shown: ``plugin NAME: folder``)."""
    from advisor.measure.plugins import extensions

    return [(folder, f"plugin {plugin}: {shown_path(folder)}") for folder, plugin in extensions().packs]


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
    reads = fact_reads(precise=False)
    optional = {k for k in q.by_key if k in q.conditions} | set(measured_types())
    from advisor.decide import testing as decide_testing

    return decide_testing.run(p, rule_facts(q), questions=list(q.by_key),
                              optional=optional, reads=reads, coverage=coverage)


#: The fleet answers a fault-domain metric read by the pack depends on (tests/test_decide_uses.py
#: checks that the other fleet answers leave it unchanged); any other metric depends on them all.
#: The sites: VM nodes of a cluster at even edge sites keep their control-plane VMs on the site's hosts.
GRAPH_READS: dict[str, tuple[str, ...]] = {
    "control_plane_quorum_loss_clusters": ("physical_hosts", "clusters", "site_type", "hosts_per_site"),
}


def fact_reads(*, precise: bool = True) -> Callable[[str], Collection[str]]:
    """The answers a fact is computed from: a catalogue derived fact's inputs, a graph metric's fleet answers.

    ``precise=False`` (the question coverage): a graph metric reads every fleet answer, as the
    graph is built from them all.
    """
    inputs = {d.name: d.inputs for d in _catalog.DERIVED}

    def reads(name: str) -> Collection[str]:
        if name.startswith("graph."):
            return GRAPH_READS.get(name.rpartition(".")[2], _FLEET_KEYS) if precise else _FLEET_KEYS
        return inputs.get(name, ())

    return reads


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
