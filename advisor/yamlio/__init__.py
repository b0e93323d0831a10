"""YAML in and out: the only module that touches ruamel.yaml.

Loading is defensive because every file is user input: size caps, UTF-8 text only,
one document, no anchors or aliases (no alias bombs), no custom tags, a nesting cap
(no recursion blow-ups), duplicate keys rejected. Every failure is a
:class:`~advisor.errors.DataError` with ``file:line:col``.

Documents keep ruamel's round-trip nodes so that positions can be reported
(:meth:`Document.where`) and comments survive a rewrite (:func:`dump`).

The package, one concept per module: :mod:`~advisor.yamlio.text` (bytes to text,
positions, the nesting cap), :mod:`~advisor.yamlio.roundtrip` (ruamel's parser, guarded),
:mod:`~advisor.yamlio.fast` (libyaml's C parser where it gives the same result),
:mod:`~advisor.yamlio.document` (:class:`Document`, :func:`parse`, :func:`load`),
:mod:`~advisor.yamlio.edit` (writing) and :mod:`~advisor.yamlio.jsontext` (strict JSON).
ruamel.yaml and PyYAML are imported on first use only.
"""

from __future__ import annotations

from advisor.inputs import MAX_BYTES
from advisor.yamlio.document import Document, load, parse
from advisor.yamlio.edit import comment_before, dump, eol_comment, flow, new_map, new_seq, remove_key, set_comment
from advisor.yamlio.jsontext import parse_json
from advisor.yamlio.roundtrip import to_plain
from advisor.yamlio.text import MAX_DEPTH, decode, kind_of, read_text

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "Document",
    "comment_before",
    "decode",
    "dump",
    "eol_comment",
    "flow",
    "kind_of",
    "load",
    "new_map",
    "new_seq",
    "parse",
    "parse_json",
    "read_text",
    "remove_key",
    "set_comment",
    "to_plain",
]
