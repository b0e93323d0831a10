"""Portfolio inventories: the YAML (``advisor_portfolio: 1``) and CSV files that list workloads.

Each workload is given by its answers or by a reference to a profile file
(docs/portfolio.md). Every value goes through the question's own parser, as in
profiles; all problems of the file are collected and raised together, before anything
is written.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor import inputs, yamlio
from advisor import profile as profiles
from advisor.errors import DataError, Location, Problem, did_you_mean, one_of
from advisor.portfolio.file import INVENTORY_FORMAT, InventoryFile
from advisor.questionnaire import Question, Questionnaire
from advisor.validation import MAX_PROBLEMS, validate

#: Version of the inventory format (the ``advisor_portfolio`` key).
FORMAT = INVENTORY_FORMAT


@dataclass
class Workload:
    """One workload of an inventory: its validated answers and where it was given."""

    name: str
    answers: dict[str, Any]
    location: Location
    #: The referenced profile file, when the answers are exactly that file's.
    profile_path: Path | None = None
    profile_display: str | None = None


@dataclass
class Inventory:
    """A loaded, validated inventory."""

    display: str
    workloads: list[Workload] = field(default_factory=list)


def load_inventory(path: str | os.PathLike[str], questionnaire: Questionnaire, *,
                   display: str | None = None) -> Inventory:
    """Load a YAML or CSV (``.csv``) inventory; DataError listing every problem of the file."""
    name = display if display is not None else str(path)
    if Path(path).suffix.lower() == ".csv":
        return _load_csv(Path(path), name, questionnaire)
    return _load_yaml(Path(path), name, questionnaire)


def _parse_value(question: Question, raw: Any, from_text: bool, where: Location,
                 problems: list[Problem]) -> Any:
    try:
        return question.parse(raw, from_text=from_text)
    except ValueError as exc:
        message, _, hint = str(exc).partition("; ")
        problems.append(Problem(f"{question.key}: {message}", hint or None, where))
        return None


def _unknown_key(key: str, questionnaire: Questionnaire, where: Location, extra: Sequence[str] = ()) -> Problem:
    if key in questionnaire.retired_by_key:
        return Problem(f"{key!r} was retired: {questionnaire.retired_by_key[key].why}", questionnaire.retired_hint(key),
                       where)
    hint = did_you_mean(key, [*questionnaire.by_key, *extra]) or "run 'advisor questions --full' to list the keys"
    return Problem(f"unknown question key {key!r}", hint, where)


def _load_profile(ref: Any, base: Path, base_display: str, where: Location, questionnaire: Questionnaire,
                  problems: list[Problem]) -> tuple[dict[str, Any], Path, str] | None:
    if not isinstance(ref, str) or not ref.strip():
        problems.append(Problem("profile: expected a file name", "give the profile path relative to the inventory",
                                where))
        return None
    try:
        target = inputs.confine(ref.strip(), base)
    except DataError as exc:
        problems.append(Problem(f"profile file {exc.first.message}", exc.first.hint, where))
        return None
    shown = (Path(base_display).parent / ref.strip()).as_posix()
    if not target.is_file():
        problems.append(Problem(f"profile file {ref.strip()!r} not found",
                                "give a path relative to the inventory file", where))
        return None
    try:
        loaded = profiles.load(target, questionnaire, display=shown)
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    return loaded.values(), target, shown


def _finish(workloads: list[tuple[dict[str, Any], Location, Path | None, str | None]], display: str,
            problems: list[Problem]) -> Inventory:
    seen: dict[str, Location] = {}
    out: list[Workload] = []
    for answers, where, ppath, pshown in workloads:
        name = answers.get("workload_name")
        if not isinstance(name, str):
            problems.append(Problem("workload_name: missing", "every workload needs a unique workload_name", where))
            continue
        if name in seen:
            first = seen[name]
            problems.append(Problem(f"duplicate workload name {name!r} (lines {first.line} and {where.line})",
                                    "give each workload its own workload_name", where))
            continue
        seen[name] = where
        out.append(Workload(name, answers, where, ppath, pshown))
    if not out and not problems:
        problems.append(Problem("no workloads", "list at least one workload", Location(display, 1, 1)))
    if problems:
        shown = sorted(problems, key=_problem_order)[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:  # a 100,000-row file with a bad column is not 100,000 lines
            shown.append(Problem(f"{len(problems) - MAX_PROBLEMS:,} more problems not shown",
                                 "fix those above and run again", Location(display)))
        raise DataError("", problems=shown)
    return Inventory(display, out)


def _problem_order(p: Problem) -> tuple[int, int, int]:
    loc = p.location
    # problems of this file first (in line order); those of referenced profiles follow at their reference
    return (0, loc.line, loc.col) if loc is not None else (1, 0, 0)


def _load_yaml(path: Path, display: str, questionnaire: Questionnaire) -> Inventory:
    doc = yamlio.load(path, display=display)
    data = validate(InventoryFile, doc)  # the shape; then the answers, against the questionnaire
    problems: list[Problem] = []
    defaults = _yaml_answers(doc, ("defaults",), questionnaire, problems)
    listed: list[tuple[dict[str, Any], Location, Path | None, str | None]] = []
    for i, entry in enumerate(data.workloads):
        where = doc.where(("workloads", i))
        values: dict[str, Any] = {}
        ppath: Path | None = None
        pshown: str | None = None
        first = len(problems)
        if entry.profile is not None:
            loaded = _load_profile(entry.profile, path.parent, display, doc.where(("workloads", i, "profile")),
                                   questionnaire, problems)
            if loaded is None:
                continue
            values, ppath, pshown = loaded
        inline = _yaml_answers(doc, ("workloads", i, "answers"), questionnaire, problems)
        merged = {**defaults, **values, **inline}
        if len(problems) > first and "workload_name" not in merged:
            continue  # its problems are reported already
        pure = ppath is not None and merged == values
        listed.append((_ordered(merged, questionnaire), where, ppath if pure else None, pshown if pure else None))
    return _finish(listed, display, problems)


def _yaml_answers(doc: yamlio.Document, at: tuple[str | int, ...], questionnaire: Questionnaire,
                  problems: list[Problem]) -> dict[str, Any]:
    node: Any = doc.root
    for part in at:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        problems.append(Problem(f"{at[-1]}: expected a mapping of question keys to answers",
                                "write 'key: value' lines under it", doc.where(at)))
        return {}
    out: dict[str, Any] = {}
    for key, raw in node.items():
        if key in questionnaire.retired_by_key:
            try:
                mapped = questionnaire.migrate(key, yamlio.to_plain(raw))
            except ValueError as exc:
                message, _, hint = str(exc).partition("; ")
                problems.append(Problem(message, hint or None, doc.where((*at, key))))
                continue
            out.update({k: v for k, v in mapped.items() if k not in node})  # an answer given explicitly wins
            continue
        if key not in questionnaire.by_key:
            problems.append(_unknown_key(str(key), questionnaire, doc.where((*at, key), key=True)))
            continue
        value = _parse_value(questionnaire.by_key[key], yamlio.to_plain(raw), False, doc.where((*at, key)), problems)
        if value is not None:
            out[key] = value
    return out


def _ordered(values: Mapping[str, Any], questionnaire: Questionnaire) -> dict[str, Any]:
    return {k: values[k] for k in questionnaire.keys() if k in values}


def _load_csv(path: Path, display: str, questionnaire: Questionnaire) -> Inventory:
    text = yamlio.read_text(path, display=display, kind="CSV")
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # an unclosed quote is an error, not data
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("empty inventory", "give a header row of question keys, then one row per workload",
                        Location(display, 1, 1)) from None
    except csv.Error as exc:
        raise DataError(f"invalid CSV: {exc}", "fix the quoting", Location(display, 1, 1)) from None
    columns: list[str | None] = []
    suggested = False
    for col, raw_key in enumerate(header, start=1):
        key = raw_key.strip()
        where = Location(display, 1, col)
        if key == "profile" or key in questionnaire.by_key:
            if key in columns:
                problems.append(Problem(f"column {key!r} appears twice", "keep one of them", where))
                columns.append(None)
            else:
                columns.append(key)
        else:
            problems.append(unknown := _unknown_key(key, questionnaire, where, ("profile",)))
            suggested = suggested or (unknown.hint or "").startswith("did you mean")
            columns.append(None)
    if not any(columns) and not suggested:
        # some other file (a password file is one CSV column): quoting its header would print its first line
        raise DataError(f"none of the expected columns is here ({one_of(['profile', *questionnaire.keys()], 4)})",
                        "check that this is the right file (a header row of question keys, separated by commas)",
                        Location(display, 1, 1))
    listed: list[tuple[dict[str, Any], Location, Path | None, str | None]] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"invalid CSV: {exc}", "fix the quoting", Location(display, line, 1)))
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # blank line
        where = Location(display, start, 1)
        if len(row) > len(columns):
            problems.append(Problem(f"{len(row)} cells but {len(columns)} columns in the header",
                                    "remove the extra cells or name their columns",
                                    Location(display, start, len(columns) + 1)))
        values: dict[str, Any] = {}
        inline: dict[str, Any] = {}
        ppath: Path | None = None
        pshown: str | None = None
        ok = True
        first = len(problems)
        for col, (column, cell) in enumerate(zip(columns, row, strict=False), start=1):
            if column is None or not cell.strip():
                continue  # an empty cell: not answered here
            cell_at = Location(display, start, col)
            if column == "profile":
                loaded = _load_profile(cell, path.parent, display, cell_at, questionnaire, problems)
                if loaded is None:
                    ok = False
                else:
                    values, ppath, pshown = loaded
                continue
            question = questionnaire.by_key[column]
            raw = cell.replace(";", ",") if question.type == "multi-choice" else cell
            before = len(problems)
            value = _parse_value(question, raw, True, cell_at, problems)
            if len(problems) == before:
                inline[column] = value
        if not ok:
            continue
        merged = {**values, **inline}
        if len(problems) > first and "workload_name" not in merged:
            continue  # its problems are reported already
        pure = ppath is not None and merged == values
        listed.append((_ordered(merged, questionnaire), where, ppath if pure else None, pshown if pure else None))
    return _finish(listed, display, problems)
