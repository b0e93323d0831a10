"""Storing a new record: numbered under the folder lock, both files as one journalled change."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from advisor import journal
from advisor.atomic import locked
from advisor.errors import DataError, Location
from advisor.records.model import DecisionRecord
from advisor.records.store import INDEX_NAME, next_number


def write_record(record: DecisionRecord, directory: str | os.PathLike[str],
                 render_markdown: Callable[[DecisionRecord], str], *,
                 index: Callable[[Path, DecisionRecord], str | None] | None = None,
                 on_wait: Callable[[], None] | None = None) -> tuple[Path, Path, DecisionRecord]:
    """Store ``record`` as ``NNNN-slug.json`` and ``NNNN-slug.md``; never overwrite anything.

    Under the records-folder lock (:func:`advisor.atomic.locked`), the number is
    ``max(record.number, next_number(directory))``, so concurrent writers get distinct
    numbers. Both files (and the index, when ``index(directory, record)`` returns its
    text) are written as one journalled change (:mod:`advisor.journal`): a crash at any
    point leaves a folder that ``advisor records repair`` completes. Returns the
    markdown path, the JSON path and the record as written (with its final number).
    """
    base = Path(directory)
    with locked(base, on_wait=on_wait):
        number = max(record.number, next_number(base))
        current = record.model_copy(update={"number": number})
        md_path = base / f"{current.stem}.md"
        json_path = base / f"{current.stem}.json"
        for path in (json_path, md_path):
            if path.exists() or path.is_symlink():
                raise DataError("file already exists", "choose another name; existing files are never overwritten",
                                Location(str(path)))
        files = [(json_path.name, current.to_json()), (md_path.name, render_markdown(current))]
        index_text = index(base, current) if index is not None else None
        if index_text is not None:
            files.append((INDEX_NAME, index_text))
        journal.apply(base, files)
    return md_path, json_path, current
