"""All-or-nothing changes to several files of one folder, safe against crashes.

A change to several files (a record's JSON and markdown, two superseded records and the
index) is first written, whole, to a journal file in the folder (atomically), then each
file is replaced atomically, then the journal is removed. A crash (even SIGKILL) at any
point leaves either no journal (nothing or everything applied) or a complete journal
that :func:`replay` applies again (every step is idempotent). Callers hold
:func:`advisor.atomic.locked` on the folder.

The journal names files by their plain name in the folder only: a crafted journal cannot
write anywhere else.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from advisor.atomic import write_text
from advisor.errors import DataError, Location

__all__ = ["JOURNAL_NAME", "Pending", "apply", "pending", "replay", "stale_temporaries"]

#: The journal of a folder while a change is being applied.
JOURNAL_NAME = ".advisor-journal.json"
#: Largest journal read back (a change of a few records and the index).
MAX_JOURNAL_BYTES = 64 * 1024 * 1024
_FORMAT = 1
_PLAIN = re.compile(r"^[^/\\\x00]+$")
#: Temporary files of :func:`advisor.atomic.write_text`: ``.NAME.XXXXXXXX.tmp``.
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


@dataclass(frozen=True)
class Pending:
    """A journal found in a folder: the files it (re)writes, by name."""

    path: Path
    files: tuple[tuple[str, str], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.files]


def _check_name(name: str, where: Location) -> str:
    if not _PLAIN.match(name) or name in (".", "..") or name == JOURNAL_NAME:
        raise DataError(f"journal names {name[:80]!r}, not a file of this folder",
                        "remove the journal file by hand and check the folder", where)
    return name


def apply(directory: str | os.PathLike[str], files: Sequence[tuple[str, str]]) -> None:
    """Write ``files`` (name in ``directory``, text) as one change: journal, each file, journal removed.

    A journal left by a crashed process is finished first (the caller holds the lock,
    so its writer is gone). When writing fails in this process (an error, Ctrl-C), the
    files already written are put back as they were and the journal is removed; only
    if that too fails does the journal stay, for :func:`replay`.
    """
    base = Path(directory)
    where = Location(str(base / JOURNAL_NAME))
    names = [_check_name(name, where) for name, _ in files]
    replay(base)
    journal = base / JOURNAL_NAME
    body = {"advisor_journal": _FORMAT,
            "files": [{"name": n, "sha256": hashlib.sha256(t.encode()).hexdigest(), "text": t}
                      for n, (_, t) in zip(names, files, strict=True)]}
    before = [(base / name, _current(base / name)) for name in names]
    write_text(journal, json.dumps(body, ensure_ascii=False), exclusive=True)
    done = 0
    try:
        for name, text in files:
            write_text(base / name, text)
            done += 1
    except BaseException:
        try:
            for path, old in reversed(before[:done + 1]):
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    write_text(path, old)
            journal.unlink()
        except (DataError, OSError):
            pass  # the journal stays: 'advisor records repair' finishes the change
        raise
    journal.unlink()


def _current(path: Path) -> str | None:
    """The text of ``path`` before a change (None: absent)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise DataError("is not a regular file; it was left as it is", "remove it or move it away",
                            Location(str(path)))
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path.name} before changing it ({exc})", "check the file",
                        Location(str(path))) from None


def pending(directory: str | os.PathLike[str]) -> Pending | None:
    """The journal of ``directory`` when a change was interrupted; DataError when it is unreadable."""
    journal = Path(directory) / JOURNAL_NAME
    where = Location(str(journal))
    if not (journal.exists() or journal.is_symlink()):
        return None
    from advisor.yamlio import read_text  # regular files only, with a size cap

    text = read_text(journal, max_bytes=MAX_JOURNAL_BYTES, kind="JSON")
    try:
        data = json.loads(text)
        if data.get("advisor_journal") != _FORMAT:
            raise ValueError
        entries = [(str(e["name"]), str(e["text"]), str(e["sha256"])) for e in data["files"]]
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise DataError("not a journal of this advisor version", "remove it by hand and check the folder",
                        where) from None
    for name, text, digest in entries:
        _check_name(name, where)
        if hashlib.sha256(text.encode()).hexdigest() != digest:
            raise DataError(f"the journal entry of {name!r} is damaged (sha256 mismatch)",
                            "remove the journal by hand and check the folder", where)
    return Pending(journal, tuple((name, text) for name, text, _ in entries))


def replay(directory: str | os.PathLike[str]) -> list[str]:
    """Finish an interrupted change: write each journalled file that differs, remove the journal.

    Returns the names of the files rewritten.
    """
    base = Path(directory)
    job = pending(base)
    if job is None:
        return []
    done: list[str] = []
    for name, text in job.files:
        path = base / name
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if path.is_file() and not path.is_symlink() and path.read_text(encoding="utf-8") == text:
                continue
        write_text(path, text)
        done.append(name)
    job.path.unlink()
    return done


def stale_temporaries(directory: str | os.PathLike[str], owned: Sequence[str] | None = None) -> list[Path]:
    """Temporary files left by a crash of :func:`advisor.atomic.write_text` in ``directory``.

    Only those of files named in ``owned`` (or matching a name test) are returned.
    """
    base = Path(directory)
    if not base.is_dir():
        return []
    found = []
    for entry in sorted(base.iterdir()):
        m = _TEMPORARY.match(entry.name)
        if m and (owned is None or m.group("name") in owned) and entry.is_file() and not entry.is_symlink():
            found.append(entry)
    return found
