"""JSON text read strictly: no NaN or Infinity, nesting capped, every problem a DataError at line:col."""

from __future__ import annotations

import json
from typing import Any

from advisor.errors import DataError, Location
from advisor.yamlio.text import MAX_DEPTH, line_col


def _json_depth(text: str, limit: int) -> int:
    """Offset of the first bracket nested deeper than ``limit`` in JSON ``text`` (-1: none); linear time."""
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
