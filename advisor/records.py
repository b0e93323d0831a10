"""The decision-record lifecycle: list, status changes, supersede, diff, check and the index.

Records are the ``NNNN-<slug>.md`` / ``NNNN-<slug>.json`` pairs of :mod:`advisor.decision`
in a records folder (default ``reports/``). The JSON twin is the source of truth; every
change is made to both files and each file is replaced atomically (when the second write
fails, the first is put back). This module returns data and never prints.

How the markdown follows a change. Rendering lives in :mod:`advisor.report`, a layer
above this one, so callers pass ``render`` (``advisor.report.to_markdown``):

* when the markdown on disk is exactly ``render(old record)`` (nobody edited it), it is
  replaced by ``render(new record)``: byte for byte what a fresh render gives;
* otherwise (edited by hand, or rendered by another advisor version) the edit is
  targeted, so that hand-written text is kept: the front matter ``status:`` line is
  rewritten and new links are added as bullets under ``### Related Records`` (the
  section is added before ``### Reproducibility``, or at the end, when missing).

Re-evaluation (``diff``) and facts (``check``) come from :mod:`advisor.pipeline`, also
above this layer: callers pass them in as callables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from advisor import journal, markdown
from advisor.atomic import locked, write_text
from advisor.conditions import ConditionError, FactType, compile_condition
from advisor.decision import INDEX_NAME, DecisionRecord, Link, PackInfo, Status, pack_sha256, record_paths, slugify
from advisor.errors import DataError, Location
from advisor.inputs import LIMITS, confine
from advisor.yamlio import read_text

__all__ = [
    "INDEX_NAME",
    "TRANSITIONS",
    "CheckFinding",
    "CheckReport",
    "CurrentProfile",
    "Change",
    "Diff",
    "Evaluate",
    "RecordFile",
    "Render",
    "check",
    "diff",
    "index_text",
    "load",
    "load_all",
    "parse_number",
    "set_status",
    "link",
    "same_inputs",
    "supersede",
    "supersede_guard",
    "index_with",
    "write_index",
]

#: status -> the statuses it may change to. ``superseded`` only through :func:`supersede`.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    "proposed": ("accepted", "rejected", "superseded", "deprecated"),
    "accepted": ("superseded", "deprecated"),
    "rejected": (),
    "superseded": (),
    "deprecated": (),
}
#: The file that makes a folder a rule pack (format 2: see :mod:`advisor.decide.packs`).
PACK_FILE = "pack.yaml"
#: Statuses whose records are still in force (checked by :func:`check`).
ACTIVE: tuple[Status, ...] = ("proposed", "accepted")

#: ``render(record) -> markdown`` (``advisor.report.to_markdown``).
Render = Callable[[DecisionRecord], str]
#: ``evaluate(answers, measured facts, rule packs, reference answers) -> recommendation`` (built on
#: ``advisor.pipeline``). The reference answers are record A's: a decision engine draws with their seed
#: (common random numbers), so that one swapped answer moves the probability only by itself.
Evaluate = Callable[[Mapping[str, Any], Mapping[str, Any], Sequence[PackInfo], Mapping[str, Any]], str]
#: ``resolve(pack path as recorded) -> folder`` ("rules" is the bundled pack).
ResolvePack = Callable[[str], Path]

_VERBS = {"accepted": "accept", "rejected": "reject", "deprecated": "deprecate", "superseded": "supersede"}


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class RecordFile:
    """One record: its JSON twin parsed, and where both files are."""

    record: DecisionRecord
    json_path: Path
    md_path: Path

    @property
    def number(self) -> int:
        return self.record.number

    @property
    def label(self) -> str:
        return f"{self.record.number:04d}"


def parse_number(text: str) -> int:
    """``3``, ``0003`` or ``0003-some-title.md`` -> 3; DataError otherwise."""
    m = re.match(r"^(\d+)(?:-[^/\\]*)?$", text.strip())
    if m is None or int(m.group(1)) < 1:
        raise DataError(f"{text!r} is not a record number", "give the number, e.g. 3 or 0003")
    return int(m.group(1))


def _json_path(directory: Path, number: int, paths: Sequence[Path]) -> Path:
    twins = [p for p in paths if p.suffix == ".json"]
    if not twins:
        raise DataError(f"record {number:04d} has no JSON twin", "regenerate it with the command in its markdown",
                        Location(str(paths[0])))
    if len(twins) > 1:
        names = ", ".join(p.name for p in twins)
        raise DataError(f"several records are numbered {number:04d}: {names}", "renumber or remove one",
                        Location(str(directory)))
    return twins[0]


def _read(directory: Path, number: int, paths: Sequence[Path]) -> RecordFile:
    jp = _json_path(directory, number, paths)
    text = read_text(jp, max_bytes=LIMITS["record"], kind="JSON")
    record = DecisionRecord.from_json(text, str(jp))
    if record.number != number:
        raise DataError(f"the file name says record {number:04d} but it holds number {record.number}",
                        "rename the file or fix 'number'", Location(str(jp)))
    return RecordFile(record, jp, jp.with_suffix(".md"))


def load_all(directory: str | Path) -> list[RecordFile]:
    """Every record in ``directory``, by number (a broken JSON twin is a DataError at file:line:col)."""
    base = Path(directory)
    return [_read(base, n, paths) for n, paths in sorted(record_paths(base).items())]


def load(directory: str | Path, number: int) -> RecordFile:
    """Record ``number``; a one-line DataError listing the numbers that exist when there is none."""
    base = Path(directory)
    found = record_paths(base)
    if number not in found:
        if not base.is_dir():
            raise DataError(f"no records folder {base}", "give it with --dir, or write a record with 'advisor assess'")
        have = ", ".join(f"{n:04d}" for n in sorted(found)) or "none"
        raise DataError(f"no record {number:04d} in {base}", f"records: {have}")
    return _read(base, number, found[number])


# --------------------------------------------------------------------------- writing


def _write_all(directory: Path, files: Sequence[tuple[Path, str]]) -> None:
    """Write the files (all in ``directory``) as one journalled change, under the folder lock."""
    with locked(directory):
        journal.apply(directory, [(path.name, text) for path, text in files])


_FRONT = re.compile(r"\A---\n(.*?)^---[ \t]*\n", re.S | re.M)
_STATUS = re.compile(r"^status:.*$", re.M)


def _escape(text: str) -> str:
    return markdown.inline(text)


def _record_file(number: int, title: str) -> str:
    return f"{number:04d}-{slugify(title)}.md"


def link_line(link: Link) -> str:
    """A link as ``advisor.report`` lists it under Related Records."""
    relation = _escape(link.relation)
    label = f"{link.number:04d} {_escape(link.title)}".rstrip()
    note = f" ({_escape(link.note)})" if link.note else ""
    return f"- {relation[:1].upper() + relation[1:]} [{label}]({_record_file(link.number, link.title)}){note}"


def edit_markdown(text: str, status: Status, new_links: Sequence[Link] = ()) -> str:
    """Targeted edit of a hand-edited record: the front matter status and added link bullets."""
    m = _FRONT.match(text)
    if m is None:
        text = f"---\nstatus: {status}\n---\n\n" + text
    else:
        front = m.group(1)
        front = _STATUS.sub(f"status: {status}", front, count=1) if _STATUS.search(front) else \
            f"status: {status}\n{front}"
        text = f"---\n{front}---\n" + text[m.end():]
    if not new_links:
        return text
    bullets = "\n".join(link_line(lk) for lk in new_links)
    lines = text.split("\n")
    heading = next((h for h in ("### Related Records", "## Related Records") if h in lines), None)
    if heading is not None:
        start = lines.index(heading) + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
        body = lines[start:end]
        while body and not body[-1].strip():
            body.pop()
        if not body or not body[-1].startswith("- "):
            body.append("")
        body += bullets.split("\n")
        tail = [""]  # a blank line before the next heading, or the final newline
        return "\n".join(lines[:start] + body + tail + lines[end:])
    at = text.find("\n### Reproducibility\n")
    if at >= 0:
        return text[:at + 1] + f"### Related Records\n\n{bullets}\n\n" + text[at + 1:]
    level = "###" if "\n## More Information\n" in text else "##"  # no skipped heading level
    return text.rstrip("\n") + f"\n\n{level} Related Records\n\n{bullets}\n"


def _markdown(rf: RecordFile, new: DecisionRecord, render: Render | None, new_links: Sequence[Link]) -> str:
    if not rf.md_path.exists():
        if render is None:
            raise DataError("the markdown of this record is missing", "regenerate it", Location(str(rf.md_path)))
        return render(new)
    text = read_text(rf.md_path, max_bytes=LIMITS["record"], kind="markdown")
    if render is not None and text == render(rf.record):
        return render(new)
    return edit_markdown(text, new.status, new_links)


def _save(changes: Sequence[tuple[RecordFile, DecisionRecord, Sequence[Link]]], render: Render | None,
          directory: Path) -> list[RecordFile]:
    """Write the changed records and the index together (every record is read first: a broken one stops all)."""
    out = [RecordFile(new, rf.json_path, rf.md_path) for rf, new, _ in changes]
    changed = {rf.number: rf for rf in out}
    everything = [changed.get(rf.number, rf) for rf in load_all(directory)]
    files: list[tuple[Path, str]] = []
    for rf, new, links in changes:
        files.append((rf.json_path, new.to_json()))
        files.append((rf.md_path, _markdown(rf, new, render, links)))
    files.append((directory / INDEX_NAME, index_text(everything)))
    _write_all(directory, files)
    return out


# --------------------------------------------------------------------------- status changes


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
    return _save([(rf, new, ())], render, base)[0]


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
        saved = _save([(ra, ra.record.model_copy(update={"links": [*ra.record.links, there]}), [there]),
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
    saved = _save([(o, o_new, [down]), (n, n_new, added_up)], render, base)
    return saved[0], saved[1]


# --------------------------------------------------------------------------- index


def _cell(text: str) -> str:
    return markdown.inline(text)


def rows(records: Sequence[RecordFile]) -> list[dict[str, Any]]:
    """One plain row per record (``advisor records list``)."""
    return [{"number": rf.number, "title": rf.record.title, "status": rf.record.status,
             "recommendation": rf.record.recommendation, "date": rf.record.date,
             "superseded_by": rf.record.superseded_by, "supersedes": rf.record.supersedes,
             "file": rf.md_path.name} for rf in records]


def index_text(records: Sequence[RecordFile]) -> str:
    """The markdown index of a records folder: deterministic, ordered by number."""
    by_number = {rf.number: rf for rf in records}
    lines = ["# Decision Records", "",
             "Architecture decision records (MADR 4.0) with their JSON twins. Generated by "
             "`advisor records index` from the JSON twins: do not edit by hand.", ""]
    if not records:
        return "\n".join(lines + ["No records yet: write one with `advisor assess`.", ""])
    lines += ["| Number | Title | Status | Recommendation | Date |", "| --- | --- | --- | --- | --- |"]
    for rf in sorted(records, key=lambda r: r.number):
        rec = rf.record
        status: str = rec.status
        if rec.superseded_by is not None:
            target = by_number.get(rec.superseded_by)
            ref = f"[{rec.superseded_by:04d}]({target.md_path.name})" if target else f"{rec.superseded_by:04d}"
            status += f" by {ref}"
        lines.append(f"| [{rf.label}]({rf.md_path.name}) | {_cell(rec.title)} | {status} | "
                     f"{rec.recommendation} | {rec.date} |")
    return "\n".join(lines) + "\n"


def write_index(directory: str | Path) -> Path:
    """Write ``README.md`` of the records folder (atomically) and return its path."""
    base = Path(directory)
    path = base / INDEX_NAME
    with locked(base):
        write_text(path, index_text(load_all(base)))
    return path


def index_with(directory: Path, record: DecisionRecord) -> str | None:
    """The index text once ``record`` is added, when the folder has an index (for ``write_record(index=...)``)."""
    path = directory / INDEX_NAME
    if not (path.exists() or path.is_symlink()):
        return None
    rf = RecordFile(record, directory / f"{record.stem}.json", directory / f"{record.stem}.md")
    return index_text([r for r in load_all(directory) if r.number != record.number] + [rf])


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class Change:
    """One difference between two records. ``flips``: this input alone changes the outcome (None: not tried)."""

    kind: Literal["answer", "measurement", "rules", "weight", "fired"]
    name: str
    before: Any
    after: Any
    flips: bool | None = None

    def format(self) -> str:
        if self.kind == "fired":
            text = f"rules fired: {self.name}"
        else:
            text = f"{self.kind} {self.name}: {_show(self.before)} -> {_show(self.after)}"
        if self.flips:
            text += "  [changes the outcome]"
        return text


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):  # 0.9748, 26000: never 0.9747870250324321 or 2.6e+04
        if value.is_integer() or abs(value) >= 1e4:
            return f"{value:.0f}"
        return f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.2e}"
    return str(value)


@dataclass(frozen=True)
class Diff:
    a: DecisionRecord
    b: DecisionRecord
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()

    @property
    def outcome_changed(self) -> bool:
        return self.a.recommendation != self.b.recommendation

    @property
    def deciding(self) -> list[Change]:
        """The inputs that flip the outcome on their own."""
        return [c for c in self.changes if c.flips]

    def lines(self) -> list[str]:
        a, b = self.a, self.b
        head = f"{a.number:04d} -> {b.number:04d}: recommendation {a.recommendation}"
        head += f" -> {b.recommendation}" if self.outcome_changed else " (unchanged)"
        out = [head]
        out += [c.format() for c in self.changes] or ["no differences in answers, rules or measurements"]
        if self.outcome_changed:
            names = [f"{c.kind} {c.name}" for c in self.deciding]
            out.append("changed the outcome: " + (", ".join(names) if names else
                                                   "no single change alone; only together"))
        return out + [f"note: {n}" for n in self.notes]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a.number, "b": self.b.number, "recommendation": [self.a.recommendation,
                                                                           self.b.recommendation],
                "outcome_changed": self.outcome_changed,
                "changes": [{"kind": c.kind, "name": c.name, "before": c.before, "after": c.after,
                             "flips": c.flips} for c in self.changes],
                "changed_the_outcome": [f"{c.kind} {c.name}" for c in self.deciding], "notes": list(self.notes)}


def _measured(rec: DecisionRecord) -> dict[str, Any]:
    return {k: v for k, v in rec.decision.facts.items() if k.startswith("measured.")}


def _fired(rec: DecisionRecord) -> set[str]:
    """The constraint rules that applied (the consequence rules follow the configurations chosen)."""
    return {k for k, v in rec.rules_applied.items() if v.get("kind") == "constraint"}


def _dict_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


def _packs_text(packs: Sequence[PackInfo]) -> str:
    return " + ".join(f"{p.name}@{p.version} ({p.path}, sha256 {p.sha256[:12]})" for p in packs)


def _swap(values: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    out = dict(values)
    if value is None:
        out.pop(key, None)
    else:
        out[key] = value
    return out


def diff(rec_a: RecordFile, rec_b: RecordFile, evaluate: Evaluate | None = None,
         resolve_pack: ResolvePack | None = None) -> Diff:
    """What changed from record A to record B, and which single input flips the outcome.

    Answers, measured facts and the rule packs are the inputs. When the recommendations
    differ, each changed input of B is swapped into A's inputs alone and re-evaluated
    with ``evaluate``; the ones that change A's outcome are marked. Fired rules and rule
    weights are consequences of the inputs and are listed, not re-evaluated.
    """
    a, b = rec_a.record, rec_b.record
    ans = _dict_changes(a.profile.answers, b.profile.answers)
    meas = _dict_changes(_measured(a), _measured(b))
    rules_changed = a.rules.sha256 != b.rules.sha256
    notes: list[str] = []
    flips: dict[tuple[str, str], bool | None] = {}
    if a.recommendation != b.recommendation and evaluate is not None:
        flips, notes = _attribute(a, b, ans, meas, rules_changed, evaluate, resolve_pack)
    changes: list[Change] = []
    changes += [Change("answer", k, x, y, flips.get(("answer", k))) for k, x, y in ans]
    changes += [Change("measurement", k, x, y, flips.get(("measurement", k))) for k, x, y in meas]
    if rules_changed:
        changes.append(Change("rules", "packs", _packs_text(a.rules.packs), _packs_text(b.rules.packs),
                              flips.get(("rules", "packs"))))
    fa, fb = _fired(a), _fired(b)
    if fa != fb:
        parts = [f"+{r}" for r in sorted(fb - fa)] + [f"-{r}" for r in sorted(fa - fb)]
        changes.append(Change("fired", " ".join(parts), sorted(fa - fb), sorted(fb - fa)))
    return Diff(a, b, tuple(changes), tuple(notes))


def _attribute(a: DecisionRecord, b: DecisionRecord, ans: Sequence[tuple[str, Any, Any]],
               meas: Sequence[tuple[str, Any, Any]], rules_changed: bool, evaluate: Evaluate,
               resolve_pack: ResolvePack | None) -> tuple[dict[tuple[str, str], bool | None], list[str]]:
    notes: list[str] = []
    flips: dict[tuple[str, str], bool | None] = {}
    answers, measured = a.profile.answers, _measured(a)
    same_paths = [p.path for p in a.rules.packs] == [p.path for p in b.rules.packs]
    baseline = evaluate(answers, measured, a.rules.packs, answers)
    if rules_changed and same_paths:
        on_disk = _current_hashes(b.rules.packs, resolve_pack)
        if on_disk == [p.sha256 for p in b.rules.packs]:
            # the files on disk are B's packs: A's inputs with them is "only the rules swapped"
            flips[("rules", "packs")] = baseline != a.recommendation
            notes.append(f"the rule packs of {a.number:04d} are no longer on disk; its answers and measurements "
                         f"were re-evaluated with those of {b.number:04d}")
        else:
            flips[("rules", "packs")] = None
            notes.append("the rule packs on disk match neither record; the rules change was not re-evaluated")
    else:
        if baseline != a.recommendation:
            notes.append(f"re-evaluating {a.number:04d} with the rule packs on disk gives {baseline}, not the "
                         f"recorded {a.recommendation}: its packs changed since it was written")
        if rules_changed:
            flips[("rules", "packs")] = evaluate(answers, measured, b.rules.packs, answers) != baseline
    for key, _, after in ans:
        flips[("answer", key)] = evaluate(_swap(answers, key, after), measured, a.rules.packs, answers) != baseline
    for key, _, after in meas:
        flips[("measurement", key)] = evaluate(answers, _swap(measured, key, after), a.rules.packs,
                                               answers) != baseline
    return flips, notes


def _current_hashes(packs: Sequence[PackInfo], resolve_pack: ResolvePack | None) -> list[str | None]:
    out: list[str | None] = []
    for p in packs:
        try:
            root = resolve_pack(p.path) if resolve_pack is not None else Path(p.path)
            # only a rule pack (a folder with pack.yaml) is hashed: never a whole tree a record names
            out.append(pack_sha256(root) if (root / PACK_FILE).is_file() else None)
        except DataError:
            out.append(None)
    return out


# --------------------------------------------------------------------------- check


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
        for pack, now in zip(rec.rules.packs, _current_hashes(rec.rules.packs, resolve_pack), strict=True):
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
