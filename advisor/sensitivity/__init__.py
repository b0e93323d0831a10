"""Tipping points: the smallest change of one answer that changes the decision.

A decision (:class:`advisor.decide.Decision`) has an outcome kind (recommend, tie,
one or both options ruled out, measure first), a recommended option, and P, the
probability that bare metal is better. A change of one answer **tips** the decision
when it changes the outcome kind or the recommended option, or moves P across the
pack's close band (e.g. from above 0.8 into 0.2..0.8). For every applicable question
(and every ``priority_*`` weight) the analysis changes that one answer and decides
again, everything else unchanged, with the profile's own draws (common random
numbers, so P moves only because the answer moved):

* numbers are searched in both directions from the current value, within the
  question's bounds and at most :data:`MAX_FACTOR` times away from it: a coarse,
  log-spaced scan finds the first probe that tips the decision, bisection then
  narrows the boundary between it and the last probe that did not (integers exactly;
  floats to a relative :data:`TOLERANCE`, then a round number inside the last
  interval, verified);
* choices and booleans are tried one by one; multi-choice answers add or remove
  each choice.

Each tipping point is a sentence in the user's units ("Raising the p99 latency SLO
above 1 ms would make VM-backed the better option (P(bare metal better) 0.91 ->
0.55).") and a revisit trigger: a condition over the answers (rule expression
syntax, checked by ``advisor records check``) with its sentence ("Revisit if the p99
latency SLO rises above 1 ms.").

The evaluation is injected (``evaluate(answers) -> Decision``), so this module knows
nothing of packs or fault-domain graphs; :func:`advisor.tipping.tipping_points`
wires it to the decision engine. An optional ``cost`` estimate and ``budget`` bound
the work: evaluations run nearest change first across all answers, and what the
budget cuts short is reported as incomplete. The result is deterministic for the
same inputs. The method is documented in docs/whatif.md.

The modules: :mod:`.points` (what an analysis finds and says), :mod:`.wording` (how it
names answers and numbers), :mod:`.ladder` (where a numeric search probes) and
:mod:`.search` (the search itself).
"""

from __future__ import annotations

from advisor.sensitivity.ladder import MAX_FACTOR
from advisor.sensitivity.points import (
    CATEGORICAL_CHANGE,
    CLOSE_BAND,
    TOLERANCE,
    Analysis,
    Robust,
    Snapshot,
    TippingPoint,
    Trigger,
    revisit_sentences,
    revisit_triggers,
    state,
)
from advisor.sensitivity.search import NOT_READ, Cost, Evaluate, analyse

__all__ = [
    "CATEGORICAL_CHANGE",
    "CLOSE_BAND",
    "MAX_FACTOR",
    "NOT_READ",
    "TOLERANCE",
    "Analysis",
    "Cost",
    "Evaluate",
    "Robust",
    "Snapshot",
    "TippingPoint",
    "Trigger",
    "analyse",
    "revisit_sentences",
    "revisit_triggers",
    "state",
]
