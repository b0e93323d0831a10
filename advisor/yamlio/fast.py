"""The fast path: libyaml (through PyYAML's C parser) builds the node tree, the plain data is built here.

Plain scalars are resolved by the YAML 1.2 rules of the round-trip parser (ruamel's
resolver, copied below), and only what is certain to give the same value is
constructed. Anything else is declined and the round-trip parser decides: it refuses
what it refuses today (with its message and position) and builds what it accepts.
No anchor can reach the node tree (a text that may hold one is declined before
parsing), so no alias is ever expanded here.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from advisor.errors import Location
from advisor.yamlio.text import MAX_DEPTH, SURROGATE


class _Decline(Exception):
    """The fast path cannot vouch for this text: the round-trip parser decides."""


#: Plain, quoted (or block) and other scalars, as marked by :meth:`_FastParser.resolve`.
_PLAIN, _TEXT, _OTHER = "?plain", "?text", "?other"
_SEQ, _MAP = "?seq", "?map"

# ruamel's implicit resolvers for YAML 1.2 (ruamel/yaml/resolver.py), tried in this order
_R_FLOAT = re.compile(r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)""", re.X)
_R_INT = re.compile(r"[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+")
_R_TIMESTAMP = re.compile(r"""[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
    (?:[Tt]|[ \t]+)[0-9][0-9]?
    :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
    (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?""", re.X)
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset(("~", "null", "Null", "NULL"))
_NUMBER_START = frozenset("-+0123456789.")
_DIGITS = frozenset("0123456789")

# what the fast path constructs itself: decimal integers of at most 18 digits (the cap),
# finite decimal floats without '_', and dates
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")

#: Texts the fast path declines before parsing: a possible anchor (``&name`` starting a
#: node), a directive (``%YAML 1.1`` changes the types), a block scalar header with a
#: comment not separated by a space (libyaml accepts it), a character the round-trip
#: reader refuses or treats differently (controls, tabs, NEL, line and paragraph separators,
#: BOM). :func:`_declines` looks for them.
_DECLINE_SYNTAX = re.compile(r"(?<!\w)&(?!\s)|^%|[|>][-+0-9]*#", re.M)
_DECLINE_CHARS = re.compile("[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
#: The bytes an ASCII text may hold (printable ASCII, line feed, carriage return).
_ASCII_KEPT = bytes(range(0x20, 0x7F)) + b"\n\r"


def _declines(text: str) -> bool:
    """Whether the fast path declines ``text`` (see above). One pattern of both parts took 5.5 s on a 100 MB
    text (a nesting bomb of the hostile corpus: 55 ns a character) that the round-trip parser refuses at its
    48th line. The syntax is looked for only where its characters occur at all, and an ASCII text's characters
    with ``bytes.translate``: 0.1 s on those 100 MB (tests/test_yamlio_fast.py checks that both agree)."""
    if ("&" in text or "%" in text or "#" in text) and _DECLINE_SYNTAX.search(text):
        return True
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _ASCII_KEPT))
    return _DECLINE_CHARS.search(text) is not None


#: Nodes nested deeper than this go to the round-trip parser (which enforces MAX_DEPTH).
_FAST_DEPTH = MAX_DEPTH - 4


def _plain_scalar(value: str) -> Any:
    """The value of a plain scalar as the round-trip parser builds it (to_plain), or _Decline."""
    if not value:
        return None
    first = value[0]
    if first in _NUMBER_START:
        if _R_FLOAT.fullmatch(value):
            if _FLOAT.fullmatch(value):
                number = float(value)
                if math.isfinite(number):
                    return number
            raise _Decline
        if first != "." and _R_INT.fullmatch(value):
            if _INT.fullmatch(value):
                return int(value)
            raise _Decline
        if first in _DIGITS and _R_TIMESTAMP.fullmatch(value):
            date = _DATE.fullmatch(value)
            if date is None:
                raise _Decline  # a time of day: the round-trip parser's time zones are its own
            try:
                _dt.date(int(date[1]), int(date[2]), int(date[3]))
            except ValueError:
                raise _Decline from None
            return value  # its isoformat
        return value
    if first in "tTfF":
        return _BOOLS.get(value, value)
    if first in "~nN":
        return None if value in _NULLS else value
    if value in ("<<", "="):
        raise _Decline  # merge key, value key
    return value


def _scalar(node: Any) -> Any:
    """The plain value of a scalar node (a mapping or sequence node is declined: its tag is not a scalar's)."""
    tag = node.tag
    if tag == _PLAIN:
        return _plain_scalar(node.value)
    if tag == _TEXT:
        value: str = node.value
        if node.style == '"' and SURROGATE.search(value):
            raise _Decline
        return value
    raise _Decline  # an explicit tag


def _key(node: Any) -> Any:
    """A mapping key: text, a number or a boolean (a null or a date as a key, a mapping or a sequence are declined)."""
    key = _scalar(node)
    if key is None or (node.tag == _PLAIN and isinstance(key, str) and _DATE.fullmatch(key)):
        raise _Decline  # the round-trip tree keys it by the value, to_plain by its text: positions differ
    return key


def _build(node: Any, depth: int) -> Any:
    tag = node.tag
    if tag == _MAP:
        if depth >= _FAST_DEPTH:
            raise _Decline
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            if key in out:
                raise _Decline  # a duplicate key (or keys equal as values: 1 and 1.0)
            out[key] = _build(value_node, depth + 1)
        return out
    if tag == _SEQ:
        if depth >= _FAST_DEPTH:
            raise _Decline
        return [_build(item, depth + 1) for item in node.value]
    return _scalar(node)


@cache
def _fast_parser() -> type | None:
    """PyYAML's C parser with the resolver marks above, or None (no libyaml, or one without a nesting cap)."""
    try:
        from yaml import YAMLError
        from yaml.cyaml import CParser
    except ImportError:
        return None

    class _FastParser(CParser):  # type: ignore[misc]
        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            name = kind.__name__
            if name == "ScalarNode":
                return _PLAIN if implicit[0] else _TEXT if implicit[1] else _OTHER
            if not implicit:
                return _OTHER
            return _SEQ if name == "SequenceNode" else _MAP

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass

    # the composer of the C parser recurses in C: use it only where libyaml caps the nesting
    try:
        _FastParser("[" * 5000 + "]" * 5000).get_single_node()
    except YAMLError:
        return _FastParser
    return None



def fast_tree(text: str) -> tuple[Any, Any] | None:
    """The plain data and the C parser's root node of ``text``, or None when the round-trip parser must decide."""
    if _declines(text):
        return None
    parser = _fast_parser()
    if parser is None:
        return None
    try:
        loader = parser(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
        data = None if node is None else _build(node, 1)
    except Exception:  # noqa: BLE001 - any failure: the round-trip parser decides and reports
        return None
    return data, node


def _pairs(node: Any) -> dict[Any, tuple[Any, Any]]:
    """A mapping node's (key node, value node) pairs by key: built on the first lookup, then kept on the node."""
    pairs: dict[Any, tuple[Any, Any]] | None = node.__dict__.get("_advisor_pairs")
    if pairs is None:
        pairs = {}
        for pair in node.value:
            pairs.setdefault(_key(pair[0]), pair)
        node._advisor_pairs = pairs
    return pairs


def fast_where(name: str, node: Any, path: Sequence[str | int], key: bool) -> Location:
    """:meth:`Document.where` on the C parser's nodes (the same positions as the round-trip tree's)."""
    if node is None or node.tag not in (_MAP, _SEQ):
        return Location(name, 1, 1)  # a scalar document has no position of its own
    mark = node.start_mark
    line, col = mark.line, mark.column
    for i, part in enumerate(path):
        if node.tag == _MAP:
            pair = _pairs(node).get(part)
            if pair is None:
                break
            key_node, value_node = pair
            empty = value_node.tag not in (_MAP, _SEQ) and _scalar(value_node) is None
            mark = key_node.start_mark if (key and i == len(path) - 1) or empty else value_node.start_mark
            node = value_node
        elif node.tag == _SEQ and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            break
        line, col = mark.line, mark.column
    return Location(name, line + 1, col + 1)
