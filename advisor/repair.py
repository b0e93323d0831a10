"""The state of a records folder after a crash, and its repair.

Every change to a records folder is journalled (:mod:`advisor.journal`) under the folder
lock, so a crash (even SIGKILL) leaves at most: a pending journal, some of its files
already written, and temporary files of an interrupted atomic write. :func:`state`
finds those and anything else inconsistent (a JSON twin without its markdown, markdown
without JSON, two records of one number, an index that no longer matches the records);
:func:`repair` finishes the interrupted change, removes the temporaries, renders
missing markdown from the JSON twin and rewrites a stale index. What it cannot repair
without losing something (markdown without JSON, duplicate numbers) is reported, never
deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from advisor import journal
from advisor.atomic import locked, write_text
from advisor.errors import AdvisorError, DataError, Location
from advisor.inputs import LIMITS
from advisor.records import INDEX_NAME, RECORD_NAME, DecisionRecord, record_paths
from advisor.yamlio import read_text

__all__ = ["FolderProblem", "RepairReport", "repair", "state"]

@dataclass(frozen=True)
class FolderProblem:
    """One inconsistency: where, what, and whether :func:`repair` fixes it."""

    path: Path
    message: str
    repairable: bool = True

    def format(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class RepairReport:
    fixed: list[str] = field(default_factory=list)
    remaining: list[FolderProblem] = field(default_factory=list)


def _owned(name: str) -> bool:
    return bool(RECORD_NAME.match(name)) or name in (INDEX_NAME, journal.JOURNAL_NAME)


def _temporaries(base: Path) -> list[Path]:
    return [p for p in journal.stale_temporaries(base) if _owned(p.name[1:].rsplit(".", 2)[0])]


def _regular(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _load(path: Path) -> DecisionRecord:
    return DecisionRecord.from_json(read_text(path, max_bytes=LIMITS["record"], kind="JSON"), str(path))


def _records(base: Path, problems: list[FolderProblem]) -> dict[int, tuple[DecisionRecord, Path]] | None:
    """The readable records by number; None when a number is ambiguous (the index cannot be trusted)."""
    out: dict[int, tuple[DecisionRecord, Path]] = {}
    ambiguous = False
    for number, paths in sorted(record_paths(base).items()):
        twins = [p for p in paths if p.suffix == ".json"]
        marks = [p for p in paths if p.suffix == ".md"]
        if len(twins) > 1 or len(marks) > 1:
            ambiguous = True
            names = ", ".join(p.name for p in paths)
            problems.append(FolderProblem(base, f"several records are numbered {number:04d}: {names}; "
                                                "renumber or remove one", repairable=False))
            continue
        if not twins:
            problems.append(FolderProblem(marks[0], "markdown without its JSON twin; restore the .json from "
                                                    "version control or remove the record", repairable=False))
            continue
        try:
            record = _load(twins[0])
        except AdvisorError as exc:
            problems.append(FolderProblem(twins[0], f"unreadable record ({exc.first.message})", repairable=False))
            ambiguous = True
            continue
        if marks and not _regular(marks[0]):
            problems.append(FolderProblem(marks[0], "the markdown is not a regular file; move it away, then "
                                                    "repair renders it", repairable=False))
        elif not marks or marks[0].stem != twins[0].stem:
            problems.append(FolderProblem(twins[0], "JSON twin without its markdown; repair renders it"))
        out[number] = (record, twins[0])
    return None if ambiguous else out


def state(directory: str | os.PathLike[str], index_text: Callable[[Path], str] | None = None) -> list[FolderProblem]:
    """Everything inconsistent in the records folder ``directory`` (empty: consistent).

    ``index_text(directory)`` renders the index as it should be (``advisor.records``);
    with it, an existing index that differs is reported.
    """
    base = Path(directory)
    problems: list[FolderProblem] = []
    if not base.is_dir():
        return problems
    try:
        job = journal.pending(base)
    except DataError as exc:
        problems.append(FolderProblem(base / journal.JOURNAL_NAME, exc.first.message, repairable=False))
        job = None
    if job is not None:
        problems.append(FolderProblem(job.path, "an interrupted change is pending (" + ", ".join(job.names)
                                      + "); repair finishes it"))
    problems += [FolderProblem(p, "temporary file of an interrupted write; repair removes it")
                 for p in _temporaries(base)]
    records = _records(base, problems)
    index = base / INDEX_NAME
    if job is None and records is not None and index_text is not None and index.exists():
        try:
            current = read_text(index, max_bytes=LIMITS["record"], kind="markdown")
        except DataError as exc:
            problems.append(FolderProblem(index, exc.first.message, repairable=False))
        else:
            if current != index_text(base):
                problems.append(FolderProblem(index, "the index does not match the records; repair rewrites it"))
    return problems


def repair(directory: str | os.PathLike[str], render: Callable[[DecisionRecord], str],
           index_text: Callable[[Path], str]) -> RepairReport:
    """Bring the records folder ``directory`` back to a consistent state, under its lock.

    In order: finish a pending journalled change, remove stale temporaries, render the
    markdown of JSON twins that lack it, and rewrite an index that differs. Returns what
    was fixed and what is left (problems that need a person).
    """
    base = Path(directory)
    if not base.is_dir():
        raise DataError(f"no records folder {base}", "give it with --dir", Location(str(base)))
    report = RepairReport()
    with locked(base):
        try:
            had = journal.pending(base) is not None
            done = journal.replay(base)
        except DataError as exc:
            report.remaining.append(FolderProblem(base / journal.JOURNAL_NAME, exc.first.message, repairable=False))
            return report
        if had:
            report.fixed.append("finished the interrupted change" + (": " + ", ".join(done) if done else ""))
        for tmp in _temporaries(base):
            tmp.unlink(missing_ok=True)
            report.fixed.append(f"removed {tmp.name}")
        problems: list[FolderProblem] = []
        records = _records(base, problems)
        for record, json_path in (records or {}).values():
            md = json_path.with_suffix(".md")
            if not (md.exists() or md.is_symlink()):
                write_text(md, render(record), exclusive=True)
                report.fixed.append(f"rendered {md.name} from its JSON twin")
        index = base / INDEX_NAME
        if records is not None and index.exists():
            text = index_text(base)
            try:
                same = read_text(index, max_bytes=LIMITS["record"], kind="markdown") == text
            except DataError:
                same = False
            if not same:
                write_text(index, text)
                report.fixed.append(f"rewrote {INDEX_NAME}")
        report.remaining += [p for p in problems if not p.repairable]
    return report
