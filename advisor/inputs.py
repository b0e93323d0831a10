"""Reading user files safely: the one place that opens an input file.

Every file the user names (profiles, questionnaires, rule files, topologies,
inventories, targets, measurements, record JSON) is read through :func:`read_bytes`:

* only a regular file (or a symlink to one) is read; a FIFO, device, socket or
  directory is refused at once, without blocking on it or reading from it;
* a size cap per format (:data:`LIMITS`) is checked on the open file before any byte
  is read, and no more than the cap is ever read;
* error messages name the file and the problem, never its contents.

:func:`check` does the same checks without reading, for the command line to refuse a
bad file option before any other work. Paths found inside files (an inventory's
profiles, a record's profile and rule packs) go through :func:`confine`: resolved
relative to the file that names them and kept inside the project (the current folder
or that file's folder) unless the user allowed more (``--allow-outside``).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from advisor.errors import DataError, Location

__all__ = ["LIMITS", "MAX_BYTES", "check", "confine", "describe_mode", "outside_allowed", "read_bytes", "token"]

#: Default cap, in bytes: questionnaires, profiles and rule files are far smaller.
MAX_BYTES = 4 * 1024 * 1024
#: The cap per format, in bytes (formats not listed take :data:`MAX_BYTES`).
LIMITS: dict[str, int] = {
    "profile": 256 * 1024,  # ~40 answers with comments: a few kilobytes
    "questionnaire": 1024 * 1024,
    "rules": 1024 * 1024,  # one rule file
    "topology": MAX_BYTES,
    "inventory": MAX_BYTES,
    "targets": 256 * 1024,
    "measurements": MAX_BYTES,
    "record": 16 * 1024 * 1024,  # a record carries its whole result, graph and mermaid diagram
}
#: The format's name in messages ("expected a YAML file").
_SHOWN = {"inventory": "YAML or CSV", "measurements": "YAML or JSON", "record": "JSON"}

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def describe_mode(mode: int) -> str:
    """'a directory', 'a FIFO (named pipe)', ... for a non-regular ``st_mode`` ('a special file' otherwise)."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def limit(fmt: str) -> int:
    return LIMITS.get(fmt, MAX_BYTES)


def shown(fmt: str) -> str:
    return _SHOWN.get(fmt, "YAML")


def _refuse_kind(st: os.stat_result, kind: str, where: Location) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"is a directory, expected a {kind} file", "give the path of a file", where)
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"is {describe_mode(st.st_mode)}, not a regular file", f"give the path of a {kind} file",
                        where)


def _too_large(size: int, max_bytes: int, where: Location) -> DataError:
    return DataError(f"file is too large ({size:,} bytes; the limit is {max_bytes:,})",
                     "split it or check that this is the right file", where)


def check(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES, kind: str = "YAML",
          display: str | None = None) -> None:
    """Refuse a file that :func:`read_bytes` would refuse for its kind or size, without opening it.

    A missing file passes (the reader says "file not found" where that matters).
    """
    where = Location(display if display is not None else str(path))
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror})", "check the path and permissions", where) from None
    _refuse_kind(st, kind, where)
    if st.st_size > max_bytes:
        raise _too_large(st.st_size, max_bytes, where)


def read_bytes(path: str | os.PathLike[str], *, display: str | None = None, max_bytes: int = MAX_BYTES,
               kind: str = "YAML") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; every failure is one clear line."""
    where = Location(display if display is not None else str(path))
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of blocking
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise DataError("file not found", "check the path", where) from None
    except IsADirectoryError:
        raise DataError(f"is a directory, expected a {kind} file", "give the path of a file", where) from None
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror})", "check the path and permissions", where) from None
    try:
        st = os.fstat(fd)
        _refuse_kind(st, kind, where)
        if st.st_size > max_bytes:
            raise _too_large(st.st_size, max_bytes, where)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    chunks = []
    with os.fdopen(fd, "rb", buffering=0) as fh:
        try:
            left = max_bytes + 1
            while left > 0 and (chunk := fh.read(min(left, 1 << 20))):
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise DataError(f"cannot read file ({exc.strerror})", "check the path and permissions", where) from None
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise DataError(f"file is too large (more than {max_bytes:,} bytes)",
                        "split it or check that this is the right file", where)
    return data


def is_regular(path: str | os.PathLike[str]) -> bool:
    """True for a regular file (or a symlink to one); never opens it."""
    try:
        return stat.S_ISREG(Path(path).stat().st_mode)
    except OSError:
        return False


_OUTSIDE = contextvars.ContextVar("advisor_outside_allowed", default=False)


@contextlib.contextmanager
def outside_allowed(allowed: bool = True) -> Iterator[None]:
    """Within the block, :func:`confine` lets paths outside the project through (``--allow-outside``)."""
    token = _OUTSIDE.set(allowed)
    try:
        yield
    finally:
        _OUTSIDE.reset(token)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def confine(ref: str, base: Path, *, roots: Sequence[Path] = ()) -> Path:
    """``ref`` (a path written in a file of folder ``base``) resolved; DataError when it leaves the project.

    The project is the current folder, ``base`` and ``roots``; symlinks are resolved
    before the check, so a link cannot lead out either. The message quotes ``ref``
    only (shortened), never anything read from it.
    """
    target = (base / ref).resolve()
    if _OUTSIDE.get():
        return target
    allowed = [Path.cwd().resolve(), base.resolve(), *(r.resolve() for r in roots)]
    if not any(_inside(target, root) for root in allowed):
        raise DataError(f"{token(ref)} is outside the project (the current folder and the folder of the file "
                        "naming it)", "move it inside, or pass --allow-outside if you trust this file")
    return target


def token(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message, shortened to ``limit`` characters: at most the offending token."""
    text = str(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
