"""The rules engine: rule packs as data, a fact catalog, three-valued evaluation.

* :mod:`advisor.rules.model`: the file formats (pydantic) and loaded packs;
* :mod:`advisor.rules.loader`: :func:`load_pack` (parse, validate, type-check, layer);
* :mod:`advisor.rules.catalog`: derived and measured facts, the catalog, docs/facts.md;
* :mod:`advisor.rules.engine`: :func:`evaluate_rules` -> findings (fired, not-fired, unknown);
* :mod:`advisor.rules.testing`: the rule-test runner core.

This package imports only the foundation (errors, yamlio, conditions, validation);
the fact catalog is passed in (see :func:`advisor.pipeline.fact_catalog`).
"""

from __future__ import annotations

from advisor.rules.engine import Finding, Outcome, evaluate_rule, evaluate_rules
from advisor.rules.loader import load_pack
from advisor.rules.model import LoadedRule, Pack, PackCase, RuleCase
from advisor.rules.testing import RuleTestReport, run_tests

__all__ = [
    "Finding",
    "LoadedRule",
    "Outcome",
    "Pack",
    "PackCase",
    "RuleCase",
    "RuleTestReport",
    "evaluate_rule",
    "evaluate_rules",
    "load_pack",
    "run_tests",
]
