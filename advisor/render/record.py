"""Decision record -> MADR 4.0 markdown and the JSON twin. Strings only: no I/O, no printing.

The markdown is rendered from the record alone (so that ``NNNN-slug.json`` is enough
to regenerate ``NNNN-slug.md``); the sections are explained in docs/decision-records.md.
"""

from __future__ import annotations

from advisor.records import DecisionRecord
from advisor.render.appendix import BODY_END, more_information
from advisor.render.body import (
    changes_of,
    changes_section,
    confirmation_section,
    consequences_section,
    context_section,
    drivers_section,
    front_matter,
    options_section,
    outcome_section,
)
from advisor.render.reasons import reasons_of
from advisor.render.text import inline


def to_json(record: DecisionRecord) -> str:
    """The JSON twin: every number, sorted keys (``DecisionRecord.to_json``)."""
    return record.to_json()


def to_markdown(record: DecisionRecord) -> str:
    """The record as MADR 4.0 markdown with YAML front matter; ends with one newline.

    The body (up to "More Information") is what a board reads: the question, the
    outcome in one sentence, the reasons in the profile's numbers, the constraints,
    what would change the answer, how it was confirmed and the consequences per
    option. Every detail is in the appendix below it, and every number in the JSON twin.
    """
    reasons = reasons_of(record)
    parts = [
        front_matter(record),
        f"# {inline(record.title)}",
        context_section(record),
        drivers_section(record),
        options_section(record),
        outcome_section(record, reasons),
        changes_section(changes_of(record), record.review_by),
        confirmation_section(record),
        consequences_section(record, reasons),
        more_information(record),
    ]
    return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"


def body(markdown: str) -> str:
    """The part of a record a board reads (everything before the appendix)."""
    return markdown.split("\n" + BODY_END, 1)[0]
