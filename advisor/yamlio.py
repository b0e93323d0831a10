"""YAML in and out: the only module that touches ruamel.yaml.

Loading is defensive because every file is user input: size caps, UTF-8 text only,
one document, no anchors or aliases (no alias bombs), no custom tags, a nesting cap
(no recursion blow-ups), duplicate keys rejected. Every failure is a
:class:`~advisor.errors.DataError` with ``file:line:col``.

Documents keep ruamel's round-trip nodes so that positions can be reported
(:meth:`Document.where`) and comments survive a rewrite (:func:`dump`).
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.error import MarkedYAMLError

# ruamel.yaml is imported on first use, inside the functions below: reading JSON or a
# cached rule pack must not pay for importing it.

from advisor.errors import DataError, Location
from advisor.inputs import MAX_BYTES, read_bytes

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "Document",
    "dump",
    "kind_of",
    "load",
    "new_map",
    "new_seq",
    "parse",
    "parse_json",
    "read_text",
    "set_comment",
]

#: Deepest nesting of mappings and sequences accepted.
MAX_DEPTH = 48

_STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
)


_SURROGATE = re.compile("[\ud800-\udfff]")


@cache
def _guarded() -> tuple[type[Composer], type[RoundTripConstructor]]:
    """The composer and constructor classes, built on first use (they subclass ruamel's)."""
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.events import AliasEvent, ScalarEvent
    from ruamel.yaml.nodes import MappingNode

    class _GuardedComposer(Composer):
        """A composer that refuses anchors, aliases and custom tags."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.parser.check_event(AliasEvent):
                event = self.parser.peek_event()
                raise _Refused(
                    "YAML aliases (*name) are not accepted",
                    "write the value out in full",
                    event.start_mark,
                )
            event = self.parser.peek_event()
            if getattr(event, "anchor", None) is not None:
                raise _Refused(
                    f"YAML anchors (&{event.anchor}) are not accepted",
                    "write the value out in full",
                    event.start_mark,
                )
            tag = getattr(event, "ctag", None) or getattr(event, "tag", None)
            tag_text = str(tag) if tag is not None else None
            if tag_text is not None and tag_text not in ("!", "?") and tag_text not in _STANDARD_TAGS:
                standard = tag_text.startswith("tag:yaml.org,2002:")
                shown = "!!" + tag_text.removeprefix("tag:yaml.org,2002:") if standard else tag_text
                raise _Refused(
                    f"YAML tag {shown!r} is not accepted",
                    "remove the tag; plain values are enough",
                    event.start_mark,
                )
            if isinstance(parent, MappingNode) and index is None and not isinstance(event, ScalarEvent):
                raise _Refused("a mapping key must be a plain name", "write the key as text", event.start_mark)
            if isinstance(event, ScalarEvent) and _SURROGATE.search(event.value or ""):
                raise _Refused("text contains an invalid \\u escape (a lone surrogate)", "write the real character",
                               event.start_mark)
            return super().compose_node(parent, index)


    class _GuardedConstructor(RoundTripConstructor):
        """A constructor that reports values Python cannot build (bad dates, huge numbers) with a position."""

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            try:
                data = super().construct_object(node, deep)
                if isinstance(data, int) and not isinstance(data, bool) and abs(int(data)).bit_length() > 63:
                    raise _Refused("number is too large (more than 18 digits)", "use a smaller number", node.start_mark)
                return data
            except (ValueError, OverflowError):
                kind = {"int": "an integer", "float": "a number", "timestamp": "a date"}.get(
                    str(node.tag).rsplit(":", 1)[-1], "a value")
                value = str(node.value) if isinstance(node.value, str) else ""
                if kind == "an integer" and len(value) > 18:
                    raise _Refused("number is too large (more than 18 digits)", "use a smaller number",
                                   node.start_mark) from None
                shown = repr(value if len(value) <= 40 else value[:37] + "...")
                raise _Refused(f"{shown} cannot be read as {kind}", "fix the value, or quote it to keep it as text",
                               node.start_mark) from None

    return _GuardedComposer, _GuardedConstructor


class _Refused(Exception):
    def __init__(self, message: str, hint: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.mark = mark


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt", pure=True)
    yaml.Composer, yaml.Constructor = _guarded()
    yaml.allow_duplicate_keys = False
    yaml.max_depth = MAX_DEPTH
    yaml.indent(mapping=2, sequence=4, offset=2)
    # never fold long lines: a folded flow mapping ends lines with a space, and a hand-written
    # long line would not come back byte for byte after a load and dump
    yaml.width = 1_000_000
    yaml.preserve_quotes = True
    return yaml


class Document:
    """A parsed YAML file: its data, the positions of its values and, on demand, the round-trip tree.

    A document parsed with ``roundtrip=False`` (see :func:`parse`) holds plain data and
    the C parser's nodes (for positions); its round-trip tree is parsed from ``text``
    on first use of :attr:`root`.
    """

    __slots__ = ("_data", "_node", "_root", "name", "text")

    def __init__(self, name: str, root: Any = None, text: str = "") -> None:
        self.name = name
        #: The source text (for positions inside a value); empty for documents built in memory.
        self.text = text
        self._root = root
        self._data: Any = _UNSET
        self._node: Any = None

    @classmethod
    def _fast(cls, name: str, text: str, data: Any, node: Any) -> Document:
        doc = cls(name, _UNSET, text)
        doc._data, doc._node = data, node
        return doc

    def __repr__(self) -> str:
        return f"Document({self.name!r})"

    @property
    def root(self) -> Any:
        """The round-trip tree (ruamel's commented mappings and sequences), keeping comments and quotes."""
        if self._root is _UNSET:
            self._root = _roundtrip(self.text, self.name)
        return self._root

    @root.setter
    def root(self, value: Any) -> None:
        self._root = value

    def plain(self) -> Any:
        """The data as plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``.

        The data of a document parsed with ``roundtrip=False`` is shared between calls:
        read it, do not change it.
        """
        if self._data is not _UNSET:
            return self._data
        return to_plain(self.root)

    def where(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """Location of the value at ``path`` (or of its key with ``key=True``).

        Walks as far as the path exists and points at the deepest part found, so a
        missing key points at the mapping that should hold it.
        """
        if self._data is not _UNSET:
            return _fast_where(self.name, self._node, path, key)
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        node = self.root
        line, col = _node_pos(node)
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, CommentedMap) and part in node:
                # an empty value (``key:``) has no position of its own: ruamel gives the next line's
                pos = node.lc.key(part) if (key and last) or node[part] is None else node.lc.value(part)
                if pos is None:  # a key merged in by '<<' has no position of its own
                    break
                line, col = pos
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.item(part)
                node = node[part]
            else:
                break
        return Location(self.name, line + 1, col + 1)


def _node_pos(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return int(lc.line), int(lc.col)
    return 0, 0


def to_plain(node: Any) -> Any:
    """Convert ruamel round-trip objects into plain Python values."""
    if isinstance(node, Mapping):
        return {str(k) if not isinstance(k, (int, float, bool)) else k: to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, (_dt.datetime, _dt.date)):
        return node.isoformat()
    comments = sys.modules.get("ruamel.yaml.comments")  # loaded when the node came from YAML
    if comments is not None and isinstance(node, comments.TaggedScalar):  # an explicit !!str
        return "" if node.value is None else str(node.value)
    return node


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
        line, col = _line_col(data[:nul])
        raise DataError(f"binary data (NUL byte), not a {kind} text file", "check that this is the right file",
                        Location(name, line, col))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data[: exc.start])
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


def _line_col(prefix: bytes | str) -> tuple[int, int]:
    """1-based line and column (in characters) just after ``prefix``."""
    if isinstance(prefix, bytes):
        prefix = prefix.decode("utf-8", errors="replace").removeprefix("\ufeff")
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    return line, col


_DUP_RE = re.compile(r'found duplicate key "(.*?)"')


def parse(text: str, name: str, *, expect: type | None = dict, roundtrip: bool = True) -> Document:
    """Parse one YAML document. ``expect`` (dict, list or None) checks the top level.

    ``roundtrip=False`` is for callers that read the data (:meth:`Document.plain`) and
    positions (:meth:`Document.where`) but do not rewrite the file: the text is parsed
    by the C parser (libyaml) when it can vouch for the same result, which is about ten
    times faster; any file it does not accept outright (a syntax error, an anchor, a tag,
    a duplicate key, a number or date it does not construct exactly as the round-trip
    parser does ...) goes through the round-trip parser, so the data, the refusals and
    their ``file:line:col`` are those of the round-trip parser either way.
    """
    doc = None if roundtrip else _parse_fast(text, name)
    if doc is None:
        doc = Document(name, _roundtrip(text, name), text)
    if expect is not None:
        root = doc.root if doc._data is _UNSET else doc._data
        if root is None:
            raise DataError(
                "file is empty", f"expected a YAML {'mapping' if expect is dict else 'list'}", Location(name, 1, 1)
            )
        wanted = Mapping if expect is dict else list
        if not isinstance(root, wanted):
            got = kind_of(root)
            raise DataError(
                f"expected a mapping (key: value lines) at the top level, got {got}"
                if expect is dict
                else f"expected a list at the top level, got {got}",
                "see the format documented in docs/",
                doc.where(()),
            )
    return doc


def _roundtrip(text: str, name: str) -> Any:
    """The round-trip tree of ``text``; every refusal is a DataError at its position."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = _yaml()
    try:
        return yaml.load(text)
    except _Refused as exc:
        raise DataError(exc.message, exc.hint, _mark_location(name, exc.mark)) from None
    except MarkedYAMLError as exc:
        raise _yaml_error(name, exc) from None
    except ReaderError as exc:
        line, col = _line_col(text[: exc.position])
        raise DataError(
            f"character {_char(exc.character)} is not allowed in YAML",
            "remove control characters from the file",
            Location(name, line, col),
        ) from None
    except (YAMLError, RecursionError, ValueError) as exc:
        raise DataError(f"invalid YAML ({type(exc).__name__})", "check the file's syntax", Location(name)) from None
    except Exception as exc:  # noqa: BLE001 - the parser itself failing on odd input (IndexError, NotImplementedError)
        raise DataError(f"invalid YAML ({type(exc).__name__} in the parser)", "check the file's syntax",
                        Location(name)) from None


# --------------------------------------------------------------------------- the fast path
# libyaml (through PyYAML's C parser) builds the node tree; the plain data is built
# from it here, resolving plain scalars by the YAML 1.2 rules of the round-trip parser
# (ruamel's resolver, copied below) and constructing only what is certain to give the
# same value. Anything else is declined and the round-trip parser decides: it refuses
# what it refuses today (with its message and position) and builds what it accepts.
# No anchor can reach the node tree (a text that may hold one is declined before
# parsing), so no alias is ever expanded here.

class _Unset:
    """The marker of a part of a :class:`Document` not built yet (one instance; pickles as itself)."""

    def __repr__(self) -> str:
        return "<unset>"

    def __reduce__(self) -> str:
        return "_UNSET"


_UNSET: Any = _Unset()


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
#: BOM).
_DECLINE_TEXT = re.compile(
    r"(?<!\w)&(?!\s)|^%|[|>][-+0-9]*#"
    "|[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]",
    re.M,
)
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
        if node.style == '"' and _SURROGATE.search(value):
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


def _parse_fast(text: str, name: str) -> Document | None:
    """A document from the C parser, or None when the round-trip parser must decide."""
    if _DECLINE_TEXT.search(text):
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
    return Document._fast(name, text, data, node)


def _pairs(node: Any) -> dict[Any, tuple[Any, Any]]:
    """A mapping node's (key node, value node) pairs by key: built on the first lookup, then kept on the node."""
    pairs: dict[Any, tuple[Any, Any]] | None = node.__dict__.get("_advisor_pairs")
    if pairs is None:
        pairs = {}
        for pair in node.value:
            pairs.setdefault(_key(pair[0]), pair)
        node._advisor_pairs = pairs
    return pairs


def _fast_where(name: str, node: Any, path: Sequence[str | int], key: bool) -> Location:
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


def _char(ch: Any) -> str:
    code = ch if isinstance(ch, int) else ord(str(ch)[:1] or "?")
    return f"U+{code:04X}"


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


def _mark_location(name: str, mark: Any) -> Location:
    if mark is None:
        return Location(name)
    return Location(name, int(mark.line) + 1, int(mark.column) + 1)


def _yaml_error(name: str, exc: MarkedYAMLError) -> DataError:
    mark = exc.problem_mark or exc.context_mark
    where = _mark_location(name, mark)
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    dup = _DUP_RE.search(problem)
    if dup:
        first = exc.context_mark
        extra = f" (the mapping starts at line {first.line + 1})" if first is not None else ""
        return DataError(f"duplicate key {dup.group(1)!r}{extra}", "each key may appear once; remove or rename one",
                         where)
    if "maximum depth" in problem:
        return DataError(f"nesting is deeper than {MAX_DEPTH} levels", "flatten the structure", where)
    if "another document" in problem or "expected a single document" in problem:
        return DataError("more than one YAML document (---) in the file", "keep one document per file", where)
    if "'\\t'" in problem:
        return DataError("tab character in the indentation", "indent with spaces, not tabs", where)
    if "end of stream" in problem and "quoted scalar" in str(exc.context or ""):
        return DataError("quoted text is never closed", "add the closing quote", _mark_location(name, exc.context_mark))
    if "expected <block end>" in problem:
        return DataError("invalid YAML: this line is not aligned with the lines above",
                         "check the indentation", where)
    if "mapping values are not allowed here" in problem:
        return DataError("invalid YAML: ':' not allowed here",
                         "quote a value that contains ': ', or check the indentation", where)
    problem = problem.split("\n")[0]
    return DataError(f"invalid YAML: {problem}", "fix the syntax at this position", where)


def load(path: str | os.PathLike[str], *, display: str | None = None, expect: type | None = dict,
         max_bytes: int = MAX_BYTES, roundtrip: bool = True) -> Document:
    """Read and parse a YAML file (see :func:`read_text` and :func:`parse`)."""
    name = display if display is not None else str(path)
    return parse(read_text(path, display=name, max_bytes=max_bytes), name, expect=expect, roundtrip=roundtrip)


def dump(root: Any) -> str:
    """Serialise a round-trip tree (or plain data) to YAML text, comments kept."""
    buf = io.StringIO()
    _yaml().dump(root, buf)
    return buf.getvalue()


def new_map(items: Mapping[str, Any] | None = None) -> Any:
    """A new round-trip mapping (keeps order and comments when dumped)."""
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap(items or {})


def new_seq(items: Sequence[Any] = ()) -> Any:
    """A new round-trip sequence."""
    from ruamel.yaml.comments import CommentedSeq

    return CommentedSeq(items)


def flow(node: Any) -> Any:
    """Mark a mapping or sequence to be written in flow style (``{a: 1}`` / ``[a, b]``)."""
    node.fa.set_flow_style()
    return node


def set_comment(mapping: Any, key: str, text: str, *, column: int | None = None) -> None:
    """Put ``# text`` at the end of the line that holds ``key``."""
    mapping.yaml_add_eol_comment(text, key, column=column)


def comment_before(mapping: Any, key: str, text: str) -> None:
    """Put a ``# text`` line before ``key`` (replacing the one added by us before)."""
    mapping.yaml_set_comment_before_after_key(key, before=text)


def eol_comment(mapping: Any, key: str) -> str | None:
    """The text of the ``# comment`` at the end of ``key``'s line, if any."""
    entry = getattr(mapping, "ca", None) and mapping.ca.items.get(key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return None
    first = token.value.partition("\n")[0].strip()
    return first.removeprefix("#").strip() or None


def remove_key(mapping: Any, key: str) -> None:
    """Delete ``key``, keeping the comment lines that followed its line (they belong to what comes next)."""
    keys = list(mapping)
    index = keys.index(key)
    entry = mapping.ca.items.pop(key, None) if hasattr(mapping, "ca") else None
    del mapping[key]
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return
    following = token.value.partition("\n")[2]
    if not following.strip():
        return
    if index > 0:
        before = mapping.ca.items.setdefault(keys[index - 1], [None, None, None, None])
        if before[2] is None:
            token.value = "\n" + following  # no end-of-line comment, then the lines
            before[2] = token
        else:
            before[2].value = before[2].value.rstrip("\n") + "\n" + following
    elif len(mapping):
        lines = [line.strip().removeprefix("#").strip() for line in following.splitlines() if line.strip()]
        mapping.yaml_set_comment_before_after_key(next(iter(mapping)), before="\n".join(lines), indent=2)


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
        line, col = _line_col(text[:deep])
        raise DataError(f"nested deeper than {MAX_DEPTH} levels", "flatten the data or check that this is the "
                        "right file", Location(name, line, col))
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", "fix the JSON syntax", Location(name, exc.lineno, exc.colno)) \
            from None
    except ValueError as exc:  # NaN, Infinity, -Infinity
        at = text.find(str(exc))
        line, col = _line_col(text[:at]) if at >= 0 else (0, 0)
        raise DataError(f"{exc} is not a number JSON allows", "write a finite number", Location(name, line, col)) \
            from None
