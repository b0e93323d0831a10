"""Read a Kubernetes list (``kubectl get ... -o json`` or an API list response) item by item.

A dump of 300,000 pods is a JSON file of about a gigabyte; loading it whole would
need several times that in Python objects. This reader walks the top-level object
itself and decodes one item of ``items`` at a time with the standard library's C
decoder, so memory stays at one item plus one read buffer, whatever the file size.

Errors carry the line and column in the stream, for ``file:line:col`` messages.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["CHUNK", "MAX_ITEM", "Field", "Item", "StreamError", "read_list"]

#: bytes read at a time
CHUNK = 1 << 20
#: the largest single item accepted (a larger one is hostile or not a Kubernetes object)
MAX_ITEM = 64 << 20

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class StreamError(Exception):
    """The stream is not a JSON object of the expected shape; ``truncated`` when it ended early."""

    def __init__(self, message: str, line: int, col: int, *, truncated: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.truncated = truncated


@dataclass(frozen=True)
class Item:
    """One element of the top-level ``items`` array."""

    value: Any


@dataclass(frozen=True)
class Field:
    """Any other top-level key (``kind``, ``apiVersion``, ``metadata``, ``serverVersion`` ...)."""

    key: str
    value: Any


class _Buffer:
    """Text decoded so far, with the line/column bookkeeping of what was dropped."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.text = ""
        self.pos = 0
        self.eof = False
        self._line = 1  # line of text[0]
        self._col = 1  # column of text[0]

    def more(self) -> bool:
        """Append the next chunk; False at the end of the stream."""
        if self.eof:
            return False
        data = self._read(CHUNK)
        try:
            decoded = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise self.error("not UTF-8 text") from None
        if not data:
            self.eof = True  # positions stay as they are: an error may still point into the text
            self.text += decoded
            return bool(decoded)
        if self.pos > len(self.text) // 2:
            self._drop()
        self.text += decoded
        return True

    def _drop(self) -> None:
        dropped = self.text[: self.pos]
        newlines = dropped.count("\n")
        if newlines:
            self._line += newlines
            self._col = len(dropped) - dropped.rfind("\n")
        else:
            self._col += len(dropped)
        self.text = self.text[self.pos:]
        self.pos = 0

    def where(self, pos: int | None = None) -> tuple[int, int]:
        at = self.pos if pos is None else pos
        newlines = self.text.count("\n", 0, at)
        if newlines:
            return self._line + newlines, at - self.text.rfind("\n", 0, at)
        return self._line, self._col + at

    def error(self, message: str, pos: int | None = None, *, truncated: bool = False) -> StreamError:
        line, col = self.where(pos)
        return StreamError(message, line, col, truncated=truncated)

    def skip_ws(self) -> str:
        """Skip whitespace; return the next character ('' at the end)."""
        while True:
            match = _WS.match(self.text, self.pos)
            assert match is not None
            self.pos = match.end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        ch = self.skip_ws()
        if ch == "":
            raise self.error(f"the file ends where {what} was expected", truncated=True)
        if ch not in chars:
            raise self.error(f"expected {what}, found {ch!r}")
        self.pos += 1
        return ch

    def value(self) -> Any:
        """Decode one JSON value at the current position, reading more as needed."""
        self.skip_ws()
        while True:
            start = self.pos  # more() may drop the text before pos: positions are relative to it
            try:
                value, end = _DECODER.raw_decode(self.text, start)
            except json.JSONDecodeError as exc:
                if len(self.text) - start > MAX_ITEM:
                    raise self.error(f"an item larger than {MAX_ITEM >> 20} MiB (or broken JSON)", start) from None
                if self.more():
                    continue
                truncated = exc.pos >= len(self.text) - 1 or "Unterminated" in exc.msg
                message = ("the file ends in the middle of a value (a truncated dump?)" if truncated
                           else f"invalid JSON: {exc.msg}")
                raise self.error(message, exc.pos, truncated=truncated) from None
            if end >= len(self.text) and not self.eof and self.more():
                continue  # a number may go on in the next chunk
            self.pos = end
            return value


def read_list(read: Callable[[int], bytes]) -> Iterator[Item | Field]:
    """Yield the items and the other top-level fields of a JSON object, in stream order."""
    buf = _Buffer(read)
    first = buf.skip_ws()
    if first == "":
        raise buf.error("the file is empty", truncated=True)
    if first != "{":
        raise buf.error("not a JSON object (dump with 'kubectl get ... -o json')")
    buf.pos += 1
    if buf.skip_ws() == "}":
        buf.pos += 1
    else:
        while True:
            if buf.skip_ws() != '"':
                if buf.skip_ws() == "":
                    raise buf.error("the file ends where a key was expected", truncated=True)
                raise buf.error("expected a key in double quotes")
            key = buf.value()
            buf.expect(":", "':'")
            if key == "items" and buf.skip_ws() == "[":
                buf.pos += 1
                if buf.skip_ws() == "]":
                    buf.pos += 1
                else:
                    while True:
                        yield Item(buf.value())
                        if buf.expect(",]", "',' or ']' after an item") == "]":
                            break
            else:
                yield Field(key, buf.value())
            if buf.expect(",}", "',' or '}'") == "}":
                break
    if buf.skip_ws() != "":
        raise buf.error("extra data after the JSON object")
