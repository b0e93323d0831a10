"""``advisor records check --observe``: observe again and find records whose facts moved.

For each proposed or accepted record, its profile is re-read; every ``observed``
answer is observed again from the sources it names (the dump folders, as paths
relative to the current folder, or the kubeconfig contexts) with the options it was
observed with. A finding is an observed answer past its expiry date, or a revisit
trigger of the record that does not fire for the profile as it is but fires with
the re-observed values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor import pipeline
from advisor.conditions import ConditionError, FactType, compile_condition
from advisor.errors import AdvisorError, DataError, Problem
from advisor.inputs import confine
from advisor.observe import observe
from advisor.observe.derive import Settings
from advisor.profile import Profile
from advisor.profile import load as load_profile
from advisor.questionnaire import Questionnaire
from advisor.records import ACTIVE, CheckFinding, RecordFile

__all__ = ["Reobserved", "check_observed", "reobserve"]


@dataclass
class Reobserved:
    """A profile's observed answers, observed again."""

    values: dict[str, Any]
    #: (key, value in the profile, value now)
    changed: list[tuple[str, Any, Any]] = field(default_factory=list)
    #: (key, expiry date)
    expired: list[tuple[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _cluster(source: str) -> tuple[str, str]:
    """('dump', folder) or ('context', name) of one provenance source."""
    kind, _, rest = source.partition(":")
    if kind == "dump":
        return kind, rest.rsplit("/", 1)[0] if rest.endswith(".json") else rest
    return kind, rest


def reobserve(profile: Profile, *, today: str, kubeconfig: str | None = None, timeout: float = 30.0) -> Reobserved:
    """Observe again every observed answer of ``profile`` (grouped by sources and options)."""
    values = profile.values()
    result = Reobserved(dict(values))
    groups: dict[tuple[tuple[tuple[str, str], ...], str], list[str]] = {}
    for key, entry in profile.answer_provenance.items():
        if entry.kind != "observed" or key not in profile.answers:
            continue
        if entry.expires and entry.expires < today:
            result.expired.append((key, entry.expires))
        clusters = tuple(sorted({_cluster(s) for s in entry.source}))
        groups.setdefault((clusters, json.dumps(entry.options or {}, sort_keys=True)), []).append(key)
    base = profile.path.parent if profile.path is not None else Path.cwd()
    for (clusters, options), keys in groups.items():
        try:  # folders named in a file: inside the project unless --allow-outside
            for kind, name in clusters:
                if kind == "dump":
                    confine(name, Path.cwd(), roots=(base,))
        except DataError as exc:
            result.problems.append(Problem(f"dump folder {exc.first.message}; {', '.join(keys)} not observed again",
                                           exc.first.hint))
            continue
        dumps = [Path(name) for kind, name in clusters if kind == "dump"]
        contexts: list[str | None] = [name for kind, name in clusters if kind == "context"]
        try:
            found = observe(dumps=dumps, contexts=contexts, kubeconfig=kubeconfig, timeout=timeout,
                            settings=Settings.from_options(json.loads(options)), keys=keys)
        except AdvisorError as exc:  # e.g. the Kubernetes client is not installed
            result.problems.extend(exc.problems)
            continue
        result.problems.extend(found.problems)
        for key in keys:
            obs = found.estate.answer(key)
            if obs is None:
                continue
            try:
                now = profile.questionnaire.by_key[key].parse(obs.value, from_text=False)
            except ValueError:
                continue
            if now != values.get(key):
                result.changed.append((key, values.get(key), now))
                result.values[key] = now
    order = {k: i for i, k in enumerate(profile.questionnaire.keys())}
    result.expired.sort(key=lambda item: order.get(item[0], len(order)))
    result.changed.sort(key=lambda item: order.get(item[0], len(order)))
    return result


def check_observed(records: Sequence[RecordFile], questionnaire: Questionnaire, *, today: str,
                   types: Mapping[str, FactType], kubeconfig: str | None = None,
                   timeout: float = 30.0) -> tuple[list[CheckFinding], list[str]]:
    """Findings (expired observations, triggers crossed by re-observed facts) and notes, per active record."""
    findings: list[CheckFinding] = []
    notes: list[str] = []
    cache: dict[Path, tuple[Profile, Reobserved] | None] = {}
    for rf in records:
        if rf.record.status not in ACTIVE or not rf.record.profile.path:
            continue
        path = Path(rf.record.profile.path)
        try:  # as the plain check: a record never makes us read a profile outside the project
            confine(str(path), Path.cwd(), roots=(rf.json_path.parent,))
        except DataError:
            continue  # the plain check has said so
        if path not in cache:
            cache[path] = _load(path, questionnaire, today, kubeconfig, timeout, notes)
        loaded = cache[path]
        if loaded is None:
            continue
        profile, again = loaded
        if again.expired:
            keys = ", ".join(f"{k} (on {d})" for k, d in again.expired)
            findings.append(CheckFinding(rf, "review", f"observed answers of {path} expired: {keys}; observe "
                                                       f"again: advisor observe --profile {path} --dump DIR ..."))
        if not again.changed:
            continue
        before = pipeline.build_facts(profile.values(), questionnaire)
        after = pipeline.build_facts(again.values, questionnaire)
        moved = ", ".join(f"{k} {old} -> {new}" for k, old, new in again.changed)
        for trigger in rf.record.revisit_triggers:
            try:
                condition = compile_condition(trigger, types)
                crossed = bool(condition.evaluate(after)) and not condition.evaluate(before)
            except ConditionError:
                continue  # reported by the plain check
            if crossed:
                findings.append(CheckFinding(rf, "trigger", f"revisit trigger fires after observing again "
                                                            f"({moved}): {trigger}"))
    return findings, notes


def _load(path: Path, questionnaire: Questionnaire, today: str, kubeconfig: str | None, timeout: float,
          notes: list[str]) -> tuple[Profile, Reobserved] | None:
    if not path.is_file():
        notes.append(f"{path}: profile not found; observed answers not checked")
        return None
    profile = load_profile(path, questionnaire)
    again = reobserve(profile, today=today, kubeconfig=kubeconfig, timeout=timeout)
    notes.extend(p.format() for p in again.problems)
    notes.extend(f"{path}: {k} observed again: {old} -> {new}" for k, old, new in again.changed)
    return profile, again
