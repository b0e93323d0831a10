"""Escaping of user-controlled text in one place: markdown, HTML, links, shell lines, terminals.

Names, titles, paths, notes and rule texts reach decision records, the records index
and terminal listings. Everything that is not ours goes through these functions:
:func:`inline` for text in paragraphs and table cells (no markup, no HTML, no line
breaks), :func:`code` for code spans, :func:`url` for link targets (``https`` and
``http`` only), :func:`shell_block` for a command in a fenced block (the words
quoted with ``shlex.join`` by whoever built it), and :func:`terminal` for text
printed to a terminal (control characters and escape sequences removed).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["code", "inline", "shell_block", "terminal", "url"]

_SAFE_SCHEMES = ("https://", "http://")
_MARKUP = ("\\", "|", "*", "_", "`", "[", "]", "#", "!")
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|.)?")


def terminal(text: Any) -> str:
    """``text`` without escape sequences or control characters (tabs and newlines become spaces)."""
    out = _ESCAPE_SEQUENCE.sub("", str(text))
    if out.isprintable():  # the common case, without a pass in Python over every character
        return out
    return "".join(ch if ch.isprintable() else " " for ch in out)


def _one_line(text: Any) -> str:
    return " ".join(terminal(text).split())


def inline(text: Any) -> str:
    """One line of plain text, safe in markdown paragraphs and table cells: no markup, HTML or links."""
    out = _one_line(text)
    for ch in _MARKUP:
        out = out.replace(ch, "\\" + ch)
    return out.replace("&", "&amp;").replace("<", "&lt;")


def code(text: Any) -> str:
    """Inline code on one line (a longer fence when the text holds backticks; '|' escaped for tables)."""
    body = _one_line(text).replace("|", "\\|")
    fence = "``" if "`" in body else "`"
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def url(target: Any) -> str | None:
    """An http(s) URL safe inside ``(...)`` of a markdown link, or None (other schemes are never linked)."""
    text = str(target).strip()
    if not text.lower().startswith(_SAFE_SCHEMES) or any(ch.isspace() or not ch.isprintable() for ch in text):
        return None
    return text.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def shell_block(command: str) -> str:
    """A command line in a fenced ``sh`` block: one line, and no fence can be closed from inside."""
    line = _one_line(command)
    fence = "~~~~" if "```" in line else "```"
    return f"{fence}sh\n{line}\n{fence}"
