"""Decision record -> MADR 4.0 markdown and the JSON twin (docs/decision-records.md).

Strings only: no I/O, no printing. :mod:`~advisor.render.record` assembles the record
from the body's sections (:mod:`~advisor.render.body`, built on the typed reasons of
:mod:`~advisor.render.reasons`) and the appendix (:mod:`~advisor.render.appendix`);
:mod:`~advisor.render.text` holds the words and escaping they share.
"""

from __future__ import annotations

from advisor.render.appendix import BODY_END
from advisor.render.body import MEASURE_COMMAND, changes_of, changes_section, consequences_section, outcome_section
from advisor.render.reasons import Change, Reason, reasons_of
from advisor.render.record import body, to_json, to_markdown

__all__ = ["BODY_END", "MEASURE_COMMAND", "Change", "Reason", "body", "changes_of", "changes_section",
           "consequences_section", "outcome_section", "reasons_of", "to_json", "to_markdown"]
