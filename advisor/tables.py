"""Tables for the terminal and for Markdown: the one home of the tabulate library.

Core modules that show a table (the questionnaire listing, the answers summary, records and
portfolio summaries) call these two functions, so the table library is named in one place.
A table of plain ASCII text (every table of a decision record and of ``assess``, as a rule)
is laid out here, as tabulate writes it, without importing tabulate (about 12 ms of
start-up with its wcwidth tables); any other goes through tabulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def text(rows: Sequence[Sequence[Any]], headers: Sequence[str], *,
         maxcolwidths: Sequence[int | None] | None = None, numbers: bool = False) -> str:
    """A plain-text table in tabulate's ``simple`` style; ``numbers``: align number columns on the right."""
    if not numbers and maxcolwidths is None and headers:
        fast = _plain_text(rows, headers)
        if fast is not None:
            return fast
    from tabulate import tabulate

    return tabulate([list(r) for r in rows], headers=list(headers), tablefmt="simple", disable_numparse=not numbers,
                    maxcolwidths=None if maxcolwidths is None else list(maxcolwidths))


def plain(rows: Sequence[Sequence[Any]]) -> str:
    """Rows without headers or rules, in tabulate's ``plain`` style (text aligned left)."""
    fast = _plain_text(rows, ())
    if fast is not None:
        return fast
    from tabulate import tabulate

    return tabulate([list(r) for r in rows], tablefmt="plain", disable_numparse=True)


def markdown(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table; the cells must already be escaped (see advisor.markdown)."""
    fast = _plain_markdown(rows, headers)
    if fast is not None:
        return fast
    from tabulate import tabulate

    return tabulate([list(r) for r in rows], headers=list(headers), tablefmt="github", disable_numparse=True)


def _plain(text: object) -> bool:
    return isinstance(text, str) and text.isascii() and text.isprintable()


def _cells(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> tuple[list[list[str]], list[int]] | None:
    """The stripped cells and the column widths as tabulate lays them out, or None unless all is printable ASCII.

    tabulate strips the cells (not the headers), pads each column to its widest cell and to
    its header's width plus 2, and aligns text left; printable ASCII is one column per
    character, so no wide-character width is needed.
    """
    if not all(_plain(h) for h in headers) or not rows and not headers:
        return None
    columns = len(headers) if headers else len(rows[0])
    cells = [[c.strip() for c in r] for r in rows if len(r) == columns and all(_plain(c) for c in r)]
    if len(cells) != len(rows) or not columns:
        return None
    widths = [len(h) + 2 for h in headers] if headers else [0] * columns
    for r in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    return cells, widths


def _plain_text(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str | None:
    """tabulate's ``simple`` (with headers) or ``plain`` (without) layout: columns 2 spaces apart, lines rstripped."""
    laid = _cells(rows, headers)
    if laid is None:
        return None
    cells, widths = laid
    lines = []
    if headers:
        lines += ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
                  "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _plain_markdown(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str | None:
    """The table as tabulate's ``github`` format lays it out, or None unless every cell is printable ASCII text."""
    laid = _cells(rows, headers) if headers else None
    if laid is None:
        return None
    cells, widths = laid
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    return "\n".join(lines)
