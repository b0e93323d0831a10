"""Status changes, supersede and links between records (docs/records-lifecycle.md)."""

from __future__ import annotations

from pathlib import Path

from advisor.atomic import locked
from advisor.errors import DataError, Location
from advisor.records.edit import Render, save
from advisor.records.model import ACTIVE, DecisionRecord, Link, Status
from advisor.records.store import RecordFile, load, load_all

#: status -> the statuses it may change to. ``superseded`` only through :func:`supersede`.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    "proposed": ("accepted", "rejected", "superseded", "deprecated"),
    "accepted": ("superseded", "deprecated"),
    "rejected": (),
    "superseded": (),
    "deprecated": (),
}


_VERBS = {"accepted": "accept", "rejected": "reject", "deprecated": "deprecate", "superseded": "supersede"}


def _refuse(rf: RecordFile, status: Status) -> DataError:
    rec = rf.record
    if rec.status == status:
        return DataError(f"record {rf.label} is already {status}", None, Location(str(rf.json_path)))
    by = f" by {rec.superseded_by:04d}" if rec.status == "superseded" and rec.superseded_by else ""
    allowed = [s for s, targets in TRANSITIONS.items() if status in targets]
    return DataError(f"cannot {_VERBS.get(status, status)} record {rf.label}: it is {rec.status}{by}",
                     f"only a {' or '.join(allowed)} record can become {status}", Location(str(rf.json_path)))


def set_status(directory: str | Path, number: int, status: Status, render: Render | None = None) -> RecordFile:
    """Change a record's status in both files (and the index); DataError on an invalid transition."""
    base = Path(directory)
    with locked(base):
        return _set_status(base, number, status, render)


def _set_status(base: Path, number: int, status: Status, render: Render | None) -> RecordFile:
    rf = load(base, number)
    if status == "superseded":
        raise DataError("a record becomes superseded by another one", "use 'advisor records supersede OLD NEW'")
    if status not in TRANSITIONS[rf.record.status]:
        raise _refuse(rf, status)
    new = rf.record.model_copy(update={"status": status})
    return save([(rf, new, ())], render, base)[0]


def supersede(directory: str | Path, old: int, new: int, render: Render | None = None, *,
              force: bool = False) -> tuple[RecordFile, RecordFile]:
    """OLD becomes superseded by NEW: statuses, ``supersedes``/``superseded_by`` and links both ways, index.

    NEW must be about the same workload and not older than OLD; ``force`` overrides
    that, and the records say so (the links carry the reason).
    """
    base = Path(directory)
    if old == new:
        raise DataError(f"record {old:04d} cannot supersede itself", "give two different numbers")
    with locked(base):
        return _supersede(base, old, new, render, force=force)


def supersede_guard(old: RecordFile, new: RecordFile, *, force: bool) -> str | None:
    """Refuse a supersede across workloads or back in time; with ``force``, the note the records keep."""
    problems = []
    if " ".join(old.record.workload.split()).lower() != " ".join(new.record.workload.split()).lower():
        problems.append(f"record {new.label} is about workload {new.record.workload!r}, "
                        f"record {old.label} about {old.record.workload!r}")
    if (new.record.date, new.number) < (old.record.date, old.number):
        problems.append(f"record {new.label} ({new.record.date}) is older than record {old.label} "
                        f"({old.record.date})")
    if not problems:
        return None
    if not force:
        raise DataError(f"cannot supersede {old.label} with {new.label}: " + "; ".join(problems),
                        "check the numbers, or use --force-supersede (the records will say it was forced)",
                        Location(str(new.json_path)))
    return "forced with --force-supersede: " + "; ".join(problems)


#: Relations that only ``supersede`` makes.
_SUPERSEDE_RELATIONS = ("supersedes", "superseded by")


def link(directory: str | Path, a: int, b: int, relation: str = "relates to",
         render: Render | None = None) -> tuple[RecordFile, RecordFile]:
    """Link record A to record B with ``relation`` (B links back: 'relates to', or 'referenced by')."""
    base = Path(directory)
    relation = " ".join(relation.split())
    if a == b:
        raise DataError(f"record {a:04d} cannot link to itself", "give two different numbers")
    if not relation or relation.lower() in _SUPERSEDE_RELATIONS:
        raise DataError(f"--relation {relation!r} is not allowed here",
                        "use 'advisor records supersede OLD NEW' for superseding; e.g. --relation 'relates to'")
    if len(relation) > 60:
        raise DataError("--relation is longer than 60 characters", "use a short phrase such as 'relates to'")
    back = "relates to" if relation == "relates to" else f"{relation} (from {a:04d})"
    with locked(base):
        ra, rb = load(base, a), load(base, b)
        there = Link(relation=relation, number=b, title=rb.record.title)
        here = Link(relation=back, number=a, title=ra.record.title)
        if any((lk.relation, lk.number) == (relation, b) for lk in ra.record.links):
            raise DataError(f"record {ra.label} already {relation} {rb.label}", None, Location(str(ra.json_path)))
        saved = save([(ra, ra.record.model_copy(update={"links": [*ra.record.links, there]}), [there]),
                       (rb, rb.record.model_copy(update={"links": [*rb.record.links, here]}), [here])], render, base)
        return saved[0], saved[1]


def same_inputs(directory: str | Path, record: DecisionRecord) -> RecordFile | None:
    """The workload's latest record when it was made from the same answers, rule packs and measurements."""
    workload = " ".join(record.workload.split()).lower()
    try:
        found = load_all(directory)
    except DataError:
        return None  # a broken folder: writing reports it (and 'records repair' fixes it)
    mine = [rf for rf in found if " ".join(rf.record.workload.split()).lower() == workload]
    if not mine:
        return None
    latest = max(mine, key=lambda rf: rf.number)
    old = latest.record
    same = (old.profile.answers == record.profile.answers and old.rules.sha256 == record.rules.sha256
            and old.measurements.sha256 == record.measurements.sha256
            and old.profile.questionnaire == record.profile.questionnaire)
    return latest if same else None


def _supersede(base: Path, old: int, new: int, render: Render | None,
               force: bool = False) -> tuple[RecordFile, RecordFile]:
    o, n = load(base, old), load(base, new)
    if o.record.superseded_by is not None:
        raise DataError(f"record {o.label} is already superseded by {o.record.superseded_by:04d}", None,
                        Location(str(o.json_path)))
    if "superseded" not in TRANSITIONS[o.record.status]:
        raise _refuse(o, "superseded")
    if n.record.status not in ACTIVE:
        raise DataError(f"record {n.label} is {n.record.status} and cannot supersede another record",
                        "only a proposed or accepted record can", Location(str(n.json_path)))
    if n.record.supersedes is not None and n.record.supersedes != old:
        raise DataError(f"record {n.label} already supersedes {n.record.supersedes:04d}", None,
                        Location(str(n.json_path)))
    note = supersede_guard(o, n, force=force)
    down = Link(relation="superseded by", number=new, title=n.record.title, note=note)
    up = Link(relation="supersedes", number=old, title=o.record.title, note=note)
    o_links = [lk for lk in o.record.links if lk.relation != "superseded by"] + [down]
    n_links = [lk for lk in n.record.links if lk.relation != "supersedes"] + [up]
    o_new = o.record.model_copy(update={"status": "superseded", "superseded_by": new, "links": o_links})
    n_new = n.record.model_copy(update={"supersedes": old, "links": n_links})
    added_up = [] if up in n.record.links else [up]
    saved = save([(o, o_new, [down]), (n, n_new, added_up)], render, base)
    return saved[0], saved[1]
