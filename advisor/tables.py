"""Tables for the terminal and for Markdown: the one home of the tabulate library.

Core modules that show a table (the questionnaire listing, the answers summary, records and
portfolio summaries) call these two functions, so the table library is named in one place.
A Markdown table of plain ASCII text (every table of a decision record, as a rule) is laid
out here, as tabulate's ``github`` format writes it, without importing tabulate (about 12 ms
of start-up with its wcwidth tables); any other goes through tabulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def text(rows: Sequence[Sequence[Any]], headers: Sequence[str], *,
         maxcolwidths: Sequence[int | None] | None = None, numbers: bool = False) -> str:
    """A plain-text table in tabulate's ``simple`` style; ``numbers``: align number columns on the right."""
    from tabulate import tabulate

    return tabulate([list(r) for r in rows], headers=list(headers), tablefmt="simple", disable_numparse=not numbers,
                    maxcolwidths=None if maxcolwidths is None else list(maxcolwidths))


def markdown(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table; the cells must already be escaped (see advisor.markdown)."""
    fast = _plain_markdown(rows, headers)
    if fast is not None:
        return fast
    from tabulate import tabulate

    return tabulate([list(r) for r in rows], headers=list(headers), tablefmt="github", disable_numparse=True)


def _plain(text: object) -> bool:
    return isinstance(text, str) and text.isascii() and text.isprintable()


def _plain_markdown(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str | None:
    """The table as tabulate's ``github`` format lays it out, or None unless every cell is printable ASCII text.

    tabulate strips the cells (not the headers), pads each column to its widest cell and to
    its header's width plus 2, and aligns text left; printable ASCII is one column per
    character, so no wide-character width is needed.
    """
    if not all(_plain(h) for h in headers):
        return None
    cells = [[c.strip() for c in r] for r in rows if all(_plain(c) for c in r) and len(r) == len(headers)]
    if len(cells) != len(rows):
        return None
    widths = [len(h) + 2 for h in headers]
    for r in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    return "\n".join(lines)
