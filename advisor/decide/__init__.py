"""The decision engine: constraints first, consequences with uncertainty, configurations per option.

* :mod:`advisor.decide.model`: rule-pack format 2 (constraint and consequence rules, criteria,
  value functions, configurations, cases);
* :mod:`advisor.decide.loader`: :func:`load_pack` (parse, validate, type-check, evidence checks);
* :mod:`advisor.decide.screen`: constraint rules -> feasible, feasible-if, infeasible;
* :mod:`advisor.decide.consequences`: one estimate per attribute, measurements replace priors;
* :mod:`advisor.decide.values`: monotone value functions;
* :mod:`advisor.decide.sampling`: seeded streams, common random numbers;
* :mod:`advisor.decide.variants`: the configurations of each option;
* :mod:`advisor.decide.voi`: value of information of the measurable unknowns;
* :mod:`advisor.decide.best`: each option at its best configuration, draw by draw;
* :mod:`advisor.decide.outcome`: the result model;
* :mod:`advisor.decide.uses`: which estimate each answer and evidence item enters (no double counting);
* :mod:`advisor.decide.text`: rule text with the user's numbers, and the one wording of a probability;
* :mod:`advisor.decide.engine`: :func:`decide`.

docs/scoring.md explains the method.
"""

from __future__ import annotations

from advisor.decide.engine import decide, prepare, priorities
from advisor.decide.loader import Pack, Spots, load_pack
from advisor.decide.outcome import Decision

__all__ = ["Decision", "Pack", "Spots", "decide", "load_pack", "prepare", "priorities"]
