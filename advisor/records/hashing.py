"""Hashes a record keeps: of the profile file, of each rule pack folder, of the layered packs."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from advisor.errors import DataError, Location
from advisor.records.model import PackInfo


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: A rule pack is a few hundred small files: a folder far beyond these is not one (never hashed whole).
MAX_PACK_FILES = 5000
MAX_PACK_BYTES = 64 * 1024 * 1024
_CHUNK = 1 << 20


def _feed(h: Any, path: Path, where: Location) -> int:
    """Stream a regular file into ``h`` in fixed-size chunks; its length."""
    size = 0
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise DataError("not a regular file", "give the path of a regular file", where)
        with os.fdopen(fd, "rb", buffering=0) as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror})", "check the path and permissions", where) from None
    return size


def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a regular file, read in chunks (constant memory)."""
    h = hashlib.sha256()
    _feed(h, Path(path), Location(str(path)))
    return h.hexdigest()


def pack_sha256(root: str | os.PathLike[str]) -> str:
    """Hash of a rule pack folder: every regular file (hidden ones and caches excluded).

    Files are taken in order of their relative POSIX path; for each, the path, a NUL
    byte, the file's length as 8 big-endian bytes and its bytes feed one sha256. Files
    are streamed; symlinks to folders are not followed. A folder with more than
    :data:`MAX_PACK_FILES` files or :data:`MAX_PACK_BYTES` bytes is refused (DataError):
    it is not a rule pack.
    """
    base = Path(root)
    where = Location(str(root))
    files: list[tuple[str, Path, int]] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        for name in filenames:
            if name.startswith("."):
                continue
            full = Path(dirpath) / name
            try:
                st = full.stat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            files.append((full.relative_to(base).as_posix(), full, st.st_size))
            total += st.st_size
            if len(files) > MAX_PACK_FILES or total > MAX_PACK_BYTES:
                raise DataError(f"not a rule pack: more than {MAX_PACK_FILES:,} files or {MAX_PACK_BYTES:,} bytes",
                                "give the folder of a rule pack (the one holding pack.yaml)", where)
    h = hashlib.sha256()
    for rel, full, size in sorted(files):
        h.update(rel.encode("utf-8") + b"\0" + size.to_bytes(8, "big"))
        if _feed(h, full, Location(str(full))) != size:
            raise DataError("the file changed while it was hashed", "run the command again", Location(str(full)))
    return h.hexdigest()


def rules_sha256(packs: Sequence[PackInfo]) -> str:
    """Hash of the layered packs: their ``name@version:sha256`` lines in layer order."""
    text = "".join(f"{p.name}@{p.version}:{p.sha256}\n" for p in packs)
    return sha256_hex(text.encode("utf-8"))


# --------------------------------------------------------------------------- dates, names


#: The file that makes a folder a rule pack (format 2: see :mod:`advisor.decide.packs`).
PACK_FILE = "pack.yaml"
#: ``resolve(pack path as recorded) -> folder`` ("rules" is the bundled pack).
ResolvePack = Callable[[str], Path]


def current_hashes(packs: Sequence[PackInfo], resolve_pack: ResolvePack | None) -> list[str | None]:
    out: list[str | None] = []
    for p in packs:
        try:
            root = resolve_pack(p.path) if resolve_pack is not None else Path(p.path)
            # only a rule pack (a folder with pack.yaml) is hashed: never a whole tree a record names
            out.append(pack_sha256(root) if (root / PACK_FILE).is_file() else None)
        except DataError:
            out.append(None)
    return out
