"""JSON text read strictly: no NaN or Infinity, nesting capped, every problem a DataError at line:col."""

from __future__ import annotations

import json
import re
from typing import Any

from advisor.errors import DataError, Location
from advisor.yamlio.text import MAX_DEPTH, line_col

#: A JSON string literal, to its closing quote or, unterminated, to the end of the text (as the character scan
#: reads it), and a bracket: what :func:`_json_depth` looks at outside strings. Every attempt from a quote
#: matches at once (a backslash takes the next character or the end), so the pattern is linear: with a
#: literal that needed its closing quote, each escaped quote of an unterminated one began a new attempt
#: that ran to the end (16 KB of them took 0.7 s, growing with the square of the length).
_STRING = re.compile(r'"[^"\\]*+(?:\\(?:.|\Z)[^"\\]*+)*+(?:"|\Z)', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth(text: str, limit: int) -> int:
    """Offset of the first bracket nested deeper than ``limit`` in JSON ``text`` (-1: none); linear time.

    The brackets outside the string literals are counted after a pattern removed the literals: a record's
    40 to 70 KB of JSON took 3.3 ms character by character, 0.6 ms so, and a command reads every record of
    a folder. The pattern finds the literals a character scan finds (an unterminated one runs to the end),
    so both count the same brackets; where they count past ``limit``, the character scan finds the
    offset."""
    depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return _scan_depth(text, limit)
    return -1


def _scan_depth(text: str, limit: int) -> int:
    """:func:`_json_depth`, one character after another (the offset in ``text`` itself)."""
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return i
        elif ch in "]}":
            depth -= 1
    return -1


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def parse_json(text: str, name: str) -> Any:
    """Parse JSON text strictly: no NaN or Infinity, nesting capped at :data:`MAX_DEPTH`; DataError at line:col."""
    deep = _json_depth(text, MAX_DEPTH)
    if deep >= 0:
        line, col = line_col(text[:deep])
        raise DataError(f"nested deeper than {MAX_DEPTH} levels", "flatten the data or check that this is the "
                        "right file", Location(name, line, col))
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", "fix the JSON syntax", Location(name, exc.lineno, exc.colno)) \
            from None
    except ValueError as exc:  # NaN, Infinity, -Infinity
        at = text.find(str(exc))
        line, col = line_col(text[:at]) if at >= 0 else (0, 0)
        raise DataError(f"{exc} is not a number JSON allows", "write a finite number", Location(name, line, col)) \
            from None
