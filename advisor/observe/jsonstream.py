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
from typing import Any, Literal

__all__ = ["CHUNK", "MAX_ITEM", "Field", "Item", "StreamError", "read_kubectl", "read_list"]

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

    def __init__(self, read: Callable[[int], bytes], line: int | Callable[[], int] = 1, col: int = 1) -> None:
        self._read = read
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.text = ""
        self.pos = 0
        self.eof = False
        self._first_line = line  # line of text[0], or how to count it (only when an error needs it)
        self._line = 0  # lines dropped
        self._col = col  # column of text[0]

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
        first = self._first_line if isinstance(self._first_line, int) else self._first_line()
        newlines = self.text.count("\n", 0, at)
        if newlines:
            return first + self._line + newlines, at - self.text.rfind("\n", 0, at)
        return first + self._line, self._col + at

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


State = Literal["start", "item", "after-item", "after-field"]


def read_list(read: Callable[[int], bytes], *, state: State = "start", line: int | Callable[[], int] = 1,
              col: int = 1) -> Iterator[Item | Field]:
    """Yield the items and the other top-level fields of a JSON object, in stream order.

    ``state`` resumes a stream that :func:`read_kubectl` has read up to a point: inside
    ``items`` before an item, after an item, or after the ``items`` array.
    """
    buf = _Buffer(read, line, col)
    step: str = state
    if step == "start":
        first = buf.skip_ws()
        if first == "":
            raise buf.error("the file is empty", truncated=True)
        if first != "{":
            raise buf.error("not a JSON object (dump with 'kubectl get ... -o json')")
        buf.pos += 1
        if buf.skip_ws() == "}":
            buf.pos += 1
            step = "end"
        else:
            step = "key"
    while step != "end":
        if step == "key":
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
                    step = "after-field"
                else:
                    step = "item"
            else:
                yield Field(key, buf.value())
                step = "after-field"
        elif step == "item":
            yield Item(buf.value())
            step = "after-item"
        elif step == "after-item":
            step = "item" if buf.expect(",]", "',' or ']' after an item") == "," else "after-field"
        else:  # after-field
            step = "key" if buf.expect(",}", "',' or '}'") == "," else "end"
    if buf.skip_ws() != "":
        raise buf.error("extra data after the JSON object")


# ------------------------------------------------------------------ the kubectl fast path

#: ``kubectl get ... -o json`` indents by 4: the items array opens so, and each item closes at 8 spaces
_KUBECTL_ITEMS = b'"items": [\n        {\n            "'
_ITEM_END = b"\n        }"
_NEXT_ITEM = b",\n        "
_ITEMS_END = b"\n    ]"
#: an item followed by the next one (the regular expression engine finds this literal faster than bytes.find,
#: which stumbles over every line's newline-and-indentation)
_BETWEEN = re.compile(re.escape(_ITEM_END + _NEXT_ITEM + b"{"))


def _chain(first: bytes, read: Callable[[int], bytes]) -> Callable[[int], bytes]:
    pending = [first]

    def chained(size: int) -> bytes:
        if pending:
            return pending.pop()
        return read(size)
    return chained


def read_kubectl(read: Callable[[int], bytes], decode: Callable[[memoryview], Any],
                 newlines_before: Callable[[int], int] | None = None) -> Iterator[Item | Field]:
    """:func:`read_list` for the output of ``kubectl get ... -o json``, several times faster.

    kubectl prints every item of a list at the same indentation, so each item ends at
    the next line that is a closing brace indented by 8 spaces (a newline cannot occur
    inside a JSON string). Each such slice is handed to ``decode``, which may read only
    the fields it needs. A slice that does not decode (a prefix of an item is never
    valid JSON, so a wrong guess cannot decode), or any other layout, continues with
    :func:`read_list` from that point, so the result is the same.

    ``newlines_before(offset)`` counts the newlines before a byte offset of the stream
    (a file can be read again); it is asked only when the general reader takes over,
    so that its errors still say the line. Without it, newlines are counted as the
    stream is read.
    """
    first = read(CHUNK)
    at = first.find(b'"items": [')
    if at < 0 or first.find(_KUBECTL_ITEMS) != at or not first.lstrip().startswith(b"{"):
        yield from read_list(_chain(first, read))
        return
    head = first[:at].rstrip()
    try:
        fields = json.loads((head[:-1] if head.endswith(b",") else head).decode("utf-8-sig") + "}")
    except (ValueError, UnicodeDecodeError):
        yield from read_list(_chain(first, read))
        return
    for key, value in fields.items():
        yield Field(key, value)
    buf = bytearray(first)
    pos = buf.index(b"{", at)
    dropped = 0  # bytes of the stream before buf[0]
    counted = 0  # newlines in them (when newlines_before is not given)
    eof = False

    def resume(state: State, at_pos: int) -> Iterator[Item | Field]:
        before, here = dropped, buf.count(b"\n", 0, at_pos)

        def line() -> int:  # counted only if an error is reported
            return (newlines_before(before) if newlines_before is not None else counted) + here + 1
        col = at_pos - buf.rfind(b"\n", 0, at_pos)
        return read_list(_chain(bytes(buf[at_pos:]), read), state=state, line=line, col=col)

    while True:
        found = _BETWEEN.search(buf, pos)
        end = found.start() if found is not None else buf.find(_ITEM_END + _ITEMS_END, pos)  # or the last item
        if end >= 0 and len(buf) - end < 32 and not eof:
            end = -1  # make sure what follows the item is in the buffer too
        if end < 0:
            more = b"" if eof else read(CHUNK)
            if not more:
                if eof or len(buf) - pos > MAX_ITEM:
                    break
                eof = True
                continue
            if newlines_before is None:
                counted += buf.count(b"\n", 0, pos)
            dropped += pos
            del buf[:pos]
            buf += more
            pos = 0
            continue
        stop = end + len(_ITEM_END)
        try:
            with memoryview(buf) as view:
                value = decode(view[pos:stop])
        except ValueError:
            break  # not one item after all: the general reader takes it from here
        yield Item(value)
        if buf.startswith(_NEXT_ITEM, stop) and buf.startswith(b"{", stop + len(_NEXT_ITEM)):
            pos = stop + len(_NEXT_ITEM)
            continue
        if buf.startswith(_ITEMS_END, stop):
            yield from resume("after-field", stop + len(_ITEMS_END))
            return
        yield from resume("after-item", stop)
        return
    yield from resume("item", pos)
