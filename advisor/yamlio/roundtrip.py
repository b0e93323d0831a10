"""The round-trip parser (ruamel.yaml): the guarded composer and constructor, the tree, its errors as DataError.

ruamel.yaml is imported on first use, inside the functions below: reading JSON or a
cached rule pack must not pay for importing it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
import sys
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from advisor.errors import DataError, Location
from advisor.yamlio.text import MAX_DEPTH, SURROGATE, line_col

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.error import MarkedYAMLError

_STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq")
)



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
            if isinstance(event, ScalarEvent) and SURROGATE.search(event.value or ""):
                raise _Refused("text contains an invalid \\u escape (a lone surrogate)", "write the real character",
                               event.start_mark)
            return super().compose_node(parent, index)


    class _GuardedConstructor(RoundTripConstructor):
        """A constructor that reports values Python cannot build (bad dates, huge numbers) with a position."""

        def construct_document(self, node: Any) -> Any:
            try:
                return super().construct_document(node)
            except BaseException:
                # A failed document leaves ruamel's pending generators behind; closed later by the garbage
                # collector, one for an unknown tag (``=``) raises in ``close``, which Python prints to stderr
                # as "Exception ignored in ..." with a traceback. Close them now and quietly.
                pending, self.state_generators = self.state_generators, []
                for generator in pending:
                    with contextlib.suppress(Exception):
                        generator.close()
                raise

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


def yaml_rt() -> YAML:
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


_DUP_RE = re.compile(r'found duplicate key "(.*?)"')


def roundtrip_tree(text: str, name: str) -> Any:
    """The round-trip tree of ``text``; every refusal is a DataError at its position."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    yaml = yaml_rt()
    try:
        return yaml.load(text)
    except _Refused as exc:
        raise DataError(exc.message, exc.hint, _mark_location(name, exc.mark)) from None
    except MarkedYAMLError as exc:
        raise _yaml_error(name, exc) from None
    except ReaderError as exc:
        line, col = line_col(text[: exc.position])
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


def _char(ch: Any) -> str:
    code = ch if isinstance(ch, int) else ord(str(ch)[:1] or "?")
    return f"U+{code:04X}"



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
