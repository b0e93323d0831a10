"""``advisor assess``: answer the questionnaire (or replay a profile) and assess.

:mod:`~advisor.cli.assess.command` (the command), :mod:`~advisor.cli.assess.resume`
(an interrupted session saved, and how to resume it),
:mod:`~advisor.cli.assess.measure_if_close` (``--measure``) and
:mod:`~advisor.cli.assess.output` (what is printed).
"""

from __future__ import annotations

from advisor.cli.assess.command import assess

__all__ = ["assess"]
