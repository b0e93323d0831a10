"""Input text: UTF-8 decoding with the position of the first bad byte, line and column, the nesting cap."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from advisor.errors import DataError, Location
from advisor.inputs import MAX_BYTES, read_bytes

#: Deepest nesting of mappings and sequences accepted.
MAX_DEPTH = 48

#: A lone surrogate (an invalid ``\\u`` escape) in a double-quoted scalar.
SURROGATE = re.compile("[\ud800-\udfff]")


def read_text(path: str | os.PathLike[str], *, display: str | None = None, max_bytes: int = MAX_BYTES,
              kind: str = "YAML") -> str:
    """Read a UTF-8 text file with a size cap; every failure is one clear line.

    Only a regular file is read (a symlink to one is fine): a FIFO, device, socket or
    directory is refused at once, without reading or blocking on it. The size cap is
    checked on the open file before any byte is read, and no more than the cap is read
    even when the file grows meanwhile. ``kind`` names the expected format in messages.
    """
    name = display if display is not None else str(path)
    data = read_bytes(path, display=name, max_bytes=max_bytes, kind=kind)
    return decode(data, name, kind=kind)


def decode(data: bytes, name: str, *, kind: str = "YAML") -> str:
    """Decode UTF-8 text, refusing binary data with the position of the first bad byte."""
    if _utf16_or_32(data):
        raise DataError("text is UTF-16 or UTF-32 encoded, not UTF-8", "save the file as UTF-8", Location(name, 1, 1))
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = line_col(data[:nul])
        raise DataError(f"binary data (NUL byte), not a {kind} text file", "check that this is the right file",
                        Location(name, line, col))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = line_col(data[: exc.start])
        raise DataError(
            "not valid UTF-8 text", "save the file as UTF-8", Location(name, line, col)
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _utf16_or_32(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        return True
    head = data[:256]
    if len(head) < 4 or len(head) % 2:
        return False
    # ASCII text in UTF-16: every other byte is NUL
    return head[1::2].count(0) == len(head) // 2 or head[0::2].count(0) == len(head) // 2


def line_col(prefix: bytes | str) -> tuple[int, int]:
    """1-based line and column (in characters) just after ``prefix``."""
    if isinstance(prefix, bytes):
        prefix = prefix.decode("utf-8", errors="replace").removeprefix("\ufeff")
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    return line, col



def kind_of(value: Any) -> str:
    """What a YAML value is, for messages: 'a mapping', 'a list', 'a string', 'nothing' ..."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
