"""Writing YAML: dump a round-trip tree, new mappings and sequences, flow style, comments, key removal."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from advisor.yamlio.roundtrip import yaml_rt


def dump(root: Any) -> str:
    """Serialise a round-trip tree (or plain data) to YAML text, comments kept."""
    buf = io.StringIO()
    yaml_rt().dump(root, buf)
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
