"""Which records in force need a second look: revisit triggers that now hold, reviews due, changed rule packs.

The facts of the current profiles come from :mod:`advisor.pipeline`, above this layer:
callers pass them in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from advisor.conditions import ConditionError, FactType, compile_condition
from advisor.errors import DataError
from advisor.inputs import confine
from advisor.records.hashing import ResolvePack, current_hashes
from advisor.records.model import ACTIVE
from advisor.records.store import RecordFile


@dataclass(frozen=True)
class CurrentProfile:
    """A profile as it is now: its file, workload name and the facts the rules would see."""

    path: Path
    workload: str
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class CheckFinding:
    record: RecordFile
    kind: Literal["trigger", "review", "rules"]
    message: str

    def format(self) -> str:
        return f"{self.record.md_path}: {self.message}"


@dataclass
class CheckReport:
    findings: list[CheckFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0


def _profiles_for(rf: RecordFile, profiles: Sequence[CurrentProfile],
                  load_profile: Callable[[Path], CurrentProfile] | None, report: CheckReport) -> list[CurrentProfile]:
    if profiles:
        recorded = Path(rf.record.profile.path).resolve() if rf.record.profile.path else None
        return [p for p in profiles if p.workload == rf.record.workload or p.path.resolve() == recorded]
    path = Path(rf.record.profile.path) if rf.record.profile.path else None
    if path is not None:
        try:  # written relative to the project (the current folder); never read from outside it
            confine(str(path), Path.cwd(), roots=(rf.json_path.parent,))
        except DataError as exc:
            report.notes.append(f"{rf.md_path}: profile {exc.first.message}; revisit triggers not checked")
            return []
    if load_profile is None or path is None or not path.is_file():
        shown = rf.record.profile.path or "(none)"
        report.notes.append(f"{rf.md_path}: profile {shown} not found; revisit triggers not checked "
                            "(give --profile FILE)")
        return []
    return [load_profile(path)]


def check(records: Sequence[RecordFile], *, today: str, types: Mapping[str, FactType],
          profiles: Sequence[CurrentProfile] = (), load_profile: Callable[[Path], CurrentProfile] | None = None,
          resolve_pack: ResolvePack | None = None) -> CheckReport:
    """Proposed and accepted records that need a look: triggers firing, review due, rule packs changed.

    A record's triggers are evaluated against the given ``profiles`` of its workload (by
    ``workload_name`` or by path); without ``profiles``, against its own profile file
    re-read with ``load_profile``. A trigger that is unknown for a profile does not fire.
    """
    report = CheckReport()
    used: set[Path] = set()
    for rf in records:
        rec = rf.record
        if rec.status not in ACTIVE:
            continue
        report.checked += 1
        for current in _profiles_for(rf, profiles, load_profile, report):
            used.add(current.path)
            for trigger in rec.revisit_triggers:
                try:
                    fires = compile_condition(trigger, types).evaluate(current.facts)
                except ConditionError as exc:
                    report.findings.append(CheckFinding(rf, "trigger", f"revisit trigger {trigger!r} cannot be "
                                                                       f"evaluated: {exc.message}"))
                    continue
                if fires:
                    report.findings.append(CheckFinding(rf, "trigger", f"revisit trigger fires for "
                                                                       f"{current.path}: {trigger}"))
        if rec.review_by is not None and rec.review_by < today:
            report.findings.append(CheckFinding(rf, "review", f"review was due by {rec.review_by} "
                                                              f"(today is {today})"))
        for pack, now in zip(rec.rules.packs, current_hashes(rec.rules.packs, resolve_pack), strict=True):
            if now is None:
                report.findings.append(CheckFinding(rf, "rules", f"rule pack {pack.name} not found at {pack.path}"))
            elif now != pack.sha256:
                report.findings.append(CheckFinding(rf, "rules", f"rule pack {pack.name}@{pack.version} "
                                                                 f"({pack.path}) changed since the record "
                                                                 f"(sha256 {pack.sha256[:12]} -> {now[:12]})"))
    for current in profiles:
        if current.path not in used:
            report.notes.append(f"{current.path}: no proposed or accepted record of workload {current.workload!r}")
    return report
