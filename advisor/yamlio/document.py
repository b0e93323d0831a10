"""A parsed YAML document: its data, the positions of its values and, on demand, the round-trip tree."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from advisor.errors import DataError, Location
from advisor.inputs import MAX_BYTES
from advisor.yamlio.fast import fast_tree, fast_where
from advisor.yamlio.roundtrip import roundtrip_tree, to_plain
from advisor.yamlio.text import kind_of, read_text


class _Unset:
    """The marker of a part of a :class:`Document` not built yet (one instance; pickles as itself)."""

    def __repr__(self) -> str:
        return "<unset>"

    def __reduce__(self) -> str:
        return "_UNSET"


_UNSET: Any = _Unset()


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
            self._root = roundtrip_tree(self.text, self.name)
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
            return fast_where(self.name, self._node, path, key)
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
        doc = Document(name, roundtrip_tree(text, name), text)
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


def _parse_fast(text: str, name: str) -> Document | None:
    """A document from the C parser, or None when the round-trip parser must decide."""
    tree = fast_tree(text)
    return None if tree is None else Document._fast(name, text, *tree)


def load(path: str | os.PathLike[str], *, display: str | None = None, expect: type | None = dict,
         max_bytes: int = MAX_BYTES, roundtrip: bool = True) -> Document:
    """Read and parse a YAML file (see :func:`read_text` and :func:`parse`)."""
    name = display if display is not None else str(path)
    return parse(read_text(path, display=name, max_bytes=max_bytes), name, expect=expect, roundtrip=roundtrip)
