"""Safe writes: atomic file replacement and folder locks.

* :func:`write_text`: a reader sees the old file or the complete new one, never half.
  What is there is respected: a symlink is written through (its target is replaced, the
  link stays), and a device, FIFO, socket or directory is never replaced.
* :func:`locked`: an exclusive ``flock`` on a folder, held while a read-modify-write of
  files in it runs, so that concurrent ``advisor`` processes serialise (re-entrant
  within a thread; separate threads and processes wait for each other).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from advisor.errors import DataError, Location
from advisor.inputs import describe_mode

__all__ = ["locked", "locked_file", "write_text"]

_EXISTS_HINT = "choose another name; existing files are never overwritten"
_PERM_HINT = "check the directory and its permissions"
def _destination(target: Path, where: Location) -> Path:
    """The file to replace: ``target``, or the file a symlink points to; refuse what is not a regular file."""
    try:
        lst = target.lstat()
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise DataError(f"cannot write file ({exc.strerror})", _PERM_HINT, where) from None
    if stat.S_ISLNK(lst.st_mode):
        try:
            real = target.resolve(strict=True)
            st = real.stat()
        except (OSError, RuntimeError):
            raise DataError("is a symlink to a missing file", "give the path of the real file, or remove the "
                            "dangling link", where) from None
        if not stat.S_ISREG(st.st_mode):
            raise DataError(f"is a symlink to {describe_mode(st.st_mode)}, not a regular file; it was left as it is",
                            "give the path of a regular file", where)
        return real  # write through: the link stays, its target gets the new text
    if not stat.S_ISREG(lst.st_mode):
        raise DataError(f"is {describe_mode(lst.st_mode)}, not a regular file; it was left as it is",
                        "give the path of a regular file", where)
    return target


def write_text(path: str | os.PathLike[str], text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to ``path`` via a temporary file, fsync and rename.

    With ``exclusive=True`` an existing file (or link, or anything) is never replaced
    (DataError instead). Otherwise a symlink is written through to its target and a
    non-regular file (device, FIFO, socket, directory) is refused, left untouched.
    """
    target = Path(path)
    where = Location(str(path))
    if exclusive and (target.exists() or target.is_symlink()):
        raise DataError("file already exists", _EXISTS_HINT, where)
    if not exclusive:
        target = _destination(target, where)
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


# --------------------------------------------------------------------------- folder locks

_held = threading.local()


@contextlib.contextmanager
def locked(directory: str | os.PathLike[str], *, on_wait: Callable[[], None] | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on ``directory`` (created when missing) for the ``with`` block.

    The lock is ``flock`` on the folder itself: no lock file is left behind, and the
    kernel releases it when the process dies (a SIGKILL never leaves a stale lock).
    ``on_wait`` is called once when another process holds the lock and we wait.
    """
    base = Path(directory)
    where = Location(str(directory))
    try:
        base.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(base)
    except OSError as exc:
        raise DataError(f"cannot create the folder ({exc.strerror})", _PERM_HINT, where) from None
    depth: dict[str, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(key):
        depth[key] += 1
        try:
            yield base
        finally:
            depth[key] -= 1
        return
    try:
        fd = os.open(key, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise DataError(f"cannot open the folder ({exc.strerror})", _PERM_HINT, where) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        depth[key] = 1
        try:
            yield base
        finally:
            depth.pop(key, None)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def locked_file(path: str | os.PathLike[str], *, on_wait: Callable[[], None] | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on the regular file ``path`` for a read-modify-write.

    :func:`write_text` replaces a file by renaming a new one over it, so the lock is
    taken on the file that is there and, once held, checked to still be the file at
    ``path`` (else taken again on the new one). A path that does not exist yet is not
    locked (nothing is read from it, so no answer can be lost); anything but a regular
    file is not locked either (reading it fails with a clear message anyway).
    """
    target = Path(path)
    while True:
        try:
            fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError:
            yield target  # a new file: nothing is read, so nothing can be lost; the last writer wins
            return
        except OSError:
            yield target
            return
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                yield target
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    on_wait()
                    on_wait = None
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                now = target.stat()
            except OSError:
                continue
            if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
                continue  # replaced while we waited: lock the new file
            yield target
            return
        finally:
            os.close(fd)
