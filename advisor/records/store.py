"""A records folder: which files are records, and reading them (the JSON twin is the source of truth)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from advisor import journal
from advisor.atomic import locked
from advisor.errors import DataError, Location
from advisor.inputs import LIMITS
from advisor.records.model import DecisionRecord
from advisor.yamlio import read_text

#: The index of a records folder (written by :mod:`advisor.records.index`).
INDEX_NAME = "README.md"
#: ``NNNN-<slug>.md`` / ``.json``: the number is the first 4+ digits.
RECORD_NAME = re.compile(r"^(\d{4,})-([a-z0-9][a-z0-9-]*)\.(md|json)$")


def record_paths(directory: str | os.PathLike[str]) -> dict[int, list[Path]]:
    """The record files in ``directory`` by number (``NNNN-slug.md`` and ``.json``)."""
    out: dict[int, list[Path]] = {}
    base = Path(directory)
    if not base.is_dir():
        return out
    for entry in sorted(base.iterdir()):
        m = RECORD_NAME.match(entry.name)
        if m:
            out.setdefault(int(m.group(1)), []).append(entry)
    return out


def next_number(directory: str | os.PathLike[str]) -> int:
    """1 + the highest record number in ``directory`` (1 when there is none)."""
    return max(record_paths(directory), default=0) + 1


# --------------------------------------------------------------------------- building


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


def write_all(directory: Path, files: Sequence[tuple[Path, str]]) -> None:
    """Write the files (all in ``directory``) as one journalled change, under the folder lock."""
    with locked(directory):
        journal.apply(directory, [(path.name, text) for path, text in files])
