"""Tables for the terminal and for Markdown: the one home of the tabulate library.

Core modules that show a table (the questionnaire listing, the answers summary, records and
portfolio summaries) call these two functions, so the table library is named in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate


def text(rows: Sequence[Sequence[Any]], headers: Sequence[str], *,
         maxcolwidths: Sequence[int | None] | None = None, numbers: bool = False) -> str:
    """A plain-text table in tabulate's ``simple`` style; ``numbers``: align number columns on the right."""
    return tabulate([list(r) for r in rows], headers=list(headers), tablefmt="simple", disable_numparse=not numbers,
                    maxcolwidths=None if maxcolwidths is None else list(maxcolwidths))


def markdown(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A GitHub-flavoured Markdown table; the cells must already be escaped (see advisor.markdown)."""
    return tabulate([list(r) for r in rows], headers=list(headers), tablefmt="github", disable_numparse=True)
