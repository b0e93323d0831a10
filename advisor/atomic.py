"""Atomic file writes: a reader sees the old file or the complete new one, never half."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from advisor.errors import DataError, Location

__all__ = ["write_text"]

_EXISTS_HINT = "choose another name; existing files are never overwritten"
_PERM_HINT = "check the directory and its permissions"


def write_text(path: str | os.PathLike[str], text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to ``path`` via a temporary file, fsync and rename.

    With ``exclusive=True`` an existing file is never replaced (DataError instead).
    """
    target = Path(path)
    where = Location(str(path))
    if exclusive and target.exists():
        raise DataError("file already exists", _EXISTS_HINT, where)
    directory = target.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DataError(f"cannot write file ({exc.strerror})", _PERM_HINT, where) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        mode = 0o644
        with contextlib.suppress(OSError):
            mode = target.stat().st_mode & 0o777
        tmp.chmod(mode)
        if exclusive:
            # link() fails if the target appeared meanwhile: no silent overwrite
            os.link(tmp, target)
            tmp.unlink()
        else:
            tmp.replace(target)
        _fsync_dir(directory)
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        raise DataError("file already exists", _EXISTS_HINT, where) from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"cannot write file ({exc.strerror})", _PERM_HINT, where) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
